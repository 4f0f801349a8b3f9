/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include <apr_strings.h>

#include "state/csc_kv.h"
#include "authz/csc_limit.h"
#include "base/csc_log.h"
#include "authz/csc_secret.h"

typedef struct {
    apr_int64_t interval;       /* one event's share of a minute (us) */
    apr_int64_t burst;          /* how far ahead the arrival time may run */
    int give;                   /* 1: give one back */
    apr_time_t now;
    apr_int64_t wait;           /* out: until one is free (us) */
    int denied;                 /* out: none is free now */
} limit_op_t;

static apr_status_t limit_update(void *baton, const void *cur,
                                 apr_size_t curlen, apr_time_t cur_expires,
                                 void *out, apr_size_t *outlen,
                                 apr_time_t *expires,
                                 csc_kv_action_e *action)
{
    limit_op_t *op = baton;
    apr_int64_t tat = op->now;

    (void)cur_expires;
    op->wait = 0;       /* a retry's run starts afresh (csc_kv.h) */
    op->denied = 0;
    if (cur && curlen == sizeof(tat)) {
        memcpy(&tat, cur, sizeof(tat));
    }
    if (tat < op->now) {
        tat = op->now;
    }
    if (op->give) {
        if (!cur) {
            return APR_SUCCESS;
        }
        tat -= op->interval;
        if (tat < op->now) {
            tat = op->now;
        }
    }
    else {
        if (tat - op->now > op->burst) {
            /* a verdict, not an error: nothing is written */
            op->wait = tat - op->burst - op->now;
            op->denied = 1;
            return APR_SUCCESS;
        }
        tat += op->interval;
    }
    memcpy(out, &tat, sizeof(tat));
    *outlen = sizeof(tat);
    *expires = tat + apr_time_from_sec(1);
    *action = CSC_KV_STORE;
    return APR_SUCCESS;
}

static apr_status_t limit_run(const csc_env_t *env, char kind,
                              const char *subject, int per_minute,
                              limit_op_t *op)
{
    unsigned char key[CSC_SECRET_KEY_LEN];
    char name[1024];

    op->interval = apr_time_from_sec(60) / per_minute;
    op->burst = op->interval * (per_minute - 1);
    op->now = apr_time_now();
    /* locations with other limits keep other counts: one arrival time
     * means nothing against another rate */
    apr_snprintf(name, sizeof(name), "%d\n%s", per_minute,
                 subject ? subject : "");
    csc_secret_state_key(env, kind, name, key);
    return csc_kv_update(env->kv, key, sizeof(key), limit_update, op);
}

csc_limit_e csc_limit_take(const csc_env_t *env, char kind,
                           const char *subject, int per_minute,
                           int *retry_after)
{
    limit_op_t op;
    apr_status_t rv;

    if (per_minute <= 0) {
        return CSC_LIMIT_OK;
    }
    memset(&op, 0, sizeof(op));
    rv = limit_run(env, kind, subject, per_minute, &op);
    if (rv == APR_SUCCESS && op.denied) {
        *retry_after = (int)((op.wait + APR_USEC_PER_SEC - 1)
                             / APR_USEC_PER_SEC);
        if (*retry_after < 1) {
            *retry_after = 1;
        }
        return CSC_LIMIT_DENIED;
    }
    if (rv != APR_SUCCESS) {
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "throttle: the shared state "
                "failed (%d)", rv);
        return CSC_LIMIT_ERROR;
    }
    return CSC_LIMIT_OK;
}

void csc_limit_give(const csc_env_t *env, char kind, const char *subject,
                    int per_minute)
{
    limit_op_t op;

    if (per_minute <= 0) {
        return;
    }
    memset(&op, 0, sizeof(op));
    op.give = 1;
    limit_run(env, kind, subject, per_minute, &op);
}
