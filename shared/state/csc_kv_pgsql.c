/* SPDX-License-Identifier: Apache-2.0 */
/* The shared state in PostgreSQL, for several hosts behind one load
 * balancer (csc_kv.h has the contract; docs in csc_kv_pgsql_open).
 *
 * One table, csc_kv(k, v, expires): keys and values as lowercase hex, so
 * every statement is plain text built from [0-9a-f] and decimal numbers
 * alone, with nothing to quote or inject.  Every write to a key holds a
 * transaction-scoped advisory lock on it, so an update (read, callback,
 * write) is serialised with every other write of that key on every host,
 * also when the row does not exist yet.  The lock is taken in a statement
 * of its own before the read: under Read Committed each statement reads
 * with a new snapshot, so the read sees what the last holder committed.
 *
 * Round trips: get 1, put 1, del 1, update 2 (BEGIN + lock + read in one
 * simple query; write + COMMIT in another).  Fail closed: any error is an
 * error of the operation, and callers refuse the request.  A failure
 * before anything could have been written is retried once on a new
 * connection (the server may have restarted since the last use); a failure
 * while a write was being committed is not, because its outcome is
 * unknown. */
#include <string.h>
#include <unistd.h>

#include <apr_dbd.h>
#include <apr_strings.h>
#include <apr_thread_mutex.h>

#include "base/csc_log.h"
#include "base/csc_proc.h"
#include "state/csc_kv.h"
#include "store/csc_store.h"

/* expired rows are removed by whichever process next writes after this */
#define SWEEP_INTERVAL apr_time_from_sec(60)

typedef struct kv_pg_t kv_pg_t;
typedef struct kv_conn_t kv_conn_t;
struct kv_conn_t {
    kv_conn_t *next;
    kv_pg_t *pg;
    apr_pool_t *pool;
    apr_dbd_t *handle;
    pid_t pid;
};

struct kv_pg_t {
    apr_pool_t *pool;           /* own allocator, with a mutex */
    const apr_dbd_driver_t *driver;
    const char *params;
    const char *name;           /* for messages: no password */
    apr_thread_mutex_t *mutex;  /* guards idle, pid, child pools, sweep */
    pid_t pid;
    kv_conn_t *idle;
    apr_time_t last_sweep;
};

/* the store's bounded waits, on every connection */
static const char *const session_sql[] = {
    CSC_STORE_PG_SESSION_SQL,
    NULL
};

static const char schema_sql[] =
    "SELECT pg_advisory_xact_lock(4355691093620553217); "
    "CREATE TABLE IF NOT EXISTS csc_kv ("
    "k TEXT NOT NULL PRIMARY KEY, v TEXT NOT NULL, expires BIGINT NOT NULL); "
    "CREATE INDEX IF NOT EXISTS csc_kv_expires_idx ON csc_kv (expires) "
    "WHERE expires <> 0";

static char *hex(apr_pool_t *p, const void *data, apr_size_t len)
{
    static const char digits[] = "0123456789abcdef";
    const unsigned char *d = data;
    char *out = apr_palloc(p, 2 * len + 1);
    apr_size_t i;

    for (i = 0; i < len; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * len] = '\0';
    return out;
}

