/* SPDX-License-Identifier: Apache-2.0 */
/* The credential store object and its connections: per process, per
 * thread, never carried over fork(); and running one statement with one
 * retry on a new connection.  See csc_store.h for the contract. */
#include <string.h>
#include <unistd.h>

#include "apr_strings.h"

#include "base/csc_log.h"
#include "base/csc_proc.h"
#include "store/csc_store_internal.h"

/* Records kept per process; a few KiB each (mostly the PEM texts). */
#define CSC_STORE_CACHE_SLOTS 256

#if !APR_HAS_THREADS
#error "csc_store needs APR built with thread support"
#endif

/* ------------------------------------------------------------------ */
/* Store and connection lifecycle                                      */

/* Connection strings may carry a password (libpq "password=..." or a
 * "scheme://user:pass@host" URI); messages must not. */
static const char *mask_password(apr_pool_t *p, const char *params)
{
    char *s = apr_pstrdup(p, params);
    char *pw = strstr(s, "password=");
    char *uri = strstr(s, "://");
    apr_size_t from;

    /* libpq takes the last of several: every one is masked */
    while (pw) {
        char *end = pw + strlen("password=");
        if (*end == '\'') {
            /* libpq quoting: 'a\'b' */
            for (end++; *end && *end != '\''; end++) {
                if (*end == '\\' && end[1]) {
                    end++;
                }
            }
            if (*end) {
                end++;
            }
        }
        while (*end && *end != ' ' && *end != '\t') {
            end++;
        }
        from = (apr_size_t)(pw - s) + strlen("password=***");
        s = apr_pstrcat(p, apr_pstrndup(p, s, pw - s), "password=***", end,
                        NULL);
        pw = strstr(s + from, "password=");
    }
    uri = strstr(s, "://");
    if (uri) {
        char *at = strchr(uri + 3, '@');
        char *slash = strchr(uri + 3, '/');
        char *colon = strchr(uri + 3, ':');

        if (at && (!slash || at < slash) && colon && colon < at) {
            s = apr_pstrcat(p, apr_pstrndup(p, s, colon + 1 - s), "***", at,
                            NULL);
        }
    }
    return s;
}

const char *csc_store_spec_display(const char *spec, apr_pool_t *p)
{
    return spec ? mask_password(p, spec) : "(null)";
}

const char *csc_store_spec_error(const char *spec, apr_pool_t *p)
{
    const char *colon = spec ? strchr(spec, ':') : NULL;

    if (!colon || colon == spec || !colon[1]) {
        return apr_psprintf(p, "credential store '%s': expected "
                            "'<driver>:<params>', e.g. "
                            "'sqlite3:/var/lib/csc/csc.db'",
                            csc_store_spec_display(spec, p));
    }
    return NULL;
}

