/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include <string.h>

#include <apr_strings.h>
#include <openssl/crypto.h>

#include "authz/csc_grant.h"
#include "state/csc_kv.h"
#include "base/csc_log.h"
#include "authz/csc_tenant.h"

#define GRANT_MAGIC   0x47524e33u   /* "GRN3": the compact form below */
#define USERIX_MAGIC  0x55475831u   /* "UGX1" */
#define GRANT_ID_LEN  16            /* base64url of 12 random bytes */
#define GRANT_NAME_MAX 255
#define SECRET_LEN    43            /* csc_secret_new() */
#define TOKEN_LEN     (GRANT_ID_LEN + 1 + SECRET_LEN)
#define SPENT_LEN     16            /* bytes of a spent token's digest kept */

/* Expired tokens stay known this long, so that a client is told "expired"
 * rather than "invalid" for a token it held legitimately. */
#define GRANT_GRACE apr_time_from_sec(3600)

typedef struct {
    unsigned char v[32];            /* salted digest of the token */
    apr_int64_t expires;
} grant_tok_t;

typedef struct {
    unsigned char key[CSC_SECRET_KEY_LEN];
    unsigned char pad[6];
    apr_int64_t expires;            /* when the SAD's own record goes */
} grant_sad_t;

typedef struct {
    apr_uint32_t magic;
    apr_uint32_t naccess;
    apr_uint32_t has_refresh;
    apr_uint32_t nspent;
    apr_uint32_t spent_next;        /* ring position of the next spent */
    apr_uint32_t nsads;
    apr_int64_t hard_end;           /* 0: none (a user's SAD registry) */
    apr_int64_t tenant_hour;        /* counted there (csc_tenant.h); 0: not */
    char user[GRANT_NAME_MAX + 1];
    /* the OAuth 2.0 client it was issued to; "" for auth/login */
    char client[CSC_GRANT_CLIENT_MAX + 1];
    grant_tok_t access[CSC_GRANT_ACCESS_MAX];   /* oldest first */
    grant_tok_t refresh;
    unsigned char spent[CSC_GRANT_SPENT_MAX][SPENT_LEN];
    grant_sad_t sads[CSC_GRANT_SADS_MAX];       /* oldest first */
} grant_rec_t;

typedef struct {
    char id[GRANT_ID_LEN + 1];
    char pad[7];
    apr_int64_t hard_end;
} userix_ent_t;

typedef struct {
    apr_uint32_t magic;
    apr_uint32_t n;
    userix_ent_t e[CSC_GRANT_USER_MAX];         /* oldest first */
} userix_t;

typedef char grant_rec_fits[sizeof(grant_rec_t) <= CSC_KV_RECORD_MAX
                            ? 1 : -1];
typedef char userix_fits[sizeof(userix_t) <= CSC_KV_RECORD_MAX ? 1 : -1];

/* In the state a grant takes only the entries it holds: the fixed part,
 * then naccess access tokens, the refresh token, nspent spent digests (a
 * ring fills 0..nspent-1 before it wraps) and nsads SADs.  Every request
 * reads it; the full 1.9 KB record, mostly empty, was with PostgreSQL a hex
 * text of 4 KB, a row PostgreSQL moved to TOAST and compressed. */
#define GRANT_FIXED_LEN offsetof(grant_rec_t, access)

static apr_size_t grant_packed_len(apr_uint32_t naccess, apr_uint32_t nspent,
                                   apr_uint32_t nsads)
{
    return GRANT_FIXED_LEN + naccess * sizeof(grant_tok_t)
           + sizeof(grant_tok_t) + nspent * SPENT_LEN
           + nsads * sizeof(grant_sad_t);
}

static apr_size_t grant_pack(const grant_rec_t *g, unsigned char *out)
{
    unsigned char *o = out;

    memcpy(o, g, GRANT_FIXED_LEN);
    o += GRANT_FIXED_LEN;
    memcpy(o, g->access, g->naccess * sizeof(grant_tok_t));
    o += g->naccess * sizeof(grant_tok_t);
    memcpy(o, &g->refresh, sizeof(grant_tok_t));
    o += sizeof(grant_tok_t);
    memcpy(o, g->spent, g->nspent * SPENT_LEN);
    o += g->nspent * SPENT_LEN;
    memcpy(o, g->sads, g->nsads * sizeof(grant_sad_t));
    o += g->nsads * sizeof(grant_sad_t);
    return (apr_size_t)(o - out);
}

