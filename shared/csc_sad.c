/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "csc_kv.h"
#include "csc_log.h"
#include "csc_sad.h"
#include "csc_secret.h"

/* A spent or expired SAD stays known this long, so that its holder is
 * told "SAD expired" instead of "invalid", and so a refund can restore a
 * budget that reached zero. */
#define SAD_GRACE apr_time_from_sec(600)
#define SAD_MAGIC 0x53414431u   /* "SAD1" */

typedef struct {
    apr_uint32_t magic;
    apr_int32_t remaining;
    apr_int64_t expires;                      /* apr_time_t */
    apr_uint32_t nhashes;                     /* 0: not bound to hashes */
    char user[CSC_SAD_MAX_NAME + 1];
    char credential[CSC_SAD_MAX_NAME + 1];
    char hash_oid[48];                        /* "" when not bound */
    unsigned char used[CSC_SAD_MAX_HASHES];
    unsigned char fp[CSC_SAD_MAX_HASHES][32]; /* SHA-256 of each digest */
} sad_record_t;

typedef char sad_record_fits[sizeof(sad_record_t) <= CSC_KV_VALUE_MAX
                             ? 1 : -1];

/* Digests are compared through a fingerprint: equal bytes, whatever
 * base64 alphabet carried them, give equal fingerprints. */
static void fingerprint(const csc_digest_t *d, unsigned char out[32])
{
    unsigned int n = 32;

    EVP_Digest(d->data, d->len, out, &n, csc_secret_sha256(), NULL);
}

apr_status_t csc_sad_issue(const csc_env_t *env, const csc_sad_grant_t *g,
                           const char **sad, apr_pool_t *p)
{
    unsigned char key[CSC_SECRET_KEY_LEN];
    sad_record_t rec;
    int i, n = g->hashes ? g->hashes->nelts : 0;
    const char *secret;

    if (n > CSC_SAD_MAX_HASHES || strlen(g->user) > CSC_SAD_MAX_NAME
        || strlen(g->credential_id) > CSC_SAD_MAX_NAME
        || (g->hash_oid && strlen(g->hash_oid) >= sizeof(rec.hash_oid))
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
    for (i = 0; i < n; i++) {
        fingerprint(&APR_ARRAY_IDX(g->hashes, i, csc_digest_t), rec.fp[i]);
    }
    csc_secret_state_key(env, 's', secret, key);
    *sad = secret;
    return csc_kv_put(env->kv, key, sizeof(key), &rec, sizeof(rec),
                      rec.expires + SAD_GRACE);
}

typedef struct {
    const char *user, *credential, *hash_oid;
    const apr_array_header_t *digests;
    int refund;      /* give back instead of taking */
    int take_all;    /* extendTransaction: remove the SAD */
    int remaining;
} sad_op_t;

static csc_sad_result_e check_owner(const sad_record_t *rec,
                                    const sad_op_t *op)
{
    if (rec->magic != SAD_MAGIC || strcmp(rec->user, op->user) != 0
        || strcmp(rec->credential, op->credential) != 0) {
        return CSC_SAD_INVALID;
    }
    if (rec->expires <= apr_time_now()) {
        return CSC_SAD_EXPIRED;
    }
    return rec->remaining > 0 ? CSC_SAD_OK : CSC_SAD_INVALID;
}

/* Marks each digest against an unused bound fingerprint; all or nothing. */
static csc_sad_result_e bind_digests(sad_record_t *rec, const sad_op_t *op)
{
    unsigned char used[CSC_SAD_MAX_HASHES];
    unsigned char fp[32];
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
        fingerprint(&APR_ARRAY_IDX(op->digests, i, csc_digest_t), fp);
        for (j = 0; j < rec->nhashes; j++) {
            if (!used[j] && !CRYPTO_memcmp(rec->fp[j], fp, 32)) {
                used[j] = 1;
                break;
            }
        }
        if (j == rec->nhashes) {
            return CSC_SAD_HASH_NOT_BOUND;
        }
    }
    memcpy(rec->used, used, sizeof(used));
    return CSC_SAD_OK;
}

static void unbind_digests(sad_record_t *rec, const sad_op_t *op)
{
    unsigned char fp[32];
    apr_uint32_t j;
    int i;

    for (i = 0; i < op->digests->nelts && rec->nhashes; i++) {
        fingerprint(&APR_ARRAY_IDX(op->digests, i, csc_digest_t), fp);
        for (j = 0; j < rec->nhashes; j++) {
            if (rec->used[j] && !CRYPTO_memcmp(rec->fp[j], fp, 32)) {
                rec->used[j] = 0;
                break;
            }
        }
    }
}

static apr_status_t sad_update(void *baton, const void *cur,
                               apr_size_t curlen, apr_time_t cur_expires,
                               void *out, apr_size_t *outlen,
                               apr_time_t *expires, csc_kv_action_e *action)
{
    sad_op_t *op = baton;
    sad_record_t *rec = out;
    csc_sad_result_e r;
    int n = op->digests ? op->digests->nelts : 0;

    (void)cur_expires;
    (void)expires;   /* 0: the record keeps its expiry */
    if (!cur || curlen != sizeof(*rec)) {
        return CSC_SAD_INVALID;
    }
    memcpy(rec, cur, sizeof(*rec));
    if (op->refund) {
        if (rec->magic != SAD_MAGIC) {
            return CSC_SAD_INVALID;
        }
        rec->remaining += n;
        unbind_digests(rec, op);
    }
    else {
        if ((r = check_owner(rec, op)) != CSC_SAD_OK) {
            return r;
        }
        if (op->take_all) {
            op->remaining = rec->remaining;
            *action = CSC_KV_DELETE;
            return CSC_SAD_OK;
        }
        if (n > rec->remaining) {
            return CSC_SAD_TOO_MANY;
        }
        if ((r = bind_digests(rec, op)) != CSC_SAD_OK) {
            return r;
        }
        rec->remaining -= n;
    }
    *outlen = sizeof(*rec);
    *action = CSC_KV_STORE;
    return CSC_SAD_OK;
}

static csc_sad_result_e run(const csc_env_t *env, const char *sad,
                            sad_op_t *op)
{
    unsigned char key[CSC_SECRET_KEY_LEN];
    apr_status_t rv;

    if (strlen(sad) > 128) {
        return CSC_SAD_INVALID;
    }
    csc_secret_state_key(env, 's', sad, key);
    rv = csc_kv_update(env->kv, key, sizeof(key), sad_update, op);
    if (rv >= CSC_SAD_OK && rv <= CSC_SAD_HASH_NOT_BOUND) {
        return (csc_sad_result_e)rv;
    }
    csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "SAD state update failed (%d)", rv);
    return CSC_SAD_STATE_ERROR;
}

csc_sad_result_e csc_sad_consume(const csc_env_t *env, const char *sad,
                                 const char *user, const char *credential_id,
                                 const char *hash_oid,
                                 const apr_array_header_t *digests)
{
    sad_op_t op = {user, credential_id, hash_oid, digests, 0, 0, 0};

    return run(env, sad, &op);
}

void csc_sad_refund(const csc_env_t *env, const char *sad,
                    const apr_array_header_t *digests)
{
    sad_op_t op = {"", "", NULL, digests, 1, 0, 0};

    run(env, sad, &op);
}

csc_sad_result_e csc_sad_take(const csc_env_t *env, const char *sad,
                              const char *user, const char *credential_id,
                              int *remaining)
{
    sad_op_t op = {user, credential_id, NULL, NULL, 0, 1, 0};
    csc_sad_result_e r = run(env, sad, &op);

    *remaining = op.remaining;
    return r;
}
