/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "state/csc_kv.h"
#include "authz/csc_secret.h"
#include "authz/csc_tenant.h"

#define TENANT_MAGIC 0x544e5431u   /* "TNT1" */
#define TENANT_HOURS 720
#define HOUR         apr_time_from_sec(3600)

typedef struct {
    apr_uint32_t magic;
    apr_uint32_t pad;
    apr_int64_t swept;                  /* last hour whose counter was reset */
    apr_uint32_t count[TENANT_HOURS];   /* grants gone by the hour h % 720 */
} tenant_rec_t;

typedef char tenant_rec_fits[sizeof(tenant_rec_t) <= CSC_KV_RECORD_MAX
                             ? 1 : -1];

typedef struct {
    apr_int64_t add, drop;      /* hours to count in and out (0: none) */
    int max;                    /* with add: refuse at this many (0: none) */
    int live;                   /* out */
    int full;                   /* out: add refused */
} tenant_op_t;

apr_int64_t csc_tenant_hour(apr_time_t until, apr_time_t now)
{
    apr_int64_t h = (until + HOUR - 1) / HOUR, now_h = now / HOUR;

    if (h <= now_h) {
        h = now_h + 1;
    }
    return h > now_h + TENANT_HOURS - 1 ? now_h + TENANT_HOURS - 1 : h;
}

static apr_status_t tenant_update(void *baton, const void *cur,
                                  apr_size_t curlen, apr_time_t cur_expires,
                                  void *out, apr_size_t *outlen,
                                  apr_time_t *expires,
                                  csc_kv_action_e *action)
{
    tenant_op_t *op = baton;
    tenant_rec_t *t = out;
    apr_int64_t now_h = apr_time_now() / HOUR, h;
    int live = 0, i;

    (void)cur_expires;
    op->full = 0;       /* a retry's run starts afresh (csc_kv.h) */
    if (cur && curlen == sizeof(*t)
        && ((const tenant_rec_t *)cur)->magic == TENANT_MAGIC) {
        memcpy(t, cur, sizeof(*t));
    }
    else {
        memset(t, 0, sizeof(*t));
        t->magic = TENANT_MAGIC;
        t->swept = now_h;
    }
    /* the hours that have passed: their grants are gone */
    for (h = t->swept + 1; h <= now_h && h <= t->swept + TENANT_HOURS; h++) {
        t->count[h % TENANT_HOURS] = 0;
    }
    if (now_h > t->swept) {
        t->swept = now_h;
    }
    t->count[now_h % TENANT_HOURS] = 0;
    for (i = 0; i < TENANT_HOURS; i++) {
        live += (int)t->count[i];
    }
    if (op->drop > now_h && op->drop < now_h + TENANT_HOURS
        && t->count[op->drop % TENANT_HOURS] > 0) {
        t->count[op->drop % TENANT_HOURS]--;
        live--;
    }
    if (op->add) {
        if (op->max > 0 && live >= op->max) {
            /* a verdict, not an error: nothing is written */
            op->live = live;
            op->full = 1;
            return APR_SUCCESS;
        }
        if (op->add > now_h && op->add < now_h + TENANT_HOURS) {
            t->count[op->add % TENANT_HOURS]++;
            live++;
        }
    }
    op->live = live;
    *outlen = sizeof(*t);
    *expires = (now_h + TENANT_HOURS + 1) * HOUR;
    *action = CSC_KV_STORE;
    return APR_SUCCESS;
}

static apr_status_t tenant_run(const csc_env_t *env, tenant_op_t *op)
{
    unsigned char key[CSC_SECRET_KEY_LEN];

    csc_secret_state_key(env, 'T', "tenant grants", key);
    return csc_kv_update(env->kv, key, sizeof(key), tenant_update, op);
}

csc_tenant_e csc_tenant_add(const csc_env_t *env, apr_time_t until, int max,
                            apr_int64_t *hour)
{
    tenant_op_t op;

    memset(&op, 0, sizeof(op));
    op.add = csc_tenant_hour(until, apr_time_now());
    op.max = max;
    *hour = 0;
    if (tenant_run(env, &op) != APR_SUCCESS) {
        return CSC_TENANT_ERROR;
    }
    if (op.full) {
        return CSC_TENANT_FULL;
    }
    *hour = op.add;
    return CSC_TENANT_COUNTED;
}

void csc_tenant_move(const csc_env_t *env, apr_int64_t from, apr_int64_t to)
{
    tenant_op_t op;

    if (from == to || (!from && !to)) {
        return;
    }
    memset(&op, 0, sizeof(op));
    op.drop = from;
    op.add = to;
    tenant_run(env, &op);
}

int csc_tenant_count(const csc_env_t *env)
{
    tenant_op_t op;

    memset(&op, 0, sizeof(op));
    return tenant_run(env, &op) == APR_SUCCESS ? op.live : -1;
}
