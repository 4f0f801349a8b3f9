/* SPDX-License-Identifier: Apache-2.0 */
/* mod_bench_rawsign: the raw signature inside httpd, for bench/run.sh only.
 *
 * A POST to a location with "BenchRawSign KEYREF SIGNALGO-OID" reads the
 * body, signs its SHA-256 with csc_signer_sign() -- the function
 * signatures/signHash calls, on the same key -- and answers
 * {"signatures":["<base64>"]}, written and flushed from the handler as
 * mod_csc writes its answers.  No token, no SAD, no store, no JSON
 * parsing: what a request costs here is httpd, the kernel and the
 * signature where a server makes it (between a read and a write, in a
 * child among others).  The bench reports mod_csc's multiple against it
 * too, which separates the module's own cost from what the token library
 * costs more inside a server than in a loop (issue 21).
 *
 * Server-wide: BenchRawSignPKCS11Module PATH and BenchRawSignPIN
 * file:/path|env:VARIABLE, as CSCPKCS11Module and CSCPKCS11PIN are for
 * mod_csc.  Never load
 * it beside mod_csc: both would drive libcrypto's one "pkcs11" engine. */
#include <string.h>

#include <openssl/evp.h>

#include <apr_global_mutex.h>
#include <apr_strings.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "util_mutex.h"

#include "base/csc_b64.h"
#include "config/csc_pin_source.h"
#include "crypto/csc_algo.h"
#include "signer/csc_signer.h"

#define RAWSIGN_HANDLER "bench-rawsign"
#define RAWSIGN_MUTEX "bench-rawsign-load"
#define RAWSIGN_BODY_MAX 65536

module AP_MODULE_DECLARE_DATA bench_rawsign_module;

typedef struct {
    const char *pkcs11_module;
    const char *pin_source;
} srv_cfg;

typedef struct {
    const char *keyref;         /* NULL: not a signing location */
    csc_sig_params_t sp;
} dir_cfg;

static apr_global_mutex_t *load_mutex;

static void *create_srv(apr_pool_t *p, server_rec *s)
{
    (void)s;
    return apr_pcalloc(p, sizeof(srv_cfg));
}

static void *create_dir(apr_pool_t *p, char *path)
{
    (void)path;
    return apr_pcalloc(p, sizeof(dir_cfg));
}

static const char *set_srv(cmd_parms *cmd, void *dummy, const char *arg)
{
    srv_cfg *sc = ap_get_module_config(cmd->server->module_config,
                                       &bench_rawsign_module);
    (void)dummy;
    if (cmd->info) {
        const char *err = csc_pin_source_check(cmd->cmd->name, arg,
                                               cmd->pool);
        if (err) {
            return err;
        }
        sc->pin_source = arg;
    }
    else {
        sc->pkcs11_module = arg;
    }
    return NULL;
}

static const char *set_key(cmd_parms *cmd, void *conf, const char *keyref,
                           const char *oid)
{
    dir_cfg *dc = conf;
    const char *err;
    csc_algo_err_e aerr;

    if (csc_keyref_check(keyref, cmd->pool, &err) != APR_SUCCESS) {
        return apr_pstrcat(cmd->pool, "BenchRawSign: ", err, NULL);
    }
    if (csc_algo_resolve(oid, CSC_OID_SHA256, NULL, 0, &dc->sp, &aerr)
        != APR_SUCCESS) {
        return apr_pstrcat(cmd->pool, "BenchRawSign: ",
                           csc_algo_errstr(aerr, 1), NULL);
    }
    dc->keyref = keyref;
    return NULL;
}

static void load_lock(void *baton)
{
    (void)baton;
    apr_global_mutex_lock(load_mutex);
}

static void load_unlock(void *baton)
{
    (void)baton;
    apr_global_mutex_unlock(load_mutex);
}

static int pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    return ap_mutex_register(pconf, RAWSIGN_MUTEX, NULL, APR_LOCK_DEFAULT, 0)
           == APR_SUCCESS ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

