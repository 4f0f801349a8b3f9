/* SPDX-License-Identifier: Apache-2.0 */
/* The SQL the store runs, and the decoding of its rows.  One text serves
 * every database apr_dbd reaches (see the placeholders note in
 * csc_store_internal.h); what differs lives in the drivers. */
#include <errno.h>

#include "apr_strings.h"
#include "apr_time.h"

#include "base/csc_log.h"
#include "store/csc_store_internal.h"

const csc_stmt_def_t csc_store_stmts[ST_COUNT] = {
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
    { "csc_client_get",
      "SELECT " CSC_CLIENT_COLS " FROM csc_client WHERE id = %s", 0 },
    { "csc_client_list",
      "SELECT " CSC_CLIENT_COLS " FROM csc_client ORDER BY id", 0 },
    { "csc_client_insert",
      "INSERT INTO csc_client (" CSC_CLIENT_COLS ") VALUES ("
      "%s, %s, %s, %s, %s, %s, %s, %lld, %lld) "
      "ON CONFLICT (id) DO NOTHING", 1 },
    { "csc_client_delete",
      "DELETE FROM csc_client WHERE id = %s", 1 },
};


/* datum_get, unlike get_entry, tells SQL NULL from "" on every driver
 * (pgsql's get_entry returns "" for NULL).  The value is copied into p:
 * apr_dbd_pgsql hands out pointers into its result, which it frees once
 * the last row has been read. */
apr_status_t store_col_str(csc_store_t *st, apr_dbd_row_t *row, int col,
                           const char **out, apr_pool_t *p)
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
    *out = p ? apr_pstrdup(p, v) : v;
    return APR_SUCCESS;
}

apr_status_t store_col_i64(csc_store_t *st, apr_dbd_row_t *row, int col,
                           apr_int64_t *out)
{
    const char *s;
    char *end;
    /* parsed at once: no copy */
    apr_status_t rv = store_col_str(st, row, col, &s, NULL);

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

apr_status_t store_col_int(csc_store_t *st, apr_dbd_row_t *row, int col,
                           int *out)
{
    apr_int64_t v;
    apr_status_t rv = store_col_i64(st, row, col, &v);

    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (v < -2147483647LL - 1 || v > 2147483647LL) {
        return APR_EGENERAL;
    }
    *out = (int)v;
    return APR_SUCCESS;
}

apr_status_t store_row_to_credential(csc_store_t *st, apr_dbd_row_t *row,
                                     csc_credential_t **out, apr_pool_t *p)
{
    csc_credential_t *c = apr_pcalloc(p, sizeof(*c));
    const char *pin_format = NULL;
    apr_status_t rv = APR_SUCCESS;
    int i = 0;

#define STR(f) if (rv == APR_SUCCESS) rv = store_col_str(st, row, i++, &c->f, p)
#define INT(f) if (rv == APR_SUCCESS) rv = store_col_int(st, row, i++, &c->f)
#define I64(f) if (rv == APR_SUCCESS) rv = store_col_i64(st, row, i++, &c->f)
    STR(id); STR(owner); STR(description); STR(key_ref); STR(pubkey_pem);
    STR(cert_chain_pem); INT(enabled); INT(multisign); INT(scal);
    STR(pin_hash);
    if (rv == APR_SUCCESS) {
        rv = store_col_str(st, row, i++, &pin_format, NULL);
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
int store_next_row(csc_store_t *st, apr_dbd_results_t *res,
                   apr_dbd_row_t **row, apr_pool_t *p)
{
    /* *row carries the position: apr_dbd_pgsql counts on the row it was
     * given (a fresh one always starts again at the first) */
    return apr_dbd_get_row(st->driver, p, res, row, -1) == 0;
}

int store_empty(const char *s)
{
    return !s || !*s;
}

const char *store_i64s(apr_pool_t *p, apr_int64_t v)
{
    return apr_psprintf(p, "%" APR_INT64_T_FMT, v);
}

apr_int64_t store_now(void)
{
    return (apr_int64_t)apr_time_sec(apr_time_now());
}

