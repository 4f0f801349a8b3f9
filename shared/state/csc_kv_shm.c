/* SPDX-License-Identifier: Apache-2.0 */
/* Embedded kv backend: one file, mapped MAP_SHARED by the httpd parent before
 * it forks, so every child and thread sees the same table, and the state
 * outlives a graceful restart (the master keeps the file; the new generation
 * maps it again) and, the file being on disk or tmpfs, a full restart.
 *
 * Layout: page 0 = header (magic, layout, salt, robust process-shared mutex,
 * journal marker), page 1 = journal slot, then `nslots` slots of 4096 bytes.
 * Keys are reduced to a salted SHA-256 digest; the slot keeps only the digest.
 *
 * Crash safety: a child may be SIGKILLed while holding the lock.  The robust
 * mutex hands the next locker EOWNERDEAD, and every multi-word write goes
 * through a redo journal (stage the full slot image, commit by setting the
 * marker, copy, clear the marker), so the recovering process finishes a
 * committed write and ignores an uncommitted one: nobody ever sees a torn
 * entry.  All other changes are single aligned word stores. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <apr_strings.h>

#include "state/csc_kv.h"
#include "base/csc_log.h"

#define KV_MAGIC        UINT64_C(0x314d53564b435343)  /* "CSCKVSM1" */
#define KV_VERSION      1
#define KV_PAGE         4096
#define KV_SLOT_SIZE    4096
#define KV_HDR_SIZE     (2 * KV_PAGE)
#define KV_DIGEST_LEN   32
#define KV_SALT_LEN     32
#define KV_MAX_SLOTS    (1u << 20)
/* Bounds the work done under the lock for a miss in a crowded table; with a
 * uniform hash a 128-slot run only fills up near 100 % load. */
#define KV_MAX_PROBE    128u
/* A holder that is alive but stuck (SIGSTOP, debugger) must not hang every
 * child forever: give up with APR_TIMEUP instead. */
#define KV_LOCK_TIMEOUT 10
#define KV_OPEN_TRIES   8
/* A slot's value: one 4 KiB slot less its header. */
#define KV_SHM_VALUE_MAX 3968
typedef char kv_holds_records[KV_SHM_VALUE_MAX >= CSC_KV_RECORD_MAX ? 1 : -1];

enum { KV_EMPTY = 0, KV_USED = 1, KV_DEAD = 2 };

typedef struct {
    apr_uint32_t state;
    apr_uint32_t vlen;
    apr_int64_t expires;                /* apr_time_t, 0 = never */
    unsigned char digest[KV_DIGEST_LEN];
    unsigned char value[KV_SHM_VALUE_MAX];
} kv_slot_t;

typedef struct {
    apr_uint64_t magic;
    apr_uint32_t version;
    apr_uint32_t slot_size;
    apr_uint32_t nslots;
    /* A libc with another mutex layout must not reuse a stored mutex. */
    apr_uint32_t mutex_size;
    /* Slot index + 1 of the committed journal write; 0 = none. */
    apr_uint32_t journal_target;
    apr_uint32_t reserved;
    /* Keeps slot placement unpredictable, so clients choosing keys (nonces,
     * token values) cannot pile entries onto one probe window. */
    unsigned char salt[KV_SALT_LEN];
    pthread_mutex_t lock;
} kv_hdr_t;

_Static_assert(sizeof(kv_slot_t) <= KV_SLOT_SIZE, "kv slot too large");
_Static_assert(sizeof(kv_hdr_t) <= KV_PAGE, "kv header too large");

typedef struct {
    kv_hdr_t *hdr;
    kv_slot_t *journal;
    unsigned char *slots;
    void *map;
    apr_size_t size;
    apr_uint32_t nslots;
    apr_uint32_t probe;
    unsigned char salt[KV_SALT_LEN];
    EVP_MD *md;
    const char *path;
    apr_pool_t *pool;
} kv_shm_t;

static csc_kv_shm_hook_fn *kv_test_hook;

void csc_kv_shm_set_test_hook(csc_kv_shm_hook_fn *fn)
{
    kv_test_hook = fn;
}