static int post_config(apr_pool_t *pconf, apr_pool_t *plog,
                       apr_pool_t *ptemp, server_rec *s)
{
    srv_cfg *sc = ap_get_module_config(s->module_config,
                                       &bench_rawsign_module);
    csc_signer_conf_t conf = {sc->pkcs11_module, NULL, load_lock,
                              load_unlock, NULL};
    const char *err;
    apr_status_t rv;

    (void)plog;
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    err = csc_pin_source_read("BenchRawSignPIN", sc->pin_source,
                              &conf.pkcs11_pin, ptemp);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "%s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    rv = ap_global_mutex_create(&load_mutex, NULL, RAWSIGN_MUTEX, NULL, s,
                                pconf, 0);
    if (rv != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (csc_signer_global_conf(&conf) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, s, "cannot set up the signer");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

static void child_init(apr_pool_t *p, server_rec *s)
{
    apr_status_t rv = apr_global_mutex_child_init(
        &load_mutex, apr_global_mutex_lockfile(load_mutex), p);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "cannot attach the key-loading mutex");
    }
}

/* The body as mod_csc reads it (mod_csc_handler.c), hashed as it comes. */
static int hash_body(request_rec *r, unsigned char *digest)
{
    char buf[8192];
    apr_size_t total = 0;
    unsigned int dlen;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    long n;
    int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL);

    if (ok && ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK) != OK) {
        ok = 0;
    }
    if (ok && ap_should_client_block(r)) {
        while ((n = ap_get_client_block(r, buf, sizeof(buf))) > 0) {
            total += (apr_size_t)n;
            if (total > RAWSIGN_BODY_MAX
                || !EVP_DigestUpdate(md, buf, (size_t)n)) {
                ok = 0;
                break;
            }
        }
        if (n < 0) {
            ok = 0;
        }
    }
    ok = ok && EVP_DigestFinal_ex(md, digest, &dlen);
    EVP_MD_CTX_free(md);
    return ok;
}

static int send_json(request_rec *r, int status, const char *body)
{
    apr_size_t len = strlen(body);

    r->status = status;
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    ap_set_content_type(r, "application/json;charset=UTF-8");
    ap_set_content_length(r, (apr_off_t)len);
    ap_rwrite(body, (int)len, r);
    ap_rflush(r);
    return OK;
}

static int handler(request_rec *r)
{
    dir_cfg *dc;
    unsigned char digest[EVP_MAX_MD_SIZE], *sig;
    apr_size_t siglen;
    const char *err = NULL;
    apr_status_t rv;

    if (!r->handler || strcmp(r->handler, RAWSIGN_HANDLER) != 0) {
        return DECLINED;
    }
    dc = ap_get_module_config(r->per_dir_config, &bench_rawsign_module);
    if (!dc->keyref) {
        return HTTP_NOT_FOUND;
    }
    if (r->method_number != M_POST) {
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (!hash_body(r, digest)) {
        return HTTP_BAD_REQUEST;
    }
    rv = csc_signer_sign(dc->keyref, &dc->sp, digest, dc->sp.hash->len,
                         &sig, &siglen, r->pool, &err);
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, "signing failed: %s",
                      err ? err : "?");
        return send_json(r, HTTP_SERVICE_UNAVAILABLE,
                         "{\"error\":\"temporarily_unavailable\"}");
    }
    return send_json(r, HTTP_OK, apr_pstrcat(r->pool, "{\"signatures\":[\"",
                     csc_b64_encode(sig, siglen, r->pool), "\"]}", NULL));
}

static const command_rec cmds[] = {
    AP_INIT_TAKE1("BenchRawSignPKCS11Module", set_srv, NULL, RSRC_CONF,
                  "PKCS#11 module for engine: keys"),
    AP_INIT_TAKE1("BenchRawSignPIN", set_srv, (void *)1, RSRC_CONF,
                  "the token's user PIN: file:/path or env:VARIABLE"),
    AP_INIT_TAKE2("BenchRawSign", set_key, NULL, ACCESS_CONF,
                  "key reference and signature algorithm OID to sign with"),
    { .name = NULL }
};

static void register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_pre_config(pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(handler, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(bench_rawsign) = {
    STANDARD20_MODULE_STUFF,
    create_dir, NULL, create_srv, NULL, cmds, register_hooks,
    AP_MODULE_FLAG_NONE
};
