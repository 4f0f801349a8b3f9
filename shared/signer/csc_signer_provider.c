/* SPDX-License-Identifier: Apache-2.0 */
/* provider: route -- keys through OSSL_STORE, the OpenSSL 3 way.
 *
 * "pkcs11:" URIs need the "pkcs11" provider (pkcs11-provider).  Debian 12
 * does not package it, so on such systems the route fails with a message
 * that points at engine: instead.  The provider's PKCS#11 module and its
 * other settings come from openssl.cnf (OpenSSL 3.0 cannot pass provider
 * parameters from code); the PIN, if the URI needs one, is answered from
 * the configured pkcs11_pin through the UI method.  pkcs11-provider does
 * its own fork handling, so this file keeps no PKCS#11 state. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/provider.h>
#include <openssl/store.h>

#include <apr_strings.h>

#include "base/csc_ossl.h"
#include "signer/csc_signer_route.h"

#define PROVIDER_NAME "pkcs11"

static const char unavailable[] =
    "OpenSSL provider 'pkcs11' is not available on this system; use "
    "engine:pkcs11:... or install pkcs11-provider";

static pthread_mutex_t prov_lock = PTHREAD_MUTEX_INITIALIZER;
static OSSL_PROVIDER *pkcs11_prov;     /* kept loaded for the process */

static int is_pkcs11(const char *uri)
{
    return strncasecmp(uri, "pkcs11:", 7) == 0;
}

/* <modulesdir>/pkcs11.so, where OSSL_PROVIDER_try_load() will look. */
static const char *provider_module_path(apr_pool_t *p)
{
    const char *dir = getenv("OPENSSL_MODULES");

    if (!dir || !*dir) {
        const char *v = OpenSSL_version(OPENSSL_MODULES_DIR);
        const char *q1 = v ? strchr(v, '"') : NULL;
        const char *q2 = q1 ? strchr(q1 + 1, '"') : NULL;
        if (!q2) {
            return NULL;
        }
        dir = apr_pstrmemdup(p, q1 + 1, (apr_size_t)(q2 - q1 - 1));
    }
    return apr_pstrcat(p, dir, "/" PROVIDER_NAME ".so", NULL);
}

static apr_status_t provider_check(const csc_signer_ctx_t *c,
                                   const char *uri, apr_pool_t *p,
                                   const char **errmsg)
{
    const char *so;
    struct stat st;

    (void)c;
    if (!is_pkcs11(uri)) {
        return APR_SUCCESS;     /* file: and friends: default provider */
    }
    /* Only look: loading the provider could already talk to the token. */
    if (OSSL_PROVIDER_available(NULL, PROVIDER_NAME)) {
        return APR_SUCCESS;
    }
    ERR_clear_error();
    so = provider_module_path(p);
    if (so && stat(so, &st) == 0) {
        return APR_SUCCESS;
    }
    *errmsg = unavailable;
    return APR_ENOTIMPL;
}

static apr_status_t provider_ensure(apr_pool_t *p, const char **errmsg)
{
    apr_status_t rv = APR_SUCCESS;

    pthread_mutex_lock(&prov_lock);
    if (!pkcs11_prov) {
        /* retain_fallbacks=1: the default provider must stay usable */
        pkcs11_prov = OSSL_PROVIDER_try_load(NULL, PROVIDER_NAME, 1);
        if (!pkcs11_prov) {
            *errmsg = apr_psprintf(p, "%s (%s)", unavailable,
                                   csc_ossl_errors(p, NULL));
            rv = APR_ENOTIMPL;
        }
    }
    pthread_mutex_unlock(&prov_lock);
    return rv;
}

static apr_status_t provider_load(const csc_signer_ctx_t *c, const char *uri,
                                  EVP_PKEY **pkey, apr_pool_t *p,
                                  const char **errmsg)
{
    OSSL_STORE_CTX *sc;
    apr_status_t rv;

    *pkey = NULL;
    if (is_pkcs11(uri)) {
        rv = provider_ensure(p, errmsg);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    sc = OSSL_STORE_open_ex(uri, NULL, NULL, c->ui, NULL,
                            NULL, NULL, NULL);
    if (!sc) {
        *errmsg = apr_psprintf(p, "cannot open %s: %s", uri,
                               csc_ossl_errors(p, NULL));
        return APR_EGENERAL;
    }
    OSSL_STORE_expect(sc, OSSL_STORE_INFO_PKEY);
    while (!*pkey && !OSSL_STORE_eof(sc)) {
        OSSL_STORE_INFO *info = OSSL_STORE_load(sc);
        if (!info) {
            if (OSSL_STORE_error(sc)) {
                break;
            }
            continue;
        }
        if (OSSL_STORE_INFO_get_type(info) == OSSL_STORE_INFO_PKEY) {
            *pkey = OSSL_STORE_INFO_get1_PKEY(info);
        }
        OSSL_STORE_INFO_free(info);
    }
    OSSL_STORE_close(sc);
    if (!*pkey) {
        *errmsg = apr_psprintf(p, "no private key at %s: %s", uri,
                               csc_ossl_errors(p, NULL));
        return is_pkcs11(uri) ? APR_EGENERAL : APR_ENOENT;
    }
    ERR_clear_error();
    return APR_SUCCESS;
}

/* Any OSSL_STORE URI; pkcs11: ones go to pkcs11-provider. */
static apr_status_t provider_syntax(const char *keyref, const char *target,
                                    int *hsm, apr_pool_t *p,
                                    const char **errmsg)
{
    (void)keyref;
    *hsm = 0;
    if (!*target) {
        *errmsg = "key reference provider: without a URI";
        return APR_EINVAL;
    }
    if (is_pkcs11(target)) {
        *hsm = 1;
        return csc_signer_pkcs11_uri_check(target, p, errmsg);
    }
    return APR_SUCCESS;
}

/* pkcs11-provider recovers its sessions by itself: no reset. */
const csc_signer_route_t csc_signer_route_provider = {
    .prefix = "provider:",
    .syntax = provider_syntax,
    .check = provider_check,
    .load = provider_load,
    .reset = NULL,
};