static kv_slot_t *kv_slot(kv_shm_t *s, apr_uint32_t idx)
{
    return (kv_slot_t *)(s->slots + (apr_size_t)idx * KV_SLOT_SIZE);
}

static apr_size_t kv_file_size(apr_uint32_t nslots)
{
    return KV_HDR_SIZE + (apr_size_t)nslots * KV_SLOT_SIZE;
}

/* A slot whose state or length is out of range can only come from outside
 * interference or a torn page after power loss: treat it as free rather
 * than read past the value buffer. */
static int kv_holds_entry(const kv_slot_t *sl)
{
    return sl->state == KV_USED && sl->vlen <= KV_SHM_VALUE_MAX;
}

static int kv_live(const kv_slot_t *sl, apr_time_t now)
{
    return kv_holds_entry(sl) && (sl->expires == 0 || sl->expires > now);
}

static apr_status_t kv_digest(kv_shm_t *s, const void *key, apr_size_t klen,
                              unsigned char *dg)
{
    unsigned char buf[KV_SALT_LEN + CSC_KV_KEY_MAX];
    unsigned int len = 0;

    if (!key || klen == 0 || klen > CSC_KV_KEY_MAX) {
        return APR_EINVAL;
    }
    memcpy(buf, s->salt, KV_SALT_LEN);
    memcpy(buf + KV_SALT_LEN, key, klen);
    if (!EVP_Digest(buf, KV_SALT_LEN + klen, dg, &len, s->md, NULL)
        || len != KV_DIGEST_LEN) {
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

/* Finishes a committed journal write.  Idempotent, so a process killed while
 * recovering leaves the work to the next locker. */
static void kv_redo(kv_shm_t *s)
{
    apr_uint32_t t = __atomic_load_n(&s->hdr->journal_target,
                                     __ATOMIC_ACQUIRE);
    const kv_slot_t *j = s->journal;
    kv_slot_t *dst;
    apr_size_t half;

    if (t == 0) {
        return;
    }
    if (t <= s->nslots && j->vlen <= KV_SHM_VALUE_MAX) {
        dst = kv_slot(s, t - 1);
        half = j->vlen / 2;
        memcpy(dst->value, j->value, half);
        if (kv_test_hook) {
            kv_test_hook(CSC_KV_SHM_HOOK_APPLY);
        }
        memcpy(dst->value + half, j->value + half, j->vlen - half);
        memcpy(dst->digest, j->digest, KV_DIGEST_LEN);
        dst->vlen = j->vlen;
        dst->expires = j->expires;
        __atomic_store_n(&dst->state, KV_USED, __ATOMIC_RELEASE);
    }
    __atomic_store_n(&s->hdr->journal_target, 0, __ATOMIC_RELEASE);
}

/* The caller has staged digest, vlen, expires and value in the journal. */
static void kv_commit(kv_shm_t *s, apr_uint32_t idx)
{
    s->journal->state = KV_USED;
    __atomic_store_n(&s->hdr->journal_target, idx + 1, __ATOMIC_RELEASE);
    kv_redo(s);
}

static apr_status_t kv_init_lock(pthread_mutex_t *m)
{
    pthread_mutexattr_t a;
    int rc;

    if ((rc = pthread_mutexattr_init(&a)) != 0) {
        return APR_FROM_OS_ERROR(rc);
    }
    /* ERRORCHECK: a callback re-entering the kv gets EDEADLK, not a hang. */
    if ((rc = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED)) == 0
        && (rc = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST)) == 0
        && (rc = pthread_mutexattr_settype(&a,
                                           PTHREAD_MUTEX_ERRORCHECK)) == 0) {
        rc = pthread_mutex_init(m, &a);
    }
    pthread_mutexattr_destroy(&a);
    return rc ? APR_FROM_OS_ERROR(rc) : APR_SUCCESS;
}

