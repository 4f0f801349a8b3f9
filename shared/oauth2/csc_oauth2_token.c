/* SPDX-License-Identifier: Apache-2.0 */
/* oauth2/token and oauth2/revoke, with the error strings of CSC 8.4.4
 * and 8.4.5.  Tokens are grants (csc_grant.h) bound to the client:
 * every CSC method takes the access token, the refresh token works only
 * for its client and rotates, and a rotated one presented again ends the
 * grant (RFC 9700 4.14.2).  A code is redeemed once; a second redemption
 * ends what the first one gave (RFC 6749 4.1.2). */
#include <string.h>

#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "base/csc_b64.h"
#include "base/csc_log.h"
#include "authz/csc_limit.h"
#include "oauth2/csc_oauth2_internal.h"

static void unavailable(csc_call_t *call)
{
    oauth2_error(call, 503, "temporarily_unavailable",
                 "The service is unavailable, try again later");
}

static void answer(csc_call_t *call, const char *user, const char *access,
                   const char *refresh, int expires_in)
{
    json_t *out = json_pack("{s:s,s:s,s:i,s:s}", "access_token", access,
                            "token_type", "Bearer", "expires_in",
                            expires_in, "scope", "service");

    if (refresh) {
        json_object_set_new(out, "refresh_token", json_string(refresh));
    }
    call->resp->note_user = user;
    oauth2_json(call, 200, out);
}

/* A login for user under client; the grant's id in *grant. */
static int issue(csc_call_t *call, const csc_client_t *client,
                 const char *user, int with_refresh, const char **grant)
{
    const char *access, *refresh = NULL;
    int expires_in;

    switch (csc_grant_login_client(call->env, user, client->id, &access,
                                   with_refresh ? &refresh : NULL,
                                   &expires_in, grant, call->req->pool)) {
    case CSC_GRANT_OK:
        answer(call, user, access, refresh, expires_in);
        return 0;
    case CSC_GRANT_TENANT_FULL:
        apr_table_setn(call->resp->headers, "Retry-After", "60");
        oauth2_error(call, 429, "temporarily_unavailable",
                     "Too many requests, try again later");
        return -1;
    default:
        unavailable(call);
        return -1;
    }
}

/* RFC 7636 4.6: BASE64URL(SHA256(verifier)) == challenge. */
static int verifier_matches(const char *verifier, const char *challenge,
                            apr_pool_t *p)
{
    unsigned char d[32];
    unsigned int n = 32;
    apr_size_t len = strlen(verifier);
    const char *enc;

    if (len < 43 || len > 128
        || strspn(verifier, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
                            "vwxyz0123456789-._~") != len
        || EVP_Digest(verifier, len, d, &n, csc_secret_sha256(), NULL) != 1) {
        return 0;
    }
    enc = csc_b64url_encode(d, 32, p);
    return strlen(enc) == strlen(challenge)
        && !CRYPTO_memcmp(enc, challenge, strlen(enc));
}

static void code_grant(csc_call_t *call, apr_table_t *form,
                       const csc_client_t *client)
{
    const char *code = oauth2_param(form, "code");
    const char *uri = oauth2_param(form, "redirect_uri");
    const char *verifier = oauth2_param(form, "code_verifier");
    const char *grant = NULL;
    oauth2_flow_t f;
    apr_status_t rv;

    if (!code) {
        oauth2_error(call, 400, "invalid_request", "Missing parameter code");
        return;
    }
    switch (oauth2_code_redeem(call->env, code, &f, &rv)) {
    case CODE_UNKNOWN:
        if (rv != APR_SUCCESS) {
            unavailable(call);
            return;
        }
        oauth2_error(call, 400, "invalid_grant",
                     "Authorization code is invalid or expired");
        return;
    case CODE_REPLAYED:
        if (f.grant[0]) {
            csc_grant_revoke(call->env, f.grant);
        }
        csc_log(CSC_LOG_MARK, CSC_LOG_WARNING, "oauth2/token: an "
                "authorization code of client '%s' was redeemed twice; "
                "the tokens it gave are revoked", f.client_id);
        oauth2_error(call, 400, "invalid_grant",
                     "Authorization code is invalid or expired");
        return;
    case CODE_REDEEMED:
        break;
    }
    /* from here on the code is spent, whatever the outcome */
    if (strcmp(f.client_id, client->id) != 0) {
        oauth2_error(call, 400, "invalid_grant", "Invalid parameter code");
        return;
    }
    if (uri && strcmp(uri, f.redirect_uri) != 0) {
        oauth2_error(call, 400, "invalid_grant",
                     "redirect_uri parameter does not match");
        return;
    }
    if (f.code_challenge[0] && !verifier) {
        oauth2_error(call, 400, "invalid_grant",
                     "Missing parameter code_verifier");
        return;
    }
    if ((f.code_challenge[0]
         && !verifier_matches(verifier, f.code_challenge, call->req->pool))
        || (!f.code_challenge[0] && verifier)) {
        oauth2_error(call, 400, "invalid_grant",
                     "Invalid parameter code_verifier");
        return;
    }
    if (issue(call, client, f.user,
              csc_client_list_has(client->grant_types, "refresh_token"),
              &grant) != 0) {
        return;
    }
    if (oauth2_code_bind(call->env, code, grant)) {
        /* replayed while this request was issuing: neither may keep it */
        csc_grant_revoke(call->env, grant);
        oauth2_error(call, 400, "invalid_grant",
                     "Authorization code is invalid or expired");
    }
}

