/* SPDX-License-Identifier: Apache-2.0 */
/* Opening a store (its schema must be ours and current) and creating
 * one (the schema of csc_store_schema.h, in one transaction). */
#include "apr_strings.h"

#include "store/csc_store_internal.h"
#include "store/csc_store_schema.h"

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
                               "%s", st->name, store_conn_error(conn, drv));
        return APR_EGENERAL;
    }
    while (store_next_row(st, res, &row, p)) {
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
                               "migration: csc-admin migrate)", st->name, version,
                               CSC_STORE_SCHEMA_VERSION);
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

/* A store object for spec with one connection to an existing database
 * (nothing checked yet).  On failure nothing is left open. */
static apr_status_t open_existing(const char *spec, apr_pool_t *p,
                                  const char **errmsg, csc_store_t **out,
                                  csc_store_conn_t **conn)
{
    csc_store_t *st = NULL;
    apr_pool_t *cp = NULL;
    apr_status_t rv;

    *out = NULL;
    if ((rv = store_new(&st, spec, p, errmsg)) != APR_SUCCESS) {
        return rv;
    }
    if (st->drv->before_open
        && (rv = st->drv->before_open(st, p, errmsg)) != APR_SUCCESS) {
        apr_pool_destroy(st->pool);
        return rv;
    }
    rv = apr_pool_create(&cp, st->pool);
    if (rv == APR_SUCCESS) {
        rv = store_conn_connect(st, cp, conn, p, errmsg);
    }
    if (rv != APR_SUCCESS) {
        if (!*errmsg) {
            *errmsg = apr_psprintf(p, "credential store %s: %pm", st->name,
                                   &rv);
        }
        apr_pool_destroy(st->pool);
        return rv;
    }
    *out = st;
    return APR_SUCCESS;
}

apr_status_t csc_store_open(csc_store_t **out, const char *spec, apr_pool_t *p,
                            const char **errmsg)
{
    csc_store_t *st = NULL;
    csc_store_conn_t *conn = NULL;
    const char *dummy;
    apr_status_t rv;

    if (!errmsg) {
        errmsg = &dummy;
    }
    *errmsg = NULL;
    *out = NULL;
    rv = open_existing(spec, p, errmsg, &st, &conn);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    /* Schema before WAL: a file that is not ours must stay untouched. */
    rv = check_schema(conn, p, errmsg);
    if (rv == APR_SUCCESS) {
        rv = store_conn_setup(conn, p, errmsg);
    }
    if (rv == APR_SUCCESS) {
        rv = store_conn_prepare(conn, p, errmsg);
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
    apr_pool_destroy(conn->pool);
    *out = st;
    return APR_SUCCESS;
}

apr_status_t csc_store_create(const char *spec, apr_pool_t *p,
                              const char **errmsg)
{
    csc_store_t *st = NULL;
    csc_store_conn_t *conn = NULL;
    apr_pool_t *cp = NULL;
    const char *dummy;
    const char *params;
    void (*drv_undo)(const char *params, apr_pool_t *p);
    int created = 0;
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

    if (st->drv->create) {
        rv = st->drv->create(st, p, errmsg);
        if (rv != APR_SUCCESS) {
            apr_pool_destroy(st->pool);
            return rv;
        }
        created = 1;
    }
    drv_undo = st->drv->create_undo;
    params = apr_pstrdup(p, st->params);

    rv = apr_pool_create(&cp, st->pool);
    if (rv == APR_SUCCESS) {
        rv = store_conn_connect(st, cp, &conn, p, errmsg);
    }
    if (rv == APR_SUCCESS) {
        rv = store_conn_setup(conn, p, errmsg);
    }
    if (rv == APR_SUCCESS) {
        drv = apr_dbd_query(st->driver, conn->handle, &nrows, "BEGIN");
        if (drv == 0) {
            drv = apr_dbd_query(st->driver, conn->handle, &nrows,
                                csc_store_schema_sql);
            if (drv != 0) {
                *errmsg = apr_psprintf(p, "credential store %s: creating the "
                                       "schema failed: %s", st->name,
                                       store_conn_error(conn, drv));
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
                                       store_conn_error(conn, drv));
            }
            rv = APR_EGENERAL;
        }
    }
    if (rv != APR_SUCCESS && !*errmsg) {
        *errmsg = apr_psprintf(p, "credential store %s: %pm", st->name, &rv);
    }
    /* Closes the handle before any file removal. */
    apr_pool_destroy(st->pool);
    if (rv != APR_SUCCESS && created && drv_undo) {
        drv_undo(params, p);
    }
    return rv;
}


