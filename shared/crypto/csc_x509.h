/* SPDX-License-Identifier: Apache-2.0 */
/* Certificate facts that credentials/info and credentials/list report
 * (CSC spec 5.5 "cert" and "key" members), taken from PEM chains kept in the
 * credential registry.  Everything here runs on the request path: it keeps
 * no global state, allocates results from the caller's pool and leaves the
 * calling thread's OpenSSL error queue as it found it (mod_ssl on the same
 * thread reads that queue). */
#ifndef CSC_X509_H
#define CSC_X509_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

#include "crypto/csc_algo.h"           /* CSC_KEY_RSA, CSC_KEY_EC */

typedef struct {
    const char *der_b64;        /* standard base64 of the DER, no line breaks */
    const char *subject_dn;     /* RFC 4514, UTF-8 (non-ASCII not escaped) */
    const char *issuer_dn;
    const char *serial_hex;     /* uppercase hex, no separators, whole bytes
                                 * ("0A", not "A"); a '-' prefix for the
                                 * (invalid but seen) negative serials */
    const char *valid_from;     /* "YYYYMMDDHHMMSSZ" even for UTCTime */
    const char *valid_to;
    apr_time_t not_before, not_after;
    const char *subject_o;      /* first O in the subject, UTF-8, or NULL */
    const char *subject_cn;     /* first CN in the subject, UTF-8, or NULL */
} csc_cert_info_t;

/* Parses every CERTIFICATE block of a PEM text, in order (CSC wants the
 * end-entity first, so keep chains stored that way).  Text outside PEM
 * blocks is ignored; a damaged block or a text without any certificate is
 * APR_EINVAL with *errmsg set.  *certs holds csc_cert_info_t pointers. */
apr_status_t csc_x509_parse_chain(const char *pem, apr_array_header_t **certs,
                                  apr_pool_t *p, const char **errmsg);

/* Key type/size/curve of the first certificate's public key.  RSA and the
 * EC curves P-256, P-384, P-521 and brainpoolP256r1/P384r1/P512r1 are known;
 * anything else (RSA-PSS-only keys, EdDSA, explicit curve parameters) is
 * APR_ENOTIMPL.  Parse failures are APR_EINVAL.  *errmsg is a static
 * string (there is no pool to format into). */
apr_status_t csc_x509_key_info_from_cert(const char *pem_first_cert,
                                         csc_key_info_t *ki,
                                         const char **errmsg);

/* Same for a "-----BEGIN PUBLIC KEY-----" (SubjectPublicKeyInfo) PEM. */
apr_status_t csc_x509_key_info_from_spki_pem(const char *pubkey_pem,
                                             csc_key_info_t *ki,
                                             const char **errmsg);

/* "valid" inside [notBefore, notAfter] (both inclusive, to the second),
 * "expired" after it, NULL before notBefore (the CSC enum has no value for
 * "not yet valid", so such a status is better left out). */
const char *csc_x509_status(const csc_cert_info_t *c, apr_time_t now);

/* The same rule on bare validity dates. */
const char *csc_x509_validity_status(apr_time_t not_before,
                                     apr_time_t not_after, apr_time_t now);

/* APR_SUCCESS if the (first) certificate carries exactly this SPKI public
 * key, APR_EMISMATCH if it carries another one, APR_EINVAL if either PEM
 * does not parse. */
apr_status_t csc_x509_matches_key(const char *cert_pem,
                                  const char *pubkey_pem);

/* Checks that each certificate is issued by the next one: names and key
 * identifiers match, the issuer may sign certificates (keyUsage) and the
 * signature verifies with the issuer's key.  The last certificate is not
 * checked (it may be a root or an intermediate; trust is configuration, not
 * something a chain can prove about itself).  APR_SUCCESS, APR_EINVAL for
 * unparsable input, APR_EGENERAL for a broken chain; *errmsg is static. */
apr_status_t csc_x509_check_chain(const char *chain_pem, const char **errmsg);

#endif