/* 0 unless in is a grant this code wrote: its counts in range and its
 * length what they call for. */
static int grant_unpack(const void *in, apr_size_t len, grant_rec_t *g)
{
    const unsigned char *b = in;

    if (!in || len < GRANT_FIXED_LEN) {
        return 0;
    }
    memset(g, 0, sizeof(*g));
    memcpy(g, b, GRANT_FIXED_LEN);
    if (g->magic != GRANT_MAGIC || g->naccess > CSC_GRANT_ACCESS_MAX
        || g->nsads > CSC_GRANT_SADS_MAX || g->nspent > CSC_GRANT_SPENT_MAX
        || g->spent_next >= CSC_GRANT_SPENT_MAX
        || len != grant_packed_len(g->naccess, g->nspent, g->nsads)) {
        return 0;
    }
    b += GRANT_FIXED_LEN;
    memcpy(g->access, b, g->naccess * sizeof(grant_tok_t));
    b += g->naccess * sizeof(grant_tok_t);
    memcpy(&g->refresh, b, sizeof(grant_tok_t));
    b += sizeof(grant_tok_t);
    memcpy(g->spent, b, g->nspent * SPENT_LEN);
    b += g->nspent * SPENT_LEN;
    memcpy(g->sads, b, g->nsads * sizeof(grant_sad_t));
    g->user[GRANT_NAME_MAX] = '\0';
    g->client[CSC_GRANT_CLIENT_MAX] = '\0';
    return 1;
}

/* ---- keys and token text ---- */

static void grant_key(const csc_env_t *env, const char *id,
                      unsigned char key[CSC_SECRET_KEY_LEN])
{
    csc_secret_state_key(env, 'g', id, key);
}

/* The registry of SADs authorized to a user whom another module
 * authenticated: such callers hold no grant, but get the same bound. */
static void user_sads_key(const csc_env_t *env, const char *user,
                          unsigned char key[CSC_SECRET_KEY_LEN])
{
    csc_secret_state_key(env, 'x', user, key);
}

static void userix_key(const csc_env_t *env, const char *user,
                       unsigned char key[CSC_SECRET_KEY_LEN])
{
    csc_secret_state_key(env, 'u', user, key);
}

static void token_digest(const csc_env_t *env, const char *token,
                         unsigned char v[32])
{
    unsigned char key[CSC_SECRET_KEY_LEN];

    csc_secret_state_key(env, 't', token, key);
    memcpy(v, key + 2, 32);
}

static int b64url_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
        || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* The grant id of a well-formed token, or -1. */
static int token_grant(const char *token, char id[GRANT_ID_LEN + 1])
{
    int i;

    if (strlen(token) != TOKEN_LEN || token[GRANT_ID_LEN] != '.') {
        return -1;
    }
    for (i = 0; i < TOKEN_LEN; i++) {
        if (i != GRANT_ID_LEN && !b64url_char(token[i])) {
            return -1;
        }
    }
    memcpy(id, token, GRANT_ID_LEN);
    id[GRANT_ID_LEN] = '\0';
    return 0;
}

static const char *new_token(const char *id, apr_pool_t *p)
{
    const char *secret = csc_secret_new(p);

    return secret ? apr_pstrcat(p, id, ".", secret, NULL) : NULL;
}

/* ---- the grant record, changed only inside csc_kv_update ---- */

typedef enum {
    OP_CREATE,       /* login */
    OP_REFRESH,      /* a new access token for a refresh token */
    OP_REVOKE_TOKEN,
    OP_DELETE,       /* end the grant */
    OP_ADD_SAD
} grant_op_e;