static int unhex_digit(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

/* -1 when s is not even-length lowercase hex of at most max bytes */
static long unhex(const char *s, unsigned char *out, apr_size_t max)
{
    apr_size_t n = strlen(s), i;

    if (n % 2 || n / 2 > max) {
        return -1;
    }
    for (i = 0; i < n / 2; i++) {
        int hi = unhex_digit(s[2 * i]), lo = unhex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return (long)(n / 2);
}

/* The advisory lock of a key: FNV-1a over its bytes.  Two keys sharing a
 * lock only wait for each other. */
static apr_int64_t lock_id(const void *key, apr_size_t klen)
{
    const unsigned char *k = key;
    apr_uint64_t h = APR_UINT64_C(14695981039346656037);
    apr_size_t i;

    for (i = 0; i < klen; i++) {
        h = (h ^ k[i]) * APR_UINT64_C(1099511628211);
    }
    return (apr_int64_t)h;
}

/* ------------------------------------------------------------------ */
/* Connections: per process (never across fork), one per thread at a time */

/* Only the process that opened a connection closes it: a child closing
 * the parent's would end the parent's session on the server. */
static apr_status_t conn_cleanup(void *data)
{
    kv_conn_t *c = data;

    if (c->handle && c->pid == csc_proc_id()) {
        apr_dbd_close(c->pg->driver, c->handle);
    }
    c->handle = NULL;
    return APR_SUCCESS;
}

static void conn_destroy(kv_pg_t *pg, kv_conn_t *c)
{
    conn_cleanup(c);
    apr_thread_mutex_lock(pg->mutex);
    apr_pool_destroy(c->pool);
    apr_thread_mutex_unlock(pg->mutex);
}

static const char *conn_error(kv_pg_t *pg, kv_conn_t *c, int drv)
{
    const char *msg = c && c->handle
                      ? apr_dbd_error(pg->driver, c->handle, drv) : NULL;
    return msg && *msg ? csc_log_flatten(apr_pstrdup(c->pool, msg))
                       : "unknown database error";
}

static apr_status_t conn_open(kv_pg_t *pg, kv_conn_t **out,
                              const char **errmsg, apr_pool_t *ep)
{
    const char *const *sql;
    apr_pool_t *cp;
    kv_conn_t *c;
    const char *err = NULL;
    apr_status_t rv;
    int n = 0, drv;

    apr_thread_mutex_lock(pg->mutex);
    rv = apr_pool_create(&cp, pg->pool);
    apr_thread_mutex_unlock(pg->mutex);
    if (rv != APR_SUCCESS) {
        *errmsg = "out of memory";
        return rv;
    }
    c = apr_pcalloc(cp, sizeof(*c));
    c->pool = cp;
    c->pg = pg;
    c->pid = csc_proc_id();
    apr_pool_cleanup_register(cp, c, conn_cleanup, apr_pool_cleanup_null);
    rv = apr_dbd_open_ex(pg->driver, cp, pg->params, &c->handle, &err);
    if (rv != APR_SUCCESS) {
        c->handle = NULL;
        *errmsg = csc_log_flatten(apr_psprintf(ep, "cannot connect%s%s",
                                               err ? ": " : "",
                                               err ? err : ""));
        conn_destroy(pg, c);
        return APR_EGENERAL;
    }
    for (sql = session_sql; *sql; sql++) {
        drv = apr_dbd_query(pg->driver, c->handle, &n, *sql);
        if (drv != 0) {
            *errmsg = apr_psprintf(ep, "%s: %s", *sql,
                                   conn_error(pg, c, drv));
            conn_destroy(pg, c);
            return APR_EGENERAL;
        }
    }
    *out = c;
    return APR_SUCCESS;
}

/* fresh: not from the idle list (a retry after a failure) */
static apr_status_t conn_acquire(kv_pg_t *pg, int fresh, kv_conn_t **out)
{
    kv_conn_t *c = NULL;
    const char *err = NULL;
    apr_pool_t *ep;
    apr_status_t rv;
    pid_t me = csc_proc_id();

    apr_thread_mutex_lock(pg->mutex);
    if (pg->pid != me) {
        /* forked: the parent's connections are not ours to use or close */
        pg->idle = NULL;
        pg->pid = me;
        pg->last_sweep = 0;
    }
    if (!fresh && pg->idle) {
        c = pg->idle;
        pg->idle = c->next;
        c->next = NULL;
    }
    apr_thread_mutex_unlock(pg->mutex);
    if (c) {
        *out = c;
        return APR_SUCCESS;
    }
    apr_pool_create(&ep, NULL);
    rv = conn_open(pg, out, &err, ep);
    if (rv != APR_SUCCESS) {
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "state store %s: %s", pg->name,
                err ? err : "cannot connect");
    }
    apr_pool_destroy(ep);
    return rv;
}

static void conn_release(kv_pg_t *pg, kv_conn_t *c)
{
    apr_thread_mutex_lock(pg->mutex);
    c->next = pg->idle;
    pg->idle = c;
    apr_thread_mutex_unlock(pg->mutex);
}

static void conn_failed(kv_pg_t *pg, kv_conn_t *c, const char *what,
                        int drv, int retrying)
{
    csc_log(CSC_LOG_MARK, retrying ? CSC_LOG_WARNING : CSC_LOG_ERR,
            "state store %s: %s failed (%d): %s%s", pg->name, what, drv,
            conn_error(pg, c, drv),
            retrying ? "; retrying on a new connection" : "");
    conn_destroy(pg, c);
}

/* ------------------------------------------------------------------ */
/* Statements                                                          */

/* The one row of a "SELECT v, expires" into *v and *expires; 0 rows: *v
 * stays NULL.  The values are copied: the driver frees its result. */
static int read_row(kv_pg_t *pg, apr_pool_t *tp, apr_dbd_results_t *res,
                    const char **v, apr_time_t *expires)
{
    apr_dbd_row_t *row = NULL;
    const char *e;

    *v = NULL;
    *expires = 0;
    if (apr_dbd_get_row(pg->driver, tp, res, &row, -1) != 0) {
        return 0;
    }
    *v = apr_pstrdup(tp, apr_dbd_get_entry(pg->driver, row, 0));
    e = apr_dbd_get_entry(pg->driver, row, 1);
    *expires = e ? apr_atoi64(e) : 0;
    return 1;
}

static int live(apr_time_t expires, apr_time_t now)
{
    return expires == 0 || expires > now;
}

/* Runs sql as one simple query (its statements one implicit transaction,
 * or the start of an explicit one), retrying once on a new connection:
 * only for statements whose repetition changes nothing (reads, writes of
 * a known value, a BEGIN that wrote nothing yet).  select: rows into *res.
 * keep: the connection, still in its transaction, goes to *keep instead
 * of back to the idle list. */
static apr_status_t run_once_more(kv_pg_t *pg, const char *what,
                                  const char *sql, apr_pool_t *tp,
                                  apr_dbd_results_t **res, kv_conn_t **keep)
{
    kv_conn_t *c;
    apr_status_t rv;
    int attempt, drv, n = 0;

    for (attempt = 0; attempt < 2; attempt++) {
        rv = conn_acquire(pg, attempt > 0, &c);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        if (res) {
            *res = NULL;
            drv = apr_dbd_select(pg->driver, tp, c->handle, res, sql, 1);
        }
        else {
            drv = apr_dbd_query(pg->driver, c->handle, &n, sql);
        }
        if (drv == 0) {
            if (keep) {
                *keep = c;
            }
            else {
                conn_release(pg, c);
            }
            return APR_SUCCESS;
        }
        conn_failed(pg, c, what, drv, attempt == 0);
    }
    return APR_EGENERAL;
}

/* Removes expired rows, at most once a minute per process. */
static void maybe_sweep(kv_pg_t *pg, apr_time_t now)
{
    apr_pool_t *tp;
    int due;

    apr_thread_mutex_lock(pg->mutex);
    due = now - pg->last_sweep >= SWEEP_INTERVAL;
    if (due) {
        pg->last_sweep = now;
    }
    apr_thread_mutex_unlock(pg->mutex);
    if (!due) {
        return;
    }
    apr_pool_create(&tp, NULL);
    run_once_more(pg, "removing expired entries",
                  apr_psprintf(tp, "DELETE FROM csc_kv WHERE expires <> 0 "
                               "AND expires < %" APR_TIME_T_FMT, now),
                  tp, NULL, NULL);
    apr_pool_destroy(tp);
}

static apr_status_t pg_get(csc_kv_t *kv, const void *key, apr_size_t klen,
                           void *buf, apr_size_t bufsize, apr_size_t *vlen,
                           apr_time_t *expires)
{
    kv_pg_t *pg = kv->impl;
    apr_time_t now = apr_time_now(), exp = 0;
    apr_dbd_results_t *res = NULL;
    unsigned char *val;
    const char *v = NULL;
    apr_pool_t *tp;
    apr_status_t rv;
    long n;

    apr_pool_create(&tp, NULL);
    rv = run_once_more(pg, "get", apr_psprintf(tp,
                       "SELECT v, expires FROM csc_kv WHERE k = '%s'",
                       hex(tp, key, klen)), tp, &res, NULL);
    if (rv == APR_SUCCESS && (!read_row(pg, tp, res, &v, &exp)
                              || !live(exp, now))) {
        rv = APR_NOTFOUND;
    }
    if (rv == APR_SUCCESS) {
        val = apr_palloc(tp, CSC_KV_RECORD_MAX);
        n = unhex(v, val, CSC_KV_RECORD_MAX);
        if (n < 0) {
            csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "state store %s: a malformed "
                    "value", pg->name);
            rv = APR_EGENERAL;
        }
        else {
            *vlen = (apr_size_t)n;
            if (expires) {
                *expires = exp;
            }
            if ((apr_size_t)n > bufsize) {
                rv = APR_ENOSPC;
            }
            else if (n > 0) {
                memcpy(buf, val, (apr_size_t)n);
            }
        }
    }
    apr_pool_destroy(tp);
    return rv;
}

