/* SPDX-License-Identifier: Apache-2.0 */
/* The drivers the store knows (csc_store_driver.h), and the SQLite one.
 * The SQLite specifics: the file is checked and created here rather than
 * by sqlite3_open(); a short busy timeout; WAL; PRAGMA data_version as the
 * change token of the record cache.  PostgreSQL's: timeouts, no cache. */
#include <string.h>
#include <strings.h>

#include "apr_file_info.h"
#include "apr_file_io.h"
#include "apr_strings.h"

#include "store/csc_store_internal.h"
#include "store/csc_store_schema.h"

static const char *const sqlite_connect_sql[] = {
    "PRAGMA busy_timeout = " CSC_STORE_STR(CSC_STORE_BUSY_TIMEOUT_MS),
    "PRAGMA foreign_keys = ON",
    NULL
};

/* WAL lets the many httpd readers run beside the tool's and the counters'
 * writes.  The mode is persistent in the file; asking again is a no-op. */
static apr_status_t sqlite_wal(csc_store_conn_t *conn, apr_pool_t *p,
                               const char **errmsg)
{
    const char *mode = NULL;
    int drv;

    drv = store_conn_exec_rows(conn, p, "PRAGMA journal_mode = WAL", &mode);
    if (drv != 0) {
        *errmsg = apr_psprintf(p, "credential store %s: PRAGMA journal_mode "
                               "= WAL: %s", conn->st->name,
                               store_conn_error(conn, drv));
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

/* sqlite3_open() would silently create a missing file. */
static apr_status_t sqlite_exists(csc_store_t *st, apr_pool_t *p,
                                  const char **errmsg)
{
    apr_finfo_t fi;
    apr_status_t rv = apr_stat(&fi, st->params, APR_FINFO_TYPE, p);

    if (rv != APR_SUCCESS) {
        *errmsg = apr_psprintf(p, "credential store %s does not exist or "
                               "is not accessible (%pm); create it with "
                               "the enrollment tool", st->name, &rv);
        return APR_STATUS_IS_ENOENT(rv) ? APR_ENOENT : rv;
    }
    if (fi.filetype != APR_REG) {
        *errmsg = apr_psprintf(p, "credential store %s is not a regular "
                               "file", st->name);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* Created here, exclusively and private, rather than by sqlite3_open():
 * the store holds PIN hashes and OTP seeds. */
static apr_status_t sqlite_create(csc_store_t *st, apr_pool_t *p,
                                  const char **errmsg)
{
    apr_file_t *f;
    apr_status_t rv = apr_file_open(&f, st->params,
                                    APR_FOPEN_WRITE | APR_FOPEN_CREATE
                                    | APR_FOPEN_EXCL,
                                    APR_FPROT_UREAD | APR_FPROT_UWRITE, p);

    if (rv != APR_SUCCESS) {
        *errmsg = APR_STATUS_IS_EEXIST(rv)
            ? apr_psprintf(p, "credential store %s already exists", st->name)
            : apr_psprintf(p, "credential store %s: cannot create: %pm",
                           st->name, &rv);
        return APR_STATUS_IS_EEXIST(rv) ? APR_EEXIST : rv;
    }
    apr_file_close(f);
    return APR_SUCCESS;
}

static void sqlite_remove(const char *path, apr_pool_t *p)
{
    apr_file_remove(path, p);
    apr_file_remove(apr_pstrcat(p, path, "-wal", NULL), p);
    apr_file_remove(apr_pstrcat(p, path, "-shm", NULL), p);
    apr_file_remove(apr_pstrcat(p, path, "-journal", NULL), p);
}

static const csc_store_driver_t sqlite3_driver = {
    .name = "sqlite3",
    .params_are_path = 1,
    .connect_sql = sqlite_connect_sql,
    .setup = sqlite_wal,
    .change_sql = "PRAGMA data_version",
    .wal_index = 1,
    .before_open = sqlite_exists,
    .create = sqlite_create,
    .create_undo = sqlite_remove,
};

/* PostgreSQL: the schema and the statements are the portable ones.  No
 * record cache: any freshness check is a round trip, the same cost as
 * reading the row, so every read goes to the database and a change made on
 * any host is seen by the next request of every host.  Bounded waits
 * (CSC_STORE_PG_SESSION_SQL); a failed statement is retried once on a new
 * connection (csc_store_conn.c).  The database must exist: csc-admin init
 * adds the schema to it. */
static const char *const pgsql_connect_sql[] = {
    CSC_STORE_PG_SESSION_SQL,
    NULL
};

static const csc_store_driver_t pgsql_driver = {
    .name = "pgsql",
    .connect_sql = pgsql_connect_sql,
};

/* Any other apr_dbd driver: the portable SQL alone. */
static const csc_store_driver_t neutral_driver = {
    .name = "",
};

static const csc_store_driver_t *const drivers[] = {
    &sqlite3_driver,
    &pgsql_driver,
};

const csc_store_driver_t *csc_store_driver_for(const char *dbd_name)
{
    size_t i;

    for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
        if (dbd_name && !strcmp(drivers[i]->name, dbd_name)) {
            return drivers[i];
        }
    }
    return &neutral_driver;
}
