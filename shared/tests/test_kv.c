/* SPDX-License-Identifier: Apache-2.0 */
/* csc_kv + shm backend: exact round trips, expiry, capacity, persistence,
 * and the multi-process properties httpd needs (atomic updates across
 * forked children and threads, recovery from a child killed holding the
 * lock or in the middle of a write).
 * With CSC_TEST_PGSQL set to a libpq conninfo, the backend-independent
 * tests run against the PostgreSQL backend instead (tools/test.sh's
 * pgsql stage starts the server), plus its own: expired rows removed, a
 * password kept out of messages, and the same update races across
 * processes and threads. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_dbd.h>
#include <apr_time.h>

#include "state/csc_kv.h"
#include "base/csc_log.h"
#include "tap.h"

static char tmpdir[64];
static apr_pool_t *pool;

/* ---- log capture ---- */

static int log_notices;
static int log_warnings;
static char log_last[1024];

static void capture_sink(void *baton, const char *file, int line, int level,
                         const char *msg)
{
    (void)baton;
    (void)file;
    (void)line;
    if (level == CSC_LOG_NOTICE) {
        log_notices++;
    }
    else if (level == CSC_LOG_WARNING) {
        log_warnings++;
    }
    apr_cpystrn(log_last, msg, sizeof(log_last));
    printf("# log(%d): %s\n", level, msg);
}

/* ---- helpers ---- */

static const char *tpath(const char *name)
{
    return apr_pstrcat(pool, tmpdir, "/", name, NULL);
}

/* the PostgreSQL conninfo, or NULL for the shm backend */
static const char *pg;
static const char *pg_opened = "";

/* Runs sql on its own connection (PostgreSQL mode). */
static int pg_exec(const char *sql)
{
    const apr_dbd_driver_t *drv;
    apr_dbd_t *h = NULL;
    const char *err = NULL;
    int n = 0, rc;

    if (apr_dbd_get_driver(pool, "pgsql", &drv) != APR_SUCCESS
        || apr_dbd_open_ex(drv, pool, pg, &h, &err) != APR_SUCCESS) {
        printf("# pgsql: %s\n", err ? err : "cannot connect");
        return -1;
    }
    rc = apr_dbd_query(drv, h, &n, sql);
    apr_dbd_close(drv, h);
    return rc ? -1 : n;
}

static csc_kv_t *open_kv(const char *name, apr_uint32_t slots, int flags)
{
    csc_kv_t *kv = NULL;
    const char *err = NULL;
    apr_status_t rv;

    if (pg) {
        /* a test's first open starts from an empty table, as a new shm
         * file would */
        const char *mark = apr_pstrcat(pool, "/", name, "/", NULL);
        rv = csc_kv_pgsql_open(&kv, pg, pool, &err);
        if (rv == APR_SUCCESS && !strstr(pg_opened, mark)) {
            pg_opened = apr_pstrcat(pool, pg_opened, mark, NULL);
            pg_exec("TRUNCATE csc_kv");
        }
    }
    else {
        rv = csc_kv_shm_open(&kv, tpath(name), slots, flags, pool, &err);
    }

    if (rv != APR_SUCCESS) {
        printf("# open %s: %s\n", name, err ? err : "(no message)");
        return NULL;
    }
    return kv;
}

static apr_status_t put_str(csc_kv_t *kv, const char *k, const char *v,
                            apr_time_t exp)
{
    return csc_kv_put(kv, k, strlen(k), v, strlen(v), exp);
}

/* Returns the value as a string from the pool, or NULL with *rvp set. */
static const char *get_str(csc_kv_t *kv, const char *k, apr_status_t *rvp)
{
    char buf[CSC_KV_RECORD_MAX + 1];
    apr_size_t vlen = 0;
    apr_status_t rv = kv ? csc_kv_get(kv, k, strlen(k), buf,
                                      CSC_KV_RECORD_MAX, &vlen, NULL)
                         : APR_EINVAL;

    if (rvp) {
        *rvp = rv;
    }
    if (rv != APR_SUCCESS) {
        return NULL;
    }
    return apr_pstrmemdup(pool, buf, vlen);
}

static apr_uint64_t get_u64(csc_kv_t *kv, const char *k, apr_status_t *rvp)
{
    apr_uint64_t v = 0;
    apr_size_t vlen = 0;

    *rvp = csc_kv_get(kv, k, strlen(k), &v, sizeof(v), &vlen, NULL);
    if (*rvp == APR_SUCCESS && vlen != sizeof(v)) {
        *rvp = APR_EGENERAL;
    }
    return v;
}

static apr_status_t incr_cb(void *baton, const void *cur, apr_size_t curlen,
                            apr_time_t cur_exp, void *out,
                            apr_size_t *outlen, apr_time_t *exp,
                            csc_kv_action_e *action)
{
    apr_uint64_t v = 0;

    (void)cur_exp;
    (void)exp;
    if (cur) {
        if (curlen != sizeof(v)) {
            return APR_EGENERAL;
        }
        memcpy(&v, cur, sizeof(v));
    }
    v++;
    memcpy(out, &v, sizeof(v));
    *outlen = sizeof(v);
    *action = CSC_KV_STORE;
    if (baton) {
        *(apr_uint64_t *)baton = v;
    }
    return APR_SUCCESS;
}