static const char *upsert_sql(apr_pool_t *tp, const char *k,
                              const void *val, apr_size_t vlen,
                              apr_time_t expires)
{
    return apr_psprintf(tp, "INSERT INTO csc_kv (k, v, expires) VALUES "
                        "('%s', '%s', %" APR_TIME_T_FMT ") ON CONFLICT (k) "
                        "DO UPDATE SET v = EXCLUDED.v, expires = "
                        "EXCLUDED.expires", k, hex(tp, val, vlen), expires);
}

static apr_status_t pg_put(csc_kv_t *kv, const void *key, apr_size_t klen,
                           const void *val, apr_size_t vlen,
                           apr_time_t expires)
{
    kv_pg_t *pg = kv->impl;
    apr_pool_t *tp;
    apr_status_t rv;

    apr_pool_create(&tp, NULL);
    rv = run_once_more(pg, "put", apr_psprintf(tp,
                       "SELECT pg_advisory_xact_lock(%" APR_INT64_T_FMT "); "
                       "%s", lock_id(key, klen),
                       upsert_sql(tp, hex(tp, key, klen), val, vlen, expires)),
                       tp, NULL, NULL);
    apr_pool_destroy(tp);
    if (rv == APR_SUCCESS) {
        maybe_sweep(pg, apr_time_now());
    }
    return rv;
}

