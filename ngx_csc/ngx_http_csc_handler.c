/* SPDX-License-Identifier: Apache-2.0 */
/* The content handler of a csc_api location.  On the event loop it turns
 * the nginx request into the core's csc_request_t and reads the body.
 * The core's work that can block (PBKDF2 PIN checks, the HSM, the store,
 * the state lock, the OTP delivery command) runs in a thread of the
 * location's thread pool, and back on the loop the answer is written;
 * what the core answers from the configuration alone (info, the OAuth 2.0
 * metadata, refusals before any work) is answered on the loop, and with
 * "csc_thread_pool NAME slow" so is the work that waits only briefly on
 * local files and a local token (signatures, credential lists).  The
 * thread sees only APR and core objects: every nginx call stays on the
 * loop. */
#include <apr_strings.h>

#include "ngx_http_csc_module.h"

/* How long a request may sit in the thread pool before the guard timer
 * says so in the log (it is re-armed: the request is never dropped). */
#define GUARD_MS 60000

typedef struct {
    int level;
    const char *msg;
} log_line;

typedef struct {
    ngx_http_request_t *r;
    const csc_service_t *svc;
    ngx_http_csc_loc_conf_t *lcf;
    apr_pool_t *pool;               /* the request's APR side */
    csc_request_t req;
    csc_response_t resp;
    csc_log_t log;
    apr_array_header_t *lines;      /* messages, emitted on the loop */
    ngx_thread_task_t *task;
    /* A worker leaving after a reload waits only for non-cancelable
     * timers; a request in the thread pool has none of its own, so
     * without this one it would be dropped mid-signature. */
    ngx_event_t guard;
} task_ctx;

ngx_http_csc_ctx_t *ngx_http_csc_get_ctx(ngx_http_request_t *r)
{
    ngx_http_csc_ctx_t *ctx = ngx_http_get_module_ctx(r, ngx_http_csc_module);

    if (!ctx) {
        ctx = ngx_pcalloc(r->pool, sizeof(*ctx));
        if (ctx) {
            ngx_http_set_ctx(r, ctx, ngx_http_csc_module);
        }
    }
    return ctx;
}

/* The core logs from the thread: the lines wait in the request's pool
 * and go to the request's log (its client and server context) when the
 * answer is written. */
static void buffer_sink(void *baton, const char *file, int line, int level,
                        const char *msg)
{
    task_ctx *tc = baton;
    log_line *l = apr_array_push(tc->lines);

    (void)file;
    (void)line;
    l->level = level;
    l->msg = apr_pstrdup(tc->pool, msg);
}

static void emit_lines(task_ctx *tc)
{
    ngx_log_t *log = tc->r->connection->log;
    int i;

    for (i = 0; i < tc->lines->nelts; i++) {
        const log_line *l = &APR_ARRAY_IDX(tc->lines, i, log_line);

        ngx_log_error((ngx_uint_t)l->level + 1, log, 0, "%s", l->msg);
    }
    tc->lines->nelts = 0;
}

static void destroy_apr_pool(void *data)
{
    apr_pool_destroy(data);
}

static const char *cstr(apr_pool_t *p, const ngx_str_t *s)
{
    return s->data ? apr_pstrmemdup(p, (const char *)s->data, s->len) : NULL;
}

static const char *header(apr_pool_t *p, const ngx_table_elt_t *h)
{
    return h ? cstr(p, &h->value) : NULL;
}

static ngx_int_t push_header(ngx_http_request_t *r, const char *key,
                             const char *value)
{
    ngx_table_elt_t *h = ngx_list_push(&r->headers_out.headers);
    size_t kl = strlen(key), vl = strlen(value);

    if (!h) {
        return NGX_ERROR;
    }
    h->hash = 1;
    h->key.len = kl;
    h->key.data = ngx_pnalloc(r->pool, kl);
    h->value.len = vl;
    h->value.data = ngx_pnalloc(r->pool, vl);
    if (!h->key.data || !h->value.data) {
        return NGX_ERROR;
    }
    ngx_memcpy(h->key.data, key, kl);
    ngx_memcpy(h->value.data, value, vl);
    return NGX_OK;
}

