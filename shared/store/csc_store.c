/* SPDX-License-Identifier: Apache-2.0 */
/* Credential records over apr_dbd: read (through the per-process cache
 * where the driver can tell when to drop it), list, insert, update,
 * delete.  See csc_store.h for the contract and csc_store_internal.h for
 * where the rest of the store lives. */
#include <string.h>

#include "apr_strings.h"

#include "store/csc_store_internal.h"

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
    else if (store_empty(c->id)) {
        bad = "id is empty";
    }
    else if (store_empty(c->owner)) {
        bad = "owner is empty";
    }
    else if (store_empty(c->key_ref)) {
        bad = "key_ref is empty";
    }
    else if (store_empty(c->pubkey_pem)) {
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
        else if ((totp || hotp) && store_empty(c->otp_secret)) {
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

/* The cache epoch under which a row read from now on may be cached, after
 * advancing it if another connection committed anything since the borrowed
 * connection last looked (its first look counts as a change).  With one
 * connection per thread and a commit seen by every connection's next look,
 * no entry read before a commit survives the first look after it.  0: do
 * not use the cache this time.
 *
 * A look is the driver's change query, or (SQLite) finding the WAL-index
 * header as it was before the connection's last change query: then nothing
 * was committed since, the query would say so, and the epoch stands. */
static apr_uint64_t cache_epoch(csc_store_t *st, apr_pool_t *p)
{
    csc_store_conn_t *conn;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *v = NULL;
    apr_uint64_t epoch = 0;
    apr_int64_t version;
    unsigned char before[STORE_WALHDR_LEN];
    int have_before;

    if (!st->cache || store_conn_acquire(st, 0, &conn, p) != APR_SUCCESS) {
        return 0;
    }
    have_before = st->drv->wal_index && store_walhdr_read(&conn->wal, before);
    if (have_before && conn->wal.seen_ok
        && !memcmp(before, conn->wal.seen, STORE_WALHDR_LEN)) {
        epoch = csc_store_cache_epoch(st->cache);
        store_conn_release(st, conn);
        return epoch;
    }
    /* read before the query: a commit in between moves the header, and the
     * next look goes to the query again */
    conn->wal.seen_ok = 0;
    if (apr_dbd_pselect(st->driver, p, conn->handle, &res,
                        conn->change, 1, 0, NULL) != 0) {
        /* the plain read that follows reports and recovers */
        store_conn_release(st, conn);
        return 0;
    }
    if (store_next_row(st, res, &row, p)) {
        v = apr_pstrdup(p, apr_dbd_get_entry(st->driver, row, 0));
        while (store_next_row(st, res, &row, p)) {
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
        if (have_before) {
            memcpy(conn->wal.seen, before, STORE_WALHDR_LEN);
            conn->wal.seen_ok = 1;
        }
        else if (st->drv->wal_index) {
            /* the query has the WAL-index open now; watch from the next
             * look on */
            store_walhdr_open(&conn->wal, st->driver, conn->handle);
        }
    }
    store_conn_release(st, conn);
    return epoch;
}

apr_status_t csc_store_get(csc_store_t *st, const char *id,
                           csc_credential_t **c, apr_pool_t *p)
{
    const char *args[1];
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv;
    apr_uint64_t epoch;

    *c = NULL;
    if (store_empty(id)) {
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
    if (!store_next_row(st, res, &row, p)) {
        return APR_NOTFOUND;
    }
    rv = store_row_to_credential(st, row, c, p);
    while (store_next_row(st, res, &row, p)) {
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
    apr_dbd_row_t *row = NULL;
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
    while (store_next_row(st, res, &row, p)) {
        if ((*ids)->nelts == limit) {
            *more = 1;
            continue;
        }
        if (store_col_str(st, row, 0, &id, p) != APR_SUCCESS || !id) {
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
    apr_dbd_row_t *row = NULL;
    csc_credential_t *c;
    apr_status_t rv, rv2 = APR_SUCCESS;

    *creds = apr_array_make(p, 16, sizeof(csc_credential_t *));
    rv = store_select(st, ST_LIST_ALL, NULL, &res, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    while (store_next_row(st, res, &row, p)) {
        rv = store_row_to_credential(st, row, &c, p);
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
    created = c->created > 0 ? c->created : store_now();
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
    args[i++] = store_i64s(p, c->hotp_counter);
    args[i++] = store_i64s(p, c->totp_last_step);
    args[i++] = apr_itoa(p, c->fail_count);
    args[i++] = apr_itoa(p, c->blocked);
    args[i++] = store_i64s(p, created);
    args[i++] = store_i64s(p, updated);

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
    args[i++] = store_i64s(p, c->updated > 0 ? c->updated : store_now());
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

    if (store_empty(id)) {
        return APR_NOTFOUND;
    }
    args[0] = id;
    rv = store_query(st, ST_DELETE, args, &nrows, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return nrows >= 1 ? APR_SUCCESS : APR_NOTFOUND;
}

