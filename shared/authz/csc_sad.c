/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "authz/csc_grant.h"
#include "state/csc_kv.h"
#include "base/csc_log.h"
#include "authz/csc_sad.h"
#include "authz/csc_secret.h"

/* A spent or expired SAD stays known this long, so that its holder is
 * told "SAD expired" instead of "invalid", and so a refund can restore a
 * budget that reached zero. */
#define SAD_GRACE apr_time_from_sec(600)
#define SAD_MAGIC 0x53414432u   /* "SAD2": the compact form below */

typedef struct {
    apr_uint32_t magic;
    apr_int32_t remaining;
    apr_int64_t expires;                      /* apr_time_t */
    apr_uint32_t nhashes;                     /* 0: not bound to hashes */
    char user[CSC_SAD_MAX_NAME + 1];
    char credential[CSC_SAD_MAX_NAME + 1];
    char hash_oid[48];                        /* "" when not bound */
    char grant[24];                           /* "": no grant (external) */
    unsigned char used[CSC_SAD_MAX_HASHES];
    unsigned char fp[CSC_SAD_MAX_HASHES][32]; /* SHA-256 of each digest */
} sad_record_t;

typedef char sad_record_fits[sizeof(sad_record_t) <= CSC_KV_RECORD_MAX
                             ? 1 : -1];

/* In the state a record takes only the hashes it is bound to: the fixed
 * part, then used[] and fp[] cut to nhashes.  Every signHash rewrites it,
 * and the full 3.9 KB (mostly zeros for a SAD of one or no hash) cost a
 * 4 KB copy in the shared memory and, with PostgreSQL, a hex text of
 * 8 KB each way, a TOASTed and compressed row, and its WAL. */
#define SAD_FIXED_LEN offsetof(sad_record_t, used)
#define SAD_HASH_LEN (1 + 32)

static apr_size_t sad_pack(const sad_record_t *rec, unsigned char *out)
{
    apr_size_t n = rec->nhashes;

    memcpy(out, rec, SAD_FIXED_LEN);
    memcpy(out + SAD_FIXED_LEN, rec->used, n);
    memcpy(out + SAD_FIXED_LEN + n, rec->fp, n * 32);
    return SAD_FIXED_LEN + n * SAD_HASH_LEN;
}

/* 0 unless len is exactly what the record's nhashes calls for. */
static int sad_unpack(const void *in, apr_size_t len, sad_record_t *rec)
{
    const unsigned char *b = in;
    apr_size_t n;

    if (!in || len < SAD_FIXED_LEN) {
        return 0;
    }
    memset(rec, 0, sizeof(*rec));
    memcpy(rec, b, SAD_FIXED_LEN);
    n = rec->nhashes;
    if (rec->magic != SAD_MAGIC || n > CSC_SAD_MAX_HASHES
        || len != SAD_FIXED_LEN + n * SAD_HASH_LEN) {
        return 0;
    }
    memcpy(rec->used, b + SAD_FIXED_LEN, n);
    memcpy(rec->fp, b + SAD_FIXED_LEN + n, n * 32);
    /* the names are compared and copied as strings */
    rec->user[CSC_SAD_MAX_NAME] = rec->credential[CSC_SAD_MAX_NAME] = '\0';
    rec->hash_oid[sizeof(rec->hash_oid) - 1] = '\0';
    rec->grant[sizeof(rec->grant) - 1] = '\0';
    return 1;
}

/* Digests are compared through a fingerprint: equal bytes, whatever
 * base64 alphabet carried them, give equal fingerprints. */
static void fingerprint(const csc_digest_t *d, unsigned char out[32])
{
    unsigned int n = 32;

    EVP_Digest(d->data, d->len, out, &n, csc_secret_sha256(), NULL);
}

/* Stores a SAD record and files it under its grant, which bounds how
 * many one login can hold; a grant that went away meanwhile takes the new
 * SAD with it. */