static int push_each(void *data, const char *key, const char *value)
{
    return push_header(data, key, value) == NGX_OK;
}

static void note(ngx_http_request_t *r, ngx_str_t *to, const char *value)
{
    size_t n;

    if (!value) {
        return;
    }
    n = strlen(value);
    to->data = ngx_pnalloc(r->pool, n);
    if (to->data) {
        ngx_memcpy(to->data, value, n);
        to->len = n;
    }
}

/* Writes the core's answer; returns what ngx_http_finalize_request
 * wants. */
static ngx_int_t send_response(ngx_http_request_t *r, task_ctx *tc)
{
    const csc_response_t *resp = &tc->resp;
    ngx_http_csc_ctx_t *ctx = ngx_http_csc_get_ctx(r);
    ngx_buf_t *b;
    ngx_chain_t out;
    ngx_int_t rc;

    emit_lines(tc);
    if (!ctx) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    ctx->ours = 1;
    note(r, &ctx->user, resp->note_user);
    note(r, &ctx->credential, resp->note_credential);
    note(r, &ctx->error, resp->note_error);
    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "csc: %s by %s: %d %s",
                   tc->req.method ? tc->req.method : "-",
                   resp->note_user ? resp->note_user : "-", resp->status,
                   resp->note_error ? resp->note_error : "");
    r->headers_out.status = (ngx_uint_t)resp->status;
    if (!apr_table_do(push_each, r, resp->headers, NULL)
        || push_header(r, "Cache-Control", "no-store") != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    if (resp->content_type) {
        r->headers_out.content_type.len = strlen(resp->content_type);
        r->headers_out.content_type.data = (u_char *)resp->content_type;
        r->headers_out.content_type_len = r->headers_out.content_type.len;
        r->headers_out.content_type_lowcase = NULL;
    }
    r->headers_out.content_length_n = (off_t)resp->body_len;
    if (!resp->body_len || r->method == NGX_HTTP_HEAD) {
        r->header_only = 1;
    }
    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }
    b = ngx_create_temp_buf(r->pool, resp->body_len);
    if (!b) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    b->last = ngx_cpymem(b->last, resp->body, resp->body_len);
    b->last_buf = (r == r->main);
    b->last_in_chain = 1;
    out.buf = b;
    out.next = NULL;
    return ngx_http_output_filter(r, &out);
}

static void run_in_thread(void *data, ngx_log_t *log)
{
    task_ctx *tc = data;

    (void)log;
    csc_serve(tc->svc, tc->lcf->core, &tc->req, &tc->resp);
}

static void task_done(ngx_event_t *ev)
{
    ngx_thread_task_t *task = ev->data;
    task_ctx *tc = task->ctx;
    ngx_http_request_t *r = tc->r;
    ngx_connection_t *c = r->connection;

    if (tc->guard.timer_set) {
        ngx_del_timer(&tc->guard);
    }
    r->main->blocked--;
    r->aio = 0;
    ngx_http_finalize_request(r, send_response(r, tc));
    ngx_http_run_posted_requests(c);
}

static void guard_fired(ngx_event_t *ev)
{
    ngx_log_error(NGX_LOG_WARN, ev->log, 0, "csc: a request has waited "
                  "for its thread pool for %d s", GUARD_MS / 1000);
    ngx_add_timer(ev, GUARD_MS);
}

/* Hands the request to a thread.  The request's count was raised by the
 * caller (reading the body does it); task_done finalizes it. */
