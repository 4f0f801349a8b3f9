/* SPDX-License-Identifier: Apache-2.0 */
/* engine: route -- PKCS#11 keys through libp11's "pkcs11" OpenSSL ENGINE.
 *
 * One functional ENGINE reference per process, taken on first use and kept.
 * libp11 sets up its PKCS#11 context lazily on the first key load and, after
 * fork(), re-runs C_Initialize and re-opens sessions itself.
 *
 * Re-initialisation calls the engine's finish and init functions directly
 * instead of ENGINE_finish()/ENGINE_init(): libp11 keeps EVP_PKEY references
 * of its own (which hold engine references), so the functional count never
 * drops to zero and ENGINE_finish() alone would never reach libp11.  Its
 * finish function releases slots, sessions and keys and unloads the module
 * (C_Finalize); the next key load starts afresh (C_Initialize, C_Login).
 * That is what brings a token back after it vanished -- SoftHSM, e.g., keeps
 * answering "object handle invalid" until then.  The caller (csc_signer.c)
 * guarantees that nobody else is inside the engine at that moment.
 *
 * Limit: the "pkcs11" engine is one per process; another user of it in the
 * same process (e.g. mod_ssl with a PKCS#11 TLS key) would share its
 * MODULE_PATH and PIN and be re-initialised with it. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <apr_strings.h>

#include "base/csc_log.h"
#include "base/csc_ossl.h"
#include "signer/csc_signer_route.h"

#ifndef OPENSSL_NO_ENGINE

#include <openssl/engine.h>

#define ENGINE_ID "pkcs11"

static pthread_mutex_t engine_lock = PTHREAD_MUTEX_INITIALIZER;
static ENGINE *engine;          /* functional reference */

/* <enginesdir>/pkcs11.so, the way OpenSSL itself looks for it. */
static const char *engine_so_path(apr_pool_t *p)
{
    const char *dir = getenv("OPENSSL_ENGINES");

    if (!dir || !*dir) {
        const char *v = OpenSSL_version(OPENSSL_ENGINES_DIR);
        const char *q1 = v ? strchr(v, '"') : NULL;
        const char *q2 = q1 ? strchr(q1 + 1, '"') : NULL;
        if (!q2) {
            return NULL;
        }
        dir = apr_pstrmemdup(p, q1 + 1, (apr_size_t)(q2 - q1 - 1));
    }
    return apr_pstrcat(p, dir, "/" ENGINE_ID ".so", NULL);
}

static ENGINE *engine_in_list(void)
{
    ENGINE *e;

    for (e = ENGINE_get_first(); e; e = ENGINE_get_next(e)) {
        if (strcmp(ENGINE_get_id(e), ENGINE_ID) == 0) {
            return e;           /* structural reference */
        }
    }
    return NULL;
}

static int engine_apply_conf(const csc_signer_ctx_t *ctx, ENGINE *e)
{
    const csc_signer_conf_t *c = ctx->conf;

    if (c->pkcs11_module
        && !ENGINE_ctrl_cmd_string(e, "MODULE_PATH", c->pkcs11_module, 0)) {
        return 0;
    }
    if (c->pkcs11_pin && !ENGINE_ctrl_cmd_string(e, "PIN", c->pkcs11_pin, 0)) {
        return 0;
    }
    return 1;
}

/* Caller holds engine_lock. */
static apr_status_t engine_get(const csc_signer_ctx_t *c, apr_pool_t *p,
                               const char **errmsg)
{
    ENGINE *e;

    if (engine) {
        return APR_SUCCESS;
    }
    e = ENGINE_by_id(ENGINE_ID);
    if (!e) {
        /* Not found by name (e.g. OPENSSL_ENGINES points elsewhere): load
         * the shared object explicitly, as "openssl engine dynamic" would. */
        const char *so = engine_so_path(p);
        ERR_clear_error();
        e = ENGINE_by_id("dynamic");
        if (e && so
            && (!ENGINE_ctrl_cmd_string(e, "SO_PATH", so, 0)
                || !ENGINE_ctrl_cmd_string(e, "ID", ENGINE_ID, 0)
                || !ENGINE_ctrl_cmd_string(e, "LIST_ADD", "1", 0)
                || !ENGINE_ctrl_cmd_string(e, "LOAD", NULL, 0))) {
            ENGINE_free(e);
            e = NULL;
        }
    }
    if (!e) {
        *errmsg = apr_psprintf(p, "OpenSSL engine '" ENGINE_ID "' is not "
                               "available (install libengine-pkcs11-openssl):"
                               " %s", csc_ossl_errors(p, NULL));
        return APR_ENOTIMPL;
    }
    if (!engine_apply_conf(c, e) || !ENGINE_init(e)) {
        *errmsg = apr_psprintf(p, "cannot initialise OpenSSL engine '"
                               ENGINE_ID "': %s", csc_ossl_errors(p, NULL));
        ENGINE_free(e);
        return APR_EGENERAL;
    }
    ENGINE_free(e);             /* the functional reference keeps it */
    engine = e;
    return APR_SUCCESS;
}