apr_status_t store_new(csc_store_t **out, const char *spec,
                       apr_pool_t *p, const char **errmsg)
{
    apr_allocator_t *alloc;
    apr_thread_mutex_t *alloc_mutex;
    csc_store_t *st;
    apr_pool_t *sp;
    const char *colon;
    const char *drvname;
    apr_status_t rv;

    if ((*errmsg = csc_store_spec_error(spec, p)) != NULL) {
        return APR_EINVAL;
    }
    colon = strchr(spec, ':');
    drvname = apr_pstrndup(p, spec, colon - spec);

    /* Idempotent in apr-util (guarded by an atomic counter) and scoped to
     * the root pool, so every open may call it. */
    rv = apr_dbd_init(p);
    if (rv != APR_SUCCESS) {
        *errmsg = apr_psprintf(p, "credential store '%s': apr_dbd_init: %pm",
                               spec, &rv);
        return rv;
    }

    rv = apr_allocator_create(&alloc);
    if (rv != APR_SUCCESS) {
        *errmsg = "credential store: out of memory";
        return rv;
    }
    rv = apr_pool_create_ex(&sp, p, NULL, alloc);
    if (rv != APR_SUCCESS) {
        apr_allocator_destroy(alloc);
        *errmsg = "credential store: out of memory";
        return rv;
    }
    apr_allocator_owner_set(alloc, sp);
    apr_pool_tag(sp, "csc_store");
    rv = apr_thread_mutex_create(&alloc_mutex, APR_THREAD_MUTEX_DEFAULT, sp);
    if (rv == APR_SUCCESS) {
        apr_allocator_mutex_set(alloc, alloc_mutex);
    }

    st = apr_pcalloc(sp, sizeof(*st));
    st->pool = sp;
    st->pid = csc_proc_id();
    if (rv == APR_SUCCESS) {
        rv = apr_thread_mutex_create(&st->mutex, APR_THREAD_MUTEX_DEFAULT, sp);
    }
    if (rv != APR_SUCCESS) {
        *errmsg = apr_psprintf(p, "credential store '%s': mutex: %pm",
                               spec, &rv);
        apr_pool_destroy(sp);
        return rv;
    }

    rv = apr_dbd_get_driver(sp, drvname, &st->driver);
    if (rv != APR_SUCCESS) {
        *errmsg = apr_psprintf(p, "credential store: cannot load apr_dbd "
                               "driver '%s' (is libaprutil1-dbd-%s "
                               "installed?): %pm", drvname, drvname, &rv);
        apr_pool_destroy(sp);
        return rv;
    }
    st->params = apr_pstrdup(sp, colon + 1);
    st->drv = csc_store_driver_for(apr_dbd_name(st->driver));
    if (st->drv->change_sql) {
        st->cache = csc_store_cache_create(CSC_STORE_CACHE_SLOTS, sp);
    }
    st->name = st->drv->params_are_path
        ? st->params
        : apr_pstrcat(sp, drvname, ":", mask_password(sp, st->params), NULL);
    *out = st;
    return APR_SUCCESS;
}

/* Only the process that opened a handle may close it: closing an inherited
 * SQLite connection in a child could release or reset the parent's locks
 * and WAL state. */
static apr_status_t store_conn_cleanup(void *data)
{
    csc_store_conn_t *conn = data;

    if (conn->handle && conn->pid == csc_proc_id()) {
        apr_dbd_close(conn->st->driver, conn->handle);
    }
    conn->handle = NULL;
    return APR_SUCCESS;
}

/* Runs a statement that may return rows and drains them (PRAGMAs return a
 * row, which apr_dbd_query would report as an error).  Returns the first
 * column of the first row through first (may be NULL). */
int store_conn_exec_rows(csc_store_conn_t *conn, apr_pool_t *p,
                         const char *sql, const char **first)
{
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rv;

    if (first) {
        *first = NULL;
    }
    rv = apr_dbd_select(conn->st->driver, p, conn->handle, &res, sql, 1);
    if (rv != 0) {
        return rv;
    }
    while (apr_dbd_get_row(conn->st->driver, p, res, &row, -1) == 0) {
        if (first && !*first) {
            const char *v = apr_dbd_get_entry(conn->st->driver, row, 0);
            *first = v ? apr_pstrdup(p, v) : "";
        }
    }
    return 0;
}

const char *store_conn_error(csc_store_conn_t *conn, int rv)
{
    const char *msg = apr_dbd_error(conn->st->driver, conn->handle, rv);
    return msg && *msg ? csc_log_flatten(apr_pstrdup(conn->pool, msg))
                       : "unknown database error";
}

/* Opens a handle in a fresh pool (created by the caller) and applies the
 * driver's per-connection settings, which write nothing to the database. */
apr_status_t store_conn_connect(csc_store_t *st, apr_pool_t *cp,
                                csc_store_conn_t **out, apr_pool_t *p,
                                const char **errmsg)
{
    csc_store_conn_t *conn = apr_pcalloc(cp, sizeof(*conn));
    const char *const *sql;
    const char *err = NULL;
    apr_status_t rv;
    int drv;

    conn->st = st;
    conn->pool = cp;
    conn->pid = csc_proc_id();
    rv = apr_dbd_open_ex(st->driver, cp, st->params, &conn->handle, &err);
    if (rv != APR_SUCCESS) {
        conn->handle = NULL;
        *errmsg = csc_log_flatten(apr_psprintf(p, "credential store %s: "
                                               "cannot connect%s%s", st->name,
                                               err ? ": " : "",
                                               err ? err : ""));
        return rv;
    }
    apr_pool_cleanup_register(cp, conn, store_conn_cleanup,
                              apr_pool_cleanup_null);

    for (sql = st->drv->connect_sql; sql && *sql; sql++) {
        drv = store_conn_exec_rows(conn, p, *sql, NULL);
        if (drv != 0) {
            *errmsg = apr_psprintf(p, "credential store %s: %s: %s",
                                   st->name, *sql,
                                   store_conn_error(conn, drv));
            return APR_EGENERAL;
        }
    }
    *out = conn;
    return APR_SUCCESS;
}

