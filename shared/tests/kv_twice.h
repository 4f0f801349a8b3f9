/* SPDX-License-Identifier: Apache-2.0 */
/* A state that runs every update callback twice, as a compare-and-set
 * backend does after a conflict (csc_kv.h: callbacks are pure).  The first
 * run sees the key as the update before this one found it (what a read
 * that lost a race to that update saw), and its output is thrown away; the
 * second sees the key as it is, and its output is the one kept.  A callback that carries anything
 * from one run into the next (a count of records to delete, a verdict
 * flag) then answers from the stale record, or writes past the end of its
 * arrays, and the tests that run through this state see it. */
#ifndef CSC_TEST_KV_TWICE_H
#define CSC_TEST_KV_TWICE_H

#include "state/csc_kv.h"

#include <string.h>

#define KV_TWICE_KEYS 64

/* a key's value before its last update (present 0: it had none) */
typedef struct {
    unsigned char key[CSC_KV_KEY_MAX];
    apr_size_t klen;
    int known;                  /* an update of it came through here */
    int present;
    unsigned char val[CSC_KV_RECORD_MAX];
    apr_size_t vlen;
    apr_time_t expires;
} kv_twice_prev_t;

typedef struct {
    csc_kv_t kv;                /* what callers get; impl is this */
    csc_kv_ops_t ops;
    csc_kv_t *real;
    unsigned long reruns;       /* callbacks run a second time */
    unsigned long stale;        /* of them, first on an older value */
    kv_twice_prev_t prev[KV_TWICE_KEYS];
    int nprev;
} kv_twice_t;

typedef struct {
    csc_kv_update_fn *fn;
    void *baton;
    kv_twice_t *t;
    kv_twice_prev_t *prev;      /* NULL: the table is full */
} kv_twice_call_t;

static kv_twice_prev_t *kv_twice_find(kv_twice_t *t, const void *key,
                                      apr_size_t klen)
{
    int i;

    for (i = 0; i < t->nprev; i++) {
        if (t->prev[i].klen == klen && !memcmp(t->prev[i].key, key, klen)) {
            return &t->prev[i];
        }
    }
    if (t->nprev == KV_TWICE_KEYS) {
        return NULL;
    }
    memcpy(t->prev[t->nprev].key, key, klen);
    t->prev[t->nprev].klen = klen;
    return &t->prev[t->nprev++];
}

static apr_status_t kv_twice_cb(void *baton, const void *cur,
                                apr_size_t curlen, apr_time_t cur_expires,
                                void *out, apr_size_t *outlen,
                                apr_time_t *expires, csc_kv_action_e *action)
{
    kv_twice_call_t *c = baton;
    unsigned char scratch[CSC_KV_RECORD_MAX];
    apr_size_t len = 0;
    apr_time_t exp = 0;
    csc_kv_action_e act = CSC_KV_KEEP;

    kv_twice_prev_t *p = c->prev;

    if (p && p->known) {
        /* a key seen before: the first run on what it held then */
        c->fn(c->baton, p->present ? p->val : NULL, p->present ? p->vlen : 0,
              p->present ? p->expires : 0, scratch, &len, &exp, &act);
        c->t->stale++;
    }
    else {
        c->fn(c->baton, cur, curlen, cur_expires, scratch, &len, &exp, &act);
    }
    c->t->reruns++;
    if (p) {
        p->known = 1;
        p->present = cur != NULL;
        p->vlen = cur ? curlen : 0;
        p->expires = cur_expires;
        if (cur && curlen) {
            memcpy(p->val, cur, curlen);
        }
    }
    return c->fn(c->baton, cur, curlen, cur_expires, out, outlen, expires,
                 action);
}

static apr_status_t kv_twice_update(csc_kv_t *kv, const void *key,
                                    apr_size_t klen, csc_kv_update_fn *fn,
                                    void *baton)
{
    kv_twice_t *t = (kv_twice_t *)kv->impl;
    kv_twice_call_t c = {fn, baton, t, NULL};

    c.prev = kv_twice_find(t, key, klen);
    return csc_kv_update(t->real, key, klen, kv_twice_cb, &c);
}

static apr_status_t kv_twice_get(csc_kv_t *kv, const void *key,
                                 apr_size_t klen, void *buf,
                                 apr_size_t bufsize, apr_size_t *vlen,
                                 apr_time_t *expires)
{
    return csc_kv_get(((kv_twice_t *)kv->impl)->real, key, klen, buf, bufsize,
                      vlen, expires);
}

static apr_status_t kv_twice_put(csc_kv_t *kv, const void *key,
                                 apr_size_t klen, const void *val,
                                 apr_size_t vlen, apr_time_t expires)
{
    return csc_kv_put(((kv_twice_t *)kv->impl)->real, key, klen, val, vlen,
                      expires);
}

static apr_status_t kv_twice_del(csc_kv_t *kv, const void *key,
                                 apr_size_t klen)
{
    return csc_kv_del(((kv_twice_t *)kv->impl)->real, key, klen);
}

static apr_status_t kv_twice_child_init(csc_kv_t *kv, apr_pool_t *p)
{
    return csc_kv_child_init(((kv_twice_t *)kv->impl)->real, p);
}

static void kv_twice_close(csc_kv_t *kv)
{
    csc_kv_close(((kv_twice_t *)kv->impl)->real);
}

/* Wraps real (which stays the owner of everything) in t. */
static csc_kv_t *kv_twice_wrap(kv_twice_t *t, csc_kv_t *real)
{
    memset(t, 0, sizeof(*t));
    t->real = real;
    t->ops = *real->ops;
    t->ops.get = kv_twice_get;
    t->ops.put = kv_twice_put;
    t->ops.del = kv_twice_del;
    t->ops.update = kv_twice_update;
    t->ops.child_init = kv_twice_child_init;
    t->ops.close = kv_twice_close;
    t->kv.ops = &t->ops;
    t->kv.impl = t;
    t->kv.value_max = real->value_max;
    return &t->kv;
}

#endif