static apr_status_t kv_lock(kv_shm_t *s)
{
    struct timespec ts;
    char buf[128];
    int rc;

    if (!s->map) {
        return APR_EINVAL;
    }
    rc = pthread_mutex_trylock(&s->hdr->lock);
    if (rc == EBUSY) {
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += KV_LOCK_TIMEOUT;
        rc = pthread_mutex_timedlock(&s->hdr->lock, &ts);
    }
    switch (rc) {
    case 0:
        return APR_SUCCESS;
    case EOWNERDEAD:
        kv_redo(s);
        pthread_mutex_consistent(&s->hdr->lock);
        csc_log(CSC_LOG_MARK, CSC_LOG_WARNING,
                "kv %s: a process died while holding the lock; "
                "state recovered", s->path);
        return APR_SUCCESS;
    case ETIMEDOUT:
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR,
                "kv %s: lock held by another process for more than %d s",
                s->path, KV_LOCK_TIMEOUT);
        return APR_TIMEUP;
    case ENOTRECOVERABLE:
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR,
                "kv %s: the lock is unrecoverable; a full restart of the "
                "server re-initialises it", s->path);
        return APR_FROM_OS_ERROR(rc);
    case EDEADLK:
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR,
                "kv %s: an update callback called back into the kv",
                s->path);
        return APR_EGENERAL;
    default:
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "kv %s: cannot take the lock: %s",
                s->path, apr_strerror(APR_FROM_OS_ERROR(rc), buf,
                                      sizeof(buf)));
        return APR_FROM_OS_ERROR(rc);
    }
}

static void kv_unlock(kv_shm_t *s)
{
    pthread_mutex_unlock(&s->hdr->lock);
}

/* Walks dg's probe window.  Returns the slot holding dg (live or expired),
 * or -1; *reuse gets the first slot a new entry may take, or -1.  Entries
 * are never placed past an empty slot, so the walk stops at one. */
static long kv_find(kv_shm_t *s, const unsigned char *dg, apr_time_t now,
                    long *reuse)
{
    apr_uint64_t h;
    apr_uint32_t idx, i;
    kv_slot_t *sl;

    memcpy(&h, dg, sizeof(h));
    idx = (apr_uint32_t)(h % s->nslots);
    *reuse = -1;
    for (i = 0; i < s->probe; i++) {
        sl = kv_slot(s, idx);
        if (sl->state == KV_EMPTY) {
            if (*reuse < 0) {
                *reuse = idx;
            }
            return -1;
        }
        if (kv_holds_entry(sl)
            && memcmp(sl->digest, dg, KV_DIGEST_LEN) == 0) {
            return idx;
        }
        if (*reuse < 0 && !kv_live(sl, now)) {
            *reuse = idx;
        }
        idx = (idx + 1 == s->nslots) ? 0 : idx + 1;
    }
    return -1;
}

/* Removes the entry at idx.  A tombstone keeps later chain members
 * reachable; but when the next slot is empty no walk continues past idx,
 * so idx and the dead run before it can become empty again, which keeps
 * chains from growing without bound under churn. */
static void kv_kill(kv_shm_t *s, apr_uint32_t idx, apr_time_t now)
{
    apr_uint32_t next = (idx + 1 == s->nslots) ? 0 : idx + 1;
    apr_uint32_t n;
    kv_slot_t *sl;

    if (kv_slot(s, next)->state != KV_EMPTY) {
        __atomic_store_n(&kv_slot(s, idx)->state, KV_DEAD, __ATOMIC_RELEASE);
        return;
    }
    for (n = 0; n < s->nslots; n++) {
        sl = kv_slot(s, idx);
        if (n > 0 && (sl->state == KV_EMPTY || kv_live(sl, now))) {
            break;
        }
        __atomic_store_n(&sl->state, KV_EMPTY, __ATOMIC_RELEASE);
        idx = idx ? idx - 1 : s->nslots - 1;
    }
}