typedef struct {
    grant_op_e op;
    apr_time_t now;
    const grant_rec_t *init;        /* OP_CREATE */
    unsigned char v[32];            /* the token presented */
    grant_tok_t access;             /* the access token to add */
    grant_tok_t refresh;            /* with rotate: the successor */
    int rotate;
    grant_sad_t sad;                /* OP_ADD_SAD */
    int create;                     /* OP_ADD_SAD: a user's registry */
    const char *user;               /* for a registry created here */
    const char *client;             /* OP_REFRESH: who presents it */
    /* out: SAD records that lost their grant, to delete after the lock */
    unsigned char gone[CSC_GRANT_SADS_MAX][CSC_SECRET_KEY_LEN];
    int ngone;
    apr_int64_t tenant_from, tenant_to;     /* out: the tenant count moves */
    char user_out[GRANT_NAME_MAX + 1];
    csc_grant_result_e verdict;     /* out: the callback's decision */
} grant_op_t;

static int tok_live(const grant_tok_t *t, apr_time_t now)
{
    return t->expires + GRANT_GRACE > now;
}

/* Drops what has passed its grace and returns the kv expiry the record
 * needs, or 0 when nothing in it is alive any more. */
static apr_time_t grant_prune(grant_rec_t *g, apr_time_t now)
{
    apr_time_t end = 0;
    apr_uint32_t i, n;

    for (i = n = 0; i < g->naccess; i++) {
        if (tok_live(&g->access[i], now)) {
            g->access[n++] = g->access[i];
        }
    }
    g->naccess = n;
    for (i = n = 0; i < g->nsads; i++) {
        if (g->sads[i].expires > now) {
            g->sads[n++] = g->sads[i];
        }
    }
    g->nsads = n;
    if (g->has_refresh && !tok_live(&g->refresh, now)) {
        g->has_refresh = 0;
    }
    for (i = 0; i < g->naccess; i++) {
        end = g->access[i].expires + GRANT_GRACE > end
            ? g->access[i].expires + GRANT_GRACE : end;
    }
    if (g->has_refresh && g->refresh.expires + GRANT_GRACE > end) {
        end = g->refresh.expires + GRANT_GRACE;
    }
    for (i = 0; i < g->nsads; i++) {
        end = g->sads[i].expires > end ? g->sads[i].expires : end;
    }
    return end;
}

/* The grant record goes: its SADs are deleted after the lock, and it no
 * longer counts for its tenant. */
static void end_grant(grant_op_t *op, const grant_rec_t *g,
                      csc_kv_action_e *action)
{
    apr_uint32_t i;

    for (i = 0; i < g->nsads && op->ngone < CSC_GRANT_SADS_MAX; i++) {
        memcpy(op->gone[op->ngone++], g->sads[i].key, CSC_SECRET_KEY_LEN);
    }
    op->tenant_from = g->tenant_hour;
    op->tenant_to = 0;
    *action = CSC_KV_DELETE;
}

static void add_access(grant_rec_t *g, const grant_tok_t *t)
{
    if (g->naccess == CSC_GRANT_ACCESS_MAX) {
        /* the oldest access token of this grant makes room */
        memmove(&g->access[0], &g->access[1],
                (CSC_GRANT_ACCESS_MAX - 1) * sizeof(g->access[0]));
        g->naccess--;
    }
    g->access[g->naccess++] = *t;
}

static int is_spent(const grant_rec_t *g, const unsigned char v[32])
{
    apr_uint32_t i;

    for (i = 0; i < g->nspent; i++) {
        if (!CRYPTO_memcmp(g->spent[i], v, SPENT_LEN)) {
            return 1;
        }
    }
    return 0;
}

static csc_grant_result_e grant_refresh_op(grant_rec_t *g, grant_op_t *op,
                                           csc_kv_action_e *action)
{
    if (strcmp(g->client, op->client) != 0) {
        /* another client's refresh token (RFC 6749 6: bound to the
         * client it was issued to), or an auth/login one at the token
         * endpoint: unknown to this caller, and left alone */
        return CSC_GRANT_UNKNOWN;
    }
    if (!g->has_refresh || CRYPTO_memcmp(g->refresh.v, op->v, 32) != 0) {
        if (is_spent(g, op->v)) {
            /* RFC 9700 4.14.2: whoever holds a rotated refresh token
             * may be a thief, so the grant ends for both holders */
            end_grant(op, g, action);
            return CSC_GRANT_REPLAYED;
        }
        return CSC_GRANT_UNKNOWN;
    }
    if (g->refresh.expires <= op->now || g->hard_end <= op->now) {
        return CSC_GRANT_UNKNOWN;
    }
    if (op->access.expires > g->hard_end) {
        op->access.expires = g->hard_end;
    }
    add_access(g, &op->access);
    if (op->rotate) {
        memcpy(g->spent[g->spent_next], g->refresh.v, SPENT_LEN);
        g->spent_next = (g->spent_next + 1) % CSC_GRANT_SPENT_MAX;
        if (g->nspent < CSC_GRANT_SPENT_MAX) {
            g->nspent++;
        }
        g->refresh = op->refresh;
        if (g->refresh.expires > g->hard_end) {
            g->refresh.expires = g->hard_end;
        }
        op->refresh.expires = g->refresh.expires;
    }
    return CSC_GRANT_OK;
}

