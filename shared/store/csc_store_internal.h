/* SPDX-License-Identifier: Apache-2.0 */
/* Private to store/: the pieces the credential store's files share.
 *   csc_store_conn.c      the store object, connections, fork safety, and
 *                         running one statement (with its one retry)
 *   csc_store_sql.c       the statements and the row codec
 *   csc_store_schema.c    csc_store_open / csc_store_create: the schema
 *   csc_store.c           the records (get, list, insert, update, delete)
 *   csc_store_counters.c  the attempt, lockout and OTP counters
 *   csc_store_clients.c   the OAuth 2.0 client registry
 *   csc_store_driver.c    what differs between databases (the drivers)
 * Callers outside store/ see csc_store.h only. */
#ifndef CSC_STORE_INTERNAL_H
#define CSC_STORE_INTERNAL_H

#include <sys/types.h>

#include "apr_dbd.h"
#include "apr_thread_mutex.h"

#include "store/csc_store.h"
#include "store/csc_store_cache.h"
#include "store/csc_store_driver.h"

/* Column order shared by every SELECT that fills a csc_credential_t; it
 * must match row_to_credential(). */
#define CSC_COLS "id, owner, description, key_ref, pubkey_pem, cert_chain_pem, " \
                 "enabled, multisign, scal, pin_hash, pin_format, otp_type, " \
                 "otp_secret, otp_digits, otp_period, otp_hash, hotp_counter, " \
                 "totp_last_step, fail_count, blocked, created, updated"
#define CSC_NCOLS 22

/* The same for csc_client_t (store_row_to_client). */
#define CSC_CLIENT_COLS "id, name, secret_hash, redirect_uris, grant_types, " \
                        "scopes, acts_as, created, updated"
#define CSC_CLIENT_NCOLS 9

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
    ST_CLIENT_GET,
    ST_CLIENT_LIST,
    ST_CLIENT_INSERT,
    ST_CLIENT_DELETE,
    ST_COUNT
} csc_stmt_e;

typedef struct {
    const char *label;
    const char *sql;
    int writes;                 /* may change a record: cached ones go stale */
} csc_stmt_def_t;

/* csc_store_sql.c */
extern const csc_stmt_def_t csc_store_stmts[ST_COUNT];

/* csc_store_walhdr.c: SQLite's WAL-index header, read without locks. */
#define STORE_WALHDR_LEN 48
typedef struct {
    /* the -shm's first region, as the connection's SQLite maps it */
    const volatile unsigned char *hdr;
    int tried;                  /* looked for once, found or not */
    int seen_ok;                /* seen is the header before the last look */
    unsigned char seen[STORE_WALHDR_LEN];
} store_walhdr_t;
/* Finds the header of an SQLite connection that has read in WAL mode,
 * once per connection (valid until the handle closes); if it cannot, the
 * watch stays off. */
void store_walhdr_open(store_walhdr_t *w, const apr_dbd_driver_t *driver,
                       apr_dbd_t *handle);
/* 1 with a consistent header in out; 0 when it cannot be trusted. */
int store_walhdr_read(const store_walhdr_t *w,
                      unsigned char out[STORE_WALHDR_LEN]);

struct csc_store_conn_t {
    csc_store_conn_t *next;
    csc_store_t *st;
    apr_pool_t *pool;
    apr_dbd_t *handle;
    pid_t pid;
    apr_dbd_prepared_t *stmt[ST_COUNT];
    apr_dbd_prepared_t *change;         /* the driver's change_sql */
    apr_int64_t last_version;           /* its last result ... */
    int version_seen;                   /* ... once there is one */
    store_walhdr_t wal;                 /* drv->wal_index: the watch */
};

struct csc_store_t {
    /* Own allocator with a mutex: connection pools are children of this
     * pool and are allocated from by whichever thread holds them. */
    apr_pool_t *pool;
    const apr_dbd_driver_t *driver;
    const char *params;
    const char *name;           /* for messages; no password */
    const csc_store_driver_t *drv;  /* what differs between databases */
    apr_thread_mutex_t *mutex;  /* guards idle, pid, child pool creation */
    pid_t pid;
    csc_store_conn_t *idle;
    csc_store_cache_t *cache;   /* only with the driver's change_sql */
};

/* ---- csc_store_conn.c ---- */

/* A store object for spec (its driver loaded; nothing connected). */
apr_status_t store_new(csc_store_t **out, const char *spec, apr_pool_t *p,
                       const char **errmsg);
/* A handle in cp (a fresh child pool of st->pool) with the driver's
 * per-connection settings applied. */
apr_status_t store_conn_connect(csc_store_t *st, apr_pool_t *cp,
                                csc_store_conn_t **out, apr_pool_t *p,
                                const char **errmsg);
/* The driver's database-wide settings (SQLite: WAL). */
apr_status_t store_conn_setup(csc_store_conn_t *conn, apr_pool_t *p,
                              const char **errmsg);
/* Prepares every statement, and the driver's change query. */
apr_status_t store_conn_prepare(csc_store_conn_t *conn, apr_pool_t *p,
                                const char **errmsg);
apr_status_t store_conn_acquire(csc_store_t *st, int fresh,
                                csc_store_conn_t **out, apr_pool_t *p);
void store_conn_release(csc_store_t *st, csc_store_conn_t *conn);
const char *store_conn_error(csc_store_conn_t *conn, int rv);
int store_conn_exec_rows(csc_store_conn_t *conn, apr_pool_t *p,
                         const char *sql, const char **first);
apr_status_t store_select(csc_store_t *st, csc_stmt_e which,
                          const char **args, apr_dbd_results_t **res,
                          apr_pool_t *p);
apr_status_t store_query(csc_store_t *st, csc_stmt_e which,
                         const char **args, int *nrows, apr_pool_t *p);

/* ---- csc_store_sql.c: the row codec ---- */

apr_status_t store_col_str(csc_store_t *st, apr_dbd_row_t *row, int col,
                           const char **out, apr_pool_t *p);
apr_status_t store_col_int(csc_store_t *st, apr_dbd_row_t *row, int col,
                           int *out);
apr_status_t store_row_to_credential(csc_store_t *st, apr_dbd_row_t *row,
                                     csc_credential_t **out, apr_pool_t *p);
apr_status_t store_col_i64(csc_store_t *st, apr_dbd_row_t *row, int col,
                           apr_int64_t *out);
int store_next_row(csc_store_t *st, apr_dbd_results_t *res,
                   apr_dbd_row_t **row, apr_pool_t *p);
int store_empty(const char *s);
const char *store_i64s(apr_pool_t *p, apr_int64_t v);
apr_int64_t store_now(void);

#endif
