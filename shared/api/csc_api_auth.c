/* SPDX-License-Identifier: Apache-2.0 */
/* auth/login and auth/revoke: service authorization. */
#include <string.h>

#include <apr_strings.h>
#include <openssl/crypto.h>

#include "api/csc_api_internal.h"
#include "base/csc_b64.h"
#include "authz/csc_grant.h"
#include "state/csc_kv.h"
#include "authz/csc_limit.h"
#include "base/csc_log.h"
#include "authz/csc_secret.h"

int csc_api_login_available(const csc_env_t *env)
{
    return csc_cfg_auth_type_enabled(env->cfg, "basic")
        || csc_cfg_auth_type_enabled(env->cfg, "external")
        || csc_cfg_auth_type_enabled(env->cfg, "TLS");
}

/* Answers a successful login: access token, and a refresh token when
 * the client asked to be remembered. */
static void answer_tokens(csc_call_t *call, const char *user,
                          const char *access, const char *refresh,
                          int expires_in)
{
    json_t *out;

    call->resp->note_user = user;
    out = json_pack("{s:s,s:i}", "access_token", access, "expires_in",
                    expires_in);
    if (refresh) {
        json_object_set_new(out, "refresh_token", json_string(refresh));
    }
    csc_json_respond(call->resp, call->req, 200, out);
}

static void state_full(csc_call_t *call)
{
    csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "auth/login: cannot store a login in "
            "the shared state (is CSCStateSlots too small?)");
    csc_error_set(call->resp, call->req, CSC_ERR_UNAVAILABLE);
}

static void issue_tokens(csc_call_t *call, const char *user, int remember)
{
    const char *access, *refresh = NULL;
    int expires_in;

    switch (csc_grant_login(call->env, user, &access,
                            remember ? &refresh : NULL, &expires_in,
                            call->req->pool)) {
    case CSC_GRANT_OK:
        break;
    case CSC_GRANT_TENANT_FULL:
        csc_api_too_many(call, 60);
        return;
    default:
        state_full(call);
        return;
    }
    answer_tokens(call, user, access, refresh, expires_in);
}

/* With rememberMe the presented refresh token is rotated: it is spent,
 * and presenting it again ends the whole login. */
static void login_with_refresh(csc_call_t *call, const char *refresh,
                               int remember)
{
    const char *user, *access, *next = NULL;
    int expires_in;

    switch (csc_grant_refresh(call->env, refresh, &user, &access,
                              remember ? &next : NULL, &expires_in,
                              call->req->pool)) {
    case CSC_GRANT_OK:
        break;
    case CSC_GRANT_UNKNOWN:
    case CSC_GRANT_REPLAYED:
        csc_error_set(call->resp, call->req, CSC_ERR_LOGIN_REFRESH);
        return;
    default:
        state_full(call);
        return;
    }
    answer_tokens(call, user, access, next, expires_in);
}

/* How long a password check that ran the hash takes here: a moving
 * average in the shared state, so that an unknown user name costs as much
 * time as a wrong password and the answer time does not tell them apart. */
#define PASSWORD_TIME_GUESS apr_time_from_msec(20)

typedef struct {
    apr_int64_t sample;         /* 0: only read */
    apr_int64_t average;        /* out */
} timing_op_t;

static apr_status_t timing_update(void *baton, const void *cur,
                                  apr_size_t curlen, apr_time_t cur_expires,
                                  void *out, apr_size_t *outlen,
                                  apr_time_t *expires,
                                  csc_kv_action_e *action)
{
    timing_op_t *op = baton;
    apr_int64_t avg = 0;

    (void)cur_expires;
    if (cur && curlen == sizeof(avg)) {
        memcpy(&avg, cur, sizeof(avg));
    }
    if (op->sample > 0) {
        avg = avg > 0 ? avg + (op->sample - avg) / 8 : op->sample;
    }
    /* an unknown user's check writes the average back unchanged: it then
     * costs the state the same write as a wrong password's (in
     * PostgreSQL a commit, whose flush alone can take longer than the
     * hash on a busy disk) */
    if (avg > 0) {
        memcpy(out, &avg, sizeof(avg));
        *outlen = sizeof(avg);
        *expires = apr_time_now() + apr_time_from_sec(86400);
        *action = CSC_KV_STORE;
    }
    op->average = avg;
    return APR_SUCCESS;
}

