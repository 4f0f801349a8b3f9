/* SPDX-License-Identifier: Apache-2.0 */
/* The in-memory state and the helpers every fuzz target shares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_time.h>

#include "base/csc_log.h"
#include "fuzz.h"

#define MEMKV_SLOTS 256

typedef struct {
    int used;
    apr_size_t klen, vlen;
    apr_time_t expires;
    unsigned char key[CSC_KV_KEY_MAX];
    unsigned char val[CSC_KV_RECORD_MAX];
} memkv_slot_t;

typedef struct {
    memkv_slot_t slot[MEMKV_SLOTS];
} memkv_t;

static int slot_live(const memkv_slot_t *s, apr_time_t now)
{
    return s->used && (s->expires == 0 || s->expires > now);
}

static memkv_slot_t *memkv_find(memkv_t *m, const void *key, apr_size_t klen,
                                memkv_slot_t **free_slot)
{
    apr_time_t now = apr_time_now();
    int i;

    if (free_slot) {
        *free_slot = NULL;
    }
    for (i = 0; i < MEMKV_SLOTS; i++) {
        memkv_slot_t *s = &m->slot[i];

        if (slot_live(s, now)) {
            if (s->klen == klen && !memcmp(s->key, key, klen)) {
                return s;
            }
        }
        else if (free_slot && !*free_slot) {
            *free_slot = s;
        }
    }
    return NULL;
}

static apr_status_t memkv_get(csc_kv_t *kv, const void *key, apr_size_t klen,
                              void *buf, apr_size_t bufsize, apr_size_t *vlen,
                              apr_time_t *expires)
{
    memkv_slot_t *s = memkv_find(kv->impl, key, klen, NULL);

    if (!s) {
        return APR_NOTFOUND;
    }
    *vlen = s->vlen;
    if (bufsize < s->vlen) {
        return APR_ENOSPC;
    }
    memcpy(buf, s->val, s->vlen);
    if (expires) {
        *expires = s->expires;
    }
    return APR_SUCCESS;
}

static void slot_set(memkv_slot_t *s, const void *key, apr_size_t klen,
                     const void *val, apr_size_t vlen, apr_time_t expires)
{
    s->used = 1;
    s->klen = klen;
    memcpy(s->key, key, klen);
    s->vlen = vlen;
    if (vlen) {
        memcpy(s->val, val, vlen);
    }
    s->expires = expires;
}

static apr_status_t memkv_put(csc_kv_t *kv, const void *key, apr_size_t klen,
                              const void *val, apr_size_t vlen,
                              apr_time_t expires)
{
    memkv_slot_t *free_slot, *s = memkv_find(kv->impl, key, klen, &free_slot);

    if (!s) {
        s = free_slot;
    }
    if (!s) {
        return APR_ENOSPC;
    }
    slot_set(s, key, klen, val, vlen, expires);
    return APR_SUCCESS;
}

static apr_status_t memkv_del(csc_kv_t *kv, const void *key, apr_size_t klen)
{
    memkv_slot_t *s = memkv_find(kv->impl, key, klen, NULL);

    if (!s) {
        return APR_NOTFOUND;
    }
    s->used = 0;
    return APR_SUCCESS;
}

static apr_status_t memkv_update(csc_kv_t *kv, const void *key,
                                 apr_size_t klen, csc_kv_update_fn *fn,
                                 void *baton)
{
    static unsigned char out[CSC_KV_RECORD_MAX];
    memkv_slot_t *free_slot, *s = memkv_find(kv->impl, key, klen, &free_slot);
    apr_size_t outlen = 0;
    apr_time_t exp = 0;
    csc_kv_action_e action = CSC_KV_KEEP;
    apr_status_t rv;

    rv = fn(baton, s ? s->val : NULL, s ? s->vlen : 0, s ? s->expires : 0,
            out, &outlen, &exp, &action);
    /* the contract: a callback never writes past the capacity */
    FUZZ_ASSERT(outlen <= CSC_KV_RECORD_MAX);
    switch (action) {
    case CSC_KV_KEEP:
        break;
    case CSC_KV_DELETE:
        if (s) {
            s->used = 0;
        }
        break;
    case CSC_KV_STORE:
        if (!s && !free_slot) {
            return APR_ENOSPC;
        }
        if (exp == 0 && s) {
            exp = s->expires;
        }
        slot_set(s ? s : free_slot, key, klen, out, outlen, exp);
        break;
    }
    return rv;
}

static void memkv_close(csc_kv_t *kv)
{
    (void)kv;
}

static const csc_kv_ops_t memkv_ops = {
    "fuzz-memory", memkv_get, memkv_put, memkv_del, memkv_update, NULL,
    memkv_close
};

csc_kv_t *fuzz_memkv_create(apr_pool_t *p)
{
    csc_kv_t *kv = apr_pcalloc(p, sizeof(*kv));

    kv->ops = &memkv_ops;
    kv->value_max = CSC_KV_RECORD_MAX;
    kv->impl = calloc(1, sizeof(memkv_t));
    FUZZ_ASSERT(kv->impl != NULL);
    return kv;
}

void fuzz_memkv_reset(csc_kv_t *kv)
{
    memkv_t *m = kv->impl;
    int i;

    for (i = 0; i < MEMKV_SLOTS; i++) {
        m->slot[i].used = 0;
    }
}

static void quiet_sink(void *baton, const char *file, int line, int level,
                       const char *msg)
{
    (void)baton;
    (void)file;
    (void)line;
    (void)level;
    (void)msg;
}

apr_pool_t *fuzz_init(void)
{
    apr_pool_t *root;

    apr_initialize();
    FUZZ_ASSERT(apr_pool_create(&root, NULL) == APR_SUCCESS);
    if (!getenv("CSC_FUZZ_LOG")) {
        csc_log_set_sink(quiet_sink, NULL, CSC_LOG_DEBUG);
    }
    return root;
}

void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "fuzz invariant broken at %s:%d: %s\n", file, line, what);
    abort();
}