static apr_status_t pg_del(csc_kv_t *kv, const void *key, apr_size_t klen)
{
    kv_pg_t *pg = kv->impl;
    apr_time_t now = apr_time_now(), exp = 0;
    apr_dbd_results_t *res = NULL;
    const char *v = NULL;
    apr_pool_t *tp;
    apr_status_t rv;

    apr_pool_create(&tp, NULL);
    rv = run_once_more(pg, "delete", apr_psprintf(tp,
                       "SELECT pg_advisory_xact_lock(%" APR_INT64_T_FMT "); "
                       "DELETE FROM csc_kv WHERE k = '%s' RETURNING '', "
                       "expires", lock_id(key, klen), hex(tp, key, klen)),
                       tp, &res, NULL);
    if (rv == APR_SUCCESS && (!read_row(pg, tp, res, &v, &exp)
                              || !live(exp, now))) {
        rv = APR_NOTFOUND;
    }
    apr_pool_destroy(tp);
    return rv;
}

/* BEGIN, lock and read in one round trip; the callback; the write and
 * COMMIT in a second.  Only the first is retried. */
static apr_status_t pg_update(csc_kv_t *kv, const void *key, apr_size_t klen,
                              csc_kv_update_fn *fn, void *baton)
{
    kv_pg_t *pg = kv->impl;
    apr_time_t now = apr_time_now(), cur_exp = 0, exp = 0;
    apr_dbd_results_t *res = NULL;
    csc_kv_action_e action = CSC_KV_KEEP;
    unsigned char *cur = NULL, *out;
    apr_size_t curlen = 0, outlen = 0;
    const char *k, *v = NULL, *sql;
    kv_conn_t *c = NULL;
    apr_pool_t *tp;
    apr_status_t rv = APR_EGENERAL;
    int drv, n = 0;
    long got;

    apr_pool_create(&tp, NULL);
    k = hex(tp, key, klen);
    sql = apr_psprintf(tp, "BEGIN; SELECT pg_advisory_xact_lock(%"
                       APR_INT64_T_FMT "); SELECT v, expires FROM csc_kv "
                       "WHERE k = '%s'", lock_id(key, klen), k);
    rv = run_once_more(pg, "update (read)", sql, tp, &res, &c);
    if (rv != APR_SUCCESS) {
        apr_pool_destroy(tp);
        return rv;
    }
    if (read_row(pg, tp, res, &v, &cur_exp) && live(cur_exp, now)) {
        cur = apr_palloc(tp, CSC_KV_RECORD_MAX);
        got = unhex(v, cur, CSC_KV_RECORD_MAX);
        if (got < 0) {
            csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "state store %s: a malformed "
                    "value", pg->name);
            conn_destroy(pg, c);    /* rolls the transaction back */
            apr_pool_destroy(tp);
            return APR_EGENERAL;
        }
        curlen = (apr_size_t)got;
    }
    else {
        cur_exp = 0;
    }
    out = apr_palloc(tp, CSC_KV_RECORD_MAX);
    rv = fn(baton, cur, curlen, cur_exp, out, &outlen, &exp, &action);
    if (rv != APR_SUCCESS || action == CSC_KV_KEEP
        || (action == CSC_KV_DELETE && !cur)) {
        sql = "COMMIT";
    }
    else if (action == CSC_KV_STORE) {
        if (outlen > CSC_KV_RECORD_MAX) {
            rv = APR_EINVAL;
            sql = "COMMIT";
        }
        else {
            if (exp == 0) {
                exp = cur ? cur_exp : 0;
            }
            sql = apr_pstrcat(tp, upsert_sql(tp, k, out, outlen, exp),
                              "; COMMIT", NULL);
        }
    }
    else {
        sql = apr_psprintf(tp, "DELETE FROM csc_kv WHERE k = '%s'; COMMIT",
                           k);
    }
    drv = apr_dbd_query(pg->driver, c->handle, &n, sql);
    if (drv != 0) {
        /* the outcome of a failed commit is unknown: no retry, and the
         * caller refuses */
        conn_failed(pg, c, "update (write)", drv, 0);
        apr_pool_destroy(tp);
        return APR_EGENERAL;
    }
    conn_release(pg, c);
    apr_pool_destroy(tp);
    if (action != CSC_KV_KEEP) {
        maybe_sweep(pg, now);
    }
    return rv;
}

