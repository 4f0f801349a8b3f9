/* SPDX-License-Identifier: Apache-2.0 */
/* The authorization server's short-lived records.  Each lives in the
 * shared state under a digest of its random secret (the request_uri, the
 * sign-in id or the code), so every process sees it, a copy of the state
 * file reveals none, and reading one for use removes it in the same
 * locked step: two browsers, tabs or clients cannot both use it. */
#include <string.h>

#include <apr_strings.h>
#include <openssl/evp.h>

#include "base/csc_log.h"
#include "oauth2/csc_oauth2_internal.h"
#include "state/csc_kv.h"

#define FLOW_MAGIC 0x4f415531u    /* "OAU1" */

typedef struct {
    apr_uint32_t magic;
    apr_uint32_t kind;
    oauth2_flow_t f;
} flow_rec_t;

typedef char flow_rec_fits[sizeof(flow_rec_t) <= CSC_KV_RECORD_MAX ? 1 : -1];

void oauth2_digest(const char *secret, unsigned char out[32])
{
    unsigned int n = 32;

    EVP_Digest(secret, strlen(secret), out, &n, csc_secret_sha256(), NULL);
}

static void flow_key(const csc_env_t *env, oauth2_flow_kind_e kind,
                     const char *secret,
                     unsigned char key[CSC_SECRET_KEY_LEN])
{
    csc_secret_state_key(env, (char)kind, secret, key);
}

typedef enum { OP_PUT, OP_TAKE, OP_GET, OP_SET, OP_REDEEM, OP_BIND } op_e;

typedef struct {
    op_e op;
    apr_uint32_t kind;
    apr_time_t expires;             /* OP_PUT */
    const oauth2_flow_t *in;        /* OP_PUT, OP_SET */
    const char *grant;              /* OP_BIND */
    oauth2_flow_t out;
    int found;                      /* out: a live record of this kind */
    int replayed;                   /* out: OP_REDEEM / OP_BIND */
} flow_op_t;

static apr_status_t flow_update(void *baton, const void *cur,
                                apr_size_t curlen, apr_time_t cur_expires,
                                void *out, apr_size_t *outlen,
                                apr_time_t *expires, csc_kv_action_e *action)
{
    flow_op_t *op = baton;
    flow_rec_t *r = out;
    const flow_rec_t *c = cur;

    (void)cur_expires;
    op->replayed = 0;   /* a retry's run starts afresh (csc_kv.h) */
    op->found = c && curlen == sizeof(*c) && c->magic == FLOW_MAGIC
                && c->kind == op->kind;
    if (op->op == OP_PUT) {
        if (cur) {
            op->found = -1;         /* a secret drawn twice */
            return APR_SUCCESS;
        }
        memset(r, 0, sizeof(*r));
        r->magic = FLOW_MAGIC;
        r->kind = op->kind;
        r->f = *op->in;
        *outlen = sizeof(*r);
        *expires = op->expires;
        *action = CSC_KV_STORE;
        return APR_SUCCESS;
    }
    if (!op->found) {
        return APR_SUCCESS;
    }
    memcpy(r, c, sizeof(*r));
    op->out = r->f;
    switch (op->op) {
    case OP_TAKE:
        *action = CSC_KV_DELETE;
        break;
    case OP_SET:
        r->f = *op->in;
        *outlen = sizeof(*r);
        *action = CSC_KV_STORE;     /* *expires 0: the current one */
        break;
    case OP_REDEEM:
        if (r->f.used) {
            r->f.replayed = 1;
            op->replayed = 1;
        }
        else {
            /* a spent code is remembered longer than it lives, so that
             * a late replay still finds the grant to revoke */
            *expires = op->expires;
        }
        r->f.used = 1;
        *outlen = sizeof(*r);
        *action = CSC_KV_STORE;
        break;
    case OP_BIND:
        apr_cpystrn(r->f.grant, op->grant, sizeof(r->f.grant));
        op->replayed = r->f.replayed;
        *outlen = sizeof(*r);
        *action = CSC_KV_STORE;
        break;
    default:
        break;
    }
    return APR_SUCCESS;
}