static void post_task(ngx_http_request_t *r, task_ctx *tc)
{
    ngx_thread_task_t *task = tc->task;

    task->handler = run_in_thread;
    task->event.handler = task_done;
    task->event.data = task;
    tc->guard.handler = guard_fired;
    tc->guard.data = r;
    tc->guard.log = r->connection->log;
    tc->guard.cancelable = 0;
    if (ngx_thread_task_post(tc->lcf->thread_pool, task) != NGX_OK) {
        /* the queue is full (nginx logged "queue overflow") */
        memset(&tc->resp, 0, sizeof(tc->resp));
        tc->resp.status = 503;
        tc->resp.content_type = "application/json;charset=UTF-8";
        tc->resp.body = csc_error_json_for_status(503, tc->req.version,
                                                  tc->pool);
        tc->resp.body_len = strlen(tc->resp.body);
        tc->resp.headers = apr_table_make(tc->pool, 1);
        ngx_http_finalize_request(r, send_response(r, tc));
        return;
    }
    ngx_add_timer(&tc->guard, GUARD_MS);
    r->main->blocked++;
    r->aio = 1;
}

/* Hands to a thread what waits as long as the location's pool takes
 * (csc_thread_pool), and answers the rest on the loop, which saves the
 * two thread switches. */
static void dispatch(ngx_http_request_t *r, task_ctx *tc)
{
    if ((ngx_uint_t)csc_request_wait(&tc->req) >= tc->lcf->pool_from) {
        post_task(r, tc);
        return;
    }
    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "csc: %s on the event loop",
                   tc->req.method ? tc->req.method : "-");
    csc_serve(tc->svc, tc->lcf->core, &tc->req, &tc->resp);
    ngx_http_finalize_request(r, send_response(r, tc));
}

/* The whole body, NUL-terminated, in the request's APR pool: from memory
 * or, past client_body_buffer_size, from nginx's temporary file. */
static void body_read(ngx_http_request_t *r)
{
    ngx_http_csc_ctx_t *ctx = ngx_http_csc_get_ctx(r);
    task_ctx *tc = ctx ? (task_ctx *)ctx->task : NULL;
    apr_size_t len = 0, limit;
    ngx_chain_t *cl;
    char *buf;

    if (!tc) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }
    limit = (apr_size_t)csc_cfg_max_body(tc->lcf->core);
    for (cl = r->request_body ? r->request_body->bufs : NULL; cl;
         cl = cl->next) {
        len += cl->buf->in_file
               ? (apr_size_t)(cl->buf->file_last - cl->buf->file_pos)
               : (apr_size_t)(cl->buf->last - cl->buf->pos);
    }
    if (len > limit) {
        /* a chunked body past the limit (a declared one never gets
         * here): the core answers, the bytes are not kept */
        tc->req.body_too_large = 1;
        len = 0;
    }
    buf = apr_palloc(tc->pool, len + 1);
    tc->req.body = buf;
    tc->req.body_len = len;
    for (cl = r->request_body && len ? r->request_body->bufs : NULL; cl;
         cl = cl->next) {
        ngx_buf_t *b = cl->buf;

        if (b->in_file) {
            ssize_t n = ngx_read_file(b->file, (u_char *)buf,
                                      (size_t)(b->file_last - b->file_pos),
                                      b->file_pos);
            if (n != b->file_last - b->file_pos) {
                tc->req.body_unreadable = 1;
                break;
            }
            buf += n;
        }
        else {
            buf = (char *)ngx_cpymem(buf, b->pos, (size_t)(b->last - b->pos));
        }
    }
    ((char *)tc->req.body)[tc->req.body_unreadable ? 0 : len] = '\0';
    dispatch(r, tc);
}

static const char *cookies(apr_pool_t *p, ngx_http_request_t *r)
{
    ngx_table_elt_t **h = r->headers_in.cookies.elts;
    const char *all = NULL;
    ngx_uint_t i;

    for (i = 0; i < r->headers_in.cookies.nelts; i++) {
        const char *v = header(p, h[i]);
        all = all ? apr_pstrcat(p, all, "; ", v, NULL) : v;
    }
    return all;
}

/* scheme://host[:port] the client asked for, as httpd's self-referencing
 * URLs are made from the Host header (the default issuer). */
