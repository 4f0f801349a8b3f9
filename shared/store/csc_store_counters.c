/* SPDX-License-Identifier: Apache-2.0 */
/* The counters a credential carries: consecutive failures and the block
 * (each attempt counted before it is judged, in one conditional UPDATE),
 * and the last TOTP step and HOTP counter (compare-and-set), so that
 * concurrent requests in any process cannot both win. */
#include "apr_strings.h"

#include "store/csc_store_internal.h"

/* Reads fail_count and blocked: APR_NOTFOUND when the row is gone. */
static apr_status_t read_state(csc_store_t *st, const char *id,
                               int *fail_count, int *blocked, apr_pool_t *p)
{
    const char *args[1];
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv;

    args[0] = id;
    rv = store_select(st, ST_STATE, args, &res, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!store_next_row(st, res, &row, p)) {
        return APR_NOTFOUND;
    }
    rv = store_col_int(st, row, 0, fail_count);
    if (rv == APR_SUCCESS) {
        rv = store_col_int(st, row, 1, blocked);
    }
    while (store_next_row(st, res, &row, p)) {
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
    apr_dbd_row_t *row = NULL;
    apr_status_t rv;
    int fc = 0, bl = 0;

    if (store_empty(id)) {
        return APR_NOTFOUND;
    }
    args[0] = args[1] = apr_itoa(p, max_failures > 0 ? max_failures : 0);
    args[2] = id;
    rv = store_select(st, ST_FAILED, args, &res, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!store_next_row(st, res, &row, p)) {
        return APR_NOTFOUND;
    }
    rv = store_col_int(st, row, 0, &fc);
    if (rv == APR_SUCCESS) {
        rv = store_col_int(st, row, 1, &bl);
    }
    while (store_next_row(st, res, &row, p)) {
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

    if (store_empty(id)) {
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

    if (store_empty(id)) {
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

    if (store_empty(id)) {
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

    if (store_empty(id)) {
        return APR_NOTFOUND;
    }
    args[0] = store_i64s(p, store_now());
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

    if (store_empty(id)) {
        return APR_NOTFOUND;
    }
    args[0] = args[2] = store_i64s(p, step);
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

    if (store_empty(id)) {
        return APR_NOTFOUND;
    }
    args[0] = store_i64s(p, new_counter);
    args[1] = id;
    args[2] = store_i64s(p, expected_counter);
    rv = store_query(st, ST_HOTP, args, &nrows, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return nrows >= 1 ? APR_SUCCESS : cas_lost(st, id, p);
}