static apr_status_t sad_store(const csc_env_t *env, const char *secret,
                              const sad_record_t *rec)
{
    unsigned char key[CSC_SECRET_KEY_LEN], packed[sizeof(*rec)];
    apr_status_t rv;

    csc_secret_state_key(env, 's', secret, key);
    rv = csc_kv_put(env->kv, key, sizeof(key), packed,
                    sad_pack(rec, packed), rec->expires + SAD_GRACE);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = csc_grant_add_sad(env, rec->grant[0] ? rec->grant : NULL,
                           rec->user, key, rec->expires + SAD_GRACE);
    if (rv != APR_SUCCESS) {
        csc_kv_del(env->kv, key, sizeof(key));
    }
    return rv;
}

apr_status_t csc_sad_issue(const csc_env_t *env, const csc_sad_grant_t *g,
                           const char **sad, apr_pool_t *p)
{
    sad_record_t rec;
    int i, n = g->hashes ? g->hashes->nelts : 0;
    const char *secret;
    apr_status_t rv;

    if (n > CSC_SAD_MAX_HASHES || strlen(g->user) > CSC_SAD_MAX_NAME
        || strlen(g->credential_id) > CSC_SAD_MAX_NAME
        || (g->hash_oid && strlen(g->hash_oid) >= sizeof(rec.hash_oid))
        || (g->grant && strlen(g->grant) >= sizeof(rec.grant))
        || g->num_signatures < 1) {
        return APR_EINVAL;
    }
    secret = csc_secret_new(p);
    if (!secret) {
        return APR_EGENERAL;
    }
    memset(&rec, 0, sizeof(rec));
    rec.magic = SAD_MAGIC;
    rec.remaining = g->num_signatures;
    rec.expires = apr_time_now() + apr_time_from_sec(g->lifetime);
    rec.nhashes = (apr_uint32_t)n;
    strcpy(rec.user, g->user);
    strcpy(rec.credential, g->credential_id);
    if (g->hash_oid) {
        strcpy(rec.hash_oid, g->hash_oid);
    }
    if (g->grant) {
        strcpy(rec.grant, g->grant);
    }
    for (i = 0; i < n; i++) {
        fingerprint(&APR_ARRAY_IDX(g->hashes, i, csc_digest_t), rec.fp[i]);
    }
    if ((rv = sad_store(env, secret, &rec)) != APR_SUCCESS) {
        return rv;
    }
    *sad = secret;
    return APR_SUCCESS;
}

typedef enum {
    SAD_CONSUME,     /* signHash: take the digests from the budget */
    SAD_REFUND,      /* give back what a failed signHash took */
    SAD_RESERVE,     /* extendTransaction: check, copy out, empty the budget */
    SAD_RESTORE      /* extendTransaction failed later: give the budget back */
} sad_mode_e;

typedef struct {
    const char *user, *grant, *credential, *hash_oid;
    const apr_array_header_t *digests;
    sad_mode_e mode;
    int amount;          /* SAD_RESTORE: the budget to give back */
    sad_record_t *copy;  /* SAD_RESERVE: the record as it was */
    /* digests' fingerprints, computed before the state lock is taken */
    const unsigned char (*fps)[32];
    /* the verdict: the update callback reports it here, never through its
     * apr_status_t, which belongs to the state backend */
    csc_sad_result_e result;
} sad_op_t;

static csc_sad_result_e check_owner(const sad_record_t *rec,
                                    const sad_op_t *op)
{
    /* a SAD serves only the login that authorized it: once that login is
     * revoked, a later one of the same user cannot use it */
    if (strcmp(rec->user, op->user) != 0
        || strcmp(rec->grant, op->grant ? op->grant : "") != 0
        || strcmp(rec->credential, op->credential) != 0) {
        return CSC_SAD_INVALID;
    }
    if (rec->expires <= apr_time_now()) {
        return CSC_SAD_EXPIRED;
    }
    return rec->remaining > 0 ? CSC_SAD_OK : CSC_SAD_INVALID;
}

/* Marks each digest against an unused bound fingerprint; all or nothing.
 * SAD_RESERVE only checks: rec->used is left as it was. */