apr_status_t store_conn_setup(csc_store_conn_t *conn, apr_pool_t *p,
                              const char **errmsg)
{
    return conn->st->drv->setup ? conn->st->drv->setup(conn, p, errmsg)
                                : APR_SUCCESS;
}

apr_status_t store_conn_prepare(csc_store_conn_t *conn, apr_pool_t *p,
                                const char **errmsg)
{
    int i, drv;

    for (i = 0; i < ST_COUNT; i++) {
        drv = apr_dbd_prepare(conn->st->driver, conn->pool, conn->handle,
                              csc_store_stmts[i].sql, csc_store_stmts[i].label,
                              &conn->stmt[i]);
        if (drv != 0) {
            *errmsg = apr_psprintf(p, "credential store %s: preparing %s "
                                   "failed (schema mismatch?): %s",
                                   conn->st->name, csc_store_stmts[i].label,
                                   store_conn_error(conn, drv));
            return APR_EGENERAL;
        }
    }
    if (conn->st->drv->change_sql) {
        drv = apr_dbd_prepare(conn->st->driver, conn->pool, conn->handle,
                              conn->st->drv->change_sql, "csc_change",
                              &conn->change);
        if (drv != 0) {
            *errmsg = apr_psprintf(p, "credential store %s: preparing %s "
                                   "failed (database too old?): %s",
                                   conn->st->name, conn->st->drv->change_sql,
                                   store_conn_error(conn, drv));
            return APR_EGENERAL;
        }
    }
    return APR_SUCCESS;
}

static apr_status_t store_conn_new_pool(csc_store_t *st, apr_pool_t **cp)
{
    apr_status_t rv;

    apr_thread_mutex_lock(st->mutex);
    rv = apr_pool_create(cp, st->pool);
    apr_thread_mutex_unlock(st->mutex);
    return rv;
}

/* Closes the handle outside the lock, then frees its pool under it (the
 * pool is a child of st->pool, whose child list the lock protects). */
static void store_conn_destroy(csc_store_t *st, csc_store_conn_t *conn)
{
    apr_pool_t *cp = conn->pool;

    store_conn_cleanup(conn);
    apr_thread_mutex_lock(st->mutex);
    apr_pool_destroy(cp);
    apr_thread_mutex_unlock(st->mutex);
}

/* Borrows a connection for the calling thread.  fresh: skip the idle list
 * (used to retry on a new handle after a failure). */
apr_status_t store_conn_acquire(csc_store_t *st, int fresh,
                                csc_store_conn_t **out, apr_pool_t *p)
{
    csc_store_conn_t *conn = NULL;
    const char *errmsg = NULL;
    apr_pool_t *cp = NULL;
    apr_status_t rv;
    pid_t me = csc_proc_id();
    int abandoned = 0;

    apr_thread_mutex_lock(st->mutex);
    if (st->pid != me) {
        /* Forked: the handles belong to the parent.  Leave them alone. */
        abandoned = st->idle != NULL;
        st->idle = NULL;
        st->pid = me;
    }
    if (!fresh && st->idle) {
        conn = st->idle;
        st->idle = conn->next;
        conn->next = NULL;
    }
    apr_thread_mutex_unlock(st->mutex);

    if (abandoned) {
        csc_log(CSC_LOG_MARK, CSC_LOG_WARNING,
                "credential store %s: connections inherited over fork() "
                "abandoned; call csc_store_disconnect() before forking",
                st->name);
    }
    if (conn) {
        *out = conn;
        return APR_SUCCESS;
    }

    rv = store_conn_new_pool(st, &cp);
    if (rv != APR_SUCCESS) {
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "credential store %s: out of "
                "memory", st->name);
        return rv;
    }
    rv = store_conn_connect(st, cp, &conn, p, &errmsg);
    if (rv == APR_SUCCESS) {
        rv = store_conn_setup(conn, p, &errmsg);
    }
    if (rv == APR_SUCCESS) {
        rv = store_conn_prepare(conn, p, &errmsg);
    }
    if (rv != APR_SUCCESS) {
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "%s", errmsg);
        apr_thread_mutex_lock(st->mutex);
        apr_pool_destroy(cp);
        apr_thread_mutex_unlock(st->mutex);
        return APR_EGENERAL;
    }
    *out = conn;
    return APR_SUCCESS;
}

