/* SPDX-License-Identifier: Apache-2.0 */
/* Checking an authorization request, the same for a browser's query and
 * a pushed form.  The order matters (RFC 6749 4.1.2.1): until client_id
 * and redirect_uri are known good, nothing may be sent to the redirect
 * URI, since that would make the server an open redirector. */
#include <string.h>

#include <apr_strings.h>

#include "oauth2/csc_oauth2_internal.h"

/* The registered URI equal to uri, or the only one when uri is absent. */
static const char *registered_uri(const csc_client_t *c, const char *uri,
                                  apr_pool_t *p)
{
    const char *s = c->redirect_uris, *only = NULL;
    int n = 0;

    while (s && *(s += strspn(s, " "))) {
        apr_size_t len = strcspn(s, " ");

        if (uri && strlen(uri) == len && !strncmp(s, uri, len)) {
            return uri;     /* exact, as RFC 9700 2.1 asks */
        }
        only = apr_pstrmemdup(p, s, len);
        n++;
        s += len;
    }
    return !uri && n == 1 ? only : NULL;
}

static int copy(char *dst, apr_size_t size, const char *src)
{
    if (!src) {
        *dst = '\0';
        return 0;
    }
    if (strlen(src) >= size) {
        return -1;
    }
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

oauth2_authz_e oauth2_authz_check(csc_call_t *call, apr_table_t *params,
                                  csc_client_t **found, oauth2_flow_t *f,
                                  const char **error, const char **desc)
{
    csc_client_t *client = *found;
    apr_pool_t *p = call->req->pool;
    const char *id = oauth2_param(params, "client_id");
    const char *uri = oauth2_param(params, "redirect_uri");
    const char *rt = oauth2_param(params, "response_type");
    const char *scope = oauth2_param(params, "scope");
    const char *state = oauth2_param(params, "state");
    const char *challenge = oauth2_param(params, "code_challenge");
    const char *method = oauth2_param(params, "code_challenge_method");
    const char *prompt = oauth2_param(params, "prompt");
    const char *lang = oauth2_param(params, "lang");
    apr_status_t rv;

    memset(f, 0, sizeof(*f));
    *error = "invalid_request";
    if (!id) {
        *desc = "Missing parameter client_id";
        return AUTHZ_PAGE;
    }
    if (!client) {
        client = oauth2_client_find(call, id, &rv);
        if (!client && rv != APR_NOTFOUND) {
            *error = "temporarily_unavailable";
            *desc = "The service is unavailable, try again later";
            return AUTHZ_UNAVAILABLE;
        }
    }
    if (!client || strcmp(client->id, id) != 0) {
        *desc = "Invalid parameter client_id";
        return AUTHZ_PAGE;
    }
    *found = client;
    if (!csc_client_list_has(client->grant_types, "authorization_code")) {
        /* a client_credentials-only client has no redirect URI */
        *error = "unauthorized_client";
        *desc = "The client may not use the authorization code grant";
        return AUTHZ_PAGE;
    }
    uri = registered_uri(client, uri, p);
    if (!uri) {
        *desc = oauth2_param(params, "redirect_uri")
              ? "redirect_uri parameter does not match"
              : "Missing parameter redirect_uri";
        return AUTHZ_PAGE;
    }
    copy(f->client_id, sizeof(f->client_id), client->id);
    copy(f->redirect_uri, sizeof(f->redirect_uri), uri);
    /* from here on errors go back to the client */
    if (state && copy(f->state, sizeof(f->state), state) != 0) {
        *desc = "Invalid parameter state";
        return AUTHZ_PAGE;
    }
    f->has_state = state != NULL;
    if (!rt) {
        *desc = "Missing parameter response_type";
        return AUTHZ_REDIRECT;
    }
    if (strcmp(rt, "code") != 0) {
        *error = "unsupported_response_type";
        *desc = "Invalid parameter response_type";
        return AUTHZ_REDIRECT;
    }
    if (!scope) {
        scope = "service";      /* CSC 8.4.2: the default */
    }
    if (strcmp(scope, "service") != 0
        || !csc_client_list_has(client->scopes, scope)) {
        *error = "invalid_scope";
        *desc = "Invalid parameter scope";
        return AUTHZ_REDIRECT;
    }
    copy(f->scope, sizeof(f->scope), scope);
    if (apr_table_get(params, "authorization_details")) {
        *error = "invalid_request";
        *desc = "Invalid parameter authorization_details";
        return AUTHZ_REDIRECT;
    }
    if (method && !challenge) {
        *desc = "Missing parameter code_challenge";
        return AUTHZ_REDIRECT;
    }
    if (challenge) {
        /* plain would hand the verifier to whoever sees the request */
        if (!method || strcmp(method, "S256") != 0) {
            *desc = "Invalid parameter code_challenge_method";
            return AUTHZ_REDIRECT;
        }
        /* RFC 7636 4.2: S256 gives 43 base64url characters */
        if (!oauth2_b64url43(challenge)) {
            *desc = "Invalid parameter code_challenge";
            return AUTHZ_REDIRECT;
        }
        copy(f->code_challenge, sizeof(f->code_challenge), challenge);
    }
    else if (!client->secret_hash) {
        /* RFC 9700 2.1.1: a public client must use PKCE */
        *desc = "Missing parameter code_challenge";
        return AUTHZ_REDIRECT;
    }
    if (prompt) {
        if (csc_client_list_has(prompt, "none")) {
            *error = "login_required";
            *desc = "The user must sign in";
            return AUTHZ_REDIRECT;
        }
        f->prompt_login = csc_client_list_has(prompt, "login");
    }
    if (lang && strspn(lang, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")
                == strlen(lang)) {
        copy(f->lang, sizeof(f->lang), lang);
    }
    return AUTHZ_OK;
}