static apr_status_t kv_shm_get(csc_kv_t *kv, const void *key,
                               apr_size_t klen, void *buf, apr_size_t bufsize,
                               apr_size_t *vlen, apr_time_t *expires)
{
    kv_shm_t *s = kv->impl;
    unsigned char dg[KV_DIGEST_LEN];
    apr_status_t rv;
    apr_time_t now;
    kv_slot_t *sl;
    long idx, reuse;

    if ((rv = kv_digest(s, key, klen, dg)) != APR_SUCCESS
        || (rv = kv_lock(s)) != APR_SUCCESS) {
        return rv;
    }
    now = apr_time_now();
    idx = kv_find(s, dg, now, &reuse);
    if (idx < 0) {
        rv = APR_NOTFOUND;
    }
    else if (!kv_live(sl = kv_slot(s, (apr_uint32_t)idx), now)) {
        kv_kill(s, (apr_uint32_t)idx, now);
        rv = APR_NOTFOUND;
    }
    else {
        *vlen = sl->vlen;
        if (expires) {
            *expires = sl->expires;
        }
        if (sl->vlen > bufsize) {
            rv = APR_ENOSPC;
        }
        else if (sl->vlen > 0) {
            memcpy(buf, sl->value, sl->vlen);
        }
    }
    kv_unlock(s);
    return rv;
}

static apr_status_t kv_shm_put(csc_kv_t *kv, const void *key,
                               apr_size_t klen, const void *val,
                               apr_size_t vlen, apr_time_t expires)
{
    kv_shm_t *s = kv->impl;
    unsigned char dg[KV_DIGEST_LEN];
    kv_slot_t *j = s->journal;
    apr_status_t rv;
    long idx, reuse;

    if (vlen > KV_SHM_VALUE_MAX) {
        return APR_EINVAL;
    }
    if ((rv = kv_digest(s, key, klen, dg)) != APR_SUCCESS
        || (rv = kv_lock(s)) != APR_SUCCESS) {
        return rv;
    }
    idx = kv_find(s, dg, apr_time_now(), &reuse);
    if (idx < 0) {
        idx = reuse;
    }
    if (idx < 0) {
        rv = APR_ENOSPC;
    }
    else {
        memcpy(j->digest, dg, KV_DIGEST_LEN);
        j->vlen = (apr_uint32_t)vlen;
        j->expires = expires;
        if (vlen > 0) {
            memcpy(j->value, val, vlen);
        }
        kv_commit(s, (apr_uint32_t)idx);
    }
    kv_unlock(s);
    return rv;
}

static apr_status_t kv_shm_del(csc_kv_t *kv, const void *key,
                               apr_size_t klen)
{
    kv_shm_t *s = kv->impl;
    unsigned char dg[KV_DIGEST_LEN];
    apr_status_t rv;
    apr_time_t now;
    long idx, reuse;

    if ((rv = kv_digest(s, key, klen, dg)) != APR_SUCCESS
        || (rv = kv_lock(s)) != APR_SUCCESS) {
        return rv;
    }
    now = apr_time_now();
    idx = kv_find(s, dg, now, &reuse);
    if (idx < 0) {
        rv = APR_NOTFOUND;
    }
    else {
        if (!kv_live(kv_slot(s, (apr_uint32_t)idx), now)) {
            rv = APR_NOTFOUND;
        }
        kv_kill(s, (apr_uint32_t)idx, now);
    }
    kv_unlock(s);
    return rv;
}