static csc_grant_result_e grant_revoke_token_op(grant_rec_t *g,
                                                grant_op_t *op,
                                                csc_kv_action_e *action)
{
    apr_uint32_t i;

    if (g->has_refresh && !CRYPTO_memcmp(g->refresh.v, op->v, 32)) {
        end_grant(op, g, action);
        return CSC_GRANT_OK;
    }
    for (i = 0; i < g->naccess; i++) {
        if (!CRYPTO_memcmp(g->access[i].v, op->v, 32)) {
            break;
        }
    }
    if (i == g->naccess) {
        return CSC_GRANT_UNKNOWN;
    }
    memmove(&g->access[i], &g->access[i + 1],
            (g->naccess - i - 1) * sizeof(g->access[0]));
    g->naccess--;
    if (g->naccess == 0 && !g->has_refresh) {
        /* the last token of a login ends the login, SADs and all */
        end_grant(op, g, action);
    }
    return CSC_GRANT_OK;
}

static apr_status_t grant_update(void *baton, const void *cur,
                                 apr_size_t curlen, apr_time_t cur_expires,
                                 void *out, apr_size_t *outlen,
                                 apr_time_t *expires,
                                 csc_kv_action_e *action)
{
    grant_op_t *op = baton;
    grant_rec_t rec, *g = &rec;
    apr_time_t end;

    (void)cur_expires;
    /* every decision goes into op->verdict; what is returned is
     * APR_SUCCESS, and *action says what the state keeps.  A run starts
     * from nothing a run before it found (csc_kv.h: a retry runs it
     * again on a newer record). */
    op->verdict = CSC_GRANT_UNKNOWN;
    op->ngone = 0;
    op->tenant_from = op->tenant_to = 0;
    op->user_out[0] = '\0';
    if (op->op == OP_CREATE) {
        if (cur) {
            op->verdict = CSC_GRANT_STATE_ERROR;    /* an id drawn twice */
            return APR_SUCCESS;
        }
        memcpy(g, op->init, sizeof(*g));
    }
    else if (cur) {
        if (!grant_unpack(cur, curlen, g)) {
            return APR_SUCCESS;    /* not a record this code wrote */
        }
    }
    else if (op->op == OP_ADD_SAD && op->create && !cur) {
        memset(g, 0, sizeof(*g));
        g->magic = GRANT_MAGIC;
        apr_cpystrn(g->user, op->user, sizeof(g->user));
    }
    else {
        return APR_SUCCESS;
    }
    apr_cpystrn(op->user_out, g->user, sizeof(op->user_out));
    op->verdict = CSC_GRANT_OK;
    switch (op->op) {
    case OP_CREATE:
        break;
    case OP_REFRESH:
        op->verdict = grant_refresh_op(g, op, action);
        break;
    case OP_REVOKE_TOKEN:
        op->verdict = grant_revoke_token_op(g, op, action);
        break;
    case OP_DELETE:
        end_grant(op, g, action);
        return APR_SUCCESS;
    case OP_ADD_SAD:
        if (g->hard_end && g->hard_end <= op->now) {
            op->verdict = CSC_GRANT_UNKNOWN;
            return APR_SUCCESS;
        }
        grant_prune(g, op->now);
        if (g->nsads == CSC_GRANT_SADS_MAX) {
            /* this grant's oldest SAD makes room for the new one */
            memcpy(op->gone[op->ngone++], g->sads[0].key,
                   CSC_SECRET_KEY_LEN);
            memmove(&g->sads[0], &g->sads[1],
                    (CSC_GRANT_SADS_MAX - 1) * sizeof(g->sads[0]));
            g->nsads--;
        }
        g->sads[g->nsads++] = op->sad;
        break;
    }
    if (op->verdict != CSC_GRANT_OK || *action == CSC_KV_DELETE) {
        return APR_SUCCESS;
    }
    end = grant_prune(g, op->now);
    if (end == 0) {
        end_grant(op, g, action);
        return APR_SUCCESS;
    }
    if (g->tenant_hour) {
        /* a life extended by a refresh counts in its new hour */
        op->tenant_from = g->tenant_hour;
        op->tenant_to = g->tenant_hour = csc_tenant_hour(end, op->now);
    }
    *expires = end;
    *outlen = grant_pack(g, out);
    *action = CSC_KV_STORE;
    return APR_SUCCESS;
}