static csc_sad_result_e bind_digests(sad_record_t *rec, const sad_op_t *op)
{
    unsigned char used[CSC_SAD_MAX_HASHES];
    apr_uint32_t j;
    int i;

    if (rec->hash_oid[0] && (!op->hash_oid
                             || strcmp(rec->hash_oid, op->hash_oid) != 0)) {
        return CSC_SAD_HASH_NOT_BOUND;
    }
    if (rec->nhashes == 0) {
        return CSC_SAD_OK;
    }
    memcpy(used, rec->used, sizeof(used));
    for (i = 0; i < op->digests->nelts; i++) {
        for (j = 0; j < rec->nhashes; j++) {
            if (!used[j] && !CRYPTO_memcmp(rec->fp[j], op->fps[i], 32)) {
                used[j] = 1;
                break;
            }
        }
        if (j == rec->nhashes) {
            return CSC_SAD_HASH_NOT_BOUND;
        }
    }
    if (op->mode == SAD_CONSUME) {
        memcpy(rec->used, used, sizeof(used));
    }
    return CSC_SAD_OK;
}

static void unbind_digests(sad_record_t *rec, const sad_op_t *op)
{
    apr_uint32_t j;
    int i;

    for (i = 0; i < op->digests->nelts && rec->nhashes; i++) {
        for (j = 0; j < rec->nhashes; j++) {
            if (rec->used[j] && !CRYPTO_memcmp(rec->fp[j], op->fps[i], 32)) {
                rec->used[j] = 0;
                break;
            }
        }
    }
}

/* The state's update callback: pure (it reads cur and op, writes only out
 * and op's results), so a backend may run it again on a retry. */
static csc_sad_result_e sad_apply(sad_op_t *op, const void *cur,
                                  apr_size_t curlen, void *out,
                                  apr_size_t *outlen, csc_kv_action_e *action)
{
    sad_record_t recbuf, *rec = &recbuf;
    csc_sad_result_e r;
    int n = op->digests ? op->digests->nelts : 0;

    if (!sad_unpack(cur, curlen, rec)) {
        return CSC_SAD_INVALID;     /* absent, or not a SAD this code wrote */
    }
    switch (op->mode) {
    case SAD_REFUND:
        rec->remaining += n;
        unbind_digests(rec, op);
        break;
    case SAD_RESTORE:
        rec->remaining += op->amount;
        break;
    case SAD_CONSUME:
    case SAD_RESERVE:
        if ((r = check_owner(rec, op)) != CSC_SAD_OK) {
            return r;
        }
        if (n > rec->remaining) {
            return CSC_SAD_TOO_MANY;
        }
        /* an extension that announces no hashes keeps the binding as it
         * is; signHash always brings its digests */
        if (op->digests && (r = bind_digests(rec, op)) != CSC_SAD_OK) {
            return r;
        }
        if (op->mode == SAD_RESERVE) {
            /* the successor gets the whole budget; this SAD keeps none, so
             * a concurrent signHash or second extension finds it spent */
            memcpy(op->copy, rec, sizeof(*rec));
            rec->remaining = 0;
        }
        else {
            rec->remaining -= n;
        }
        break;
    }
    *outlen = sad_pack(rec, out);
    *action = CSC_KV_STORE;
    return CSC_SAD_OK;
}

static apr_status_t sad_update(void *baton, const void *cur,
                               apr_size_t curlen, apr_time_t cur_expires,
                               void *out, apr_size_t *outlen,
                               apr_time_t *expires, csc_kv_action_e *action)
{
    sad_op_t *op = baton;

    (void)cur_expires;
    (void)expires;   /* 0: the record keeps its expiry */
    op->result = sad_apply(op, cur, curlen, out, outlen, action);
    if (op->result != CSC_SAD_OK) {
        *action = CSC_KV_KEEP;
    }
    return APR_SUCCESS;
}