/* Reads the version of an open connection's schema; -1 when unreadable. */
static apr_int64_t schema_version(csc_store_conn_t *conn, apr_pool_t *p)
{
    csc_store_t *st = conn->st;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    apr_int64_t version = -1;
    const char *v;
    int rows = 0;

    if (apr_dbd_select(st->driver, p, conn->handle, &res,
                       "SELECT version FROM csc_schema", 1) != 0) {
        return -1;
    }
    while (store_next_row(st, res, &row, p)) {
        v = apr_dbd_get_entry(st->driver, row, 0);
        version = v ? apr_atoi64(v) : -1;
        rows++;
    }
    return rows == 1 ? version : -1;
}

static int migrate_step(csc_store_conn_t *conn, int from, apr_pool_t *p,
                        const char **errmsg)
{
    csc_store_t *st = conn->st;
    const char *steps[2];
    int nrows, drv, i;

    steps[0] = csc_store_migrations[from];
    steps[1] = apr_psprintf(p, "UPDATE csc_schema SET version = %d",
                            from + 1);
    drv = apr_dbd_query(st->driver, conn->handle, &nrows, "BEGIN");
    for (i = 0; drv == 0 && i < 2; i++) {
        drv = apr_dbd_query(st->driver, conn->handle, &nrows, steps[i]);
    }
    if (drv == 0) {
        drv = apr_dbd_query(st->driver, conn->handle, &nrows, "COMMIT");
    }
    if (drv != 0) {
        *errmsg = apr_psprintf(p, "credential store %s: migrating from "
                               "schema version %d failed: %s", st->name,
                               from, store_conn_error(conn, drv));
        apr_dbd_query(st->driver, conn->handle, &nrows, "ROLLBACK");
    }
    return drv;
}

apr_status_t csc_store_migrate(const char *spec, int *from, apr_pool_t *p,
                               const char **errmsg)
{
    csc_store_t *st = NULL;
    csc_store_conn_t *conn = NULL;
    apr_int64_t version = -1;
    const char *dummy;
    apr_status_t rv;

    if (!errmsg) {
        errmsg = &dummy;
    }
    *errmsg = NULL;
    if (from) {
        *from = -1;
    }
    if ((rv = open_existing(spec, p, errmsg, &st, &conn)) != APR_SUCCESS) {
        return rv;
    }
    if (rv == APR_SUCCESS) {
        version = schema_version(conn, p);
        if (from) {
            *from = (int)version;
        }
        if (version < 1) {
            *errmsg = apr_psprintf(p, "credential store %s has no mod_csc "
                                   "schema", st->name);
            rv = APR_EGENERAL;
        }
        else if (version > CSC_STORE_SCHEMA_VERSION) {
            *errmsg = apr_psprintf(p, "credential store %s has schema "
                                   "version %" APR_INT64_T_FMT ", newer than "
                                   "the %d this mod_csc supports", st->name,
                                   version, CSC_STORE_SCHEMA_VERSION);
            rv = APR_EGENERAL;
        }
    }
    while (rv == APR_SUCCESS && version < CSC_STORE_SCHEMA_VERSION) {
        if (migrate_step(conn, (int)version, p, errmsg) != 0) {
            rv = APR_EGENERAL;
        }
        version++;
    }
    if (rv != APR_SUCCESS && !*errmsg) {
        *errmsg = apr_psprintf(p, "credential store %s: %pm", st->name, &rv);
    }
    apr_pool_destroy(st->pool);
    return rv;
}