static apr_status_t engine_load(const csc_signer_ctx_t *c, const char *uri,
                                EVP_PKEY **pkey, apr_pool_t *p,
                                const char **errmsg)
{
    apr_status_t rv;

    pthread_mutex_lock(&engine_lock);
    rv = engine_get(c, p, errmsg);
    pthread_mutex_unlock(&engine_lock);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    /* libp11 serialises its own key loads; no need to hold engine_lock. */
    *pkey = ENGINE_load_private_key(engine, uri, c->ui, NULL);
    if (!*pkey) {
        *errmsg = apr_psprintf(p, "cannot load %s: %s", uri,
                               csc_ossl_errors(p, NULL));
        return APR_EGENERAL;
    }
    ERR_clear_error();          /* libp11 leaves harmless noise behind */
    return APR_SUCCESS;
}

static void engine_reset(const csc_signer_ctx_t *c)
{
    ENGINE_GEN_INT_FUNC_PTR fn;

    pthread_mutex_lock(&engine_lock);
    if (!engine) {
        /* After a graceful restart this file's statics are new, but the
         * engine in libcrypto's list may still hold a context set up with
         * the previous configuration: adopt it and reset it too. */
        ENGINE *e = engine_in_list();
        if (e) {
            if (ENGINE_init(e)) {
                engine = e;
            }
            ENGINE_free(e);
        }
    }
    if (engine) {
        if (!engine_apply_conf(c, engine)) {
            csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "signer: cannot configure "
                    "OpenSSL engine '" ENGINE_ID "'");
        }
        if ((fn = ENGINE_get_finish_function(engine)) != NULL) {
            fn(engine);
        }
        if ((fn = ENGINE_get_init_function(engine)) != NULL) {
            fn(engine);
        }
    }
    ERR_clear_error();
    pthread_mutex_unlock(&engine_lock);
}

/* Whether path is a PKCS#11 library: it loads and has the one entry point
 * every module must export.  Nothing in it is called (no C_Initialize, no
 * token I/O), so this is safe in a server's master process; libp11 loads it
 * again where keys are used. */
static apr_status_t module_check(const char *path, apr_pool_t *p,
                                 const char **errmsg)
{
    void *lib;
    int has_entry;

    if (access(path, R_OK) != 0) {
        *errmsg = apr_psprintf(p, "PKCS#11 module %s is not readable", path);
        return APR_EINVAL;
    }
    lib = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
    if (!lib) {
        *errmsg = apr_psprintf(p, "PKCS#11 module %s cannot be loaded: %s",
                               path, dlerror());
        return APR_EINVAL;
    }
    has_entry = dlsym(lib, "C_GetFunctionList") != NULL;
    dlclose(lib);
    if (!has_entry) {
        *errmsg = apr_psprintf(p, "PKCS#11 module %s is not a PKCS#11 "
                               "library (no C_GetFunctionList)", path);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

static apr_status_t engine_check(const csc_signer_ctx_t *ctx, const char *uri,
                                 apr_pool_t *p, const char **errmsg)
{
    const csc_signer_conf_t *c = ctx->conf;
    const char *so = engine_so_path(p);
    struct stat st;
    ENGINE *e;

    (void)uri;
    if (!so || stat(so, &st) != 0) {
        e = engine_in_list();
        if (!e) {
            *errmsg = apr_psprintf(p, "OpenSSL engine '" ENGINE_ID "' is not "
                                   "available (%s missing; install "
                                   "libengine-pkcs11-openssl)",
                                   so ? so : "engines directory unknown");
            return APR_ENOTIMPL;
        }
        ENGINE_free(e);
    }
    if (c->pkcs11_module) {
        return module_check(c->pkcs11_module, p, errmsg);
    }
    return APR_SUCCESS;
}

#else /* OPENSSL_NO_ENGINE */

static const char no_engine[] =
    "this OpenSSL has no ENGINE support; use provider:pkcs11:... instead";

static apr_status_t engine_load(const csc_signer_ctx_t *c, const char *uri,
                                EVP_PKEY **pkey, apr_pool_t *p,
                                const char **errmsg)
{
    (void)c;
    (void)uri;
    (void)p;
    *pkey = NULL;
    *errmsg = no_engine;
    return APR_ENOTIMPL;
}

static void engine_reset(const csc_signer_ctx_t *c)
{
    (void)c;
}

static apr_status_t engine_check(const csc_signer_ctx_t *c, const char *uri,
                                 apr_pool_t *p, const char **errmsg)
{
    (void)c;
    (void)uri;
    (void)p;
    *errmsg = no_engine;
    return APR_ENOTIMPL;
}

#endif /* OPENSSL_NO_ENGINE */

/* libp11's engine takes lower-case pkcs11: URIs only. */
static apr_status_t engine_syntax(const char *keyref, const char *target,
                                  int *hsm, apr_pool_t *p, const char **errmsg)
{
    *hsm = 1;
    if (strncmp(target, "pkcs11:", 7) != 0) {
        *errmsg = apr_psprintf(p, "key reference %s: the engine route "
                               "takes a pkcs11: URI", keyref);
        return APR_EINVAL;
    }
    return csc_signer_pkcs11_uri_check(target, p, errmsg);
}

const csc_signer_route_t csc_signer_route_engine = {
    .prefix = "engine:",
    .syntax = engine_syntax,
    .check = engine_check,
    .load = engine_load,
    .reset = engine_reset,
};
