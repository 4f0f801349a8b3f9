/* SPDX-License-Identifier: Apache-2.0 */
/* The front channel: oauth2/authorize (a browser arrives), the sign-in
 * and consent forms it is shown, the redirect back with a code, and
 * oauth2/pushed_authorize (RFC 9126), which checks a request before the
 * browser carries only its request_uri.
 *
 * A browser's progress is a FLOW_SIGNIN record.  Each form carries its id
 * and a CSRF token, and the browser holds a cookie; all three must match
 * the record (a form posted from another site lacks the token, a flow
 * started by an attacker and handed to a victim lacks the victim's
 * cookie).  The consent step takes the record out of the state in the
 * same step as it reads it, so a double submit yields one code. */
#include <string.h>

#include <apr_strings.h>
#include <openssl/crypto.h>

#include "base/csc_log.h"
#include "oauth2/csc_oauth2_internal.h"

static const char *action_url(csc_call_t *call, const char *step)
{
    return apr_pstrcat(call->req->pool, csc_cfg_base_path(call->env->cfg),
                       "/oauth2/", step, NULL);
}

/* 302 to the client's redirect URI: the code, or an error (RFC 6749
 * 4.1.2), with state and iss (RFC 9207, against mix-up attacks). */
static void redirect(csc_call_t *call, const oauth2_flow_t *f,
                     const char *code, const char *error, const char *desc)
{
    const char *to = oauth2_uri_add(
        f->redirect_uri, call->req->pool, "code", code, "error", error,
        "error_description", desc, "state", f->has_state ? f->state : NULL,
        "iss", oauth2_issuer(call), NULL);

    call->resp->status = 302;
    call->resp->note_error = error;
    apr_table_setn(call->resp->headers, "Location", to);
    apr_table_setn(call->resp->headers, "Referrer-Policy", "no-referrer");
}

static void set_cookie(csc_call_t *call, const char *browser)
{
    apr_table_setn(call->resp->headers, "Set-Cookie", apr_psprintf(
        call->req->pool, OAUTH2_COOKIE "=%s; Path=%s/oauth2; Max-Age=%d; "
        "HttpOnly; SameSite=Lax%s", browser,
        csc_cfg_base_path(call->env->cfg), OAUTH2_FLOW_TTL,
        call->req->secure ? "; Secure" : ""));
}

static void show_step(csc_call_t *call, int status, const char *flow_id,
                      const oauth2_flow_t *f, const char *csrf,
                      const char *client_name, const char *error,
                      const char *username)
{
    if (!f->user[0]) {
        oauth2_page(call, status, PAGE_LOGIN, f->lang, "action",
                    action_url(call, "login"), "flow", flow_id, "csrf", csrf,
                    "client_name", client_name, "error", error, "username",
                    username, NULL);
        return;
    }
    oauth2_page(call, status, PAGE_CONSENT, f->lang, "action",
                action_url(call, "consent"), "flow", flow_id, "csrf", csrf,
                "client_name", client_name, "user", f->user, NULL);
}

static const char *client_name(csc_call_t *call, const char *id)
{
    apr_status_t rv;
    csc_client_t *c = oauth2_client_find(call, id, &rv);

    return c ? c->name : id;
}

