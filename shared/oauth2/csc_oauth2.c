/* SPDX-License-Identifier: Apache-2.0 */
/* The authorization server's entry: which endpoint, which HTTP methods,
 * the form of a POST, the issuer, and the RFC 8414 metadata. */
#include <string.h>

#include <apr_strings.h>

#include "base/csc_log.h"
#include "oauth2/csc_oauth2_internal.h"

int csc_oauth2_enabled(const csc_cfg_t *cfg)
{
    return csc_cfg_auth_type_enabled(cfg, "oauth2code")
        || csc_cfg_auth_type_enabled(cfg, "oauth2client");
}

const char *csc_oauth2_issuer(const csc_cfg_t *cfg, const csc_request_t *req)
{
    const char *set = csc_cfg_oauth2_issuer(cfg);

    if (set) {
        return set;
    }
    return apr_pstrcat(req->pool, req->origin ? req->origin : "",
                       csc_cfg_base_path(cfg), NULL);
}

const char *oauth2_issuer(csc_call_t *call)
{
    return csc_oauth2_issuer(call->env->cfg, call->req);
}

void oauth2_json(csc_call_t *call, int status, json_t *obj)
{
    csc_json_respond(call->resp, call->req, status, obj);
    /* RFC 6749 5.1: token responses must not be cached */
    apr_table_setn(call->resp->headers, "Pragma", "no-cache");
}

void oauth2_error(csc_call_t *call, int status, const char *error,
                  const char *description)
{
    call->resp->note_error = error;
    oauth2_json(call, status, json_pack("{s:s,s:s}", "error", error,
                                        "error_description", description));
}

static int is_form(const char *ct)
{
    apr_size_t n = ct ? strcspn(ct, "; \t") : 0;

    return n == 33 && !strncasecmp(ct, "application/x-www-form-urlencoded",
                                   33);
}

apr_table_t *oauth2_post_form(csc_call_t *call)
{
    const csc_request_t *req = call->req;
    apr_table_t *form;
    const char *why;

    if (strcmp(req->http_method, "POST") != 0) {
        apr_table_setn(call->resp->headers, "Allow", "POST");
        oauth2_error(call, 405, "invalid_request", "Method not allowed");
        return NULL;
    }
    if (req->body_too_large) {
        oauth2_error(call, 413, "invalid_request", "Request body too large");
        return NULL;
    }
    if (!is_form(req->content_type)) {
        oauth2_error(call, 400, "invalid_request", "Content-Type must be "
                     "application/x-www-form-urlencoded");
        return NULL;
    }
    form = oauth2_form_parse(req->body, req->body_len, req->pool, &why);
    if (!form) {
        oauth2_error(call, 400, "invalid_request",
                     apr_pstrcat(req->pool, "Malformed form: ", why, NULL));
        return NULL;
    }
    return form;
}

void oauth2_metadata(csc_call_t *call)
{
    const char *iss = oauth2_issuer(call);
    apr_pool_t *p = call->req->pool;
    json_t *grants = json_array();

    if (csc_cfg_auth_type_enabled(call->env->cfg, "oauth2code")) {
        json_array_append_new(grants, json_string("authorization_code"));
        json_array_append_new(grants, json_string("refresh_token"));
    }
    if (csc_cfg_auth_type_enabled(call->env->cfg, "oauth2client")) {
        json_array_append_new(grants, json_string("client_credentials"));
    }
    oauth2_json(call, 200, json_pack(
        "{s:s,s:s,s:s,s:s,s:s,s:[s],s:o,s:[s],s:[s,s,s],s:[s],"
        "s:[s],s:b,s:b}",
        "issuer", iss,
        "authorization_endpoint",
        apr_pstrcat(p, iss, "/oauth2/authorize", NULL),
        "token_endpoint", apr_pstrcat(p, iss, "/oauth2/token", NULL),
        "revocation_endpoint", apr_pstrcat(p, iss, "/oauth2/revoke", NULL),
        "pushed_authorization_request_endpoint",
        apr_pstrcat(p, iss, "/oauth2/pushed_authorize", NULL),
        "response_types_supported", "code",
        "grant_types_supported", grants,
        "code_challenge_methods_supported", "S256",
        "token_endpoint_auth_methods_supported", "client_secret_basic",
        "client_secret_post", "none",
        "revocation_endpoint_auth_methods_supported", "client_secret_basic",
        "scopes_supported", "service",
        "authorization_response_iss_parameter_supported", 1,
        "require_pushed_authorization_requests", 0));
}

typedef struct {
    const char *name;
    void (*fn)(csc_call_t *call);
    int get;                /* answers GET and HEAD (else POST only) */
    int post;
    csc_wait_e wait;        /* csc_oauth2_wait */
} endpoint_t;

static const endpoint_t endpoints[] = {
    {"oauth2/authorize", oauth2_authorize, 1, 1, CSC_WAIT_LONG},
    {"oauth2/pushed_authorize", oauth2_par, 0, 1, CSC_WAIT_LONG},
    {"oauth2/token", oauth2_token, 0, 1, CSC_WAIT_LONG},
    {"oauth2/revoke", oauth2_revoke, 0, 1, CSC_WAIT_LONG},
    {"revoke", oauth2_revoke, 0, 1, CSC_WAIT_LONG},
    {"oauth2/login", oauth2_login, 0, 1, CSC_WAIT_LONG},
    {"oauth2/consent", oauth2_consent, 0, 1, CSC_WAIT_LONG},
    {".well-known/oauth-authorization-server", oauth2_metadata, 1, 0,
     CSC_WAIT_NONE},
    {NULL, NULL, 0, 0, CSC_WAIT_NONE}
};

csc_wait_e csc_oauth2_wait(const csc_request_t *req)
{
    const endpoint_t *e;

    for (e = endpoints; e->name; e++) {
        if (!strcmp(e->name, req->method)) {
            return e->wait;
        }
    }
    return CSC_WAIT_NONE;
}

void csc_oauth2_handle(const csc_env_t *env, const csc_request_t *req,
                       csc_response_t *resp)
{
    const csc_log_t *previous = csc_log_enter(req->log);
    const endpoint_t *e;
    csc_call_t call;
    int get;

    memset(&call, 0, sizeof(call));
    call.env = env;
    call.req = req;
    call.resp = resp;
    for (e = endpoints; e->name; e++) {
        if (!strcmp(e->name, req->method)) {
            break;
        }
    }
    if (!e->name || !csc_oauth2_enabled(env->cfg) || !env->store) {
        csc_error_set(resp, req, CSC_ERR_NOT_FOUND);
    }
    else if (!(get = !strcmp(req->http_method, "GET")
                     || !strcmp(req->http_method, "HEAD"))
             && !(e->post && !strcmp(req->http_method, "POST"))) {
        apr_table_setn(resp->headers, "Allow", e->get && e->post
                       ? "GET, HEAD, POST" : e->get ? "GET, HEAD" : "POST");
        oauth2_error(&call, 405, "invalid_request", "Method not allowed");
    }
    else if (get && !e->get) {
        apr_table_setn(resp->headers, "Allow", "POST");
        oauth2_error(&call, 405, "invalid_request", "Method not allowed");
    }
    else {
        e->fn(&call);
    }
    csc_log_leave(previous);
}
