/* SPDX-License-Identifier: Apache-2.0 */
/* A deliberately small certificate authority for the enrollment tool, the
 * tests and demos: it lets a fresh HSM key get a certificate without an
 * external CA.  Not on the request path and not meant for production PKI.
 *
 * Subject strings come in two forms:
 *  - RFC 4514: "CN=Alice,O=Example,C=BE".  The most specific RDN comes
 *    first, as credentials/info prints it, so the DER holds C, O, CN.
 *    Backslash escapes "\,", "\+", "\\", "\"", "\;", "\<", "\>", "\=",
 *    "\#", "\ " and "\XX" (hex byte, for UTF-8 sequences) are understood;
 *    raw UTF-8 is fine too.  "+" joins attributes into a multi-valued RDN.
 *    Spaces around "," "+" and "=" are dropped unless escaped.  "#hex"
 *    (BER) values are refused.
 *  - OpenSSL "-subj" style: "/C=BE/O=Example/CN=Alice", written in DER
 *    order; "\" escapes the next character.
 * Attribute types are OpenSSL short or long names (CN, O, OU, C, L, ST,
 * emailAddress, serialNumber, ...; case-insensitive for the short ones) or
 * dotted OIDs.  Values are stored as UTF8String (C as PrintableString).
 *
 * Validity: "days" > 0 gives [now, now + days]; days < 0 gives an already
 * expired certificate [now + 2*days, now + days] (for tests); 0 or more
 * than 36500 in either direction is refused. */
#ifndef CSC_CA_H
#define CSC_CA_H

#include <apr_pools.h>

#include <openssl/evp.h>

/* Self-signed CA with a new software EC P-256 key: CA:TRUE (critical),
 * keyCertSign+cRLSign, subject/authority key identifiers, SHA-256.
 * The key (PKCS#8 PEM, unencrypted) is written with mode 0600 and never
 * over an existing file (APR_EEXIST); the certificate file is replaced. */
apr_status_t csc_ca_create(const char *subject, int days,
                           const char *key_path, const char *cert_path,
                           apr_pool_t *p, const char **errmsg);

/* End-entity certificate for a SubjectPublicKeyInfo PEM: keyUsage
 * digitalSignature+nonRepudiation (critical), basicConstraints CA:FALSE
 * (critical), subject/authority key identifiers, random positive 16-byte
 * serial, signed with SHA-256 by the CA key (which must match the CA
 * certificate).  The CA key file must not be encrypted. */
apr_status_t csc_ca_issue(const char *ca_key_path, const char *ca_cert_path,
                          const char *pubkey_pem, const char *subject,
                          int days, const char **cert_pem, apr_pool_t *p,
                          const char **errmsg);

/* PKCS#10 request signed (SHA-256) by any private key, including one that
 * lives in an HSM behind an ENGINE or provider: only EVP calls are used. */
apr_status_t csc_ca_make_csr(EVP_PKEY *key, const char *subject,
                             const char **csr_pem, apr_pool_t *p,
                             const char **errmsg);

/* Issues like csc_ca_issue, taking subject and key from the request after
 * verifying its self-signature (APR_EINVAL when it does not verify).  The
 * request's attributes and extensions are ignored: the CA decides. */
apr_status_t csc_ca_issue_from_csr(const char *ca_key_path,
                                   const char *ca_cert_path,
                                   const char *csr_pem, int days,
                                   const char **cert_pem, apr_pool_t *p,
                                   const char **errmsg);

#endif