static int run_increments(csc_kv_t *kv, const char *key, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        if (csc_kv_update(kv, key, strlen(key), incr_cb, NULL)
            != APR_SUCCESS) {
            return 0;
        }
    }
    return 1;
}

/* ---- update semantics ---- */

typedef struct {
    int saw_cur;
    apr_size_t curlen;
    apr_time_t cur_exp;
    char cur[64];
    const char *store;         /* NULL: no store */
    apr_time_t exp;
    apr_size_t force_len;      /* non-zero: claim this outlen */
    csc_kv_action_e action;
    apr_status_t ret;
} upd_t;

static apr_status_t upd_cb(void *baton, const void *cur, apr_size_t curlen,
                           apr_time_t cur_exp, void *out, apr_size_t *outlen,
                           apr_time_t *exp, csc_kv_action_e *action)
{
    upd_t *u = baton;

    u->saw_cur = cur != NULL;
    u->curlen = curlen;
    u->cur_exp = cur_exp;
    memset(u->cur, 0, sizeof(u->cur));
    if (cur && curlen < sizeof(u->cur)) {
        memcpy(u->cur, cur, curlen);
    }
    if (*action != CSC_KV_KEEP || *outlen != 0 || *exp != 0) {
        return APR_EBADF;  /* the documented initial values were wrong */
    }
    if (u->store) {
        memcpy(out, u->store, strlen(u->store));
        *outlen = u->force_len ? u->force_len : strlen(u->store);
        *exp = u->exp;
    }
    *action = u->action;
    return u->ret;
}

static void test_basic(void)
{
    csc_kv_t *kv = open_kv("basic", 64, 0);
    char big[CSC_KV_RECORD_MAX + 1], buf[CSC_KV_RECORD_MAX];
    char key[CSC_KV_KEY_MAX + 1];
    apr_time_t exp = 0, far = apr_time_now() + apr_time_from_sec(3600);
    apr_size_t vlen = 0;
    apr_status_t rv;
    int i, same;

    ok(kv != NULL, "open basic table");
    if (!kv) {
        return;
    }
    is_str(kv->ops->name, pg ? "pgsql" : "shm", "backend name");
    is_int(csc_kv_child_init(kv, pool), APR_SUCCESS, "child_init in parent");

    is_int(put_str(kv, "alpha", "one", far), APR_SUCCESS, "put alpha");
    is_str(get_str(kv, "alpha", NULL), "one", "get alpha exact");
    is_int(csc_kv_get(kv, "alpha", 5, buf, sizeof(buf), &vlen, &exp),
           APR_SUCCESS, "get alpha with expiry");
    ok(exp == far, "stored expiry returned exactly");
    is_int(put_str(kv, "alpha", "a longer second value", 0), APR_SUCCESS,
           "overwrite alpha");
    is_str(get_str(kv, "alpha", NULL), "a longer second value",
           "overwrite exact");
    is_int(csc_kv_get(kv, "alpha", 5, buf, sizeof(buf), &vlen, &exp),
           APR_SUCCESS, "get alpha again");
    is_int(exp, 0, "expires 0 = never is kept");
    ok(get_str(kv, "alphA", &rv) == NULL && rv == APR_NOTFOUND,
       "keys are case sensitive");
    is_int(csc_kv_del(kv, "alpha", 5), APR_SUCCESS, "del alpha");
    ok(get_str(kv, "alpha", &rv) == NULL && rv == APR_NOTFOUND,
       "alpha gone after del");
    is_int(csc_kv_del(kv, "alpha", 5), APR_NOTFOUND, "second del notfound");

    /* Keys are bytes, not strings. */
    is_int(csc_kv_put(kv, "a\0b", 3, "x", 1, 0), APR_SUCCESS, "binary key");
    is_int(csc_kv_get(kv, "a\0c", 3, buf, sizeof(buf), &vlen, NULL),
           APR_NOTFOUND, "key bytes after NUL matter");
    is_int(csc_kv_put(kv, "empty", 5, NULL, 0, 0), APR_SUCCESS,
           "empty value");
    vlen = 99;
    is_int(csc_kv_get(kv, "empty", 5, buf, sizeof(buf), &vlen, NULL),
           APR_SUCCESS, "get empty value");
    is_int(vlen, 0, "empty value length 0");

    /* Size limits. */
    memset(key, 'k', sizeof(key));
    for (i = 0; i < (int)sizeof(big); i++) {
        big[i] = (char)(i * 7 + 3);
    }
    is_int(csc_kv_put(kv, key, CSC_KV_KEY_MAX, big, CSC_KV_RECORD_MAX, 0),
           APR_SUCCESS, "max key and max value");
    memset(buf, 0, sizeof(buf));
    is_int(csc_kv_get(kv, key, CSC_KV_KEY_MAX, buf, sizeof(buf), &vlen,
                      NULL), APR_SUCCESS, "get max value");
    same = vlen == CSC_KV_RECORD_MAX && memcmp(buf, big, vlen) == 0;
    ok(same, "max value round trip is exact");
    vlen = 0;
    is_int(csc_kv_get(kv, key, CSC_KV_KEY_MAX, buf, 100, &vlen, NULL),
           APR_ENOSPC, "small buffer: ENOSPC");
    is_int(vlen, CSC_KV_RECORD_MAX, "small buffer: needed length reported");
    is_int(csc_kv_put(kv, key, CSC_KV_KEY_MAX + 1, "x", 1, 0), APR_EINVAL,
           "key too long");
    is_int(csc_kv_put(kv, key, 0, "x", 1, 0), APR_EINVAL, "empty key");
    is_int(csc_kv_put(kv, "v", 1, big, CSC_KV_RECORD_MAX + 1, 0), APR_EINVAL,
           "value too long");
    is_int(csc_kv_get(kv, NULL, 1, buf, sizeof(buf), &vlen, NULL),
           APR_EINVAL, "NULL key");
    csc_kv_close(kv);
    csc_kv_close(kv);
    /* the second close must neither unmap twice nor damage the file: the
     * table opens again with what was stored before the closes */
    kv = open_kv("basic", 64, 0);
    vlen = 0;
    is_int(csc_kv_get(kv, key, CSC_KV_KEY_MAX, buf, sizeof(buf), &vlen,
                      NULL), APR_SUCCESS, "after a double close: reopened");
    ok(vlen == CSC_KV_RECORD_MAX && memcmp(buf, big, vlen) == 0,
       "after a double close: the max value is intact");
    csc_kv_close(kv);
}

