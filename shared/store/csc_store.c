/* SPDX-License-Identifier: Apache-2.0 */
/* Credential store over apr_dbd.  See csc_store.h for the contract; the
 * comments here explain the choices that the driver forces on us. */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <unistd.h>

#include "apr_dbd.h"
#include "apr_errno.h"
#include "apr_file_info.h"
#include "apr_file_io.h"
#include "apr_strings.h"
#include "apr_thread_mutex.h"
#include "apr_time.h"

#include "base/csc_log.h"
#include "base/csc_proc.h"
#include "store/csc_store.h"
#include "store/csc_store_cache.h"
#include "store/csc_store_schema.h"

/* Records kept per process; a few KiB each (mostly the PEM texts). */
#define CSC_STORE_CACHE_SLOTS 256

#if !APR_HAS_THREADS
#error "csc_store needs APR built with thread support"
#endif

/* Column order shared by every SELECT that fills a csc_credential_t; it
 * must match row_to_credential(). */
#define CSC_COLS "id, owner, description, key_ref, pubkey_pem, cert_chain_pem, " \
                 "enabled, multisign, scal, pin_hash, pin_format, otp_type, " \
                 "otp_secret, otp_digits, otp_period, otp_hash, hotp_counter, " \
                 "totp_last_step, fail_count, blocked, created, updated"
#define CSC_NCOLS 22

/* Placeholders follow apr_dbd's portable syntax.  The types matter for
 * PostgreSQL (the driver declares them in PREPARE); SQLite gets every value
 * as text, which column affinity turns back into integers on storage and in
 * column comparisons.  Where a parameter meets an expression rather than a
 * column (the CASE in auth_failed), SQLite applies no affinity, so it is
 * CAST explicitly. */
typedef enum {
    ST_GET,
    ST_LIST,
    ST_LIST_ALL,
    ST_INSERT,
    ST_UPDATE,
    ST_DELETE,
    ST_FAILED,
    ST_STATE,
    ST_RESET,
    ST_BLOCK,
    ST_UNBLOCK,
    ST_TOTP,
    ST_HOTP,
    ST_ATTEMPT,
    ST_RELEASE,
    ST_COUNT
} csc_stmt_e;

static const struct {
    const char *label;
    const char *sql;
    int writes;                 /* may change a record: cached ones go stale */
} stmt_defs[ST_COUNT] = {
    { "csc_get",
      "SELECT " CSC_COLS " FROM csc_credential WHERE id = %s", 0 },
    { "csc_list",
      "SELECT id FROM csc_credential WHERE owner = %s AND id > %s "
      "ORDER BY id LIMIT %d", 0 },
    { "csc_list_all",
      "SELECT " CSC_COLS " FROM csc_credential ORDER BY id", 0 },
    { "csc_insert",
      "INSERT INTO csc_credential (" CSC_COLS ") VALUES ("
      "%s, %s, %s, %s, %s, %s, %d, %d, %d, %s, %s, %s, "
      "%s, %d, %d, %s, %lld, %lld, %d, %d, %lld, %lld) "
      "ON CONFLICT (id) DO NOTHING", 1 },
    { "csc_update",
      "UPDATE csc_credential SET owner = %s, description = %s, key_ref = %s, "
      "pubkey_pem = %s, cert_chain_pem = %s, enabled = %d, multisign = %d, "
      "scal = %d, pin_hash = %s, pin_format = %s, otp_type = %s, "
      "otp_secret = %s, otp_digits = %d, otp_period = %d, otp_hash = %s, "
      "updated = %lld WHERE id = %s", 1 },
    { "csc_delete",
      "DELETE FROM csc_credential WHERE id = %s", 1 },
    { "csc_failed",
      "UPDATE csc_credential SET "
      "blocked = CASE WHEN CAST(%d AS INTEGER) > 0 "
      "AND fail_count >= CAST(%d AS INTEGER) THEN 1 ELSE blocked END "
      "WHERE id = %s RETURNING fail_count, blocked", 1 },
    { "csc_state",
      "SELECT fail_count, blocked FROM csc_credential WHERE id = %s", 0 },
    { "csc_reset",
      "UPDATE csc_credential SET fail_count = 0 WHERE id = %s "
      "AND blocked = 0", 1 },
    { "csc_block",
      "UPDATE csc_credential SET blocked = 1, updated = %lld "
      "WHERE id = %s", 1 },
    { "csc_unblock",
      "UPDATE csc_credential SET blocked = 0, fail_count = 0, updated = %lld "
      "WHERE id = %s", 1 },
    { "csc_totp",
      "UPDATE csc_credential SET totp_last_step = %lld WHERE id = %s "
      "AND totp_last_step < CAST(%lld AS BIGINT)", 1 },
    { "csc_hotp",
      "UPDATE csc_credential SET hotp_counter = %lld WHERE id = %s "
      "AND hotp_counter = CAST(%lld AS BIGINT)", 1 },
    { "csc_attempt",
      "UPDATE csc_credential SET fail_count = fail_count + 1 WHERE id = %s "
      "AND blocked = 0 AND (CAST(%d AS INTEGER) <= 0 "
      "OR fail_count < CAST(%d AS INTEGER))", 1 },
    { "csc_release",
      "UPDATE csc_credential SET fail_count = fail_count - 1 WHERE id = %s "
      "AND fail_count > 0", 1 },
};

