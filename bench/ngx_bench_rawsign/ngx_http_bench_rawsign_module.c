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
 * the CSC module.  bench_rawsign_thread_pool NAME: hash and sign in that
 * thread pool and answer back on the loop, the shape of the CSC module's
 * default csc_thread_pool, so that a hand-off is compared with a hand-off
 * (bench/run.sh's "nginx"; for "nginx-loop" it signs on the loop).
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

#if !(NGX_THREADS)
#error "bench_rawsign needs an nginx built with threads"
#endif

#include "base/csc_b64.h"
#include "config/csc_pin_source.h"
#include "crypto/csc_algo.h"
#include "signer/csc_signer.h"

typedef struct {
    ngx_str_t pkcs11_module;
    ngx_str_t pin;                /* file:/path or env:VARIABLE */
    ngx_thread_pool_t *pool;      /* NULL: sign on the event loop */
} main_conf_t;

typedef struct {
    char *keyref;               /* NULL: not a signing location */
    csc_sig_params_t sp;
} loc_conf_t;

static char *set_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *set_pool(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
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
    { ngx_string("bench_rawsign_thread_pool"),
      NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1, set_pool,
      NGX_HTTP_MAIN_CONF_OFFSET, 0, NULL },
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

static char *set_pool(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    main_conf_t *mc = conf;
    ngx_str_t *v = cf->args->elts;

    (void)cmd;
    if (mc->pool) {
        return "is duplicate";
    }
    mc->pool = ngx_thread_pool_add(cf, &v[1]);
    return mc->pool ? NGX_CONF_OK : NGX_CONF_ERROR;
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

/* One signature: what the loop or a pool thread does between reading the
 * body and answering. */
typedef struct {
    ngx_http_request_t *r;
    const loc_conf_t *lc;
    apr_pool_t *pool;
    ngx_int_t status;
    const char *body;            /* the JSON answer; NULL: status only */
} sign_job_t;

static void sign_job(sign_job_t *j, ngx_log_t *log)
{
    unsigned char digest[EVP_MAX_MD_SIZE], *sig;
    apr_size_t siglen;
    const char *err = NULL;

    if (!hash_body(j->r, digest)) {
        j->status = NGX_HTTP_BAD_REQUEST;
        return;
    }
    if (csc_signer_sign(j->lc->keyref, &j->lc->sp, digest,
                        j->lc->sp.hash->len, &sig, &siglen, j->pool, &err)
        != APR_SUCCESS) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "bench_rawsign: signing failed: %s", err ? err : "?");
        j->status = NGX_HTTP_SERVICE_UNAVAILABLE;
        j->body = "{\"error\":\"temporarily_unavailable\"}";
        return;
    }
    j->status = NGX_HTTP_OK;
    j->body = apr_pstrcat(j->pool, "{\"signatures\":[\"",
                          csc_b64_encode(sig, siglen, j->pool), "\"]}",
                          NULL);
}

static ngx_int_t answer(const sign_job_t *j)
{
    return j->body ? send_json(j->r, (ngx_uint_t)j->status, j->body)
                   : j->status;
}

static void run_in_thread(void *data, ngx_log_t *log)
{
    sign_job(data, log);
}

static void destroy_apr_pool(void *data)
{
    apr_pool_destroy(data);
}

static void thread_done(ngx_event_t *ev)
{
    ngx_thread_task_t *task = ev->data;
    sign_job_t *j = task->ctx;
    ngx_http_request_t *r = j->r;
    ngx_connection_t *c = r->connection;

    r->main->blocked--;
    r->aio = 0;
    ngx_http_finalize_request(r, answer(j));
    ngx_http_run_posted_requests(c);
}

/* As the CSC module hands a request to its pool: an APR pool per request,
 * made and destroyed on the loop, used by one thread in between. */
static ngx_int_t post_job(ngx_http_request_t *r, const loc_conf_t *lc,
                          ngx_thread_pool_t *tp)
{
    ngx_thread_task_t *task = ngx_thread_task_alloc(r->pool,
                                                    sizeof(sign_job_t));
    ngx_pool_cleanup_t *cln = ngx_pool_cleanup_add(r->pool, 0);
    sign_job_t *j;

    if (!task || !cln) {
        return NGX_ERROR;
    }
    j = task->ctx;
    j->r = r;
    j->lc = lc;
    if (apr_pool_create(&j->pool, NULL) != APR_SUCCESS) {
        return NGX_ERROR;
    }
    cln->handler = destroy_apr_pool;
    cln->data = j->pool;
    task->handler = run_in_thread;
    task->event.handler = thread_done;
    task->event.data = task;
    if (ngx_thread_task_post(tp, task) != NGX_OK) {
        return NGX_ERROR;
    }
    r->main->blocked++;
    r->aio = 1;
    return NGX_OK;
}

static void body_read(ngx_http_request_t *r)
{
    main_conf_t *mc = ngx_http_get_module_main_conf(
        r, ngx_http_bench_rawsign_module);
    sign_job_t j = {r, NULL, sign_pool, 0, NULL};
    ngx_int_t rc;

    j.lc = ngx_http_get_module_loc_conf(r, ngx_http_bench_rawsign_module);
    if (mc->pool) {
        if (post_job(r, j.lc, mc->pool) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_HTTP_SERVICE_UNAVAILABLE);
        }
        return;
    }
    sign_job(&j, r->connection->log);
    rc = answer(&j);
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