static void test_update(void)
{
    csc_kv_t *kv = open_kv("update", 16, 0);
    apr_time_t t1 = apr_time_now() + apr_time_from_sec(600);
    apr_time_t t2 = t1 + apr_time_from_sec(60), exp = 0;
    char buf[64];
    apr_size_t vlen;
    upd_t u;

    ok(kv != NULL, "open update table");
    if (!kv) {
        return;
    }
    memset(&u, 0, sizeof(u));
    u.store = "first";
    u.exp = t1;
    u.action = CSC_KV_STORE;
    is_int(csc_kv_update(kv, "u", 1, upd_cb, &u), APR_SUCCESS,
           "update on absent key stores");
    ok(!u.saw_cur && u.curlen == 0, "absent key: cur NULL, curlen 0");
    is_str(get_str(kv, "u", NULL), "first", "stored value exact");

    memset(&u, 0, sizeof(u));
    u.action = CSC_KV_KEEP;
    u.ret = APR_EEXIST;
    is_int(csc_kv_update(kv, "u", 1, upd_cb, &u), APR_EEXIST,
           "callback's status is returned");
    ok(u.saw_cur && u.curlen == 5 && strcmp(u.cur, "first") == 0,
       "callback saw the current value");
    ok(u.cur_exp == t1, "callback saw the current expiry");
    is_str(get_str(kv, "u", NULL), "first", "KEEP leaves the value");

    memset(&u, 0, sizeof(u));
    u.store = "second!";
    u.action = CSC_KV_STORE;
    is_int(csc_kv_update(kv, "u", 1, upd_cb, &u), APR_SUCCESS,
           "store with expires 0");
    is_int(csc_kv_get(kv, "u", 1, buf, sizeof(buf), &vlen, &exp),
           APR_SUCCESS, "get after store");
    ok(vlen == 7 && memcmp(buf, "second!", 7) == 0, "new value exact");
    ok(exp == t1, "expires 0 kept the current expiry");

    memset(&u, 0, sizeof(u));
    u.store = "third";
    u.exp = t2;
    u.action = CSC_KV_STORE;
    csc_kv_update(kv, "u", 1, upd_cb, &u);
    csc_kv_get(kv, "u", 1, buf, sizeof(buf), &vlen, &exp);
    ok(exp == t2, "explicit expiry replaces the current one");

    memset(&u, 0, sizeof(u));
    u.store = "bogus";
    u.force_len = CSC_KV_RECORD_MAX + 1;
    u.action = CSC_KV_STORE;
    is_int(csc_kv_update(kv, "u", 1, upd_cb, &u), APR_EINVAL,
           "oversized outlen rejected");
    is_str(get_str(kv, "u", NULL), "third", "rejected store changed nothing");

    /* csc_kv.h: the action is carried out only when the callback
     * succeeds, so a backend that cannot run it atomically may skip it */
    memset(&u, 0, sizeof(u));
    u.store = "erring";
    u.action = CSC_KV_STORE;
    u.ret = APR_EGENERAL;
    is_int(csc_kv_update(kv, "u", 1, upd_cb, &u), APR_EGENERAL,
           "a callback's error is passed on");
    is_str(get_str(kv, "u", NULL), "third", "and its STORE is not done");
    memset(&u, 0, sizeof(u));
    u.action = CSC_KV_DELETE;
    u.ret = APR_EGENERAL;
    csc_kv_update(kv, "u", 1, upd_cb, &u);
    is_str(get_str(kv, "u", NULL), "third", "nor its DELETE");
    is_int((int)csc_kv_value_max(kv), 3968,
           "the backend's value limit is its own property");

    memset(&u, 0, sizeof(u));
    u.action = CSC_KV_DELETE;
    is_int(csc_kv_update(kv, "u", 1, upd_cb, &u), APR_SUCCESS,
           "update DELETE");
    is_int(csc_kv_del(kv, "u", 1), APR_NOTFOUND, "deleted by update");
    csc_kv_close(kv);
}