void store_conn_release(csc_store_t *st, csc_store_conn_t *conn)
{
    apr_thread_mutex_lock(st->mutex);
    conn->next = st->idle;
    st->idle = conn;
    apr_thread_mutex_unlock(st->mutex);
}

void csc_store_disconnect(csc_store_t *st)
{
    csc_store_conn_t *list, *next;

    apr_thread_mutex_lock(st->mutex);
    list = st->pid == csc_proc_id() ? st->idle : NULL;
    st->idle = NULL;
    apr_thread_mutex_unlock(st->mutex);
    for (; list; list = next) {
        next = list->next;
        store_conn_destroy(st, list);
    }
}

/* ------------------------------------------------------------------ */
/* Statement execution                                                 */

/* Runs prepared statement `which` (rows into *res when res is non-NULL,
 * else the affected row count into *nrows).  apr_dbd_sqlite3 prepares with
 * the legacy sqlite3_prepare(), whose statements fail for good once the
 * schema changes (SQLITE_SCHEMA is never re-prepared by the driver), and a
 * PostgreSQL handle may have lost its server.  So a failed handle is closed
 * and the statement retried once on a new one.  That is safe because every
 * statement here is a single autocommit statement: a failure means nothing
 * was committed. */
static apr_status_t store_exec(csc_store_t *st, csc_stmt_e which,
                               const char **args, int *nrows,
                               apr_dbd_results_t **res, apr_pool_t *p)
{
    csc_store_conn_t *conn;
    apr_status_t rv;
    int attempt, drv, n = 0;

    for (attempt = 0; attempt < 2; attempt++) {
        rv = store_conn_acquire(st, attempt > 0, &conn, p);
        if (rv != APR_SUCCESS) {
            return rv;
        }
        if (res) {
            *res = NULL;
            drv = apr_dbd_pselect(st->driver, p, conn->handle, res,
                                  conn->stmt[which], 1, 0, args);
        }
        else {
            drv = apr_dbd_pquery(st->driver, p, conn->handle, &n,
                                 conn->stmt[which], 0, args);
        }
        if (drv == 0) {
            if (csc_store_stmts[which].writes && st->cache) {
                /* this connection's own commits do not move its
                 * data_version, so say it here, before another thread
                 * can borrow the connection and look */
                csc_store_cache_advance(st->cache);
            }
            store_conn_release(st, conn);
            if (nrows) {
                *nrows = n;
            }
            return APR_SUCCESS;
        }
        csc_log(CSC_LOG_MARK, attempt ? CSC_LOG_ERR : CSC_LOG_WARNING,
                "credential store %s: %s failed (%d): %s%s", st->name,
                csc_store_stmts[which].label, drv, store_conn_error(conn, drv),
                attempt ? "" : "; retrying on a new connection");
        store_conn_destroy(st, conn);
    }
    return APR_EGENERAL;
}

apr_status_t store_select(csc_store_t *st, csc_stmt_e which,
                          const char **args, apr_dbd_results_t **res,
                          apr_pool_t *p)
{
    return store_exec(st, which, args, NULL, res, p);
}

apr_status_t store_query(csc_store_t *st, csc_stmt_e which,
                         const char **args, int *nrows, apr_pool_t *p)
{
    return store_exec(st, which, args, nrows, NULL, p);
}