static void drop_sads(const csc_env_t *env, const grant_op_t *op)
{
    int i;

    for (i = 0; i < op->ngone; i++) {
        csc_kv_del(env->kv, op->gone[i], CSC_SECRET_KEY_LEN);
    }
}

/* Runs op on the record at key; what the op freed is deleted after.
 * The state's own failure is the return value; the decision is in
 * op->verdict (CSC_GRANT_STATE_ERROR when the state failed). */
static apr_status_t grant_run(const csc_env_t *env,
                              const unsigned char key[CSC_SECRET_KEY_LEN],
                              grant_op_t *op)
{
    apr_status_t rv;

    op->now = apr_time_now();
    op->verdict = CSC_GRANT_STATE_ERROR;
    rv = csc_kv_update(env->kv, key, CSC_SECRET_KEY_LEN, grant_update, op);
    if (rv != APR_SUCCESS) {
        op->verdict = CSC_GRANT_STATE_ERROR;
        return rv;
    }
    drop_sads(env, op);
    csc_tenant_move(env, op->tenant_from, op->tenant_to);
    return APR_SUCCESS;
}

/* For the calls whose contract is an apr_status_t: a grant that is not
 * there is APR_NOTFOUND, as for any other missing key. */
static apr_status_t grant_run_status(const csc_env_t *env,
                                     const unsigned char
                                     key[CSC_SECRET_KEY_LEN],
                                     grant_op_t *op)
{
    apr_status_t rv = grant_run(env, key, op);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    return op->verdict == CSC_GRANT_OK ? APR_SUCCESS
         : op->verdict == CSC_GRANT_STATE_ERROR ? APR_EGENERAL
         : APR_NOTFOUND;
}

/* ---- a user's index of grants ---- */

typedef struct {
    int take_all;                   /* revoke-user: empty the index */
    const char *id;                 /* the grant to add */
    apr_int64_t hard_end;
    int max;
    apr_time_t now;
    char gone[CSC_GRANT_USER_MAX][GRANT_ID_LEN + 1];
    int ngone;
} userix_op_t;

static apr_status_t userix_update(void *baton, const void *cur,
                                  apr_size_t curlen, apr_time_t cur_expires,
                                  void *out, apr_size_t *outlen,
                                  apr_time_t *expires,
                                  csc_kv_action_e *action)
{
    userix_op_t *op = baton;
    userix_t *ix = out;
    apr_uint32_t i, n;
    apr_int64_t end = 0;

    (void)cur_expires;
    op->ngone = 0;      /* a retry's run starts afresh (csc_kv.h) */
    if (cur && curlen == sizeof(*ix)
        && ((const userix_t *)cur)->magic == USERIX_MAGIC) {
        memcpy(ix, cur, sizeof(*ix));
    }
    else {
        memset(ix, 0, sizeof(*ix));
        ix->magic = USERIX_MAGIC;
    }
    if (ix->n > CSC_GRANT_USER_MAX) {
        ix->n = CSC_GRANT_USER_MAX;
    }
    if (op->take_all) {
        for (i = 0; i < ix->n; i++) {
            memcpy(op->gone[op->ngone++], ix->e[i].id, GRANT_ID_LEN + 1);
        }
        *action = cur ? CSC_KV_DELETE : CSC_KV_KEEP;
        return APR_SUCCESS;
    }
    for (i = n = 0; i < ix->n; i++) {
        if (ix->e[i].hard_end > op->now) {
            ix->e[n++] = ix->e[i];
        }
    }
    ix->n = n;
    while (ix->n >= (apr_uint32_t)op->max) {
        /* the user's oldest login goes first */
        memcpy(op->gone[op->ngone++], ix->e[0].id, GRANT_ID_LEN + 1);
        memmove(&ix->e[0], &ix->e[1], (ix->n - 1) * sizeof(ix->e[0]));
        ix->n--;
    }
    memset(&ix->e[ix->n], 0, sizeof(ix->e[0]));
    memcpy(ix->e[ix->n].id, op->id, GRANT_ID_LEN);
    ix->e[ix->n].hard_end = op->hard_end;
    ix->n++;
    for (i = 0; i < ix->n; i++) {
        end = ix->e[i].hard_end > end ? ix->e[i].hard_end : end;
    }
    *expires = end;
    *outlen = sizeof(*ix);
    *action = CSC_KV_STORE;
    return APR_SUCCESS;
}