static csc_sad_result_e run(const csc_env_t *env, const char *sad,
                            sad_op_t *op)
{
    unsigned char key[CSC_SECRET_KEY_LEN];
    apr_status_t rv;

    unsigned char (*fps)[32] = NULL;
    int i, n = op->digests ? op->digests->nelts : 0;

    if (strlen(sad) > 128) {
        return CSC_SAD_INVALID;
    }
    /* SHA-256 of up to every digest of the request: done here, not under
     * the lock every process waits on */
    if (n > 0) {
        if (!(fps = malloc((size_t)n * sizeof(*fps)))) {
            return CSC_SAD_STATE_ERROR;
        }
        for (i = 0; i < n; i++) {
            fingerprint(&APR_ARRAY_IDX(op->digests, i, csc_digest_t), fps[i]);
        }
    }
    op->fps = (const unsigned char (*)[32])fps;
    op->result = CSC_SAD_STATE_ERROR;
    csc_secret_state_key(env, 's', sad, key);
    rv = csc_kv_update(env->kv, key, sizeof(key), sad_update, op);
    free(fps);
    op->fps = NULL;
    if (rv == APR_SUCCESS) {
        return op->result;
    }
    if (rv == APR_NOTFOUND) {
        return CSC_SAD_INVALID;
    }
    csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "SAD state update failed (%d)", rv);
    return CSC_SAD_STATE_ERROR;
}

csc_sad_result_e csc_sad_consume(const csc_env_t *env, const char *sad,
                                 const char *user, const char *grant,
                                 const char *credential_id,
                                 const char *hash_oid,
                                 const apr_array_header_t *digests)
{
    sad_op_t op = {.user = user, .grant = grant,
                   .credential = credential_id, .hash_oid = hash_oid,
                   .digests = digests, .mode = SAD_CONSUME};

    return run(env, sad, &op);
}

void csc_sad_refund(const csc_env_t *env, const char *sad,
                    const apr_array_header_t *digests)
{
    sad_op_t op = {.user = "", .credential = "", .digests = digests,
                   .mode = SAD_REFUND};

    run(env, sad, &op);
}

csc_sad_result_e csc_sad_extend(const csc_env_t *env, const char *sad,
                                const char *user, const char *grant,
                                const char *credential_id,
                                const char *hash_oid,
                                const apr_array_header_t *digests,
                                int lifetime, const char **new_sad,
                                apr_pool_t *p)
{
    sad_record_t old, rec;
    sad_op_t op = {.user = user, .grant = grant,
                   .credential = credential_id, .hash_oid = hash_oid,
                   .digests = digests, .mode = SAD_RESERVE, .copy = &old};
    csc_sad_result_e r;
    const char *secret = csc_secret_new(p);
    apr_uint32_t j;

    if (!secret) {
        return CSC_SAD_STATE_ERROR;
    }
    if ((r = run(env, sad, &op)) != CSC_SAD_OK) {
        return r;
    }
    /* the successor: what is left of the old grant, nothing more; a bound
     * SAD stays bound to its unsigned hashes and their algorithm */
    memset(&rec, 0, sizeof(rec));
    rec.magic = SAD_MAGIC;
    rec.remaining = old.remaining;
    rec.expires = apr_time_now() + apr_time_from_sec(lifetime);
    strcpy(rec.user, old.user);
    strcpy(rec.credential, old.credential);
    strcpy(rec.hash_oid, old.hash_oid);
    strcpy(rec.grant, old.grant);
    for (j = 0; j < old.nhashes; j++) {
        if (!old.used[j]) {
            memcpy(rec.fp[rec.nhashes++], old.fp[j], 32);
        }
    }
    if (old.nhashes > 0 && rec.nhashes == 0) {
        /* budget left but no bound hash unsigned (the counts disagree):
         * never let a bound SAD turn into an unbound one */
        op.mode = SAD_RESTORE;
        op.amount = old.remaining;
        run(env, sad, &op);
        return CSC_SAD_INVALID;
    }
    if (sad_store(env, secret, &rec) != APR_SUCCESS) {
        /* a refused extension leaves the old SAD as it was */
        op.mode = SAD_RESTORE;
        op.amount = old.remaining;
        if (run(env, sad, &op) != CSC_SAD_OK) {
            csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "extendTransaction: could not "
                    "give a SAD its budget back");
        }
        return CSC_SAD_STATE_ERROR;
    }
    *new_sad = secret;
    return CSC_SAD_OK;
}