static void refresh_grant(csc_call_t *call, apr_table_t *form,
                          const csc_client_t *client)
{
    const char *rt = oauth2_param(form, "refresh_token");
    const char *user, *access, *next = NULL;
    int expires_in;

    if (!rt) {
        rt = oauth2_param(form, "refreshToken");    /* the v1 sample's */
    }
    if (!rt) {
        oauth2_error(call, 400, "invalid_request",
                     "Missing parameter refresh_token");
        return;
    }
    switch (csc_grant_refresh_client(call->env, rt, client->id, &user,
                                     &access, &next, &expires_in,
                                     call->req->pool)) {
    case CSC_GRANT_OK:
        answer(call, user, access, next, expires_in);
        return;
    case CSC_GRANT_UNKNOWN:
    case CSC_GRANT_REPLAYED:
        oauth2_error(call, 400, "invalid_grant",
                     "Invalid parameter refresh_token");
        return;
    default:
        unavailable(call);
        return;
    }
}

void oauth2_token(csc_call_t *call)
{
    apr_table_t *form = oauth2_post_form(call);
    const char *gt, *scope, *grant;
    csc_client_t *client;

    if (!form) {
        return;
    }
    if (csc_api_throttled(call, CSC_LIMIT_CLIENT, call->req->client_ip,
                          csc_cfg_client_limit(call->env->cfg))) {
        return;
    }
    if (!(client = oauth2_client_auth(call, form))) {
        return;
    }
    gt = oauth2_param(form, "grant_type");
    if (!gt) {
        oauth2_error(call, 400, "invalid_request",
                     "Missing parameter grant_type");
        return;
    }
    if (strcmp(gt, "authorization_code") && strcmp(gt, "refresh_token")
        && strcmp(gt, "client_credentials")) {
        oauth2_error(call, 400, "invalid_request",
                     "Invalid parameter grant_type");
        return;
    }
    if (!csc_client_list_has(client->grant_types, gt)) {
        oauth2_error(call, 400, "unauthorized_client",
                     "The client may not use this grant type");
        return;
    }
    scope = oauth2_param(form, "scope");
    if (scope && (strcmp(scope, "service") != 0
                  || !csc_client_list_has(client->scopes, scope))) {
        oauth2_error(call, 400, "invalid_scope", "Invalid parameter scope");
        return;
    }
    if (!strcmp(gt, "authorization_code")) {
        code_grant(call, form, client);
    }
    else if (!strcmp(gt, "refresh_token")) {
        refresh_grant(call, form, client);
    }
    else {
        /* RFC 6749 4.4.3: no refresh token; the client can ask again */
        issue(call, client, client->acts_as, 0, &grant);
    }
}

void oauth2_revoke(csc_call_t *call)
{
    apr_table_t *form = oauth2_post_form(call);
    const char *token, *hint;
    csc_client_t *client;
    csc_token_t t;
    apr_status_t rv;

    if (!form || !(client = oauth2_client_auth(call, form))) {
        return;
    }
    token = oauth2_param(form, "token");
    if (!token) {
        oauth2_error(call, 400, "invalid_request", "Missing parameter token");
        return;
    }
    hint = oauth2_param(form, "token_type_hint");
    if (hint && strcmp(hint, "access_token") && strcmp(hint, "refresh_token")) {
        oauth2_error(call, 400, "invalid_request",
                     "Invalid parameter token_type_hint");
        return;
    }
    memset(&t, 0, sizeof(t));
    rv = csc_grant_lookup(call->env, token, &t, call->req->pool);
    if (rv != APR_SUCCESS && rv != APR_TIMEUP && rv != APR_NOTFOUND) {
        unavailable(call);
        return;
    }
    if ((rv != APR_SUCCESS && rv != APR_TIMEUP)
        || strcmp(t.client, client->id) != 0) {
        /* another client's token is as unknown to this one as a forged
         * one (RFC 7009 2.1) */
        oauth2_error(call, 400, "invalid_request",
                     "Invalid string parameter token");
        return;
    }
    if (csc_grant_revoke_token(call->env, token, &t) != APR_SUCCESS) {
        unavailable(call);
        return;
    }
    call->resp->note_user = t.user;
    csc_respond_empty(call->resp);
}