/* A callback that re-enters the kv must get an error, not a hang. */
static apr_status_t reenter_cb(void *baton, const void *cur,
                               apr_size_t curlen, apr_time_t cur_exp,
                               void *out, apr_size_t *outlen, apr_time_t *exp,
                               csc_kv_action_e *action)
{
    char buf[8];
    apr_size_t vlen;

    (void)cur; (void)curlen; (void)cur_exp; (void)out; (void)outlen;
    (void)exp; (void)action;
    return csc_kv_get(baton, "x", 1, buf, sizeof(buf), &vlen, NULL);
}

static void test_reenter(void)
{
    csc_kv_t *kv = open_kv("reenter", 4, 0);
    apr_time_t t0 = apr_time_now();
    apr_status_t rv;

    if (!kv) {
        ok(0, "open reenter table");
        return;
    }
    rv = csc_kv_update(kv, "x", 1, reenter_cb, kv);
    ok(rv != APR_SUCCESS && rv != APR_NOTFOUND,
       "re-entrant call fails (rv %d)", rv);
    ok(apr_time_now() - t0 < apr_time_from_sec(1), "and fails at once");
    is_int(put_str(kv, "x", "ok", 0), APR_SUCCESS, "lock usable afterwards");
    csc_kv_close(kv);
}

/* Random operations against a trivially correct model: exercises probe
 * chains, tombstones and trimming in a table that is often full. */
#define M_SLOTS 64
#define M_KEYS  80
static void test_model(void)
{
    csc_kv_t *kv = open_kv("model", M_SLOTS, 0);
    static char mval[M_KEYS][300];
    static int mlen[M_KEYS];  /* -1 = absent */
    char key[16], val[300], buf[CSC_KV_RECORD_MAX];
    unsigned long seed = 12345;
    int i, k, op, n, live = 0, bad = 0, enospc = 0;
    apr_size_t vlen;
    apr_status_t rv, want;

    ok(kv != NULL, "open model table");
    if (!kv) {
        return;
    }
    for (k = 0; k < M_KEYS; k++) {
        mlen[k] = -1;
    }
#define RND() (seed = seed * 6364136223846793005UL + 1442695040888963407UL, \
               (unsigned)(seed >> 33))
    for (i = 0; i < 6000; i++) {
        k = (int)(RND() % M_KEYS);
        op = (int)(RND() % 10);
        n = snprintf(key, sizeof(key), "key-%d", k);
        if (op < 5) {
            int len = (int)(RND() % 300), j;
            for (j = 0; j < len; j++) {
                val[j] = (char)RND();
            }
            want = (mlen[k] < 0 && live == M_SLOTS) ? APR_ENOSPC
                                                    : APR_SUCCESS;
            rv = csc_kv_put(kv, key, n, val, len, 0);
            if (rv != want) {
                bad++;
            }
            if (rv == APR_ENOSPC) {
                enospc++;
            }
            if (rv == APR_SUCCESS) {
                if (mlen[k] < 0) {
                    live++;
                }
                memcpy(mval[k], val, len);
                mlen[k] = len;
            }
        }
        else if (op < 8) {
            rv = csc_kv_get(kv, key, n, buf, sizeof(buf), &vlen, NULL);
            if (mlen[k] < 0 ? rv != APR_NOTFOUND
                : (rv != APR_SUCCESS || (int)vlen != mlen[k]
                   || memcmp(buf, mval[k], vlen) != 0)) {
                bad++;
            }
        }
        else {
            rv = csc_kv_del(kv, key, n);
            if (rv != (mlen[k] < 0 ? APR_NOTFOUND : APR_SUCCESS)) {
                bad++;
            }
            if (mlen[k] >= 0) {
                mlen[k] = -1;
                live--;
            }
        }
    }
    /* Every surviving key must still be reachable after all that churn. */
    for (k = 0; k < M_KEYS; k++) {
        n = snprintf(key, sizeof(key), "key-%d", k);
        rv = csc_kv_get(kv, key, n, buf, sizeof(buf), &vlen, NULL);
        if (mlen[k] < 0 ? rv != APR_NOTFOUND
            : (rv != APR_SUCCESS || (int)vlen != mlen[k]
               || memcmp(buf, mval[k], vlen) != 0)) {
            bad++;
        }
    }
    is_int(bad, 0, "6000 random ops match the model exactly");
    ok(enospc > 0, "model run hit a full table (%d ENOSPC)", enospc);
    csc_kv_close(kv);
}