static const char *origin(apr_pool_t *p, ngx_http_request_t *r, int secure)
{
    const ngx_str_t *host = r->headers_in.host ? &r->headers_in.host->value
                                               : &r->headers_in.server;

    const char *name = cstr(p, host);

    return apr_pstrcat(p, secure ? "https://" : "http://",
                       name ? name : "localhost", NULL);
}

static void fill_request(ngx_http_request_t *r, task_ctx *tc)
{
    csc_request_t *req = &tc->req;
    apr_pool_t *p = tc->pool;
    ngx_str_t user;

    req->content_type = header(p, r->headers_in.content_type);
    req->authorization = header(p, r->headers_in.authorization);
    req->client_ip = cstr(p, &r->connection->addr_text);
    req->query = r->args.len ? cstr(p, &r->args) : NULL;
    req->cookie = cookies(p, r);
#if (NGX_HTTP_SSL)
    req->secure = r->connection->ssl != NULL;
#endif
    req->origin = origin(p, r, req->secure);
    /* only what the admin named: $remote_user is trustworthy only
     * where auth_basic checked it */
    if (tc->lcf->external_user
        && ngx_http_complex_value(r, tc->lcf->external_user, &user) == NGX_OK
        && user.len) {
        req->external_user = cstr(p, &user);
    }
    if (tc->lcf->user_file.len) {
        /* NUL-terminated by nginx's configuration parser: no copy */
        req->check_password = ngx_http_csc_check_htpasswd;
        req->check_baton = tc->lcf->user_file.data;
    }
    tc->log.sink = buffer_sink;
    tc->log.baton = tc;
    tc->log.level = ngx_http_csc_log_level(r->connection->log);
    req->log = &tc->log;
}

ngx_int_t ngx_http_csc_handler(ngx_http_request_t *r)
{
    ngx_http_csc_loc_conf_t *lcf =
        ngx_http_get_module_loc_conf(r, ngx_http_csc_module);
    ngx_http_csc_main_conf_t *mcf =
        ngx_http_get_module_main_conf(r, ngx_http_csc_module);
    ngx_http_csc_ctx_t *ctx = ngx_http_csc_get_ctx(r);
    ngx_thread_task_t *task;
    ngx_pool_cleanup_t *cln;
    task_ctx *tc;
    ngx_int_t rc;

    if (r != r->main) {
        return NGX_DECLINED;     /* a subrequest may not read the body */
    }
    task = ngx_thread_task_alloc(r->pool, sizeof(task_ctx));
    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (!ctx || !task || !cln) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    tc = task->ctx;
    tc->task = task;
    tc->r = r;
    tc->lcf = lcf;
    tc->svc = mcf->started ? mcf->service : NULL;
    if (apr_pool_create(&tc->pool, NULL) != APR_SUCCESS) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
    /* r->pool outlives the thread: a request is not freed while it is
     * blocked */
    cln->handler = destroy_apr_pool;
    cln->data = tc->pool;
    tc->lines = apr_array_make(tc->pool, 4, sizeof(log_line));
    ctx->task = tc;
    tc->req.pool = tc->pool;
    tc->req.http_method = cstr(tc->pool, &r->method_name);
    tc->req.body = "";
    fill_request(r, tc);
    if (csc_request_route(lcf->core, cstr(tc->pool, &r->uri), &tc->req)
        != 0) {
        /* not an API path: answered at once, the body unread */
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }
        csc_serve(tc->svc, lcf->core, &tc->req, &tc->resp);
        return send_response(r, tc);
    }
    note(r, &ctx->method, tc->req.method);
    if (r->headers_in.content_length_n
        > (off_t)csc_cfg_max_body(lcf->core)) {
        /* a declared length over the limit is refused unread, and the
         * connection closed rather than drained */
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }
        r->keepalive = 0;
        tc->req.body_too_large = 1;
        r->main->count++;
        dispatch(r, tc);
        return NGX_DONE;
    }
    r->request_body_in_single_buf = 1;
    rc = ngx_http_read_client_request_body(r, body_read);
    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;    /* nginx's own error, in JSON by the filter */
    }
    return NGX_DONE;
}