static apr_interval_time_t password_time(const csc_env_t *env,
                                         apr_interval_time_t sample)
{
    unsigned char key[CSC_SECRET_KEY_LEN];
    timing_op_t op = {sample, 0};

    csc_secret_state_key(env, 'P', "password-check-time", key);
    if (csc_kv_update(env->kv, key, sizeof(key), timing_update, &op)
        != APR_SUCCESS || op.average <= 0) {
        return PASSWORD_TIME_GUESS;
    }
    return op.average;
}

static int check_password(csc_call_t *call, const char *user,
                          const char *password)
{
    const csc_request_t *req = call->req;
    apr_time_t start = apr_time_now();
    int ok = req->check_password(req->check_baton, user, password);

    if (ok == 0 || ok == 1) {
        password_time(call->env, apr_time_now() - start);
    }
    else if (ok == CSC_PASSWORD_NO_USER) {
        /* the wait makes up for the check, not for the state's write of
         * the average, which a wrong password pays on top of its check */
        apr_interval_time_t spent = apr_time_now() - start;
        apr_interval_time_t left = password_time(call->env, 0) - spent;

        if (left > 0) {
            apr_sleep(left);
        }
        ok = 0;
    }
    return ok;
}

int csc_api_password_login(csc_call_t *call, const char *user,
                           char *password)
{
    const int limit = csc_cfg_login_limit(call->env->cfg);
    int ok;

    /* a guess is counted before it is evaluated, so that parallel
     * guesses cannot overrun the limit; a right password gives it back */
    if (csc_api_throttled(call, CSC_LIMIT_LOGIN_FAIL, user, limit)) {
        OPENSSL_cleanse(password, strlen(password));
        csc_log(CSC_LOG_MARK, CSC_LOG_INFO, "%s: too many wrong passwords "
                "for user '%s'; throttled", call->req->method, user);
        call->resp->note_user = user;
        return CSC_LOGIN_ANSWERED;
    }
    ok = call->req->check_password ? check_password(call, user, password)
                                   : -1;
    OPENSSL_cleanse(password, strlen(password));
    if (ok < 0) {
        csc_limit_give(call->env, CSC_LIMIT_LOGIN_FAIL, user, limit);
        csc_error_set(call->resp, call->req, CSC_ERR_SERVER);
        return CSC_LOGIN_ANSWERED;
    }
    if (!ok) {
        csc_log(CSC_LOG_MARK, CSC_LOG_INFO, "%s: authentication failed for "
                "user '%s'", call->req->method, user);
        call->resp->note_user = user;
        return CSC_LOGIN_WRONG;
    }
    csc_limit_give(call->env, CSC_LIMIT_LOGIN_FAIL, user, limit);
    return CSC_LOGIN_OK;
}

static void login_with_basic(csc_call_t *call, const char *param,
                             int remember)
{
    const csc_request_t *req = call->req;
    unsigned char *raw;
    apr_size_t len;
    char *text, *colon;

    while (*param == ' ') {
        param++;
    }
    if (csc_b64_decode(param, strlen(param), &raw, &len, req->pool) != 0) {
        csc_error_set(call->resp, req, CSC_ERR_LOGIN_USERPASS);
        return;
    }
    text = apr_pstrmemdup(req->pool, (const char *)raw, len);
    OPENSSL_cleanse(raw, len);
    colon = strchr(text, ':');
    if (!colon || colon == text || strlen(text) != len) {
        OPENSSL_cleanse(text, len);
        csc_error_set(call->resp, req, CSC_ERR_LOGIN_USERPASS);
        return;
    }
    *colon = '\0';
    switch (csc_api_password_login(call, text, colon + 1)) {
    case CSC_LOGIN_OK:
        issue_tokens(call, text, remember);
        return;
    case CSC_LOGIN_WRONG:
        csc_error_set(call->resp, req, CSC_ERR_LOGIN_FAILED);
        return;
    default:
        return;
    }
}