static apr_status_t kv_shm_update(csc_kv_t *kv, const void *key,
                                  apr_size_t klen, csc_kv_update_fn *fn,
                                  void *baton)
{
    kv_shm_t *s = kv->impl;
    unsigned char dg[KV_DIGEST_LEN];
    kv_slot_t *j = s->journal, *sl = NULL;
    csc_kv_action_e action = CSC_KV_KEEP;
    apr_size_t outlen = 0;
    apr_time_t now, exp = 0;
    apr_status_t rv;
    long idx, reuse;
    int live;

    if ((rv = kv_digest(s, key, klen, dg)) != APR_SUCCESS
        || (rv = kv_lock(s)) != APR_SUCCESS) {
        return rv;
    }
    now = apr_time_now();
    idx = kv_find(s, dg, now, &reuse);
    if (idx >= 0) {
        sl = kv_slot(s, (apr_uint32_t)idx);
    }
    live = sl && kv_live(sl, now);
    /* The callback writes straight into the journal's value: nothing is
     * committed until it returns, so dying inside it changes nothing. */
    rv = fn(baton, live ? sl->value : NULL, live ? sl->vlen : 0,
            live ? sl->expires : 0, j->value, &outlen, &exp, &action);
    if (rv != APR_SUCCESS) {
        action = CSC_KV_KEEP;   /* an error changes nothing (csc_kv.h) */
    }
    switch (action) {
    case CSC_KV_KEEP:
        break;
    case CSC_KV_STORE:
        if (outlen > KV_SHM_VALUE_MAX) {
            rv = APR_EINVAL;
            break;
        }
        if (idx < 0 && (idx = reuse) < 0) {
            rv = APR_ENOSPC;
            break;
        }
        memcpy(j->digest, dg, KV_DIGEST_LEN);
        j->vlen = (apr_uint32_t)outlen;
        j->expires = (exp == 0 && live) ? sl->expires : exp;
        kv_commit(s, (apr_uint32_t)idx);
        break;
    case CSC_KV_DELETE:
        if (sl) {
            kv_kill(s, (apr_uint32_t)idx, now);
        }
        break;
    default:
        rv = APR_EINVAL;
        break;
    }
    kv_unlock(s);
    return rv;
}

/* Children inherit the mapping with fork(), so there is nothing to reopen;
 * this only proves the mapping is there. */