static void test_expiry_and_full(void)
{
    csc_kv_t *kv = open_kv("full", 8, 0);
    apr_time_t now = apr_time_now();
    char key[16];
    apr_status_t rv;
    int i, bad = 0;

    ok(kv != NULL, "open 8-slot table");
    if (!kv) {
        return;
    }
    for (i = 0; i < 7; i++) {
        snprintf(key, sizeof(key), "live%d", i);
        if (put_str(kv, key, key, 0) != APR_SUCCESS) {
            bad++;
        }
    }
    is_int(bad, 0, "7 live entries stored");
    is_int(put_str(kv, "short", "lived", now + apr_time_from_sec(1)),
           APR_SUCCESS, "entry expiring in 1 s stored");
    is_int(put_str(kv, "extra", "x", 0), APR_ENOSPC,
           "full of live entries: ENOSPC");
    is_str(get_str(kv, "short", NULL), "lived", "short entry readable now");
    apr_sleep(apr_time_from_msec(1100));
    ok(get_str(kv, "short", &rv) == NULL && rv == APR_NOTFOUND,
       "short entry gone after 1.1 s");
    is_int(put_str(kv, "extra", "x", 0), APR_SUCCESS,
           "expired slot is reused");
    is_str(get_str(kv, "extra", NULL), "x", "reused slot holds new value");
    for (i = 0; i < 7; i++) {
        snprintf(key, sizeof(key), "live%d", i);
        if (!get_str(kv, key, NULL) || strcmp(get_str(kv, key, NULL), key)) {
            bad++;
        }
    }
    is_int(bad, 0, "no live entry was evicted");
    is_int(put_str(kv, "more", "y", 0), APR_ENOSPC, "full again: ENOSPC");
    is_int(put_str(kv, "live3", "new", 0), APR_SUCCESS,
           "overwrite works when full");
    is_str(get_str(kv, "live3", NULL), "new", "overwrite exact when full");
    is_int(put_str(kv, "past", "p", now - 1), APR_ENOSPC,
           "full is full even for an already expired put");
    csc_kv_close(kv);
}

static void test_persistence(void)
{
    csc_kv_t *kv = open_kv("persist", 16, 0), *old, *kv2;
    struct stat st1, st2;
    apr_status_t rv;
    int n;

    ok(kv != NULL, "open persist table");
    if (!kv) {
        return;
    }
    put_str(kv, "tok", "survives", 0);
    csc_kv_close(kv);
    kv = open_kv("persist", 16, 0);
    is_str(get_str(kv, "tok", NULL), "survives",
           "value survives close + reopen");
    csc_kv_close(kv);
    kv = open_kv("persist", 16, CSC_KV_SHM_FRESH);
    is_str(get_str(kv, "tok", NULL), "survives",
           "value survives a FRESH reopen");
    ok(kv && put_str(kv, "tok2", "v2", 0) == APR_SUCCESS,
       "FRESH lock works");
    stat(tpath("persist"), &st1);
    is_int(st1.st_mode & 07777, 0600, "file mode 0600");

    /* Like the old generation during a graceful restart: still mapped. */
    old = kv;
    n = log_notices;
    kv2 = open_kv("persist", 32, 0);
    ok(kv2 != NULL, "reopen with another slot count");
    is_int(log_notices, n + 1, "recreation logged at NOTICE");
    ok(strstr(log_last, "16 slots, 32 configured") != NULL,
       "notice names the reason");
    ok(kv2 && get_str(kv2, "tok", &rv) == NULL && rv == APR_NOTFOUND,
       "recreated table is empty");
    stat(tpath("persist"), &st2);
    ok(st1.st_ino != st2.st_ino, "recreated as a new file");
    is_int(st2.st_size, 8192 + 32 * 4096, "new file sized for 32 slots");
    is_str(get_str(old, "tok", NULL), "survives",
           "a process still mapping the old file is unaffected");
    csc_kv_close(old);
    csc_kv_close(kv2);
    kv = open_kv("persist", 32, 0);
    ok(kv && put_str(kv, "a", "b", 0) == APR_SUCCESS
       && strcmp(get_str(kv, "a", NULL), "b") == 0, "new layout works");
    csc_kv_close(kv);
}

static void test_open_errors(void)
{
    csc_kv_t *kv = NULL;
    const char *err = NULL, *path;
    char buf[16];
    apr_status_t rv;
    int fd;

    path = tpath("no/such/dir/kv");
    rv = csc_kv_shm_open(&kv, path, 8, 0, pool, &err);
    ok(rv != APR_SUCCESS && err && strstr(err, path)
       && strstr(err, "directory"), "missing directory named: %s",
       err ? err : "");
    rv = csc_kv_shm_open(&kv, tpath("zero"), 0, 0, pool, &err);
    is_int(rv, APR_EINVAL, "0 slots rejected");

    path = tpath("foreign");
    fd = open(path, O_CREAT | O_WRONLY, 0600);
    ok(fd >= 0 && write(fd, "precious data\n", 14) == 14, "foreign file");
    close(fd);
    err = NULL;
    rv = csc_kv_shm_open(&kv, path, 8, 0, pool, &err);
    ok(rv != APR_SUCCESS && err && strstr(err, "not a mod_csc kv"),
       "foreign file refused: %s", err ? err : "");
    fd = open(path, O_RDONLY);
    ok(fd >= 0 && read(fd, buf, sizeof(buf)) == 14
       && memcmp(buf, "precious data\n", 14) == 0,
       "foreign file left untouched");
    close(fd);

    kv = open_kv("loose", 8, 0);
    csc_kv_close(kv);
    chmod(tpath("loose"), 0644);
    err = NULL;
    rv = csc_kv_shm_open(&kv, tpath("loose"), 8, 0, pool, &err);
    ok(rv != APR_SUCCESS && err && strstr(err, "0644"),
       "group/other-readable file refused: %s", err ? err : "");

    ok(symlink(tpath("loose"), tpath("link")) == 0, "symlink made");
    chmod(tpath("loose"), 0600);
    err = NULL;
    rv = csc_kv_shm_open(&kv, tpath("link"), 8, 0, pool, &err);
    ok(rv != APR_SUCCESS && err && strstr(err, "symbolic link"),
       "symlink refused: %s", err ? err : "");

    fd = open(tpath("emptyfile"), O_CREAT | O_WRONLY, 0600);
    close(fd);
    kv = open_kv("emptyfile", 8, 0);
    ok(kv != NULL, "an empty file is initialised");
    csc_kv_close(kv);
}