typedef struct csc_store_conn_t csc_store_conn_t;
struct csc_store_conn_t {
    csc_store_conn_t *next;
    csc_store_t *st;
    apr_pool_t *pool;
    apr_dbd_t *handle;
    pid_t pid;
    apr_dbd_prepared_t *stmt[ST_COUNT];
    apr_dbd_prepared_t *data_version;   /* SQLite only */
    apr_int64_t last_version;           /* its last result ... */
    int version_seen;                   /* ... once there is one */
};

struct csc_store_t {
    /* Own allocator with a mutex: connection pools are children of this
     * pool and are allocated from by whichever thread holds them. */
    apr_pool_t *pool;
    const apr_dbd_driver_t *driver;
    const char *params;
    const char *name;           /* for messages; no password */
    int is_sqlite;
    apr_thread_mutex_t *mutex;  /* guards idle, pid, child pool creation */
    pid_t pid;
    csc_store_conn_t *idle;
    csc_store_cache_t *cache;   /* SQLite only (needs PRAGMA data_version) */
};

/* ------------------------------------------------------------------ */
/* Store and connection lifecycle                                      */

/* Connection strings may carry a password (libpq "password=..." or a
 * "scheme://user:pass@host" URI); messages must not. */
static const char *mask_password(apr_pool_t *p, const char *params)
{
    char *s = apr_pstrdup(p, params);
    char *pw = strstr(s, "password=");
    char *uri = strstr(s, "://");

    if (pw) {
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
        s = apr_pstrcat(p, apr_pstrndup(p, s, pw - s), "password=***", end,
                        NULL);
        uri = strstr(s, "://");
    }
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

static apr_status_t store_new(csc_store_t **out, const char *spec,
                              apr_pool_t *p, const char **errmsg)
{
    apr_allocator_t *alloc;
    apr_thread_mutex_t *alloc_mutex;
    csc_store_t *st;
    apr_pool_t *sp;
    const char *colon;
    const char *drvname;
    apr_status_t rv;

    colon = spec ? strchr(spec, ':') : NULL;
    if (!colon || colon == spec || !colon[1]) {
        *errmsg = apr_psprintf(p, "credential store '%s': expected "
                               "'<driver>:<params>', e.g. "
                               "'sqlite3:/var/lib/csc/csc.db'",
                               spec ? spec : "(null)");
        return APR_EINVAL;
    }
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
    st->is_sqlite = strcmp(apr_dbd_name(st->driver), "sqlite3") == 0;
    if (st->is_sqlite) {
        st->cache = csc_store_cache_create(CSC_STORE_CACHE_SLOTS, sp);
    }
    st->name = st->is_sqlite ? st->params
                             : apr_pstrcat(sp, drvname, ":",
                                           mask_password(sp, st->params),
                                           NULL);
    *out = st;
    return APR_SUCCESS;
}

/* Only the process that opened a handle may close it: closing an inherited
 * SQLite connection in a child could release or reset the parent's locks
 * and WAL state. */
static apr_status_t conn_cleanup(void *data)
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
static int conn_exec_rows(csc_store_conn_t *conn, apr_pool_t *p,
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

static const char *conn_error(csc_store_conn_t *conn, int rv)
{
    const char *msg = apr_dbd_error(conn->st->driver, conn->handle, rv);
    return msg ? msg : "unknown database error";
}

/* Opens a handle in a fresh pool (created by the caller) and applies the
 * per-connection SQLite settings that do not write to the database. */
static apr_status_t conn_connect(csc_store_t *st, apr_pool_t *cp,
                                 csc_store_conn_t **out, apr_pool_t *p,
                                 const char **errmsg)
{
    csc_store_conn_t *conn = apr_pcalloc(cp, sizeof(*conn));
    const char *err = NULL;
    apr_status_t rv;
    int drv;

    conn->st = st;
    conn->pool = cp;
    conn->pid = csc_proc_id();
    rv = apr_dbd_open_ex(st->driver, cp, st->params, &conn->handle, &err);
    if (rv != APR_SUCCESS) {
        conn->handle = NULL;
        *errmsg = apr_psprintf(p, "credential store %s: cannot connect%s%s",
                               st->name, err ? ": " : "", err ? err : "");
        return rv;
    }
    apr_pool_cleanup_register(cp, conn, conn_cleanup, apr_pool_cleanup_null);

    if (st->is_sqlite) {
        static const char *const pragmas[] = {
            "PRAGMA busy_timeout = " CSC_STORE_STR(CSC_STORE_BUSY_TIMEOUT_MS),
            "PRAGMA foreign_keys = ON",
        };
        size_t i;

        for (i = 0; i < sizeof(pragmas) / sizeof(pragmas[0]); i++) {
            drv = conn_exec_rows(conn, p, pragmas[i], NULL);
            if (drv != 0) {
                *errmsg = apr_psprintf(p, "credential store %s: %s: %s",
                                       st->name, pragmas[i],
                                       conn_error(conn, drv));
                return APR_EGENERAL;
            }
        }
    }
    *out = conn;
    return APR_SUCCESS;
}

/* WAL lets the many httpd readers run beside the tool's and the counters'
 * writes.  The mode is persistent in the file; asking again is a no-op. */
static apr_status_t conn_wal(csc_store_conn_t *conn, apr_pool_t *p,
                             const char **errmsg)
{
    const char *mode = NULL;
    int drv;

    if (!conn->st->is_sqlite) {
        return APR_SUCCESS;
    }
    drv = conn_exec_rows(conn, p, "PRAGMA journal_mode = WAL", &mode);
    if (drv != 0) {
        *errmsg = apr_psprintf(p, "credential store %s: PRAGMA journal_mode "
                               "= WAL: %s", conn->st->name,
                               conn_error(conn, drv));
        return APR_EGENERAL;
    }
    if (!mode || strcasecmp(mode, "wal") != 0) {
        *errmsg = apr_psprintf(p, "credential store %s: cannot switch to WAL "
                               "mode (journal_mode is '%s'; is the file or "
                               "its directory read-only?)", conn->st->name,
                               mode ? mode : "");
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

static apr_status_t conn_prepare(csc_store_conn_t *conn, apr_pool_t *p,
                                 const char **errmsg)
{
    int i, drv;

    for (i = 0; i < ST_COUNT; i++) {
        drv = apr_dbd_prepare(conn->st->driver, conn->pool, conn->handle,
                              stmt_defs[i].sql, stmt_defs[i].label,
                              &conn->stmt[i]);
        if (drv != 0) {
            *errmsg = apr_psprintf(p, "credential store %s: preparing %s "
                                   "failed (schema mismatch?): %s",
                                   conn->st->name, stmt_defs[i].label,
                                   conn_error(conn, drv));
            return APR_EGENERAL;
        }
    }
    if (conn->st->is_sqlite) {
        drv = apr_dbd_prepare(conn->st->driver, conn->pool, conn->handle,
                              "PRAGMA data_version", "csc_data_version",
                              &conn->data_version);
        if (drv != 0) {
            *errmsg = apr_psprintf(p, "credential store %s: preparing PRAGMA "
                                   "data_version failed (SQLite too old?): "
                                   "%s", conn->st->name,
                                   conn_error(conn, drv));
            return APR_EGENERAL;
        }
    }
    return APR_SUCCESS;
}

static apr_status_t conn_new_pool(csc_store_t *st, apr_pool_t **cp)
{
    apr_status_t rv;

    apr_thread_mutex_lock(st->mutex);
    rv = apr_pool_create(cp, st->pool);
    apr_thread_mutex_unlock(st->mutex);
    return rv;
}

/* Closes the handle outside the lock, then frees its pool under it (the
 * pool is a child of st->pool, whose child list the lock protects). */
static void conn_destroy(csc_store_t *st, csc_store_conn_t *conn)
{
    apr_pool_t *cp = conn->pool;

    conn_cleanup(conn);
    apr_thread_mutex_lock(st->mutex);
    apr_pool_destroy(cp);
    apr_thread_mutex_unlock(st->mutex);
}

/* Borrows a connection for the calling thread.  fresh: skip the idle list
 * (used to retry on a new handle after a failure). */
static apr_status_t conn_acquire(csc_store_t *st, int fresh,
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

    rv = conn_new_pool(st, &cp);
    if (rv != APR_SUCCESS) {
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "credential store %s: out of "
                "memory", st->name);
        return rv;
    }
    rv = conn_connect(st, cp, &conn, p, &errmsg);
    if (rv == APR_SUCCESS) {
        rv = conn_wal(conn, p, &errmsg);
    }
    if (rv == APR_SUCCESS) {
        rv = conn_prepare(conn, p, &errmsg);
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

static void conn_release(csc_store_t *st, csc_store_conn_t *conn)
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
        conn_destroy(st, list);
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
        rv = conn_acquire(st, attempt > 0, &conn, p);
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
            if (stmt_defs[which].writes && st->cache) {
                /* this connection's own commits do not move its
                 * data_version, so say it here, before another thread
                 * can borrow the connection and look */
                csc_store_cache_advance(st->cache);
            }
            conn_release(st, conn);
            if (nrows) {
                *nrows = n;
            }
            return APR_SUCCESS;
        }
        csc_log(CSC_LOG_MARK, attempt ? CSC_LOG_ERR : CSC_LOG_WARNING,
                "credential store %s: %s failed (%d): %s%s", st->name,
                stmt_defs[which].label, drv, conn_error(conn, drv),
                attempt ? "" : "; retrying on a new connection");
        conn_destroy(st, conn);
    }
    return APR_EGENERAL;
}

static apr_status_t store_select(csc_store_t *st, csc_stmt_e which,
                                 const char **args, apr_dbd_results_t **res,
                                 apr_pool_t *p)
{
    return store_exec(st, which, args, NULL, res, p);
}

static apr_status_t store_query(csc_store_t *st, csc_stmt_e which,
                                const char **args, int *nrows, apr_pool_t *p)
{
    return store_exec(st, which, args, nrows, NULL, p);
}

/* ------------------------------------------------------------------ */
/* Row decoding                                                        */

/* datum_get, unlike get_entry, tells SQL NULL from "" on every driver
 * (pgsql's get_entry returns "" for NULL). */
static apr_status_t col_str(csc_store_t *st, apr_dbd_row_t *row, int col,
                            const char **out)
{
    char *v = NULL;
    apr_status_t rv;

    rv = apr_dbd_datum_get(st->driver, row, col, APR_DBD_TYPE_STRING, &v);
    if (rv == APR_ENOENT) {
        *out = NULL;
        return APR_SUCCESS;
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *out = v;
    return APR_SUCCESS;
}

static apr_status_t col_i64(csc_store_t *st, apr_dbd_row_t *row, int col,
                            apr_int64_t *out)
{
    const char *s;
    char *end;
    apr_status_t rv = col_str(st, row, col, &s);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!s || !*s) {
        return APR_EGENERAL;
    }
    errno = 0;
    *out = apr_strtoi64(s, &end, 10);
    if (errno || *end) {
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

static apr_status_t col_int(csc_store_t *st, apr_dbd_row_t *row, int col,
                            int *out)
{
    apr_int64_t v;
    apr_status_t rv = col_i64(st, row, col, &v);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (v < -2147483647LL - 1 || v > 2147483647LL) {
        return APR_EGENERAL;
    }
    *out = (int)v;
    return APR_SUCCESS;
}

static apr_status_t row_to_credential(csc_store_t *st, apr_dbd_row_t *row,
                                      csc_credential_t **out, apr_pool_t *p)
{
    csc_credential_t *c = apr_pcalloc(p, sizeof(*c));
    const char *pin_format = NULL;
    apr_status_t rv = APR_SUCCESS;
    int i = 0;

#define STR(f) if (rv == APR_SUCCESS) rv = col_str(st, row, i++, &c->f)
#define INT(f) if (rv == APR_SUCCESS) rv = col_int(st, row, i++, &c->f)
#define I64(f) if (rv == APR_SUCCESS) rv = col_i64(st, row, i++, &c->f)
    STR(id); STR(owner); STR(description); STR(key_ref); STR(pubkey_pem);
    STR(cert_chain_pem); INT(enabled); INT(multisign); INT(scal);
    STR(pin_hash);
    if (rv == APR_SUCCESS) {
        rv = col_str(st, row, i++, &pin_format);
    }
    STR(otp_type); STR(otp_secret); INT(otp_digits); INT(otp_period);
    STR(otp_hash); I64(hotp_counter); I64(totp_last_step); INT(fail_count);
    INT(blocked); I64(created); I64(updated);
#undef STR
#undef INT
#undef I64

    if (rv == APR_SUCCESS && (!c->id || !pin_format || !*pin_format)) {
        rv = APR_EGENERAL;
    }
    if (rv != APR_SUCCESS || i != CSC_NCOLS) {
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "credential store %s: malformed "
                "row (column %d)", st->name, i - 1);
        return APR_EGENERAL;
    }
    c->pin_format = pin_format[0];
    *out = c;
    return APR_SUCCESS;
}

/* Fetches the next row; 0 when there is none.  Results are always
 * requested with random access, so they are complete in memory and the
 * connection is already back in the list. */
static int next_row(csc_store_t *st, apr_dbd_results_t *res,
                    apr_dbd_row_t **row, apr_pool_t *p)
{
    *row = NULL;
    return apr_dbd_get_row(st->driver, p, res, row, -1) == 0;
}

/* ------------------------------------------------------------------ */
/* Open / create                                                       */

static apr_status_t check_schema(csc_store_conn_t *conn, apr_pool_t *p,
                                 const char **errmsg)
{
    csc_store_t *st = conn->st;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *v;
    apr_int64_t version = -1;
    int drv, rows = 0;

    drv = apr_dbd_select(st->driver, p, conn->handle, &res,
                         "SELECT version FROM csc_schema", 1);
    if (drv != 0) {
        *errmsg = apr_psprintf(p, "credential store %s has no mod_csc schema "
                               "(create the store with the enrollment tool): "
                               "%s", st->name, conn_error(conn, drv));
        return APR_EGENERAL;
    }
    while (next_row(st, res, &row, p)) {
        rows++;
        v = apr_dbd_get_entry(st->driver, row, 0);
        version = v ? apr_atoi64(v) : -1;
    }
    if (rows != 1) {
        *errmsg = apr_psprintf(p, "credential store %s: table csc_schema "
                               "must hold exactly one row (has %d)",
                               st->name, rows);
        return APR_EGENERAL;
    }
    if (version > CSC_STORE_SCHEMA_VERSION) {
        *errmsg = apr_psprintf(p, "credential store %s has schema version %"
                               APR_INT64_T_FMT ", newer than the %d this "
                               "mod_csc supports", st->name, version,
                               CSC_STORE_SCHEMA_VERSION);
        return APR_EGENERAL;
    }
    if (version < CSC_STORE_SCHEMA_VERSION) {
        *errmsg = apr_psprintf(p, "credential store %s has schema version %"
                               APR_INT64_T_FMT ", expected %d (needs "
                               "migration)", st->name, version,
                               CSC_STORE_SCHEMA_VERSION);
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

apr_status_t csc_store_open(csc_store_t **out, const char *spec, apr_pool_t *p,
                            const char **errmsg)
{
    csc_store_t *st = NULL;
    csc_store_conn_t *conn = NULL;
    apr_pool_t *cp = NULL;
    const char *dummy;
    apr_status_t rv;

    if (!errmsg) {
        errmsg = &dummy;
    }
    *errmsg = NULL;
    *out = NULL;
    rv = store_new(&st, spec, p, errmsg);
    if (rv != APR_SUCCESS) {
        return rv;
    }

    if (st->is_sqlite) {
        /* sqlite3_open() would silently create a missing file. */
        apr_finfo_t fi;

        rv = apr_stat(&fi, st->params, APR_FINFO_TYPE, p);
        if (rv != APR_SUCCESS) {
            *errmsg = apr_psprintf(p, "credential store %s does not exist or "
                                   "is not accessible (%pm); create it with "
                                   "the enrollment tool", st->name, &rv);
            apr_pool_destroy(st->pool);
            return APR_STATUS_IS_ENOENT(rv) ? APR_ENOENT : rv;
        }
        if (fi.filetype != APR_REG) {
            *errmsg = apr_psprintf(p, "credential store %s is not a regular "
                                   "file", st->name);
            apr_pool_destroy(st->pool);
            return APR_EINVAL;
        }
    }

    rv = apr_pool_create(&cp, st->pool);
    if (rv == APR_SUCCESS) {
        rv = conn_connect(st, cp, &conn, p, errmsg);
    }
    /* Schema before WAL: a file that is not ours must stay untouched. */
    if (rv == APR_SUCCESS) {
        rv = check_schema(conn, p, errmsg);
    }
    if (rv == APR_SUCCESS) {
        rv = conn_wal(conn, p, errmsg);
    }
    if (rv == APR_SUCCESS) {
        rv = conn_prepare(conn, p, errmsg);
    }
    if (rv != APR_SUCCESS) {
        if (!*errmsg) {
            *errmsg = apr_psprintf(p, "credential store %s: %pm", st->name,
                                   &rv);
        }
        apr_pool_destroy(st->pool);
        return rv;
    }
    /* No handle may survive into children forked after this. */
    apr_pool_destroy(cp);
    *out = st;
    return APR_SUCCESS;
}

static void remove_sqlite_files(const char *path, apr_pool_t *p)
{
    apr_file_remove(path, p);
    apr_file_remove(apr_pstrcat(p, path, "-wal", NULL), p);
    apr_file_remove(apr_pstrcat(p, path, "-shm", NULL), p);
    apr_file_remove(apr_pstrcat(p, path, "-journal", NULL), p);
}

apr_status_t csc_store_create(const char *spec, apr_pool_t *p,
                              const char **errmsg)
{
    csc_store_t *st = NULL;
    csc_store_conn_t *conn = NULL;
    apr_pool_t *cp = NULL;
    const char *dummy;
    const char *path = NULL;
    int created_file = 0;
    int nrows, drv;
    apr_status_t rv;

    if (!errmsg) {
        errmsg = &dummy;
    }
    *errmsg = NULL;
    rv = store_new(&st, spec, p, errmsg);
    if (rv != APR_SUCCESS) {
        return rv;
    }

    if (st->is_sqlite) {
        apr_file_t *f;

        /* Created here, exclusively and private, rather than by
         * sqlite3_open(): the store holds PIN hashes and OTP seeds. */
        rv = apr_file_open(&f, st->params,
                           APR_FOPEN_WRITE | APR_FOPEN_CREATE
                           | APR_FOPEN_EXCL,
                           APR_FPROT_UREAD | APR_FPROT_UWRITE, p);
        if (rv != APR_SUCCESS) {
            *errmsg = APR_STATUS_IS_EEXIST(rv)
                ? apr_psprintf(p, "credential store %s already exists",
                               st->name)
                : apr_psprintf(p, "credential store %s: cannot create: %pm",
                               st->name, &rv);
            apr_pool_destroy(st->pool);
            return APR_STATUS_IS_EEXIST(rv) ? APR_EEXIST : rv;
        }
        apr_file_close(f);
        created_file = 1;
        path = apr_pstrdup(p, st->params);
    }

    rv = apr_pool_create(&cp, st->pool);
    if (rv == APR_SUCCESS) {
        rv = conn_connect(st, cp, &conn, p, errmsg);
    }
    if (rv == APR_SUCCESS) {
        rv = conn_wal(conn, p, errmsg);
    }
    if (rv == APR_SUCCESS) {
        drv = apr_dbd_query(st->driver, conn->handle, &nrows, "BEGIN");
        if (drv == 0) {
            drv = apr_dbd_query(st->driver, conn->handle, &nrows,
                                csc_store_schema_sql);
            if (drv != 0) {
                *errmsg = apr_psprintf(p, "credential store %s: creating the "
                                       "schema failed: %s", st->name,
                                       conn_error(conn, drv));
                apr_dbd_query(st->driver, conn->handle, &nrows, "ROLLBACK");
            }
            else {
                drv = apr_dbd_query(st->driver, conn->handle, &nrows,
                                    "COMMIT");
            }
        }
        if (drv != 0) {
            if (!*errmsg) {
                *errmsg = apr_psprintf(p, "credential store %s: %s", st->name,
                                       conn_error(conn, drv));
            }
            rv = APR_EGENERAL;
        }
    }
    if (rv != APR_SUCCESS && !*errmsg) {
        *errmsg = apr_psprintf(p, "credential store %s: %pm", st->name, &rv);
    }
    /* Closes the handle before any file removal. */
    apr_pool_destroy(st->pool);
    if (rv != APR_SUCCESS && created_file) {
        remove_sqlite_files(path, p);
    }
    return rv;
}

/* ------------------------------------------------------------------ */
/* Records                                                             */

static int is_empty(const char *s)
{
    return !s || !*s;
}

apr_status_t csc_store_validate(const csc_credential_t *c, const char **errmsg,
                                apr_pool_t *p)
{
    const char *bad = NULL;
    const char *dummy;

    if (!errmsg) {
        errmsg = &dummy;
    }
    *errmsg = NULL;
    if (!c) {
        bad = "record is NULL";
    }
    else if (is_empty(c->id)) {
        bad = "id is empty";
    }
    else if (is_empty(c->owner)) {
        bad = "owner is empty";
    }
    else if (is_empty(c->key_ref)) {
        bad = "key_ref is empty";
    }
    else if (is_empty(c->pubkey_pem)) {
        bad = "pubkey_pem is empty";
    }
    else if (c->enabled != 0 && c->enabled != 1) {
        bad = "enabled must be 0 or 1";
    }
    else if (c->blocked != 0 && c->blocked != 1) {
        bad = "blocked must be 0 or 1";
    }
    else if (c->multisign < 1) {
        bad = "multisign must be >= 1";
    }
    else if (c->scal != 1 && c->scal != 2) {
        bad = "scal must be 1 or 2";
    }
    else if (c->pin_format != 'N' && c->pin_format != 'A') {
        bad = "pin_format must be 'N' or 'A'";
    }
    else if (c->fail_count < 0) {
        bad = "fail_count must be >= 0";
    }
    else if (c->otp_type) {
        int totp = strcmp(c->otp_type, "totp") == 0;
        int hotp = strcmp(c->otp_type, "hotp") == 0;

        if (!totp && !hotp && strcmp(c->otp_type, "online") != 0) {
            bad = "otp_type must be totp, hotp or online";
        }
        else if (c->otp_digits < 6 || c->otp_digits > 8) {
            bad = "otp_digits must be 6..8";
        }
        else if ((totp || hotp) && is_empty(c->otp_secret)) {
            bad = "otp_secret is empty";
        }
        else if ((totp || hotp)
                 && (!c->otp_hash
                     || (strcmp(c->otp_hash, "sha1") != 0
                         && strcmp(c->otp_hash, "sha256") != 0
                         && strcmp(c->otp_hash, "sha512") != 0))) {
            bad = "otp_hash must be sha1, sha256 or sha512";
        }
        else if (totp && c->otp_period <= 0) {
            bad = "otp_period must be > 0";
        }
    }
    if (bad) {
        *errmsg = c && c->id ? apr_psprintf(p, "credential '%s': %s", c->id,
                                            bad)
                             : apr_pstrdup(p, bad);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

static const char *i64s(apr_pool_t *p, apr_int64_t v)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT, v);
}

static apr_int64_t now_sec(void)
{
    return (apr_int64_t)apr_time_sec(apr_time_now());
}

/* The cache epoch under which a row read from now on may be cached, after
 * advancing it if another connection committed anything since the borrowed
 * connection last looked (its first look counts as a change).  With one
 * connection per thread and a commit seen by every connection's next look,
 * no entry read before a commit survives the first look after it.  0: do
 * not use the cache this time. */
static apr_uint64_t cache_epoch(csc_store_t *st, apr_pool_t *p)
{
    csc_store_conn_t *conn;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *v = NULL;
    apr_uint64_t epoch = 0;
    apr_int64_t version;

    if (!st->cache || conn_acquire(st, 0, &conn, p) != APR_SUCCESS) {
        return 0;
    }
    if (apr_dbd_pselect(st->driver, p, conn->handle, &res,
                        conn->data_version, 1, 0, NULL) != 0) {
        /* the plain read that follows reports and recovers */
        conn_release(st, conn);
        return 0;
    }
    if (next_row(st, res, &row, p)) {
        v = apr_dbd_get_entry(st->driver, row, 0);
        while (next_row(st, res, &row, p)) {
        }
    }
    if (v && *v) {
        version = apr_atoi64(v);
        if (!conn->version_seen || conn->last_version != version) {
            conn->last_version = version;
            conn->version_seen = 1;
            csc_store_cache_advance(st->cache);
        }
        epoch = csc_store_cache_epoch(st->cache);
    }
    conn_release(st, conn);
    return epoch;
}

apr_status_t csc_store_get(csc_store_t *st, const char *id,
                           csc_credential_t **c, apr_pool_t *p)
{
    const char *args[1];
    apr_dbd_results_t *res;
    apr_dbd_row_t *row;
    apr_status_t rv;
    apr_uint64_t epoch;

    *c = NULL;
    if (is_empty(id)) {
        return APR_NOTFOUND;
    }
    epoch = cache_epoch(st, p);
    if (epoch && (*c = csc_store_cache_get(st->cache, id, epoch, p))) {
        return APR_SUCCESS;
    }
    args[0] = id;
    rv = store_select(st, ST_GET, args, &res, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!next_row(st, res, &row, p)) {
        return APR_NOTFOUND;
    }
    rv = row_to_credential(st, row, c, p);
    while (next_row(st, res, &row, p)) {
        /* drain; id is the primary key */
    }
    if (rv == APR_SUCCESS && epoch) {
        csc_store_cache_put(st->cache, *c, epoch);
    }
    return rv;
}

apr_status_t csc_store_list(csc_store_t *st, const char *owner,
                            const char *after, int limit,
                            apr_array_header_t **ids, int *more,
                            apr_pool_t *p)
{
    const char *args[3];
    apr_dbd_results_t *res;
    apr_dbd_row_t *row;
    apr_status_t rv, rv2 = APR_SUCCESS;
    const char *id;

    *ids = apr_array_make(p, limit > 0 && limit < 64 ? limit : 16,
                          sizeof(const char *));
    *more = 0;
    if (!owner || limit < 1 || limit > 1000000) {
        return APR_EINVAL;
    }
    /* Ids are never empty, so "" sorts before every one of them. */
    args[0] = owner;
    args[1] = after ? after : "";
    args[2] = apr_itoa(p, limit + 1);
    rv = store_select(st, ST_LIST, args, &res, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    while (next_row(st, res, &row, p)) {
        if ((*ids)->nelts == limit) {
            *more = 1;
            continue;
        }
        if (col_str(st, row, 0, &id) != APR_SUCCESS || !id) {
            rv2 = APR_EGENERAL;
            continue;
        }
        APR_ARRAY_PUSH(*ids, const char *) = id;
    }
    return rv2;
}

apr_status_t csc_store_list_all(csc_store_t *st, apr_array_header_t **creds,
                                apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row;
    csc_credential_t *c;
    apr_status_t rv, rv2 = APR_SUCCESS;

    *creds = apr_array_make(p, 16, sizeof(csc_credential_t *));
    rv = store_select(st, ST_LIST_ALL, NULL, &res, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    while (next_row(st, res, &row, p)) {
        rv = row_to_credential(st, row, &c, p);
        if (rv != APR_SUCCESS) {
            rv2 = rv;
            continue;
        }
        APR_ARRAY_PUSH(*creds, csc_credential_t *) = c;
    }
    return rv2;
}

apr_status_t csc_store_insert(csc_store_t *st, const csc_credential_t *c,
                              apr_pool_t *p)
{
    const char *args[CSC_NCOLS];
    const char *err;
    apr_int64_t created, updated;
    apr_status_t rv;
    int nrows = 0, i = 0;

    rv = csc_store_validate(c, &err, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    created = c->created > 0 ? c->created : now_sec();
    updated = c->updated > 0 ? c->updated : created;

    args[i++] = c->id;
    args[i++] = c->owner;
    args[i++] = c->description;
    args[i++] = c->key_ref;
    args[i++] = c->pubkey_pem;
    args[i++] = c->cert_chain_pem;
    args[i++] = apr_itoa(p, c->enabled);
    args[i++] = apr_itoa(p, c->multisign);
    args[i++] = apr_itoa(p, c->scal);
    args[i++] = c->pin_hash;
    args[i++] = apr_pstrndup(p, &c->pin_format, 1);
    args[i++] = c->otp_type;
    args[i++] = c->otp_secret;
    args[i++] = apr_itoa(p, c->otp_digits);
    args[i++] = apr_itoa(p, c->otp_period);
    args[i++] = c->otp_hash;
    args[i++] = i64s(p, c->hotp_counter);
    args[i++] = i64s(p, c->totp_last_step);
    args[i++] = apr_itoa(p, c->fail_count);
    args[i++] = apr_itoa(p, c->blocked);
    args[i++] = i64s(p, created);
    args[i++] = i64s(p, updated);

    rv = store_query(st, ST_INSERT, args, &nrows, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return nrows == 1 ? APR_SUCCESS : APR_EEXIST;
}

apr_status_t csc_store_update(csc_store_t *st, const csc_credential_t *c,
                              apr_pool_t *p)
{
    const char *args[17];
    const char *err;
    apr_status_t rv;
    int nrows = 0, i = 0;

    rv = csc_store_validate(c, &err, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    args[i++] = c->owner;
    args[i++] = c->description;
    args[i++] = c->key_ref;
    args[i++] = c->pubkey_pem;
    args[i++] = c->cert_chain_pem;
    args[i++] = apr_itoa(p, c->enabled);
    args[i++] = apr_itoa(p, c->multisign);
    args[i++] = apr_itoa(p, c->scal);
    args[i++] = c->pin_hash;
    args[i++] = apr_pstrndup(p, &c->pin_format, 1);
    args[i++] = c->otp_type;
    args[i++] = c->otp_secret;
    args[i++] = apr_itoa(p, c->otp_digits);
    args[i++] = apr_itoa(p, c->otp_period);
    args[i++] = c->otp_hash;
    args[i++] = i64s(p, c->updated > 0 ? c->updated : now_sec());
    args[i++] = c->id;

    rv = store_query(st, ST_UPDATE, args, &nrows, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return nrows >= 1 ? APR_SUCCESS : APR_NOTFOUND;
}

apr_status_t csc_store_delete(csc_store_t *st, const char *id, apr_pool_t *p)
{
    const char *args[1];
    apr_status_t rv;
    int nrows = 0;

    if (is_empty(id)) {
        return APR_NOTFOUND;
    }
    args[0] = id;
    rv = store_query(st, ST_DELETE, args, &nrows, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return nrows >= 1 ? APR_SUCCESS : APR_NOTFOUND;
}

/* ------------------------------------------------------------------ */
/* Counters                                                            */

/* Reads fail_count and blocked: APR_NOTFOUND when the row is gone. */
static apr_status_t read_state(csc_store_t *st, const char *id,
                               int *fail_count, int *blocked, apr_pool_t *p)
{
    const char *args[1];
    apr_dbd_results_t *res;
    apr_dbd_row_t *row;
    apr_status_t rv;

    args[0] = id;
    rv = store_select(st, ST_STATE, args, &res, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!next_row(st, res, &row, p)) {
        return APR_NOTFOUND;
    }
    rv = col_int(st, row, 0, fail_count);
    if (rv == APR_SUCCESS) {
        rv = col_int(st, row, 1, blocked);
    }
    while (next_row(st, res, &row, p)) {
    }
    return rv == APR_SUCCESS ? APR_SUCCESS : APR_EGENERAL;
}

/* After a conditional UPDATE touched no row: tell "no such credential"
 * from "the condition did not hold". */
static apr_status_t cas_lost(csc_store_t *st, const char *id, apr_pool_t *p)
{
    int fail_count, blocked;
    apr_status_t rv = read_state(st, id, &fail_count, &blocked, p);

    return rv == APR_SUCCESS ? APR_EEXIST : rv;
}

apr_status_t csc_store_auth_failed(csc_store_t *st, const char *id,
                                   int max_failures, int *fail_count,
                                   int *blocked, apr_pool_t *p)
{
    const char *args[3];
    apr_dbd_results_t *res;
    apr_dbd_row_t *row;
    apr_status_t rv;
    int fc = 0, bl = 0;

    if (is_empty(id)) {
        return APR_NOTFOUND;
    }
    args[0] = args[1] = apr_itoa(p, max_failures > 0 ? max_failures : 0);
    args[2] = id;
    rv = store_select(st, ST_FAILED, args, &res, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!next_row(st, res, &row, p)) {
        return APR_NOTFOUND;
    }
    rv = col_int(st, row, 0, &fc);
    if (rv == APR_SUCCESS) {
        rv = col_int(st, row, 1, &bl);
    }
    while (next_row(st, res, &row, p)) {
    }
    if (rv != APR_SUCCESS) {
        return APR_EGENERAL;
    }
    if (fail_count) {
        *fail_count = fc;
    }
    if (blocked) {
        *blocked = bl;
    }
    return APR_SUCCESS;
}

apr_status_t csc_store_attempt_begin(csc_store_t *st, const char *id,
                                     int max_failures, apr_pool_t *p)
{
    const char *args[3];
    apr_status_t rv;
    int nrows = 0;

    if (is_empty(id)) {
        return APR_NOTFOUND;
    }
    args[0] = id;
    args[1] = args[2] = apr_itoa(p, max_failures > 0 ? max_failures : 0);
    rv = store_query(st, ST_ATTEMPT, args, &nrows, p);
    if (rv != APR_SUCCESS || nrows >= 1) {
        return rv;
    }
    /* blocked, every attempt the limit allows already counted, or gone */
    rv = cas_lost(st, id, p);
    return rv == APR_EEXIST ? APR_EACCES : rv;
}

apr_status_t csc_store_attempt_release(csc_store_t *st, const char *id,
                                       apr_pool_t *p)
{
    const char *args[1];
    int nrows = 0;

    if (is_empty(id)) {
        return APR_NOTFOUND;
    }
    args[0] = id;
    return store_query(st, ST_RELEASE, args, &nrows, p);
}

apr_status_t csc_store_auth_succeeded(csc_store_t *st, const char *id,
                                      apr_pool_t *p)
{
    const char *args[1];
    apr_status_t rv;
    int fc, bl, nrows = 0;

    if (is_empty(id)) {
        return APR_NOTFOUND;
    }
    args[0] = id;
    rv = store_query(st, ST_RESET, args, &nrows, p);
    if (rv != APR_SUCCESS || nrows >= 1) {
        return rv;
    }
    /* blocked (possibly just now, by concurrent failures), or deleted */
    rv = read_state(st, id, &fc, &bl, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return bl ? APR_EACCES : APR_SUCCESS;
}

apr_status_t csc_store_set_blocked(csc_store_t *st, const char *id,
                                   int blocked, apr_pool_t *p)
{
    const char *args[2];
    apr_status_t rv;
    int nrows = 0;

    if (is_empty(id)) {
        return APR_NOTFOUND;
    }
    args[0] = i64s(p, now_sec());
    args[1] = id;
    rv = store_query(st, blocked ? ST_BLOCK : ST_UNBLOCK, args, &nrows, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return nrows >= 1 ? APR_SUCCESS : APR_NOTFOUND;
}

apr_status_t csc_store_totp_accept(csc_store_t *st, const char *id,
                                   apr_int64_t step, apr_pool_t *p)
{
    const char *args[3];
    apr_status_t rv;
    int nrows = 0;

    if (is_empty(id)) {
        return APR_NOTFOUND;
    }
    args[0] = args[2] = i64s(p, step);
    args[1] = id;
    rv = store_query(st, ST_TOTP, args, &nrows, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return nrows >= 1 ? APR_SUCCESS : cas_lost(st, id, p);
}

apr_status_t csc_store_hotp_advance(csc_store_t *st, const char *id,
                                    apr_int64_t expected_counter,
                                    apr_int64_t new_counter, apr_pool_t *p)
{
    const char *args[3];
    apr_status_t rv;
    int nrows = 0;

    if (is_empty(id)) {
        return APR_NOTFOUND;
    }
    args[0] = i64s(p, new_counter);
    args[1] = id;
    args[2] = i64s(p, expected_counter);
    rv = store_query(st, ST_HOTP, args, &nrows, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return nrows >= 1 ? APR_SUCCESS : cas_lost(st, id, p);
}