static apr_status_t run(const csc_env_t *env, oauth2_flow_kind_e kind,
                        const char *secret, flow_op_t *op)
{
    unsigned char key[CSC_SECRET_KEY_LEN];

    op->kind = (apr_uint32_t)kind;
    flow_key(env, kind, secret, key);
    return csc_kv_update(env->kv, key, sizeof(key), flow_update, op);
}

apr_status_t oauth2_flow_put(const csc_env_t *env, oauth2_flow_kind_e kind,
                             const oauth2_flow_t *f, int ttl,
                             const char **secret, apr_pool_t *p)
{
    flow_op_t op;
    apr_status_t rv;

    *secret = csc_secret_new(p);
    if (!*secret) {
        return APR_EGENERAL;
    }
    memset(&op, 0, sizeof(op));
    op.op = OP_PUT;
    op.in = f;
    op.expires = apr_time_now() + apr_time_from_sec(ttl);
    rv = run(env, kind, *secret, &op);
    if (rv == APR_SUCCESS && op.found == -1) {
        rv = APR_EGENERAL;
    }
    if (rv != APR_SUCCESS) {
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "oauth2: cannot keep a record in "
                "the shared state (is CSCStateSlots too small?)");
    }
    return rv;
}

static apr_status_t read_op(const csc_env_t *env, oauth2_flow_kind_e kind,
                            const char *secret, op_e which,
                            oauth2_flow_t *out)
{
    flow_op_t op;
    apr_status_t rv;

    memset(&op, 0, sizeof(op));
    op.op = which;
    rv = run(env, kind, secret, &op);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!op.found) {
        return APR_NOTFOUND;
    }
    *out = op.out;
    return APR_SUCCESS;
}

apr_status_t oauth2_flow_take(const csc_env_t *env, oauth2_flow_kind_e kind,
                              const char *secret, oauth2_flow_t *out)
{
    return read_op(env, kind, secret, OP_TAKE, out);
}

apr_status_t oauth2_flow_get(const csc_env_t *env, oauth2_flow_kind_e kind,
                             const char *secret, oauth2_flow_t *out)
{
    return read_op(env, kind, secret, OP_GET, out);
}

apr_status_t oauth2_flow_set(const csc_env_t *env, oauth2_flow_kind_e kind,
                             const char *secret, const oauth2_flow_t *f)
{
    flow_op_t op;
    apr_status_t rv;

    memset(&op, 0, sizeof(op));
    op.op = OP_SET;
    op.in = f;
    rv = run(env, kind, secret, &op);
    return rv != APR_SUCCESS ? rv : op.found ? APR_SUCCESS : APR_NOTFOUND;
}

oauth2_code_e oauth2_code_redeem(const csc_env_t *env, const char *code,
                                 oauth2_flow_t *out, apr_status_t *rv)
{
    flow_op_t op;

    memset(&op, 0, sizeof(op));
    op.op = OP_REDEEM;
    op.expires = apr_time_now() + apr_time_from_sec(OAUTH2_FLOW_TTL);
    *rv = run(env, FLOW_CODE, code, &op);
    if (*rv != APR_SUCCESS || !op.found) {
        return CODE_UNKNOWN;
    }
    *out = op.out;
    return op.replayed ? CODE_REPLAYED : CODE_REDEEMED;
}

int oauth2_code_bind(const csc_env_t *env, const char *code,
                     const char *grant)
{
    flow_op_t op;

    memset(&op, 0, sizeof(op));
    op.op = OP_BIND;
    op.grant = grant;
    if (run(env, FLOW_CODE, code, &op) != APR_SUCCESS || !op.found) {
        /* the record is gone (expired or the state failed): nobody can
         * replay it any more, and nobody could find the grant either */
        return 0;
    }
    return op.replayed;
}
