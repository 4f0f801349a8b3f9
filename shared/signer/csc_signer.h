/* SPDX-License-Identifier: Apache-2.0 */
/* The signing layer: a key reference string names a private key, and the
 * signer turns a precomputed digest into a signature value with it.
 *
 * Key references (the route is the prefix):
 *   engine:pkcs11:token=csc;object=rsa1;type=private
 *       PKCS#11 through libp11's "pkcs11" OpenSSL ENGINE.  The module and
 *       the user PIN come from csc_signer_conf_t, never from the URI:
 *       "pin-value" is refused so a key reference is always safe to log.
 *   provider:<URI>
 *       OSSL_STORE_open_ex() on an OpenSSL 3 provider URI.  "pkcs11:" URIs
 *       need the "pkcs11" provider (pkcs11-provider, configured through
 *       openssl.cnf; not packaged in Debian 12).  "file:" URIs work with the
 *       default provider.
 *   file:/absolute/path.pem
 *       Unencrypted PEM or DER (PKCS#8 or traditional) private key file, for
 *       development.
 *
 * Keys are cached per process, keyed by the reference string, loaded on
 * first use.  All functions are thread-safe.  After fork() the child drops
 * what the parent had loaded (PKCS#11 backed keys are abandoned, not freed,
 * so no PKCS#11 call in the child touches the parent's sessions) and loads
 * again on first use; libp11 re-runs C_Initialize in the child.  fork()
 * must not happen while another thread is inside this API (httpd forks
 * from its single-threaded parent).
 *
 * HSM failures: when loading or using an engine: (or provider:pkcs11:)
 * key fails, the cached key is dropped, the PKCS#11 context is
 * re-initialised (engine: only; at once when a working key fails with a
 * PKCS#11 error, at most once a second otherwise, so a mistyped key
 * reference cannot make every other key reload on each request) and the
 * operation is retried once; if that fails too the call returns
 * CSC_SIGNER_EUNAVAIL.  The next call tries again, so a token that comes
 * back is used without restarting the server.  PKCS#11 errors that blame
 * the request (CKR_MECHANISM_INVALID, CKR_MECHANISM_PARAM_INVALID,
 * CKR_ARGUMENTS_BAD, CKR_DATA_LEN_RANGE, ...) never re-initialise: a client
 * must not be able to reset the engine at will. */
#ifndef CSC_SIGNER_H
#define CSC_SIGNER_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <openssl/types.h>

#include "crypto/csc_algo.h"

/* Status codes beyond APR's, and how the API layer reports them. */
#define CSC_SIGNER_ERRSPACE   (APR_OS_START_USERERR + 7100)
/* HSM, token or session unavailable after one retry:
 * HTTP 503 temporarily_unavailable (errmsg is for the admin log). */
#define CSC_SIGNER_EUNAVAIL   (CSC_SIGNER_ERRSPACE + 1)
/* Key type does not fit the signature scheme (RSA key, ECDSA signAlgo),
 * or the token refuses the mechanism for a non-PSS scheme:
 * 400 invalid_request "Invalid parameter signAlgo". */
#define CSC_SIGNER_EKEYTYPE   (CSC_SIGNER_ERRSPACE + 2)
/* Digest length differs from the hash: 400 "Invalid digest value length". */
#define CSC_SIGNER_EDIGESTLEN (CSC_SIGNER_ERRSPACE + 3)
/* PSS parameters unusable with this key (salt too long for the modulus) or
 * refused by the token: 400 "Invalid parameter signAlgoParams". */
#define CSC_SIGNER_EPARAMS    (CSC_SIGNER_ERRSPACE + 4)
/* Other returns: APR_EINVAL malformed key reference or arguments,
 * APR_ENOENT key file missing, APR_ENOTIMPL route not available on this
 * system, APR_EGENERAL anything else (all: HTTP 500, log errmsg). */

typedef struct {
    const char *pkcs11_module;  /* engine: PKCS#11 module path; NULL means
                                 * libp11's default (p11-kit-proxy) */
    const char *pkcs11_pin;     /* user PIN for engine: and provider: keys;
                                 * NULL: none (no prompt is ever shown) */
    /* Optional lock shared by all processes of the server, held while a
     * process loads a PKCS#11 key (which logs in to the token).  SoftHSM2
     * rewrites its token files at login, and children that start together
     * otherwise miss the key now and then.  NULL: no locking. */
    void (*load_lock)(void *baton);
    void (*load_unlock)(void *baton);
    void *lock_baton;
} csc_signer_conf_t;

/* Process-wide settings, copied.  Call in the parent before children start
 * and again after every configuration reload.  Every call drops the cached
 * PKCS#11 keys and re-initialises the engine, because after a graceful
 * restart the engine inside libcrypto still carries the old settings.
 * Limits: one module and one PIN for all engine: keys; libp11 cannot
 * forget a PIN, so removing it from the configuration needs a restart. */
apr_status_t csc_signer_global_conf(const csc_signer_conf_t *conf);

/* Syntax of a key reference and whether its route exists here (engine or
 * provider module present, key file present).  No HSM I/O: safe at
 * configuration time in the parent. */
apr_status_t csc_keyref_check(const char *keyref, apr_pool_t *p,
                              const char **errmsg);

/* The same against settings that are not in force yet (a configuration
 * being checked before it is started); NULL: the settings in force. */
apr_status_t csc_keyref_check_for(const char *keyref,
                                  const csc_signer_conf_t *settings,
                                  apr_pool_t *p, const char **errmsg);

/* Signs the precomputed digest per sp (from csc_algo_resolve()).  PKCS#1
 * v1.5 wraps the digest in a DigestInfo; PSS uses sp's MGF1 hash and salt
 * length; ECDSA returns a DER ECDSA-Sig-Value.  *sig comes from p. */
apr_status_t csc_signer_sign(const char *keyref, const csc_sig_params_t *sp,
                             const unsigned char *digest, apr_size_t dlen,
                             unsigned char **sig, apr_size_t *siglen,
                             apr_pool_t *p, const char **errmsg);

/* DER SubjectPublicKeyInfo of the key. */
apr_status_t csc_signer_public_key(const char *keyref,
                                   unsigned char **spki_der, apr_size_t *len,
                                   apr_pool_t *p, const char **errmsg);

/* Loads the key (into the cache) and describes it; info may be NULL.  For
 * tools and diagnostics, and to fill credentials/info key/len, key/curve,
 * key/algo (with csc_algo_key_algos()). */
apr_status_t csc_signer_probe(const char *keyref, csc_key_info_t *info,
                              apr_pool_t *p, const char **errmsg);

/* Forgets every cached key of this process (key rotation behind an
 * unchanged reference); the next use loads again. */
void csc_signer_flush(void);

#endif
