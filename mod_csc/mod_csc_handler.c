/* SPDX-License-Identifier: Apache-2.0 */
/* Translates between request_rec and the core's neutral request and
 * response, and lets httpd's authn providers check login passwords. */
#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>
#include <mod_auth.h>

#include "mod_csc.h"

typedef struct {
    request_rec *r;
    const mod_csc_dir_cfg *cfg;
} password_baton;

static int check_password(void *baton, const char *user,
                          const char *password)
{
    password_baton *b = baton;
    request_rec *r = b->r;
    const apr_array_header_t *names = b->cfg->authn_providers;
    int i, n = names ? names->nelts : 1, general_error = 0;

    for (i = 0; i < n; i++) {
        const char *name = names ? APR_ARRAY_IDX(names, i, const char *)
                                 : AUTHN_DEFAULT_PROVIDER;
        const authn_provider *prov = ap_lookup_provider(
            AUTHN_PROVIDER_GROUP, name, AUTHN_PROVIDER_VERSION);
        authn_status st;

        if (!prov || !prov->check_password) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "authn provider "
                          "'%s' is not available for auth/login", name);
            general_error = 1;
            continue;
        }
        /* providers such as authn_socache look for this note */
        apr_table_setn(r->notes, AUTHN_PROVIDER_NAME_NOTE, name);
        st = prov->check_password(r, user, password);
        apr_table_unset(r->notes, AUTHN_PROVIDER_NAME_NOTE);
        if (st == AUTH_GRANTED) {
            r->user = apr_pstrdup(r->pool, user);
            return 1;
        }
        if (st == AUTH_GENERAL_ERROR) {
            general_error = 1;
        }
        else if (st == AUTH_DENIED) {
            return 0;   /* the user exists here and the password is wrong */
        }
    }
    return general_error ? -1 : CSC_PASSWORD_NO_USER;
}

/* Core messages about this request: its virtual host's ErrorLog, its
 * per-directory LogLevel, and its log id (%L) in ErrorLogFormat. */
static void request_log_sink(void *baton, const char *file, int line,
                             int level, const char *msg)
{
    request_rec *r = baton;

    ap_log_rerror(file, line, APLOG_MODULE_INDEX, level, 0, r, "%s", msg);
}

/* Reads the body, stopping one byte past the limit so that the core can
 * tell an oversized body from one that is exactly at the limit.  Not OK:
 * the body could not be read. */
static int read_body(request_rec *r, apr_size_t limit, csc_request_t *req)
{
    apr_size_t cap = 8192, len = 0;
    char *buf;
    long n;

    if (ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK) != OK) {
        req->body_too_large = r->status == HTTP_REQUEST_ENTITY_TOO_LARGE;
        return req->body_too_large ? OK : HTTP_BAD_REQUEST;
    }
    if (r->remaining > (apr_off_t)limit) {
        /* a declared length over the limit is refused unread, and the
         * connection closed rather than drained */
        r->connection->keepalive = AP_CONN_CLOSE;
        req->body_too_large = 1;
        req->body = "";
        req->body_len = 0;
        return OK;
    }
    buf = apr_palloc(r->pool, cap + 1);
    if (ap_should_client_block(r)) {
        for (;;) {
            if (len == cap) {
                char *bigger;
                if (cap > limit) {
                    req->body_too_large = 1;
                    break;
                }
                cap *= 2;
                bigger = apr_palloc(r->pool, cap + 1);
                memcpy(bigger, buf, len);
                buf = bigger;
            }
            n = ap_get_client_block(r, buf + len, cap - len);
            if (n == 0) {
                break;
            }
            if (n < 0) {
                if (r->status == HTTP_REQUEST_ENTITY_TOO_LARGE) {
                    req->body_too_large = 1;
                    break;
                }
                return HTTP_BAD_REQUEST;
            }
            len += (apr_size_t)n;
        }
    }
    if (len > limit) {
        req->body_too_large = 1;
    }
    buf[len] = '\0';
    req->body = buf;
    req->body_len = len;
    return OK;
}