static apr_status_t kv_shm_child_init(csc_kv_t *kv, apr_pool_t *p)
{
    kv_shm_t *s = kv->impl;

    (void)p;
    if (!s->map || s->hdr->magic != KV_MAGIC) {
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

static apr_status_t kv_shm_cleanup(void *data)
{
    kv_shm_t *s = data;

    if (s->map) {
        munmap(s->map, s->size);
        s->map = NULL;
    }
    if (s->md) {
        EVP_MD_free(s->md);
        s->md = NULL;
    }
    return APR_SUCCESS;
}

static void kv_shm_close(csc_kv_t *kv)
{
    kv_shm_t *s = kv->impl;

    /* Runs the cleanup now and unregisters it; a second close finds the
     * mapping gone and does nothing. */
    apr_pool_cleanup_run(s->pool, s, kv_shm_cleanup);
}

static const csc_kv_ops_t kv_shm_ops = {
    "shm",
    kv_shm_get,
    kv_shm_put,
    kv_shm_del,
    kv_shm_update,
    kv_shm_child_init,
    kv_shm_close
};

static const char *kv_err(apr_pool_t *p, const char *what, const char *path,
                          int err)
{
    char buf[128];

    return apr_psprintf(p, "%s %s: %s", what, path,
                        apr_strerror(APR_FROM_OS_ERROR(err), buf,
                                     sizeof(buf)));
}

/* Builds a complete table in a temporary file next to path and only then
 * makes it visible, so no process ever maps a half-initialised table.
 * replace = 0 links it into place (APR_EEXIST if someone was faster);
 * replace = 1 renames it over the old file, whose inode stays valid for the
 * processes still mapping it (old generation during a graceful restart). */
static apr_status_t kv_create(const char *path, apr_uint32_t nslots,
                              int replace, int *fdp, apr_pool_t *p,
                              const char **errmsg)
{
    char *tmp = apr_pstrcat(p, path, ".XXXXXX", NULL);
    apr_size_t size = kv_file_size(nslots);
    apr_status_t rv;
    kv_hdr_t *hdr;
    void *map;
    int fd, rc;

    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        rc = errno;
        if (rc == ENOENT) {
            *errmsg = apr_psprintf(p, "cannot create kv file %s: its "
                                   "directory does not exist", path);
        }
        else {
            *errmsg = kv_err(p, "cannot create kv file", path, rc);
        }
        return APR_FROM_OS_ERROR(rc);
    }
    if (fchmod(fd, 0600) != 0 || ftruncate(fd, (off_t)size) != 0) {
        rc = errno;
        *errmsg = kv_err(p, "cannot size kv file", path, rc);
        goto fail;
    }
    /* Reserve the blocks now: a hole that cannot be filled later would be
     * a SIGBUS inside some child's critical section. */
    if ((rc = posix_fallocate(fd, 0, (off_t)size)) != 0) {
        *errmsg = kv_err(p, "cannot allocate kv file", path, rc);
        goto fail;
    }
    map = mmap(NULL, KV_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        rc = errno;
        *errmsg = kv_err(p, "cannot map kv file", path, rc);
        goto fail;
    }
    hdr = map;
    hdr->version = KV_VERSION;
    hdr->slot_size = KV_SLOT_SIZE;
    hdr->nslots = nslots;
    hdr->mutex_size = sizeof(pthread_mutex_t);
    hdr->journal_target = 0;
    if (RAND_bytes(hdr->salt, KV_SALT_LEN) != 1) {
        munmap(map, KV_PAGE);
        *errmsg = apr_psprintf(p, "cannot create kv file %s: no random "
                               "bytes for its salt", path);
        unlink(tmp);
        close(fd);
        return APR_EGENERAL;
    }
    if ((rv = kv_init_lock(&hdr->lock)) != APR_SUCCESS) {
        munmap(map, KV_PAGE);
        rc = APR_TO_OS_ERROR(rv);
        *errmsg = kv_err(p, "cannot initialise the lock of", path, rc);
        goto fail;
    }
    hdr->magic = KV_MAGIC;
    munmap(map, KV_PAGE);

    if (replace) {
        if (rename(tmp, path) != 0) {
            rc = errno;
            *errmsg = kv_err(p, "cannot replace kv file", path, rc);
            goto fail;
        }
    }
    else {
        if (link(tmp, path) != 0) {
            rc = errno;
            unlink(tmp);
            close(fd);
            if (rc == EEXIST) {
                return APR_EEXIST;
            }
            *errmsg = kv_err(p, "cannot create kv file", path, rc);
            return APR_FROM_OS_ERROR(rc);
        }
        unlink(tmp);
    }
    *fdp = fd;
    return APR_SUCCESS;

fail:
    unlink(tmp);
    close(fd);
    return APR_FROM_OS_ERROR(rc);
}

/* Returns APR_SUCCESS with *why == NULL when fd is a usable table, with
 * *why set when it is ours but has another layout (replace it), or an error
 * when it must not be touched at all. */
static apr_status_t kv_check(int fd, const char *path, apr_uint32_t nslots,
                             apr_pool_t *p, const char **why,
                             const char **errmsg)
{
    kv_hdr_t hdr;
    struct stat st;
    ssize_t n;
    int rc;

    *why = NULL;
    if (fstat(fd, &st) != 0) {
        rc = errno;
        *errmsg = kv_err(p, "cannot stat kv file", path, rc);
        return APR_FROM_OS_ERROR(rc);
    }
    /* Anyone else able to write the table could forge tokens or reset SAD
     * budgets; anyone able to read it sees their values. */
    if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()
        || (st.st_mode & 077) != 0) {
        *errmsg = apr_psprintf(p, "refusing kv file %s: it must be a regular "
                               "file owned by uid %ld with mode 0600 (it has "
                               "uid %ld, mode %04lo)", path, (long)geteuid(),
                               (long)st.st_uid,
                               (unsigned long)(st.st_mode & 07777));
        return APR_EACCES;
    }
    if (st.st_size == 0) {
        *why = "file is empty";
        return APR_SUCCESS;
    }
    memset(&hdr, 0, sizeof(hdr));
    n = pread(fd, &hdr, sizeof(hdr), 0);
    if (n < 0) {
        rc = errno;
        *errmsg = kv_err(p, "cannot read kv file", path, rc);
        return APR_FROM_OS_ERROR(rc);
    }
    /* Never clobber a file that is not ours: the path may be a typo. */
    if ((size_t)n < sizeof(hdr.magic) || hdr.magic != KV_MAGIC) {
        *errmsg = apr_psprintf(p, "refusing kv file %s: it is not a mod_csc "
                               "kv table; remove it or choose another path",
                               path);
        return APR_EINVAL;
    }
    if ((size_t)n < sizeof(hdr) || hdr.version != KV_VERSION
        || hdr.slot_size != KV_SLOT_SIZE
        || hdr.mutex_size != sizeof(pthread_mutex_t)) {
        *why = apr_psprintf(p, "layout version %u, this build uses %u",
                            hdr.version, KV_VERSION);
    }
    else if (hdr.nslots != nslots) {
        *why = apr_psprintf(p, "it has %u slots, %u configured", hdr.nslots,
                            nslots);
    }
    else if ((apr_size_t)st.st_size != kv_file_size(nslots)) {
        *why = apr_psprintf(p, "size %ld, expected %lu", (long)st.st_size,
                            (unsigned long)kv_file_size(nslots));
    }
    return APR_SUCCESS;
}