/* Files the checked request as a sign-in and shows its first page. */
static void start_signin(csc_call_t *call, oauth2_flow_t *f,
                         const char *client_name)
{
    const csc_request_t *req = call->req;
    const csc_cfg_t *cfg = call->env->cfg;
    const char *browser = oauth2_cookie(req->cookie, OAUTH2_COOKIE,
                                        req->pool);
    const char *csrf = csc_secret_new(req->pool), *flow_id;

    if (!oauth2_b64url43(browser)) {
        browser = csc_secret_new(req->pool);
    }
    if (!csrf || !browser) {
        oauth2_page_error(call, 500, f->lang, "server_error",
                          "Internal error");
        return;
    }
    oauth2_digest(csrf, f->csrf);
    oauth2_digest(browser, f->browser);
    if (req->external_user
        && (csc_cfg_auth_type_enabled(cfg, "external")
            || csc_cfg_auth_type_enabled(cfg, "TLS"))
        && strlen(req->external_user) < sizeof(f->user)) {
        /* another module (TLS client certificate, an IdP) signed the
         * user in on this very request */
        apr_cpystrn(f->user, req->external_user, sizeof(f->user));
    }
    if (oauth2_flow_put(call->env, FLOW_SIGNIN, f, OAUTH2_FLOW_TTL, &flow_id,
                        req->pool) != APR_SUCCESS) {
        oauth2_page_error(call, 503, f->lang, "temporarily_unavailable",
                          "The service is unavailable, try again later");
        return;
    }
    set_cookie(call, browser);
    show_step(call, 200, flow_id, f, csrf, client_name, NULL, NULL);
}

/* The request a request_uri stands for, taken out of the state: a pushed
 * request is used once, only by the client that pushed it, and only while
 * that client is still registered.  *client: that client. */
static int from_pushed(csc_call_t *call, apr_table_t *q, oauth2_flow_t *f,
                       csc_client_t **client)
{
    const char *uri = oauth2_param(q, "request_uri");
    const char *id = oauth2_param(q, "client_id");
    apr_size_t n = sizeof(OAUTH2_PAR_PREFIX) - 1;
    apr_status_t rv;

    if (!id) {
        oauth2_page_error(call, 400, NULL, "invalid_request",
                          "Missing parameter client_id");
        return -1;
    }
    if (strncmp(uri, OAUTH2_PAR_PREFIX, n) != 0
        || !oauth2_b64url43(uri + n)) {
        oauth2_page_error(call, 400, NULL, "invalid_request",
                          "Invalid parameter request_uri");
        return -1;
    }
    rv = oauth2_flow_take(call->env, FLOW_PAR, uri + n, f);
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        oauth2_page_error(call, 503, NULL, "temporarily_unavailable",
                          "The service is unavailable, try again later");
        return -1;
    }
    if (rv == APR_NOTFOUND || strcmp(f->client_id, id) != 0) {
        oauth2_page_error(call, 400, NULL, "invalid_request",
                          "Invalid parameter request_uri");
        return -1;
    }
    *client = oauth2_client_find(call, id, &rv);
    if (!*client) {
        oauth2_page_error(call, rv == APR_NOTFOUND ? 400 : 503, f->lang,
                          rv == APR_NOTFOUND ? "invalid_request"
                                             : "temporarily_unavailable",
                          rv == APR_NOTFOUND ? "Invalid parameter client_id"
                          : "The service is unavailable, try again later");
        return -1;
    }
    return 0;
}

void oauth2_authorize(csc_call_t *call)
{
    const csc_request_t *req = call->req;
    const char *q = req->query ? req->query : "", *why, *error, *desc;
    apr_table_t *params;
    csc_client_t *client = NULL;
    oauth2_flow_t f;

    if (!strcmp(req->http_method, "POST")) {
        /* RFC 6749 3.1: the endpoint may take the same as a form */
        params = oauth2_post_form(call);
        if (!params) {
            return;
        }
    }
    else if (!(params = oauth2_form_parse(q, strlen(q), req->pool, &why))) {
        oauth2_page_error(call, 400, NULL, "invalid_request",
                          "Malformed request");
        return;
    }
    if (oauth2_param(params, "request_uri")) {
        if (from_pushed(call, params, &f, &client) == 0) {
            start_signin(call, &f, client->name);
        }
        return;
    }
    switch (oauth2_authz_check(call, params, &client, &f, &error, &desc)) {
    case AUTHZ_OK:
        start_signin(call, &f, client->name);
        return;
    case AUTHZ_REDIRECT:
        redirect(call, &f, NULL, error, desc);
        return;
    case AUTHZ_UNAVAILABLE:
        oauth2_page_error(call, 503, f.lang, error, desc);
        return;
    case AUTHZ_PAGE:
        oauth2_page_error(call, 400, oauth2_param(params, "lang"), error,
                          desc);
        return;
    }
}

