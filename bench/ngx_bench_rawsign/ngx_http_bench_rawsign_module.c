/* SPDX-License-Identifier: Apache-2.0 */
/* ngx_http_bench_rawsign_module: the raw signature inside nginx, for
 * bench/run.sh only; nginx's counterpart of bench/mod_bench_rawsign.c.
 *
 * A POST to a location with "bench_rawsign KEYREF SIGNALGO-OID;" has its
 * body's SHA-256 signed with csc_signer_sign() -- the function
 * signatures/signHash calls, on the same key -- on the event loop, and
 * answers {"signatures":["<base64>"]}.  No token, SAD, store or JSON
 * parsing: the bench's "raw_" scenarios against it leave the module's own
 * work in what ngx_http_csc_module costs beyond it.
 *
 * http{}: bench_rawsign_pkcs11_module PATH; bench_rawsign_pin
 * file:/path|env:VARIABLE; as csc_pkcs11_module and csc_pkcs11_pin are for
 * the CSC module.
 * Never load it beside ngx_http_csc_module: both would drive libcrypto's
 * one "pkcs11" engine. */
#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <openssl/evp.h>

#include <apr_general.h>
#include <apr_global_mutex.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "base/csc_b64.h"
#include "config/csc_pin_source.h"
#include "crypto/csc_algo.h"
#include "signer/csc_signer.h"

typedef struct {
    ngx_str_t pkcs11_module;
    ngx_str_t pin;                /* file:/path or env:VARIABLE */
} main_conf_t;

typedef struct {
    char *keyref;               /* NULL: not a signing location */
    csc_sig_params_t sp;
} loc_conf_t;

static char *set_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static void *create_main_conf(ngx_conf_t *cf);
static void *create_loc_conf(ngx_conf_t *cf);
static ngx_int_t init_module(ngx_cycle_t *cycle);
static ngx_int_t init_process(ngx_cycle_t *cycle);

static ngx_command_t commands[] = {
    { ngx_string("bench_rawsign_pkcs11_module"),
      NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1, ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET, offsetof(main_conf_t, pkcs11_module), NULL },
    { ngx_string("bench_rawsign_pin"),
      NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1, ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET, offsetof(main_conf_t, pin), NULL },
    { ngx_string("bench_rawsign"),
      NGX_HTTP_LOC_CONF | NGX_CONF_TAKE2, set_key,
      NGX_HTTP_LOC_CONF_OFFSET, 0, NULL },
    ngx_null_command
};

static ngx_http_module_t module_ctx = {
    NULL, NULL,
    create_main_conf, NULL,
    NULL, NULL,
    /* no merge: only the location with bench_rawsign has the handler */
    create_loc_conf, NULL
};

ngx_module_t ngx_http_bench_rawsign_module = {
    NGX_MODULE_V1,
    &module_ctx,
    commands,
    NGX_HTTP_MODULE,
    NULL,                   /* init master */
    init_module,
    init_process,
    NULL,                   /* init thread */
    NULL,                   /* exit thread */
    NULL,                   /* exit process */
    NULL,                   /* exit master */
    NGX_MODULE_V1_PADDING
};

static apr_pool_t *root_pool;     /* the process's */
static apr_pool_t *sign_pool;     /* a worker's, cleared after each request */
static apr_global_mutex_t *load_mutex;

static void load_lock(void *baton)
{
    (void)baton;
    if (load_mutex) {
        apr_global_mutex_lock(load_mutex);
    }
}

static void load_unlock(void *baton)
{
    (void)baton;
    if (load_mutex) {
        apr_global_mutex_unlock(load_mutex);
    }
}

static ngx_int_t apr_ready(void)
{
    static int done;

    if (!done) {
        if (apr_initialize() != APR_SUCCESS
            || apr_pool_create(&root_pool, NULL) != APR_SUCCESS) {
            return NGX_ERROR;
        }
        done = 1;
    }
    return NGX_OK;
}

static void *create_main_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool, sizeof(main_conf_t));
}

static void *create_loc_conf(ngx_conf_t *cf)
{
    return ngx_pcalloc(cf->pool, sizeof(loc_conf_t));
}

static ngx_int_t handler(ngx_http_request_t *r);

static char *set_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    loc_conf_t *lc = conf;
    ngx_str_t *v = cf->args->elts;
    ngx_http_core_loc_conf_t *clcf;
    csc_algo_err_e aerr;
    char *oid;

    (void)cmd;
    if (lc->keyref) {
        return "is duplicate";
    }
    lc->keyref = ngx_pnalloc(cf->pool, v[1].len + 1);
    oid = ngx_pnalloc(cf->pool, v[2].len + 1);
    if (!lc->keyref || !oid) {
        return NGX_CONF_ERROR;
    }
    ngx_cpystrn((u_char *)lc->keyref, v[1].data, v[1].len + 1);
    ngx_cpystrn((u_char *)oid, v[2].data, v[2].len + 1);
    if (csc_algo_resolve(oid, CSC_OID_SHA256, NULL, 0, &lc->sp, &aerr)
        != APR_SUCCESS) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "bench_rawsign: %s",
                           csc_algo_errstr(aerr, 1));
        return NGX_CONF_ERROR;
    }
    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = handler;
    return NGX_CONF_OK;
}