static int kv_same_file(int fd, const char *path)
{
    struct stat a, b;

    return fstat(fd, &a) == 0 && lstat(path, &b) == 0
        && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Leaves *fdp open on a valid table at path, creating or replacing it. */
static apr_status_t kv_open_file(const char *path, apr_uint32_t nslots,
                                 int *fdp, apr_pool_t *p, const char **errmsg)
{
    const char *why;
    apr_status_t rv;
    int tries, fd, nfd, rc;

    for (tries = 0; tries < KV_OPEN_TRIES; tries++) {
        fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ELOOP) {
                *errmsg = apr_psprintf(p, "refusing kv file %s: it is a "
                                       "symbolic link", path);
                return APR_EACCES;
            }
            if ((rc = errno) != ENOENT) {
                *errmsg = kv_err(p, "cannot open kv file", path, rc);
                return APR_FROM_OS_ERROR(rc);
            }
            rv = kv_create(path, nslots, 0, fdp, p, errmsg);
            if (rv == APR_EEXIST) {
                continue;
            }
            if (rv == APR_SUCCESS) {
                csc_log(CSC_LOG_MARK, CSC_LOG_INFO,
                        "kv %s: created with %u slots", path, nslots);
            }
            return rv;
        }
        rv = kv_check(fd, path, nslots, p, &why, errmsg);
        if (rv != APR_SUCCESS || !why) {
            if (rv == APR_SUCCESS) {
                *fdp = fd;
            }
            else {
                close(fd);
            }
            return rv;
        }
        /* Serialise replacers; whoever comes second finds path already
         * pointing at a new file and starts over. */
        if (flock(fd, LOCK_EX) != 0) {
            rc = errno;
            *errmsg = kv_err(p, "cannot lock kv file", path, rc);
            close(fd);
            return APR_FROM_OS_ERROR(rc);
        }
        if (!kv_same_file(fd, path)) {
            close(fd);
            continue;
        }
        rv = kv_create(path, nslots, 1, &nfd, p, errmsg);
        close(fd);
        if (rv == APR_SUCCESS) {
            csc_log(CSC_LOG_MARK, CSC_LOG_NOTICE,
                    "kv %s: %s; replaced by an empty table of %u slots",
                    path, why, nslots);
            *fdp = nfd;
        }
        return rv;
    }
    *errmsg = apr_psprintf(p, "cannot open kv file %s: it keeps being "
                           "replaced by another process", path);
    return APR_EGENERAL;
}