static void pg_disconnect(kv_pg_t *pg)
{
    kv_conn_t *list, *next;

    apr_thread_mutex_lock(pg->mutex);
    list = pg->pid == csc_proc_id() ? pg->idle : NULL;
    pg->idle = NULL;
    apr_thread_mutex_unlock(pg->mutex);
    for (; list; list = next) {
        next = list->next;
        conn_destroy(pg, list);
    }
}

static void pg_close(csc_kv_t *kv)
{
    kv_pg_t *pg = kv ? kv->impl : NULL;

    if (pg) {
        pg_disconnect(pg);
    }
}

static apr_status_t destroy_pool(void *data)
{
    apr_pool_destroy(data);
    return APR_SUCCESS;
}

static const csc_kv_ops_t pgsql_ops = {
    "pgsql", pg_get, pg_put, pg_del, pg_update, NULL, pg_close
};

apr_status_t csc_kv_pgsql_open(csc_kv_t **out, const char *conninfo,
                               apr_pool_t *p, const char **errmsg)
{
    apr_allocator_t *alloc;
    apr_thread_mutex_t *amutex;
    apr_pool_t *sp;
    kv_pg_t *pg;
    kv_conn_t *c = NULL;
    csc_kv_t *kv;
    const char *err = NULL;
    apr_status_t rv;
    int n = 0, drv;

    *out = NULL;
    *errmsg = NULL;
    if ((rv = apr_dbd_init(p)) != APR_SUCCESS) {
        *errmsg = apr_psprintf(p, "apr_dbd_init: %pm", &rv);
        return rv;
    }
    if ((rv = apr_allocator_create(&alloc)) != APR_SUCCESS) {
        *errmsg = "out of memory";
        return rv;
    }
    /* not a child of p: p's subpools die before its cleanups run, and
     * the owner's close (a cleanup on p, registered after this one) must
     * still find the object */
    if ((rv = apr_pool_create_ex(&sp, NULL, NULL, alloc)) != APR_SUCCESS) {
        apr_allocator_destroy(alloc);
        *errmsg = "out of memory";
        return rv;
    }
    apr_allocator_owner_set(alloc, sp);
    apr_pool_cleanup_register(p, sp, destroy_pool, apr_pool_cleanup_null);
    apr_pool_tag(sp, "csc_kv_pgsql");
    pg = apr_pcalloc(sp, sizeof(*pg));
    pg->pool = sp;
    pg->pid = csc_proc_id();
    pg->params = apr_pstrdup(sp, conninfo);
    pg->name = csc_store_spec_display(apr_pstrcat(sp, "pgsql:", conninfo,
                                                  NULL), sp);
    rv = apr_thread_mutex_create(&amutex, APR_THREAD_MUTEX_DEFAULT, sp);
    if (rv == APR_SUCCESS) {
        apr_allocator_mutex_set(alloc, amutex);
        rv = apr_thread_mutex_create(&pg->mutex, APR_THREAD_MUTEX_DEFAULT,
                                     sp);
    }
    if (rv == APR_SUCCESS) {
        rv = apr_dbd_get_driver(sp, "pgsql", &pg->driver);
        if (rv != APR_SUCCESS) {
            *errmsg = apr_psprintf(p, "cannot load apr_dbd driver 'pgsql' "
                                   "(is libaprutil1-dbd-pgsql installed?): "
                                   "%pm", &rv);
        }
    }
    if (rv == APR_SUCCESS) {
        rv = conn_open(pg, &c, &err, p);
        if (rv != APR_SUCCESS) {
            *errmsg = apr_psprintf(p, "%s: %s", pg->name, err);
        }
    }
    if (rv == APR_SUCCESS) {
        drv = apr_dbd_query(pg->driver, c->handle, &n, schema_sql);
        if (drv != 0) {
            *errmsg = apr_psprintf(p, "%s: creating table csc_kv: %s",
                                   pg->name, conn_error(pg, c, drv));
            rv = APR_EGENERAL;
        }
        /* nothing may cross fork() */
        conn_destroy(pg, c);
    }
    if (rv != APR_SUCCESS) {
        if (!*errmsg) {
            *errmsg = apr_psprintf(p, "%pm", &rv);
        }
        apr_pool_cleanup_run(p, sp, destroy_pool);
        return rv;
    }
    kv = apr_pcalloc(sp, sizeof(*kv));
    kv->ops = &pgsql_ops;
    kv->impl = pg;
    kv->value_max = CSC_KV_RECORD_MAX;
    *out = kv;
    return APR_SUCCESS;
}
