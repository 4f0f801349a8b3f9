/* SPDX-License-Identifier: Apache-2.0 */
/* Errors that nginx answers itself inside an API location (a 401 from
 * auth_basic, a 413 past client_max_body_size, a 400 for a bad chunk, a
 * 403 from deny) get the CSC JSON body instead of nginx's HTML page, so
 * that a client's JSON parser always gets JSON.  The core's own answers
 * pass untouched. */
#include <apr_pools.h>

#include "ngx_http_csc_module.h"

#define JSON_TYPE "application/json;charset=UTF-8"

static ngx_http_output_header_filter_pt next_header;
static ngx_http_output_body_filter_pt next_body;

/* An error nginx answers before it chose a location (a TLS client
 * certificate missing, a malformed request) carries the server's
 * configuration; the URI tells whether it was meant for the API. */
static int under_api_prefix(ngx_http_request_t *r)
{
    ngx_http_csc_main_conf_t *mcf =
        ngx_http_get_module_main_conf(r, ngx_http_csc_module);
    void *server = ngx_http_get_module_srv_conf(r, ngx_http_core_module);
    ngx_http_csc_prefix_t *p;
    ngx_uint_t i;

    if (!mcf || !r->uri.len) {
        return 0;
    }
    p = mcf->prefixes.elts;
    for (i = 0; i < mcf->prefixes.nelts; i++) {
        if (p[i].server == server && p[i].path.len <= r->uri.len
            && !ngx_strncmp(p[i].path.data, r->uri.data, p[i].path.len)) {
            return 1;
        }
    }
    return 0;
}

static ngx_int_t header_filter(ngx_http_request_t *r)
{
    ngx_http_csc_loc_conf_t *lcf;
    ngx_http_csc_ctx_t *ctx;
    ngx_table_elt_t *h;
    apr_pool_t *p;
    const char *json;
    int version;

    if (r->headers_out.status < 400 || r != r->main) {
        return next_header(r);
    }
    lcf = ngx_http_get_module_loc_conf(r, ngx_http_csc_module);
    ctx = ngx_http_get_module_ctx(r, ngx_http_csc_module);
    if (!lcf || (ctx && ctx->ours) || (!lcf->api && !under_api_prefix(r))) {
        return next_header(r);
    }
    ctx = ngx_http_csc_get_ctx(r);
    h = ngx_list_push(&r->headers_out.headers);
    if (!ctx || !h || apr_pool_create(&p, NULL) != APR_SUCCESS) {
        return NGX_ERROR;
    }
    version = ngx_strnstr(r->uri.data, "/v1/", r->uri.len) ? 1 : 2;
    json = csc_error_json_for_status((int)r->headers_out.status, version, p);
    ctx->json.len = ngx_strlen(json);
    ctx->json.data = ngx_pnalloc(r->pool, ctx->json.len);
    if (ctx->json.data) {
        ngx_memcpy(ctx->json.data, json, ctx->json.len);
    }
    apr_pool_destroy(p);
    if (!ctx->json.data) {
        return NGX_ERROR;
    }
    ctx->json_error = 1;
    r->headers_out.content_type.len = sizeof(JSON_TYPE) - 1;
    r->headers_out.content_type.data = (u_char *)JSON_TYPE;
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.charset.len = 0;
    ngx_http_clear_content_length(r);
    r->headers_out.content_length_n = (off_t)ctx->json.len;
    ngx_http_clear_last_modified(r);
    ngx_http_clear_etag(r);
    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-store");
    return next_header(r);
}

static ngx_int_t body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_http_csc_ctx_t *ctx = ngx_http_get_module_ctx(r, ngx_http_csc_module);
    ngx_chain_t *cl, out;
    ngx_buf_t *b;

    if (!ctx || !ctx->json_error) {
        return next_body(r, in);
    }
    /* nginx's page is consumed, not sent */
    for (cl = in; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->last;
        cl->buf->file_pos = cl->buf->file_last;
    }
    if (ctx->json_sent) {
        return NGX_OK;
    }
    ctx->json_sent = 1;
    b = ngx_calloc_buf(r->pool);
    if (!b) {
        return NGX_ERROR;
    }
    b->pos = ctx->json.data;
    b->last = ctx->json.data + ctx->json.len;
    b->memory = 1;
    b->last_buf = 1;
    b->last_in_chain = 1;
    out.buf = b;
    out.next = NULL;
    return next_body(r, &out);
}

ngx_int_t ngx_http_csc_filter_init(ngx_conf_t *cf)
{
    (void)cf;
    next_header = ngx_http_top_header_filter;
    ngx_http_top_header_filter = header_filter;
    next_body = ngx_http_top_body_filter;
    ngx_http_top_body_filter = body_filter;
    return NGX_OK;
}