/* A tool working on a running server's state opens it as it is. */
static void test_open_existing(void)
{
    csc_kv_t *kv = open_kv("existing", 24, 0), *tool = NULL;
    const char *err = NULL;
    struct stat st1, st2;
    apr_status_t rv;
    int fd;

    ok(kv && put_str(kv, "k", "server value", 0) == APR_SUCCESS,
       "a server's table");
    stat(tpath("existing"), &st1);
    rv = csc_kv_shm_open(&tool, tpath("existing"), 0, CSC_KV_SHM_EXISTING,
                         pool, &err);
    is_int(rv, APR_SUCCESS, "opened without knowing its slot count");
    is_str(tool ? get_str(tool, "k", NULL) : NULL, "server value",
           "the tool sees the server's entries");
    ok(tool && put_str(tool, "k2", "tool value", 0) == APR_SUCCESS
       && kv && strcmp(get_str(kv, "k2", NULL), "tool value") == 0,
       "and the server sees the tool's changes");
    csc_kv_close(tool);
    stat(tpath("existing"), &st2);
    ok(st1.st_ino == st2.st_ino && st2.st_size == 8192 + 24 * 4096,
       "the file is neither replaced nor resized");
    csc_kv_close(kv);
    err = NULL;
    rv = csc_kv_shm_open(&tool, tpath("not-there"), 0, CSC_KV_SHM_EXISTING,
                         pool, &err);
    ok(rv != APR_SUCCESS && access(tpath("not-there"), F_OK) != 0,
       "a missing table is not created: %s", err ? err : "");
    fd = open(tpath("empty-existing"), O_CREAT | O_WRONLY, 0600);
    close(fd);
    err = NULL;
    rv = csc_kv_shm_open(&tool, tpath("empty-existing"), 0,
                         CSC_KV_SHM_EXISTING, pool, &err);
    ok(rv != APR_SUCCESS && err && strstr(err, "not a mod_csc state"),
       "an empty file is not initialised: %s", err ? err : "");
}

/* ---- processes ---- */

static int wait_child(pid_t pid, int *sig)
{
    int st = 0;

    *sig = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(st)) {
        *sig = WTERMSIG(st);
        return -1;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define NPROC 8
/* PostgreSQL: each update is two round trips behind one lock */
#define NINCR (pg ? 250 : 2000)

static void test_fork_increments(void)
{
    csc_kv_t *kv = open_kv("fork", 64, 0);
    pid_t pids[NPROC];
    int i, sig, failed = 0;
    apr_uint64_t v;
    apr_status_t rv;
    apr_time_t t0;

    if (!kv) {
        ok(0, "open fork table");
        return;
    }
    fflush(stdout);
    t0 = apr_time_now();
    for (i = 0; i < NPROC; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            apr_pool_t *cp;
            apr_pool_create(&cp, NULL);
            if (csc_kv_child_init(kv, cp) != APR_SUCCESS) {
                _exit(2);
            }
            _exit(run_increments(kv, "ctr", NINCR) ? 0 : 1);
        }
    }
    for (i = 0; i < NPROC; i++) {
        if (pids[i] < 0 || wait_child(pids[i], &sig) != 0) {
            failed++;
        }
    }
    printf("# speed (%d processes, one key): %.0f updates/s incl. fork\n",
           NPROC, NPROC * NINCR * 1e6 / (double)(apr_time_now() - t0));
    is_int(failed, 0, "%d children ran child_init and %d updates each",
           NPROC, NINCR);
    v = get_u64(kv, "ctr", &rv);
    is_int(rv, APR_SUCCESS, "counter readable");
    is_int(v, NPROC * NINCR, "8 processes x %d increments = %d", NINCR,
           NPROC * NINCR);
    csc_kv_close(kv);
}

static apr_status_t die_cb(void *baton, const void *cur, apr_size_t curlen,
                           apr_time_t cur_exp, void *out, apr_size_t *outlen,
                           apr_time_t *exp, csc_kv_action_e *action)
{
    (void)baton; (void)cur; (void)curlen; (void)cur_exp; (void)exp;
    memset(out, 'Z', 100);
    *outlen = 100;
    *action = CSC_KV_STORE;
    raise(SIGKILL);
    return APR_SUCCESS;
}

static void die_hook(int point)
{
    if (point == CSC_KV_SHM_HOOK_APPLY) {
        raise(SIGKILL);
    }
}