static ngx_int_t init_module(ngx_cycle_t *cycle)
{
    main_conf_t *mc = ngx_http_cycle_get_module_main_conf(
        cycle, ngx_http_bench_rawsign_module);
    csc_signer_conf_t sc = {NULL, NULL, load_lock, load_unlock, NULL};
    apr_pool_t *tmp;
    const char *err;

    if (!mc || apr_ready() != NGX_OK
        || apr_pool_create(&tmp, root_pool) != APR_SUCCESS) {
        return NGX_ERROR;
    }
    if (mc->pkcs11_module.len) {
        sc.pkcs11_module = apr_pstrmemdup(tmp,
                                          (const char *)mc->pkcs11_module.data,
                                          mc->pkcs11_module.len);
    }
    err = csc_pin_source_read("bench_rawsign_pin", mc->pin.len
                              ? apr_pstrmemdup(tmp, (const char *)mc->pin.data,
                                               mc->pin.len)
                              : NULL, &sc.pkcs11_pin, tmp);
    if (err) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0, "%s", err);
        apr_pool_destroy(tmp);
        return NGX_ERROR;
    }
    if (!load_mutex
        && apr_global_mutex_create(&load_mutex, NULL, APR_LOCK_DEFAULT,
                                   root_pool) != APR_SUCCESS) {
        load_mutex = NULL;
    }
    if (csc_signer_global_conf(&sc) != APR_SUCCESS) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0,
                      "bench_rawsign: cannot set up the signer");
        apr_pool_destroy(tmp);
        return NGX_ERROR;
    }
    apr_pool_destroy(tmp);
    return NGX_OK;
}

static ngx_int_t init_process(ngx_cycle_t *cycle)
{
    if (!root_pool || apr_pool_create(&sign_pool, root_pool) != APR_SUCCESS) {
        return NGX_ERROR;
    }
    if (load_mutex
        && apr_global_mutex_child_init(&load_mutex, NULL, root_pool)
           != APR_SUCCESS) {
        ngx_log_error(NGX_LOG_ERR, cycle->log, 0, "bench_rawsign: cannot "
                      "attach the key-loading lock");
        load_mutex = NULL;
    }
    return NGX_OK;
}

/* The body's SHA-256; 0 when it cannot be had (a body in a file). */
static int hash_body(ngx_http_request_t *r, unsigned char *digest)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int dlen;
    ngx_chain_t *cl;
    int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL);

    for (cl = r->request_body ? r->request_body->bufs : NULL; ok && cl;
         cl = cl->next) {
        ok = !cl->buf->in_file
             && EVP_DigestUpdate(md, cl->buf->pos,
                                 (size_t)(cl->buf->last - cl->buf->pos));
    }
    ok = ok && EVP_DigestFinal_ex(md, digest, &dlen);
    EVP_MD_CTX_free(md);
    return ok;
}

static ngx_int_t send_json(ngx_http_request_t *r, ngx_uint_t status,
                           const char *body)
{
    size_t len = strlen(body);
    ngx_table_elt_t *h;
    ngx_chain_t out;
    ngx_buf_t *b;
    ngx_int_t rc;

    b = ngx_create_temp_buf(r->pool, len);
    h = ngx_list_push(&r->headers_out.headers);
    if (!b || !h) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    b->last = ngx_cpymem(b->last, body, len);
    b->last_buf = (r == r->main);
    b->last_in_chain = 1;
    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-store");
    r->headers_out.status = status;
    ngx_str_set(&r->headers_out.content_type, "application/json;charset=UTF-8");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_length_n = (off_t)len;
    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }
    out.buf = b;
    out.next = NULL;
    return ngx_http_output_filter(r, &out);
}

static void body_read(ngx_http_request_t *r)
{
    loc_conf_t *lc = ngx_http_get_module_loc_conf(r,
                                                  ngx_http_bench_rawsign_module);
    unsigned char digest[EVP_MAX_MD_SIZE], *sig;
    apr_size_t siglen;
    const char *err = NULL;
    ngx_int_t rc;

    if (!hash_body(r, digest)) {
        ngx_http_finalize_request(r, NGX_HTTP_BAD_REQUEST);
        return;
    }
    if (csc_signer_sign(lc->keyref, &lc->sp, digest, lc->sp.hash->len, &sig,
                        &siglen, sign_pool, &err) != APR_SUCCESS) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "bench_rawsign: signing failed: %s", err ? err : "?");
        rc = send_json(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                       "{\"error\":\"temporarily_unavailable\"}");
    }
    else {
        rc = send_json(r, NGX_HTTP_OK, apr_pstrcat(sign_pool,
                       "{\"signatures\":[\"",
                       csc_b64_encode(sig, siglen, sign_pool), "\"]}", NULL));
    }
    apr_pool_clear(sign_pool);
    ngx_http_finalize_request(r, rc);
}

static ngx_int_t handler(ngx_http_request_t *r)
{
    ngx_int_t rc;

    if (!(r->method & NGX_HTTP_POST)) {
        return NGX_HTTP_NOT_ALLOWED;
    }
    r->request_body_in_single_buf = 1;
    rc = ngx_http_read_client_request_body(r, body_read);
    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }
    return NGX_DONE;
}
