/* SPDX-License-Identifier: Apache-2.0 */
/* What differs between the databases behind apr_dbd, and nothing else:
 * the statements, the row codec, connections and fork safety are the same
 * for all.  A database the store has no driver for gets the neutral one
 * (every hook absent): it works, without the per-process record cache.
 * PostgreSQL is one such table entry: timeouts, and no cache. */
#ifndef CSC_STORE_DRIVER_H
#define CSC_STORE_DRIVER_H

#include <apr_errno.h>
#include <apr_pools.h>

struct csc_store_t;
typedef struct csc_store_conn_t csc_store_conn_t;

typedef struct csc_store_driver_t {
    const char *name;               /* apr_dbd's name for the driver */
    /* The parameters are a file path, shown in messages as they are
     * (otherwise a password in them is masked). */
    int params_are_path;
    /* Per-connection settings that write nothing (SQLite: busy_timeout,
     * foreign_keys); NULL-terminated, or NULL. */
    const char *const *connect_sql;
    /* Database-wide settings, after the schema is known to be ours and on
     * every new connection (SQLite: WAL).  May be NULL. */
    apr_status_t (*setup)(csc_store_conn_t *conn, apr_pool_t *p,
                          const char **errmsg);
    /* A query whose one value moves whenever any connection commits
     * (SQLite: PRAGMA data_version).  It enables the per-process record
     * cache; NULL: no cache, every read goes to the database. */
    const char *change_sql;
    /* change_sql may be skipped while SQLite's WAL-index header is as it
     * was before the connection's last change_sql (csc_store_walhdr.c). */
    int wal_index;
    /* csc_store_open, before connecting: the database must exist already
     * (sqlite3_open would create an empty file).  May be NULL. */
    apr_status_t (*before_open)(struct csc_store_t *st, apr_pool_t *p,
                                const char **errmsg);
    /* csc_store_create, before the schema: make the empty database
     * (SQLite: the file, exclusively, mode 0600), and take it away again
     * when the schema could not be created.  May be NULL. */
    apr_status_t (*create)(struct csc_store_t *st, apr_pool_t *p,
                           const char **errmsg);
    void (*create_undo)(const char *params, apr_pool_t *p);
} csc_store_driver_t;

/* The driver for apr_dbd's driver name; never NULL. */
const csc_store_driver_t *csc_store_driver_for(const char *dbd_name);

#endif
