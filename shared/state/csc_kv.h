/* SPDX-License-Identifier: Apache-2.0 */
/* Cross-process ephemeral state (access tokens, SAD budgets, online OTPs,
 * replay windows).  Every httpd child, in every MPM, must see one state, so
 * callers only talk to this vtable: the embedded shared-memory backend for
 * one host, and PostgreSQL for several hosts sharing one state. */
#ifndef CSC_KV_H
#define CSC_KV_H

#include <apr_errno.h>
#include <apr_pools.h>
#include <apr_time.h>

typedef struct csc_kv_t csc_kv_t;

#define CSC_KV_KEY_MAX   128     /* bytes */
/* The largest value the core stores (its biggest record).  A backend's
 * own limit is a property of the backend (csc_kv_value_max); every
 * backend takes at least this much, and callers size their records
 * against this, never against a backend. */
#define CSC_KV_RECORD_MAX 3968   /* bytes */

typedef enum {
    CSC_KV_KEEP,
    CSC_KV_STORE,
    CSC_KV_DELETE
} csc_kv_action_e;

/* Called with the entry locked.  cur == NULL when absent or expired.  To
 * store, write up to CSC_KV_RECORD_MAX bytes into out (it has room for
 * them), set *outlen and *expires (absolute; 0 = keep the current expiry,
 * or "never" when there is no current entry) and *action = CSC_KV_STORE.
 * *action starts as CSC_KV_KEEP, *outlen and *expires as 0.  *action is
 * carried out only when the callback returns APR_SUCCESS: an error leaves
 * the entry as it was.
 * The contract a networked backend can honour too: the callback is pure
 * (it reads cur and its baton's inputs and writes only out and its baton's
 * results), so a backend may run it again after a failed compare-and-set;
 * domain decisions (a SAD or OTP verdict) travel in the baton, and it
 * returns APR_SUCCESS, or an APR error that csc_kv_update passes on.  The
 * apr_status_t of csc_kv_update belongs to the backend alone.  Must not call
 * back into the kv, and must be quick: anything expensive (digest
 * fingerprints) is computed before the call. */
typedef apr_status_t csc_kv_update_fn(void *baton, const void *cur,
                                      apr_size_t curlen,
                                      apr_time_t cur_expires, void *out,
                                      apr_size_t *outlen, apr_time_t *expires,
                                      csc_kv_action_e *action);

typedef struct csc_kv_ops_t {
    const char *name;
    /* APR_NOTFOUND if absent/expired; APR_ENOSPC (with *vlen set to the
     * stored length) if bufsize is too small. */
    apr_status_t (*get)(csc_kv_t *kv, const void *key, apr_size_t klen,
                        void *buf, apr_size_t bufsize, apr_size_t *vlen,
                        apr_time_t *expires);
    /* expires: absolute, 0 = never.  APR_ENOSPC when full: a live entry is
     * NEVER evicted. */
    apr_status_t (*put)(csc_kv_t *kv, const void *key, apr_size_t klen,
                        const void *val, apr_size_t vlen, apr_time_t expires);
    /* APR_NOTFOUND if absent (or already expired). */
    apr_status_t (*del)(csc_kv_t *kv, const void *key, apr_size_t klen);
    apr_status_t (*update)(csc_kv_t *kv, const void *key, apr_size_t klen,
                           csc_kv_update_fn *fn, void *baton);
    /* After fork, in each child; may be NULL. */
    apr_status_t (*child_init)(csc_kv_t *kv, apr_pool_t *p);
    void (*close)(csc_kv_t *kv);
} csc_kv_ops_t;

struct csc_kv_t {
    const csc_kv_ops_t *ops;
    void *impl;
    apr_size_t value_max;       /* the backend's largest value, at least
                                 * CSC_KV_RECORD_MAX */
};

/* The largest value this backend stores. */
apr_size_t csc_kv_value_max(const csc_kv_t *kv);

/* Wrappers: they check the arguments once (APR_EINVAL for an empty or too
 * long key, a too long value, a NULL pointer) so backends need not.
 * expires may be NULL in csc_kv_get. */
apr_status_t csc_kv_get(csc_kv_t *kv, const void *key, apr_size_t klen,
                        void *buf, apr_size_t bufsize, apr_size_t *vlen,
                        apr_time_t *expires);
apr_status_t csc_kv_put(csc_kv_t *kv, const void *key, apr_size_t klen,
                        const void *val, apr_size_t vlen, apr_time_t expires);
apr_status_t csc_kv_del(csc_kv_t *kv, const void *key, apr_size_t klen);
apr_status_t csc_kv_update(csc_kv_t *kv, const void *key, apr_size_t klen,
                           csc_kv_update_fn *fn, void *baton);
apr_status_t csc_kv_child_init(csc_kv_t *kv, apr_pool_t *p);
/* Safe to call twice, and on NULL. */
void csc_kv_close(csc_kv_t *kv);

/* ---- Embedded backend: a file mapped MAP_SHARED by every process ---- */

/* Caller guarantees no other process uses the file (first start, not a
 * graceful restart): the lock is re-initialised, because one left locked by
 * a process from before a reboot would otherwise block everyone. */
#define CSC_KV_SHM_FRESH 1
/* Only open a table that exists, with the slot count it has (slots is
 * ignored): for tools working on the state of a running server, which
 * must never create, replace or re-initialise it. */
#define CSC_KV_SHM_EXISTING 2

/* Opens (or creates, mode 0600) the table at path with room for `slots`
 * entries.  An existing file with the same layout keeps its contents; one
 * with another slot count or layout version is replaced by an empty one
 * (logged at NOTICE).  A file that is not a kv table, is not a regular file,
 * is not owned by the effective uid or is accessible by group/others is
 * refused rather than overwritten.  Open in the parent before forking: the
 * children inherit the mapping and need no file access of their own.  The
 * mapping is released when p is cleared, or by csc_kv_close. */
apr_status_t csc_kv_shm_open(csc_kv_t **kv, const char *path,
                             apr_uint32_t slots, int flags, apr_pool_t *p,
                             const char **errmsg);

/* ---- Shared by several hosts: PostgreSQL through apr_dbd ---- */

/* Connects once to check the server and create the table csc_kv (and its
 * index) when it is missing, then closes that connection: open it in the
 * parent; each process opens its own connections on first use, one per
 * thread at a time, and never uses one across fork().  conninfo is
 * libpq's ("host=... dbname=... user=... sslmode=verify-full ...").
 * Messages never show a password. */
apr_status_t csc_kv_pgsql_open(csc_kv_t **kv, const char *conninfo,
                               apr_pool_t *p, const char **errmsg);

/* Test only: a process-local hook that the shm backend calls at the named
 * points inside its critical section, so a test can kill a writer at the
 * worst possible moment.  NULL (the default) disables it. */
#define CSC_KV_SHM_HOOK_APPLY 1  /* committed, target slot half written */
typedef void csc_kv_shm_hook_fn(int point);
void csc_kv_shm_set_test_hook(csc_kv_shm_hook_fn *fn);

#endif