void oauth2_par(csc_call_t *call)
{
    apr_table_t *form = oauth2_post_form(call);
    const char *error, *desc, *secret;
    csc_client_t *client;
    oauth2_flow_t f;
    oauth2_authz_e r;

    if (!form || !(client = oauth2_client_auth(call, form))) {
        return;
    }
    if (apr_table_get(form, "request_uri")) {
        oauth2_error(call, 400, "invalid_request",
                     "Invalid parameter request_uri");
        return;
    }
    if (!oauth2_param(form, "client_id")) {
        apr_table_setn(form, "client_id", client->id);
    }
    r = oauth2_authz_check(call, form, &client, &f, &error, &desc);
    if (r != AUTHZ_OK) {
        oauth2_error(call, r == AUTHZ_UNAVAILABLE ? 503 : 400, error, desc);
        return;
    }
    if (oauth2_flow_put(call->env, FLOW_PAR, &f, OAUTH2_PAR_TTL, &secret,
                        call->req->pool) != APR_SUCCESS) {
        oauth2_error(call, 503, "temporarily_unavailable",
                     "The service is unavailable, try again later");
        return;
    }
    oauth2_json(call, 201, json_pack("{s:s,s:i}", "request_uri",
                                     apr_pstrcat(call->req->pool,
                                                 OAUTH2_PAR_PREFIX, secret,
                                                 NULL),
                                     "expires_in", OAUTH2_PAR_TTL));
}

/* Whether the form's CSRF token and the browser's cookie both match f. */
static int step_matches(const oauth2_flow_t *f, const char *csrf,
                        const char *browser)
{
    unsigned char d[32];

    oauth2_digest(csrf, d);
    if (CRYPTO_memcmp(d, f->csrf, 32) != 0) {
        return 0;
    }
    oauth2_digest(browser, d);
    return !CRYPTO_memcmp(d, f->browser, 32);
}

/* The form of a sign-in step, with the flow it belongs to: the form's
 * CSRF token and the browser's cookie must both match, and for consent
 * the user must have signed in.  consent: the flow is then removed in
 * the same step as it is read again, so that only one of several
 * concurrent approvals finds it. */
static apr_table_t *step_form(csc_call_t *call, int consent,
                              oauth2_flow_t *f, const char **flow_id)
{
    const csc_request_t *req = call->req;
    apr_table_t *form = oauth2_post_form(call);
    const char *csrf, *browser;
    apr_status_t rv = APR_NOTFOUND;
    int ok = 0;

    if (!form) {
        return NULL;
    }
    *flow_id = oauth2_param(form, "flow");
    csrf = oauth2_param(form, "csrf");
    browser = oauth2_cookie(req->cookie, OAUTH2_COOKIE, req->pool);
    if (oauth2_b64url43(*flow_id) && csrf && browser) {
        rv = oauth2_flow_get(call->env, FLOW_SIGNIN, *flow_id, f);
        ok = rv == APR_SUCCESS && step_matches(f, csrf, browser)
             && (!consent || f->user[0]);
        if (ok && consent) {
            rv = oauth2_flow_take(call->env, FLOW_SIGNIN, *flow_id, f);
            ok = rv == APR_SUCCESS && step_matches(f, csrf, browser)
                 && f->user[0];
        }
    }
    if (rv != APR_SUCCESS && rv != APR_NOTFOUND) {
        oauth2_page_error(call, 503, NULL, "temporarily_unavailable",
                          "The service is unavailable, try again later");
        return NULL;
    }
    if (ok) {
        return form;
    }
    if (rv == APR_SUCCESS) {
        csc_log(CSC_LOG_MARK, CSC_LOG_WARNING, "oauth2: a sign-in form came "
                "without its CSRF token or cookie, or out of order; "
                "refused");
    }
    oauth2_page_error(call, 400, rv == APR_SUCCESS ? f->lang : NULL,
                      "invalid_request",
                      oauth2_text(rv == APR_SUCCESS ? f->lang : NULL,
                                  "t_expired"));
    return NULL;
}