/* CSC_KV_SHM_EXISTING: the table at path as it is, or an error. */
static apr_status_t kv_open_existing(const char *path, apr_uint32_t *nslots,
                                     int *fdp, apr_pool_t *p,
                                     const char **errmsg)
{
    kv_hdr_t hdr;
    const char *why;
    apr_status_t rv;
    int fd, rc;

    fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        rc = errno;
        *errmsg = kv_err(p, "cannot open kv file", path, rc);
        return APR_FROM_OS_ERROR(rc);
    }
    memset(&hdr, 0, sizeof(hdr));
    if (pread(fd, &hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr)
        || hdr.magic != KV_MAGIC || hdr.nslots == 0
        || hdr.nslots > KV_MAX_SLOTS) {
        close(fd);
        *errmsg = apr_psprintf(p, "%s is not a mod_csc state file", path);
        return APR_EINVAL;
    }
    rv = kv_check(fd, path, hdr.nslots, p, &why, errmsg);
    if (rv == APR_SUCCESS && why) {
        *errmsg = apr_psprintf(p, "kv %s: %s", path, why);
        rv = APR_EINVAL;
    }
    if (rv != APR_SUCCESS) {
        close(fd);
        return rv;
    }
    *nslots = hdr.nslots;
    *fdp = fd;
    return APR_SUCCESS;
}

apr_status_t csc_kv_shm_open(csc_kv_t **kvp, const char *path,
                             apr_uint32_t slots, int flags, apr_pool_t *p,
                             const char **errmsg)
{
    const char *dummy;
    apr_status_t rv;
    kv_shm_t *s;
    csc_kv_t *kv;
    void *map;
    int fd;

    if (!errmsg) {
        errmsg = &dummy;
    }
    *errmsg = NULL;
    if (!kvp || !path || !*path || !p) {
        *errmsg = "csc_kv_shm_open: missing argument";
        return APR_EINVAL;
    }
    if (!(flags & CSC_KV_SHM_EXISTING)
        && (slots == 0 || slots > KV_MAX_SLOTS)) {
        *errmsg = apr_psprintf(p, "kv %s: slot count %u out of range "
                               "1..%u", path, slots, KV_MAX_SLOTS);
        return APR_EINVAL;
    }
    s = apr_pcalloc(p, sizeof(*s));
    s->md = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!s->md) {
        *errmsg = "kv: SHA-256 is not available from OpenSSL";
        return APR_EGENERAL;
    }
    rv = (flags & CSC_KV_SHM_EXISTING)
         ? kv_open_existing(path, &slots, &fd, p, errmsg)
         : kv_open_file(path, slots, &fd, p, errmsg);
    if (rv != APR_SUCCESS) {
        EVP_MD_free(s->md);
        return rv;
    }
    s->size = kv_file_size(slots);
    map = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    rv = (map == MAP_FAILED) ? APR_FROM_OS_ERROR(errno) : APR_SUCCESS;
    if (rv != APR_SUCCESS) {
        *errmsg = kv_err(p, "cannot map kv file", path, APR_TO_OS_ERROR(rv));
    }
    /* The mapping keeps the file alive; no descriptor leaks into CGIs. */
    close(fd);
    if (rv != APR_SUCCESS) {
        EVP_MD_free(s->md);
        return rv;
    }
    s->map = map;
    s->hdr = map;
    s->journal = (kv_slot_t *)((unsigned char *)map + KV_PAGE);
    s->slots = (unsigned char *)map + KV_HDR_SIZE;
    s->nslots = slots;
    s->probe = slots < KV_MAX_PROBE ? slots : KV_MAX_PROBE;
    memcpy(s->salt, s->hdr->salt, KV_SALT_LEN);
    s->path = apr_pstrdup(p, path);
    s->pool = p;
    apr_pool_cleanup_register(p, s, kv_shm_cleanup, apr_pool_cleanup_null);

    if (flags & CSC_KV_SHM_FRESH) {
        if ((rv = kv_init_lock(&s->hdr->lock)) != APR_SUCCESS) {
            *errmsg = kv_err(p, "cannot initialise the lock of", path,
                             APR_TO_OS_ERROR(rv));
            apr_pool_cleanup_run(p, s, kv_shm_cleanup);
            return rv;
        }
        /* A writer that died mid-write before the restart left a committed
         * journal nobody else will finish. */
        kv_redo(s);
    }
    kv = apr_palloc(p, sizeof(*kv));
    kv->ops = &kv_shm_ops;
    kv->impl = s;
    kv->value_max = KV_SHM_VALUE_MAX;
    *kvp = kv;
    return APR_SUCCESS;
}
