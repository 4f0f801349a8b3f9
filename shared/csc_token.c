/* SPDX-License-Identifier: Apache-2.0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "csc_kv.h"
#include "csc_secret.h"
#include "csc_token.h"

/* Expired records stay this long so that a client is told "expired"
 * rather than "invalid" for a token it held legitimately. */
#define CSC_TOKEN_GRACE apr_time_from_sec(3600)

static void grant_key(const char *grant, char *key, apr_size_t size)
{
    snprintf(key, size, "g:%s", grant);
}

apr_status_t csc_token_issue(const csc_env_t *env, char kind,
                             const char *user, const char *grant,
                             int lifetime, const char **token,
                             csc_token_t *info, apr_pool_t *p)
{
    unsigned char key[CSC_SECRET_KEY_LEN];
    char gkey[72];
    const char *tok, *rec;
    apr_time_t now = apr_time_now();
    apr_time_t expires = now + apr_time_from_sec(lifetime);
    apr_time_t gexp = 0;
    apr_size_t glen;
    char gval[8];
    apr_status_t rv;

    tok = csc_secret_new(p);
    if (!tok) {
        return APR_EGENERAL;
    }
    if (!grant) {
        grant = csc_secret_random(12, p);
        if (!grant) {
            return APR_EGENERAL;
        }
    }
    grant_key(grant, gkey, sizeof(gkey));
    /* The grant lives as long as its longest-lived token. */
    rv = csc_kv_get(env->kv, gkey, strlen(gkey), gval, sizeof(gval), &glen,
                    &gexp);
    if (rv == APR_NOTFOUND || gexp < expires + CSC_TOKEN_GRACE) {
        rv = csc_kv_put(env->kv, gkey, strlen(gkey), "1", 1,
                        expires + CSC_TOKEN_GRACE);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    else if (rv != APR_SUCCESS) {
        return rv;
    }
    rec = apr_psprintf(p, "%c %" APR_TIME_T_FMT " %s %s", kind,
                       apr_time_sec(expires), grant, user);
    csc_secret_state_key(env, 't', tok, key);
    rv = csc_kv_put(env->kv, key, sizeof(key), rec, strlen(rec),
                    expires + CSC_TOKEN_GRACE);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *token = tok;
    if (info) {
        info->kind = kind;
        info->user = user;
        info->grant = grant;
        info->expires = expires;
    }
    return APR_SUCCESS;
}

apr_status_t csc_token_lookup(const csc_env_t *env, const char *token,
                              csc_token_t *out, apr_pool_t *p)
{
    unsigned char key[CSC_SECRET_KEY_LEN];
    char buf[CSC_KV_VALUE_MAX + 1], gkey[72], grant[64], gval[8];
    apr_size_t len, glen;
    apr_time_t kvexp;
    apr_int64_t exp_sec;
    int off = 0;
    apr_status_t rv;

    if (strlen(token) > 256) {
        return APR_NOTFOUND;
    }
    csc_secret_state_key(env, 't', token, key);
    rv = csc_kv_get(env->kv, key, sizeof(key), buf, sizeof(buf) - 1, &len,
                    &kvexp);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    buf[len] = '\0';
    if (sscanf(buf, "%c %" APR_INT64_T_FMT " %63s %n", &out->kind, &exp_sec,
               grant, &off) != 3 || off == 0) {
        return APR_NOTFOUND;
    }
    out->user = apr_pstrdup(p, buf + off);
    out->grant = apr_pstrdup(p, grant);
    out->expires = apr_time_from_sec(exp_sec);
    grant_key(grant, gkey, sizeof(gkey));
    rv = csc_kv_get(env->kv, gkey, strlen(gkey), gval, sizeof(gval), &glen,
                    NULL);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return out->expires <= apr_time_now() ? APR_TIMEUP : APR_SUCCESS;
}

apr_status_t csc_token_revoke(const csc_env_t *env, const char *token,
                              const csc_token_t *info, int with_grant)
{
    unsigned char key[CSC_SECRET_KEY_LEN];
    char gkey[72];
    apr_status_t rv;

    csc_secret_state_key(env, 't', token, key);
    rv = csc_kv_del(env->kv, key, sizeof(key));
    if (with_grant) {
        grant_key(info->grant, gkey, sizeof(gkey));
        csc_kv_del(env->kv, gkey, strlen(gkey));
    }
    return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
}