static int set_header(void *data, const char *key, const char *value)
{
    request_rec *r = data;

    apr_table_set(r->err_headers_out, key, value);
    return 1;
}

/* body_ok: the request body was read (or discarded) without an error.
 * After an error httpd's input filters have queued their own answer,
 * which replaces a response still in the buffer but not one already
 * sent. */
static int send_response(request_rec *r, const csc_response_t *resp,
                         int body_ok)
{
    r->status = resp->status;
    apr_table_do(set_header, r, resp->headers, NULL);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    if (resp->note_user) {
        apr_table_setn(r->notes, "csc-user", resp->note_user);
        if (!r->user) {
            r->user = apr_pstrdup(r->pool, resp->note_user);
        }
    }
    if (resp->note_credential) {
        apr_table_setn(r->notes, "csc-credential", resp->note_credential);
    }
    if (resp->note_error) {
        apr_table_setn(r->notes, "csc-error", resp->note_error);
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, "%s by %s: %d %s",
                  apr_table_get(r->notes, "csc-method"),
                  resp->note_user ? resp->note_user : "-", resp->status,
                  resp->note_error ? resp->note_error : "");
    if (resp->content_type) {
        ap_set_content_type(r, resp->content_type);
    }
    if (resp->body_len) {
        ap_set_content_length(r, resp->body_len);
        ap_rwrite(resp->body, (int)resp->body_len, r);
        /* Sent now, not when httpd finalises the request: the event MPM
         * first looks for a pipelined request, and a response still in
         * the buffer means there cannot be one yet, so every keep-alive
         * request would go back through the listener thread (9 system
         * calls and two thread wake-ups).  Static files are written by
         * their handler in the same way. */
        if (body_ok) {
            ap_rflush(r);
        }
    }
    return OK;
}

int mod_csc_handler(request_rec *r)
{
    mod_csc_dir_cfg *cfg;
    csc_request_t req;
    csc_response_t resp;
    csc_log_t log;
    password_baton pb;

    if (!r->handler || strcmp(r->handler, CSC_HANDLER) != 0) {
        return DECLINED;
    }
    cfg = ap_get_module_config(r->per_dir_config, &csc_module);
    memset(&req, 0, sizeof(req));
    req.pool = r->pool;
    req.http_method = r->method;
    req.body = "";
    if (csc_request_route(cfg->core, r->uri, &req) != 0) {
        /* not an API path: answered without reading the body */
        int discarded = ap_discard_request_body(r) == OK;
        csc_serve(mod_csc_service, cfg->core, &req, &resp);
        return send_response(r, &resp, discarded);
    }
    apr_table_setn(r->notes, "csc-method", req.method);
    req.body_unreadable =
        read_body(r, (apr_size_t)csc_cfg_max_body(cfg->core), &req) != OK;
    req.content_type = apr_table_get(r->headers_in, "Content-Type");
    req.authorization = apr_table_get(r->headers_in, "Authorization");
    req.external_user = r->user;
    req.client_ip = r->useragent_ip;
    req.query = r->args;
    req.cookie = apr_table_get(r->headers_in, "Cookie");
    req.secure = !strcmp(ap_http_scheme(r), "https");
    /* what the client asked for (Host), as httpd's self-referencing
     * URLs are made: UseCanonicalName decides */
    req.origin = ap_construct_url(r->pool, "", r);
    if (req.origin[0] && req.origin[strlen(req.origin) - 1] == '/') {
        req.origin = apr_pstrndup(r->pool, req.origin,
                                  strlen(req.origin) - 1);
    }
    pb.r = r;
    pb.cfg = cfg;
    req.check_password = check_password;
    req.check_baton = &pb;
    log.sink = request_log_sink;
    log.baton = r;
    log.level = ap_get_request_module_loglevel(r, APLOG_MODULE_INDEX);
    req.log = &log;
    csc_serve(mod_csc_service, cfg->core, &req, &resp);
    return send_response(r, &resp,
                         !req.body_unreadable && !req.body_too_large);
}