static void test_killed_holder(void)
{
    csc_kv_t *kv = open_kv("kill", 16, 0);
    char big[3000], buf[CSC_KV_RECORD_MAX];
    apr_size_t vlen = 0;
    apr_uint64_t v, seven = 7;
    apr_status_t rv;
    pid_t pid;
    int sig, w;

    if (!kv) {
        ok(0, "open kill table");
        return;
    }
    csc_kv_put(kv, "ctr", 3, &seven, sizeof(seven), 0);

    /* 1: dies inside the callback, i.e. holding the lock, before commit. */
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        csc_kv_update(kv, "ctr", 3, die_cb, NULL);
        _exit(0);
    }
    wait_child(pid, &sig);
    is_int(sig, SIGKILL, "child died by SIGKILL inside the callback");
    w = log_warnings;
    v = get_u64(kv, "ctr", &rv);
    is_int(rv, APR_SUCCESS, "parent's next operation is not blocked");
    is_int(v, 7, "entry unchanged by the uncommitted write");
    is_int(log_warnings, w + 1, "owner death logged once");
    is_int(csc_kv_update(kv, "ctr", 3, incr_cb, NULL), APR_SUCCESS,
           "update after recovery");
    v = get_u64(kv, "ctr", &rv);
    is_int(v, 8, "counter consistent after recovery");

    /* 2: dies after commit with the target slot half copied. */
    memset(big, 'B', sizeof(big));
    csc_kv_put(kv, "torn", 4, "AAAAAAAAAA", 10, 0);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        csc_kv_shm_set_test_hook(die_hook);
        csc_kv_put(kv, "torn", 4, big, sizeof(big), 0);
        _exit(0);
    }
    wait_child(pid, &sig);
    is_int(sig, SIGKILL, "child died by SIGKILL mid-write");
    w = log_warnings;
    rv = csc_kv_get(kv, "torn", 4, buf, sizeof(buf), &vlen, NULL);
    is_int(rv, APR_SUCCESS, "torn entry readable, lock not blocked");
    ok(vlen == sizeof(big) && memcmp(buf, big, vlen) == 0,
       "committed write completed by recovery (len %lu)",
       (unsigned long)vlen);
    is_int(log_warnings, w + 1, "mid-write death logged");
    v = get_u64(kv, "ctr", &rv);
    is_int(v, 8, "other entries untouched");

    /* 3: a fresh child after the deaths still works. */
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        _exit(run_increments(kv, "ctr", 10) ? 0 : 1);
    }
    is_int(wait_child(pid, &sig), 0, "later child updates normally");
    v = get_u64(kv, "ctr", &rv);
    is_int(v, 18, "counter exact after recoveries");
    csc_kv_close(kv);
}

/* ---- threads ---- */

#define NTHR 4
static csc_kv_t *thr_kv;

static void *thr_main(void *arg)
{
    (void)arg;
    return run_increments(thr_kv, "tctr", NINCR) ? arg : NULL;
}

static void test_threads(void)
{
    static int ids[NTHR];
    pthread_t t[NTHR];
    void *res;
    int i, failed = 0;
    apr_uint64_t v;
    apr_status_t rv;

    thr_kv = open_kv("threads", 64, 0);
    if (!thr_kv) {
        ok(0, "open threads table");
        return;
    }
    for (i = 0; i < NTHR; i++) {
        if (pthread_create(&t[i], NULL, thr_main, &ids[i]) != 0) {
            failed++;
        }
    }
    for (i = 0; i < NTHR; i++) {
        if (pthread_join(t[i], &res) != 0 || res == NULL) {
            failed++;
        }
    }
    is_int(failed, 0, "4 threads ran their updates");
    v = get_u64(thr_kv, "tctr", &rv);
    is_int(v, NTHR * NINCR, "4 threads x %d increments = %d", NINCR,
           NTHR * NINCR);
    csc_kv_close(thr_kv);
}

static void test_speed(void)
{
    csc_kv_t *kv = open_kv("speed", 4096, 0);
    char buf[64], key[32];
    apr_size_t vlen;
    apr_time_t t0, el;
    long n = 0, i;
    double gets, upds;

    if (!kv) {
        ok(0, "open speed table");
        return;
    }
    for (i = 0; i < 1000; i++) {
        snprintf(key, sizeof(key), "tok-%ld", i);
        put_str(kv, key, "0123456789abcdef0123456789abcdef", 0);
    }
    t0 = apr_time_now();
    do {
        for (i = 0; i < 1000; i++, n++) {
            snprintf(key, sizeof(key), "tok-%ld", i);
            csc_kv_get(kv, key, strlen(key), buf, sizeof(buf), &vlen, NULL);
        }
    } while ((el = apr_time_now() - t0) < apr_time_from_msec(250));
    gets = n * 1e6 / el;
    n = 0;
    t0 = apr_time_now();
    do {
        run_increments(kv, "speedctr", 1000);
        n += 1000;
    } while ((el = apr_time_now() - t0) < apr_time_from_msec(250));
    upds = n * 1e6 / el;
    printf("# speed (1 thread, 4096 slots): get %.0f ops/s, update %.0f "
           "ops/s\n", gets, upds);
    csc_kv_close(kv);
}

/* ---- PostgreSQL only ---- */

