/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "store/csc_store_cache.h"

typedef struct {
    csc_credential_t *rec;      /* one malloc block: record, then strings */
    apr_uint64_t epoch;
} entry_t;

struct csc_store_cache_t {
    pthread_mutex_t lock;
    _Atomic apr_uint64_t epoch;
    int nslots;
    entry_t *slots;
};

static apr_status_t cache_cleanup(void *data)
{
    csc_store_cache_t *cc = data;
    int i;

    for (i = 0; i < cc->nslots; i++) {
        free(cc->slots[i].rec);
    }
    free(cc->slots);
    pthread_mutex_destroy(&cc->lock);
    return APR_SUCCESS;
}

csc_store_cache_t *csc_store_cache_create(int slots, apr_pool_t *p)
{
    csc_store_cache_t *cc = apr_pcalloc(p, sizeof(*cc));

    cc->slots = calloc((size_t)slots, sizeof(entry_t));
    if (!cc->slots) {
        return NULL;
    }
    cc->nslots = slots;
    /* epoch 0 is never current, so an empty slot can never match */
    atomic_init(&cc->epoch, 1);
    pthread_mutex_init(&cc->lock, NULL);
    apr_pool_cleanup_register(p, cc, cache_cleanup, apr_pool_cleanup_null);
    return cc;
}

apr_uint64_t csc_store_cache_epoch(csc_store_cache_t *cc)
{
    return atomic_load(&cc->epoch);
}

void csc_store_cache_advance(csc_store_cache_t *cc)
{
    atomic_fetch_add(&cc->epoch, 1);
}

static entry_t *slot_for(csc_store_cache_t *cc, const char *id)
{
    apr_uint32_t h = 2166136261u;

    while (*id) {
        h = (h ^ (unsigned char)*id++) * 16777619u;
    }
    return &cc->slots[h % (apr_uint32_t)cc->nslots];
}

/* The string members of csc_credential_t, for copying in and out. */
#define EACH_STRING(X, c) \
    X(c, id) X(c, owner) X(c, description) X(c, key_ref) X(c, pubkey_pem) \
    X(c, cert_chain_pem) X(c, pin_hash) X(c, otp_type) X(c, otp_secret) \
    X(c, otp_hash)

#define STR_SIZE(c, f) size += (c)->f ? strlen((c)->f) + 1 : 0;
#define STR_PACK(c, f) \
    if ((c)->f) { \
        apr_size_t n = strlen((c)->f) + 1; \
        memcpy(at, (c)->f, n); \
        copy->f = at; \
        at += n; \
    }
#define STR_DUP(c, f) (c)->f = (c)->f ? apr_pstrdup(p, (c)->f) : NULL;

static csc_credential_t *pack(const csc_credential_t *c)
{
    apr_size_t size = sizeof(csc_credential_t);
    csc_credential_t *copy;
    char *at;

    EACH_STRING(STR_SIZE, c)
    copy = malloc(size);
    if (!copy) {
        return NULL;
    }
    *copy = *c;
    at = (char *)(copy + 1);
    EACH_STRING(STR_PACK, c)
    return copy;
}

csc_credential_t *csc_store_cache_get(csc_store_cache_t *cc, const char *id,
                                      apr_uint64_t epoch, apr_pool_t *p)
{
    entry_t *e = slot_for(cc, id);
    csc_credential_t *out = NULL;

    pthread_mutex_lock(&cc->lock);
    if (e->rec && e->epoch == epoch && epoch == atomic_load(&cc->epoch)
        && !strcmp(e->rec->id, id)) {
        out = apr_pmemdup(p, e->rec, sizeof(*out));
        EACH_STRING(STR_DUP, out)
    }
    pthread_mutex_unlock(&cc->lock);
    return out;
}

void csc_store_cache_put(csc_store_cache_t *cc, const csc_credential_t *c,
                         apr_uint64_t epoch)
{
    entry_t *e = slot_for(cc, c->id);
    csc_credential_t *copy, *old = NULL;

    if (epoch != atomic_load(&cc->epoch) || !(copy = pack(c))) {
        return;
    }
    pthread_mutex_lock(&cc->lock);
    old = e->rec;
    e->rec = copy;
    e->epoch = epoch;
    pthread_mutex_unlock(&cc->lock);
    free(old);
}
