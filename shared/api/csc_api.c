/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include <apr_strings.h>

#include "api/csc_api_internal.h"
#include "authz/csc_grant.h"
#include "authz/csc_limit.h"
#include "base/csc_log.h"

int csc_api_route(const char *base, const char *path, int *version,
                  const char **method, apr_pool_t *p)
{
    apr_size_t n = strlen(base);

    (void)p;
    if (strncmp(path, base, n) != 0) {
        return -1;
    }
    path += n;
    if (!strncmp(path, "/v1/", 4)) {
        *version = 1;
    }
    else if (!strncmp(path, "/v2/", 4)) {
        *version = 2;
    }
    else if (!strncmp(path, "/oauth2/", 8)
             || !strcmp(path, "/revoke")
             || !strcmp(path, "/.well-known/oauth-authorization-server")) {
        /* the authorization server; /revoke is where the EUDI Kotlin
         * library sends revocations (oauth2 base + "/revoke") */
        *version = 0;
        *method = path + 1;
        return 0;
    }
    else {
        return -1;
    }
    *method = path + 4;
    return 0;
}

void csc_api_too_many(csc_call_t *call, int retry_after)
{
    csc_error_set(call->resp, call->req, CSC_ERR_TOO_MANY);
    apr_table_setn(call->resp->headers, "Retry-After",
                   apr_itoa(call->req->pool, retry_after));
}

int csc_api_throttled(csc_call_t *call, char kind, const char *subject,
                      int per_minute)
{
    int retry = 0;

    switch (csc_limit_take(call->env, kind, subject, per_minute, &retry)) {
    case CSC_LIMIT_OK:
        return 0;
    case CSC_LIMIT_DENIED:
        csc_api_too_many(call, retry);
        return 1;
    default:
        csc_error_set(call->resp, call->req, CSC_ERR_UNAVAILABLE);
        return 1;
    }
}

/* A method this configuration cannot serve is as unimplemented as one
 * that does not exist, so that info.methods stays truthful. */
static const csc_method_t *find_method(const csc_env_t *env,
                                       const char *name, int version)
{
    const csc_method_t *m;

    for (m = csc_methods; m->name; m++) {
        if (!strcmp(m->name, name) && (m->versions & (1u << version))) {
            return !m->available || m->available(env) ? m : NULL;
        }
    }
    return NULL;
}

csc_wait_e csc_api_wait(const csc_request_t *req)
{
    const csc_method_t *m;

    if (req->body_too_large) {
        return CSC_WAIT_NONE;   /* refused before the caller or the body is
                                 * looked at */
    }
    for (m = csc_methods; m->name; m++) {
        if (!strcmp(m->name, req->method)) {
            return m->wait;
        }
    }
    return CSC_WAIT_NONE;
}

static int media_type_is_json(const char *ct)
{
    apr_size_t n = strcspn(ct, "; \t");

    return n == 16 && !strncasecmp(ct, "application/json", 16);
}

/* Resolves the caller: a Bearer access token, or a user that another
 * module already authenticated when the location trusts it. */
static int authenticate(csc_call_t *call, const csc_method_t *m)
{
    const csc_request_t *req = call->req;
    const char *h = req->authorization, *tok;
    csc_token_t t;
    apr_status_t rv;

    if (req->external_user
        && (csc_cfg_auth_type_enabled(call->env->cfg, "external")
            || csc_cfg_auth_type_enabled(call->env->cfg, "TLS"))
        && (!h || strncasecmp(h, "Bearer ", 7) != 0)) {
        call->user = req->external_user;
        return 0;
    }
    if (!h) {
        csc_error_set(call->resp, req, CSC_ERR_TOKEN_MISSING);
        return -1;
    }
    if (strncasecmp(h, "Bearer ", 7) != 0) {
        csc_error_set(call->resp, req, m->bad_header);
        return -1;
    }
    for (tok = h + 7; *tok == ' '; tok++)
        ;
    if (!*tok || strchr(tok, ' ')) {
        csc_error_set(call->resp, req, m->bad_header);
        return -1;
    }
    rv = csc_grant_lookup(call->env, tok, &t, req->pool);
    if (rv == APR_SUCCESS && t.kind == CSC_TOKEN_ACCESS) {
        call->user = t.user;
        call->grant = t.grant;
        return 0;
    }
    if (rv == APR_TIMEUP && t.kind == CSC_TOKEN_ACCESS) {
        csc_error_set(call->resp, req, CSC_ERR_TOKEN_EXPIRED);
        return -1;
    }
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND && rv != APR_TIMEUP) {
        csc_error_set(call->resp, req, CSC_ERR_UNAVAILABLE);
        return -1;
    }
    csc_error_set(call->resp, req, CSC_ERR_TOKEN_INVALID);
    return -1;
}

static void handle(const csc_env_t *env, const csc_request_t *req,
                   csc_response_t *resp)
{
    const csc_method_t *m;
    csc_call_t call;

    memset(&call, 0, sizeof(call));
    call.env = env;
    call.req = req;
    call.resp = resp;
    if (!resp->headers) {
        resp->headers = apr_table_make(req->pool, 4);
    }
    m = find_method(env, req->method, req->version);
    if (!m) {
        csc_error_set(resp, req, CSC_ERR_NOT_IMPLEMENTED);
        return;
    }
    /* HEAD is GET without the body (the server binding drops it), so
     * every method that takes GET takes HEAD too, and Allow says so */
    if (strcmp(req->http_method, "POST") != 0
        && !(m->allow_get && (!strcmp(req->http_method, "GET")
                              || !strcmp(req->http_method, "HEAD")))) {
        csc_error_set(resp, req, CSC_ERR_HTTP_METHOD);
        apr_table_setn(resp->headers, "Allow",
                       m->allow_get ? "GET, HEAD, POST" : "POST");
        return;
    }
    if (req->body_len && req->content_type
        && !media_type_is_json(req->content_type)) {
        csc_error_set(resp, req, CSC_ERR_CONTENT_TYPE);
        return;
    }
    call.body = csc_json_parse_body(req, resp, csc_cfg_max_depth(env->cfg));
    if (!call.body) {
        return;
    }
    if (m->needs_token && authenticate(&call, m) != 0) {
        return;
    }
    resp->note_user = call.user;
    m->fn(&call);
}

void csc_handle(const csc_env_t *env, const csc_request_t *req,
                csc_response_t *resp)
{
    const csc_log_t *previous = csc_log_enter(req->log);

    handle(env, req, resp);
    csc_log_leave(previous);
}
