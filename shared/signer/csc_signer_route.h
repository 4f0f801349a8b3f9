/* SPDX-License-Identifier: Apache-2.0 */
/* Private to signer/: a route turns the part of a key reference after its
 * prefix into a loaded EVP_PKEY.  csc_signer.c owns the key cache, the
 * locking and the retry policy and calls the routes through this table;
 * a route never calls back into csc_signer.c, it gets what it needs in
 * the context.  A new route (a remote device, a cloud KMS) is one file and
 * one entry in csc_signer.c's table. */
#ifndef CSC_SIGNER_ROUTE_H
#define CSC_SIGNER_ROUTE_H

#include <openssl/types.h>

#include "signer/csc_signer.h"

typedef struct {
    const csc_signer_conf_t *conf;  /* stable: the caller holds the
                                     * signer's lock for the call */
    UI_METHOD *ui;                  /* answers PIN prompts from conf, never
                                     * a terminal */
} csc_signer_ctx_t;

typedef struct {
    const char *prefix;             /* "engine:", "provider:", "file:" */
    /* Syntax of the target (the key reference after the prefix); no I/O.
     * *hsm: whether a PKCS#11 token is behind it. */
    apr_status_t (*syntax)(const char *keyref, const char *target, int *hsm,
                           apr_pool_t *p, const char **errmsg);
    /* Whether the route can work here (module or file present); no HSM
     * I/O, safe at configuration time in the parent. */
    apr_status_t (*check)(const csc_signer_ctx_t *c, const char *target,
                          apr_pool_t *p, const char **errmsg);
    apr_status_t (*load)(const csc_signer_ctx_t *c, const char *target,
                         EVP_PKEY **pkey, apr_pool_t *p, const char **errmsg);
    /* Re-initialises the route after a token failure or a configuration
     * change; the caller holds the signer's write lock and has freed every
     * key of the route.  NULL: the route recovers by itself. */
    void (*reset)(const csc_signer_ctx_t *c);
} csc_signer_route_t;

extern const csc_signer_route_t csc_signer_route_engine;
extern const csc_signer_route_t csc_signer_route_provider;
extern const csc_signer_route_t csc_signer_route_file;

/* RFC 7512: a pkcs11: URI that names a private key (csc_signer_uri.c). */
apr_status_t csc_signer_pkcs11_uri_check(const char *uri, apr_pool_t *p,
                                         const char **errmsg);

#endif