void oauth2_login(csc_call_t *call)
{
    apr_pool_t *p = call->req->pool;
    const char *flow_id, *user, *csrf;
    char *password;
    apr_table_t *form;
    oauth2_flow_t f;
    int verdict;

    if (!(form = step_form(call, 0, &f, &flow_id))) {
        return;
    }
    user = oauth2_param(form, "username");
    password = (char *)oauth2_param(form, "password");
    if (!user || !password || strlen(user) >= sizeof(f.user)
        || strchr(user, ':')) {
        if (password) {
            OPENSSL_cleanse(password, strlen(password));
        }
        show_step(call, 200, flow_id, &f, oauth2_param(form, "csrf"),
                  client_name(call, f.client_id),
                  oauth2_text(f.lang, "t_wrong_login"), user);
        return;
    }
    verdict = csc_api_password_login(call, user, password);
    if (verdict == CSC_LOGIN_ANSWERED) {
        int status = call->resp->status;

        if (status == 429) {
            show_step(call, 429, flow_id, &f, oauth2_param(form, "csrf"),
                      client_name(call, f.client_id),
                      oauth2_text(f.lang, "t_too_many"), user);
            return;
        }
        oauth2_page_error(call, status, f.lang, "server_error",
                          "The user could not be checked");
        return;
    }
    if (verdict == CSC_LOGIN_WRONG) {
        call->resp->note_error = "access_denied";
        show_step(call, 200, flow_id, &f, oauth2_param(form, "csrf"),
                  client_name(call, f.client_id),
                  oauth2_text(f.lang, "t_wrong_login"), user);
        return;
    }
    /* a new CSRF token for the signed-in step: a token seen before the
     * sign-in cannot approve */
    csrf = csc_secret_new(p);
    if (!csrf) {
        oauth2_page_error(call, 500, f.lang, "server_error",
                          "Internal error");
        return;
    }
    oauth2_digest(csrf, f.csrf);
    apr_cpystrn(f.user, user, sizeof(f.user));
    if (oauth2_flow_set(call->env, FLOW_SIGNIN, flow_id, &f)
        != APR_SUCCESS) {
        oauth2_page_error(call, 400, f.lang, "invalid_request",
                          oauth2_text(f.lang, "t_expired"));
        return;
    }
    call->resp->note_user = apr_pstrdup(p, f.user);
    show_step(call, 200, flow_id, &f, csrf, client_name(call, f.client_id),
              NULL, NULL);
}

void oauth2_consent(csc_call_t *call)
{
    const char *flow_id, *decision, *code;
    apr_table_t *form;
    oauth2_flow_t f;

    if (!(form = step_form(call, 1, &f, &flow_id))) {
        return;
    }
    call->resp->note_user = apr_pstrdup(call->req->pool, f.user);
    decision = oauth2_param(form, "decision");
    if (!decision || strcmp(decision, "approve") != 0) {
        csc_log(CSC_LOG_MARK, CSC_LOG_INFO, "oauth2: user '%s' denied "
                "client '%s'", f.user, f.client_id);
        redirect(call, &f, NULL, "access_denied",
                 "The user denied the request");
        return;
    }
    if (oauth2_flow_put(call->env, FLOW_CODE, &f, OAUTH2_CODE_TTL, &code,
                        call->req->pool) != APR_SUCCESS) {
        redirect(call, &f, NULL, "temporarily_unavailable",
                 "The service is unavailable, try again later");
        return;
    }
    csc_log(CSC_LOG_MARK, CSC_LOG_INFO, "oauth2: user '%s' authorized "
            "client '%s' (scope %s)", f.user, f.client_id, f.scope);
    redirect(call, &f, code, NULL, NULL);
}