/* A budget spent by processes that each take one: exactly the budget. */
static apr_status_t take_cb(void *baton, const void *cur, apr_size_t curlen,
                            apr_time_t cur_exp, void *out,
                            apr_size_t *outlen, apr_time_t *exp,
                            csc_kv_action_e *action)
{
    int left;

    (void)cur_exp;
    (void)exp;
    *(int *)baton = 0;
    if (!cur || curlen != sizeof(left)) {
        return APR_SUCCESS;
    }
    memcpy(&left, cur, sizeof(left));
    if (left <= 0) {
        return APR_SUCCESS;
    }
    left--;
    memcpy(out, &left, sizeof(left));
    *outlen = sizeof(left);
    *action = left ? CSC_KV_STORE : CSC_KV_DELETE;
    *(int *)baton = 1;
    return APR_SUCCESS;
}

static void test_pg_budget(void)
{
    csc_kv_t *kv = open_kv("budget", 0, 0);
    int budget = 5, i, taken = 0, refused = 0, other = 0, st;
    pid_t pids[16];

    if (!kv) {
        ok(0, "open budget table");
        return;
    }
    csc_kv_put(kv, "sad", 3, &budget, sizeof(budget),
               apr_time_now() + apr_time_from_sec(60));
    fflush(stdout);
    for (i = 0; i < 16; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            int got = 0;
            /* all 16 start together, as concurrent requests would */
            apr_sleep(apr_time_from_msec(200));
            _exit(csc_kv_update(kv, "sad", 3, take_cb, &got) != APR_SUCCESS
                  ? 2 : got ? 0 : 1);
        }
    }
    for (i = 0; i < 16; i++) {
        if (pids[i] > 0 && waitpid(pids[i], &st, 0) == pids[i]
            && WIFEXITED(st)) {
            if (WEXITSTATUS(st) == 0) {
                taken++;
            }
            else if (WEXITSTATUS(st) == 1) {
                refused++;
            }
            else {
                other++;
            }
        }
        else {
            other++;
        }
    }
    ok(taken == 5 && refused == 11 && other == 0,
       "16 processes spend a budget of 5: exactly 5 (%d taken, %d refused, "
       "%d errors)", taken, refused, other);
    is_int(csc_kv_del(kv, "sad", 3), APR_NOTFOUND,
           "the spent budget's entry is gone");
    csc_kv_close(kv);
}

static void test_pg_sweep(void)
{
    csc_kv_t *kv = open_kv("sweep", 0, 0);
    apr_time_t past = apr_time_now() - apr_time_from_sec(5);
    pid_t pid;
    int st = -1;

    if (!kv) {
        ok(0, "open sweep table");
        return;
    }
    /* this process's sweep is done by its first write */
    is_int(put_str(kv, "live", "z", 0), APR_SUCCESS, "put a live entry");
    is_int(put_str(kv, "old", "x", past), APR_SUCCESS, "put an expired entry");
    ok(get_str(kv, "old", NULL) == NULL, "an expired entry reads as absent");
    is_int(pg_exec("SELECT 1 FROM csc_kv WHERE k = '6f6c64'"), 1,
           "its row is still there");
    fflush(stdout);
    /* a new process sweeps on its first write */
    pid = fork();
    if (pid == 0) {
        _exit(put_str(kv, "new", "y", 0) == APR_SUCCESS ? 0 : 1);
    }
    waitpid(pid, &st, 0);
    is_int(st, 0, "a new process writes");
    is_int(pg_exec("SELECT 1 FROM csc_kv WHERE k = '6f6c64'"), 0,
           "and removed the expired row");
    is_str(get_str(kv, "new", NULL), "y", "the live one stays");
    csc_kv_close(kv);
}

static void test_pg_errors(void)
{
    const char *bad = apr_pstrcat(pool, pg, " password=Wrong-Secret-4711",
                                  NULL);
    csc_kv_t *kv = NULL;
    const char *err = NULL;
    apr_status_t rv;

    rv = csc_kv_pgsql_open(&kv, bad, pool, &err);
    ok(rv != APR_SUCCESS && kv == NULL, "a wrong password: not opened");
    ok(err && !strstr(err, "Wrong-Secret-4711") && strstr(err, "password=***")
       && strstr(err, "password authentication failed"),
       "the message names the cause and masks the password: %s",
       err ? err : "(none)");
    rv = csc_kv_pgsql_open(&kv, "host=127.0.0.1 port=1 connect_timeout=2",
                           pool, &err);
    ok(rv != APR_SUCCESS && err && strstr(err, "cannot connect"),
       "no server: %s", err ? err : "(none)");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    csc_log_set_sink(capture_sink, NULL, CSC_LOG_DEBUG);
    strcpy(tmpdir, "/tmp/csc_test_kv.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    alarm(120);  /* a deadlock must fail the run, not hang it */

    pg = getenv("CSC_TEST_PGSQL");
    if (pg && *pg) {
        test_basic();
        test_update();
        test_fork_increments();
        test_threads();
        test_pg_budget();
        test_pg_sweep();
        test_pg_errors();
        test_speed();
        apr_pool_destroy(pool);
        apr_terminate();
        return tap_done();
    }
    pg = NULL;
    test_basic();
    test_update();
    test_reenter();
    test_model();
    test_expiry_and_full();
    test_persistence();
    test_open_errors();
    test_open_existing();
    test_fork_increments();
    test_killed_holder();
    test_threads();
    test_speed();

    apr_pool_destroy(pool);
    {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) {
            printf("# could not remove %s\n", tmpdir);
        }
    }
    apr_terminate();
    return tap_done();
}