/* ---- public ---- */

static void fill_tok(const csc_env_t *env, const char *token,
                     apr_time_t expires, grant_tok_t *t)
{
    memset(t, 0, sizeof(*t));
    token_digest(env, token, t->v);
    t->expires = expires;
}

static int seconds_left(apr_time_t until, apr_time_t now)
{
    return until > now ? (int)apr_time_sec(until - now + APR_USEC_PER_SEC - 1)
                       : 0;
}

csc_grant_result_e csc_grant_login(const csc_env_t *env, const char *user,
                                   const char **access,
                                   const char **refresh, int *expires_in,
                                   apr_pool_t *p)
{
    return csc_grant_login_client(env, user, NULL, access, refresh,
                                  expires_in, NULL, p);
}

csc_grant_result_e csc_grant_login_client(const csc_env_t *env,
                                          const char *user,
                                          const char *client,
                                          const char **access,
                                          const char **refresh,
                                          int *expires_in,
                                          const char **grant, apr_pool_t *p)
{
    const csc_cfg_t *cfg = env->cfg;
    unsigned char key[CSC_SECRET_KEY_LEN];
    apr_time_t now = apr_time_now();
    grant_rec_t *init;
    grant_op_t *op;
    userix_op_t *ix;
    const char *id, *acc, *ref = NULL;
    apr_status_t rv;
    int i;

    if (!client) {
        client = "";
    }
    if (strlen(user) > GRANT_NAME_MAX || strlen(client) > CSC_GRANT_CLIENT_MAX) {
        return CSC_GRANT_STATE_ERROR;   /* no record can hold the name */
    }
    id = csc_secret_random(12, p);
    acc = id ? new_token(id, p) : NULL;
    if (!acc || (refresh && !(ref = new_token(id, p)))) {
        return CSC_GRANT_STATE_ERROR;
    }
    init = apr_pcalloc(p, sizeof(*init));
    init->magic = GRANT_MAGIC;
    init->hard_end = now + apr_time_from_sec(csc_cfg_grant_lifetime(cfg));
    apr_cpystrn(init->user, user, sizeof(init->user));
    apr_cpystrn(init->client, client, sizeof(init->client));
    fill_tok(env, acc, now + apr_time_from_sec(csc_cfg_token_lifetime(cfg)),
             &init->access[0]);
    if (init->access[0].expires > init->hard_end) {
        init->access[0].expires = init->hard_end;
    }
    init->naccess = 1;
    if (ref) {
        fill_tok(env, ref,
                 now + apr_time_from_sec(csc_cfg_refresh_lifetime(cfg)),
                 &init->refresh);
        if (init->refresh.expires > init->hard_end) {
            init->refresh.expires = init->hard_end;
        }
        init->has_refresh = 1;
    }
    /* every login counts for its tenant, so that a quota set later
     * finds the count right */
    {
        grant_rec_t copy = *init;

        switch (csc_tenant_add(env, grant_prune(&copy, now),
                               csc_cfg_max_tenant_grants(cfg),
                               &init->tenant_hour)) {
        case CSC_TENANT_COUNTED:
            break;
        case CSC_TENANT_FULL:
            csc_log(CSC_LOG_MARK, CSC_LOG_WARNING, "auth/login: the tenant "
                    "holds CSCMaxGrantsPerTenant logins; refusing one for "
                    "'%s'", user);
            return CSC_GRANT_TENANT_FULL;
        default:
            return CSC_GRANT_STATE_ERROR;
        }
    }
    op = apr_pcalloc(p, sizeof(*op));
    op->op = OP_CREATE;
    op->init = init;
    grant_key(env, id, key);
    if (grant_run(env, key, op) != APR_SUCCESS
        || op->verdict != CSC_GRANT_OK) {
        csc_tenant_move(env, init->tenant_hour, 0);
        return CSC_GRANT_STATE_ERROR;
    }
    ix = apr_pcalloc(p, sizeof(*ix));
    ix->id = id;
    ix->hard_end = init->hard_end;
    ix->max = csc_cfg_max_grants(cfg);
    ix->now = now;
    userix_key(env, user, key);
    rv = csc_kv_update(env->kv, key, CSC_SECRET_KEY_LEN, userix_update, ix);
    if (rv != APR_SUCCESS) {
        /* a login the index cannot account for must not exist */
        csc_grant_revoke(env, id);
        return CSC_GRANT_STATE_ERROR;
    }
    for (i = 0; i < ix->ngone; i++) {
        csc_grant_revoke(env, ix->gone[i]);
    }
    *access = acc;
    if (refresh) {
        *refresh = ref;
    }
    *expires_in = seconds_left(init->access[0].expires, now);
    if (grant) {
        *grant = id;
    }
    return CSC_GRANT_OK;
}