void csc_api_auth_login(csc_call_t *call)
{
    const csc_request_t *req = call->req;
    const csc_cfg_t *cfg = call->env->cfg;
    const char *refresh = NULL, *h = req->authorization;
    int remember = 0, basic;
    json_t *rt;

    if (csc_json_client_data(call->body, req, call->resp) < 0
        || csc_json_bool(call->body, "rememberMe", &remember, req,
                         call->resp) < 0) {
        return;
    }
    rt = json_object_get(call->body, "refresh_token");
    if (rt && !json_is_null(rt)) {
        if (!json_is_string(rt) || json_string_length(rt) == 0
            || strlen(json_string_value(rt)) != json_string_length(rt)) {
            csc_error_set(call->resp, req, CSC_ERR_LOGIN_REFRESH_TYPE);
            return;
        }
        refresh = json_string_value(rt);
    }
    if (csc_api_throttled(call, CSC_LIMIT_CLIENT, req->client_ip,
                          csc_cfg_client_limit(cfg))) {
        return;
    }
    basic = csc_cfg_auth_type_enabled(cfg, "basic") && req->check_password;
    if (req->external_user
        && (csc_cfg_auth_type_enabled(cfg, "external")
            || csc_cfg_auth_type_enabled(cfg, "TLS"))
        && !refresh) {
        issue_tokens(call, req->external_user, remember);
        return;
    }
    if (refresh) {
        if (h) {
            /* the spec forbids mixing both ways of logging in */
            csc_error_set(call->resp, req, CSC_ERR_LOGIN_MALFORMED);
            return;
        }
        login_with_refresh(call, refresh, remember);
        return;
    }
    if (basic && h && !strncasecmp(h, "Basic ", 6)) {
        login_with_basic(call, h + 6, remember);
        return;
    }
    csc_error_set(call->resp, req, CSC_ERR_LOGIN_MALFORMED);
}

void csc_api_auth_revoke(csc_call_t *call)
{
    const csc_request_t *req = call->req;
    const char *token = NULL, *hint = NULL;
    csc_token_t t;
    apr_status_t rv;

    if (csc_json_client_data(call->body, req, call->resp) < 0
        || csc_json_string(call->body, "token", 1, &token, req,
                           call->resp) < 0) {
        return;
    }
    if (csc_json_string(call->body, "token_type_hint", 0, &hint, req,
                        call->resp) < 0) {
        csc_error_set(call->resp, req, CSC_ERR_REVOKE_HINT);
        return;
    }
    if (hint && strcmp(hint, "access_token") && strcmp(hint, "refresh_token")) {
        csc_error_set(call->resp, req, CSC_ERR_REVOKE_HINT);
        return;
    }
    rv = csc_grant_lookup(call->env, token, &t, req->pool);
    if ((rv != APR_SUCCESS && rv != APR_TIMEUP)
        || strcmp(t.user, call->user) != 0) {
        /* someone else's token is as unknown to this caller as a forged
         * one: saying otherwise would confirm it exists */
        csc_error_set(call->resp, req, rv == APR_SUCCESS || rv == APR_TIMEUP
                      || rv == APR_NOTFOUND ? CSC_ERR_REVOKE_TOKEN
                      : CSC_ERR_UNAVAILABLE);
        return;
    }
    if (csc_grant_revoke_token(call->env, token, &t) != APR_SUCCESS) {
        csc_error_set(call->resp, req, CSC_ERR_UNAVAILABLE);
        return;
    }
    csc_respond_empty(call->resp);
}