csc_grant_result_e csc_grant_refresh(const csc_env_t *env,
                                     const char *refresh, const char **user,
                                     const char **access,
                                     const char **new_refresh,
                                     int *expires_in, apr_pool_t *p)
{
    return csc_grant_refresh_client(env, refresh, NULL, user, access,
                                    new_refresh, expires_in, p);
}

csc_grant_result_e csc_grant_refresh_client(const csc_env_t *env,
                                            const char *refresh,
                                            const char *client,
                                            const char **user,
                                            const char **access,
                                            const char **new_refresh,
                                            int *expires_in, apr_pool_t *p)
{
    const csc_cfg_t *cfg = env->cfg;
    unsigned char key[CSC_SECRET_KEY_LEN];
    char id[GRANT_ID_LEN + 1];
    apr_time_t now = apr_time_now();
    const char *acc, *ref = NULL;
    grant_op_t *op;

    if (token_grant(refresh, id) != 0) {
        return CSC_GRANT_UNKNOWN;
    }
    acc = new_token(id, p);
    if (!acc || (new_refresh && !(ref = new_token(id, p)))) {
        return CSC_GRANT_STATE_ERROR;
    }
    op = apr_pcalloc(p, sizeof(*op));
    op->op = OP_REFRESH;
    op->client = client ? client : "";
    token_digest(env, refresh, op->v);
    fill_tok(env, acc, now + apr_time_from_sec(csc_cfg_token_lifetime(cfg)),
             &op->access);
    if (ref) {
        op->rotate = 1;
        fill_tok(env, ref,
                 now + apr_time_from_sec(csc_cfg_refresh_lifetime(cfg)),
                 &op->refresh);
    }
    grant_key(env, id, key);
    grant_run(env, key, op);
    if (op->verdict == CSC_GRANT_REPLAYED) {
        csc_log(CSC_LOG_MARK, CSC_LOG_WARNING, "%s: a rotated refresh "
                "token of user '%s' was presented again; its login has been "
                "revoked", *op->client ? "oauth2/token" : "auth/login",
                op->user_out);
    }
    if (op->verdict != CSC_GRANT_OK) {
        return op->verdict;
    }
    *user = apr_pstrdup(p, op->user_out);
    *access = acc;
    if (new_refresh) {
        *new_refresh = ref;
    }
    *expires_in = seconds_left(op->access.expires, now);
    return CSC_GRANT_OK;
}

apr_status_t csc_grant_lookup(const csc_env_t *env, const char *token,
                              csc_token_t *out, apr_pool_t *p)
{
    unsigned char key[CSC_SECRET_KEY_LEN], v[32];
    char id[GRANT_ID_LEN + 1];
    grant_rec_t rec, *g = &rec;
    unsigned char buf[sizeof(grant_rec_t)];
    const grant_tok_t *t = NULL;
    apr_time_t now = apr_time_now();
    apr_size_t len;
    apr_uint32_t i;
    apr_status_t rv;

    if (token_grant(token, id) != 0) {
        return APR_NOTFOUND;
    }
    grant_key(env, id, key);
    rv = csc_kv_get(env->kv, key, sizeof(key), buf, sizeof(buf), &len, NULL);
    if (rv == APR_ENOSPC) {
        return APR_NOTFOUND;
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!grant_unpack(buf, len, g)) {
        return APR_NOTFOUND;
    }
    token_digest(env, token, v);
    for (i = 0; i < g->naccess && i < CSC_GRANT_ACCESS_MAX; i++) {
        if (!CRYPTO_memcmp(g->access[i].v, v, 32)) {
            t = &g->access[i];
            out->kind = CSC_TOKEN_ACCESS;
        }
    }
    if (!t && g->has_refresh && !CRYPTO_memcmp(g->refresh.v, v, 32)) {
        t = &g->refresh;
        out->kind = CSC_TOKEN_REFRESH;
    }
    if (!t || !tok_live(t, now)) {
        return APR_NOTFOUND;
    }
    out->user = apr_pstrdup(p, g->user);
    out->client = apr_pstrdup(p, g->client);
    out->grant = apr_pstrdup(p, id);
    out->expires = t->expires;
    return t->expires <= now || g->hard_end <= now ? APR_TIMEUP
                                                   : APR_SUCCESS;
}

apr_status_t csc_grant_revoke_token(const csc_env_t *env, const char *token,
                                    const csc_token_t *info)
{
    unsigned char key[CSC_SECRET_KEY_LEN];
    grant_op_t op;
    apr_status_t rv;

    memset(&op, 0, sizeof(op));
    op.op = OP_REVOKE_TOKEN;
    token_digest(env, token, op.v);
    grant_key(env, info->grant, key);
    rv = grant_run_status(env, key, &op);
    return rv == APR_NOTFOUND ? APR_SUCCESS : rv;
}

apr_status_t csc_grant_revoke(const csc_env_t *env, const char *grant)
{
    unsigned char key[CSC_SECRET_KEY_LEN];
    grant_op_t op;

    memset(&op, 0, sizeof(op));
    op.op = OP_DELETE;
    grant_key(env, grant, key);
    return grant_run_status(env, key, &op);
}

apr_status_t csc_grant_add_sad(const csc_env_t *env, const char *grant,
                               const char *user,
                               const unsigned char key[CSC_SECRET_KEY_LEN],
                               apr_time_t expires)
{
    unsigned char gkey[CSC_SECRET_KEY_LEN];
    grant_op_t op;

    memset(&op, 0, sizeof(op));
    op.op = OP_ADD_SAD;
    memcpy(op.sad.key, key, CSC_SECRET_KEY_LEN);
    op.sad.expires = expires;
    if (grant) {
        grant_key(env, grant, gkey);
    }
    else {
        if (strlen(user) > GRANT_NAME_MAX) {
            return APR_EINVAL;
        }
        op.create = 1;
        op.user = user;
        user_sads_key(env, user, gkey);
    }
    return grant_run_status(env, gkey, &op);
}

apr_status_t csc_grant_revoke_user(const csc_env_t *env, const char *user,
                                   int *count)
{
    unsigned char key[CSC_SECRET_KEY_LEN];
    userix_op_t ix;
    grant_op_t op;
    apr_status_t rv, grv;
    int i, n = 0;

    memset(&ix, 0, sizeof(ix));
    ix.take_all = 1;
    userix_key(env, user, key);
    rv = csc_kv_update(env->kv, key, CSC_SECRET_KEY_LEN, userix_update, &ix);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    for (i = 0; i < ix.ngone; i++) {
        grv = csc_grant_revoke(env, ix.gone[i]);
        if (grv == APR_SUCCESS) {
            n++;
        }
        else if (grv != APR_NOTFOUND) {
            rv = grv;
        }
    }
    memset(&op, 0, sizeof(op));
    op.op = OP_DELETE;
    user_sads_key(env, user, key);
    grv = grant_run_status(env, key, &op);
    if (grv != APR_SUCCESS && grv != APR_NOTFOUND) {
        rv = grv;
    }
    if (count) {
        *count = n;
    }
    return rv;
}
