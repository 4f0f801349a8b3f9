/* SPDX-License-Identifier: Apache-2.0 */
/* The OAuth 2.0 client registry: one row per client in csc_client.  No
 * cache: a client is read once per authorization-server request, and an
 * admin's removal must stop it on the very next one. */
#include <string.h>

#include "apr_strings.h"

#include "base/csc_log.h"
#include "store/csc_store_internal.h"

int csc_client_list_has(const char *list, const char *word)
{
    apr_size_t n = strlen(word);
    const char *s = list;

    while (s && *s) {
        apr_size_t len;

        s += strspn(s, " ");
        len = strcspn(s, " ");
        if (len == n && !strncmp(s, word, n)) {
            return 1;
        }
        s += len;
    }
    return 0;
}

static int id_ok(const char *id)
{
    apr_size_t n = id ? strlen(id) : 0;

    return n >= 1 && n <= 128
        && strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                      "0123456789._~-") == n;
}

static int loopback_host(const char *hostport, apr_size_t n)
{
    static const char *const hosts[] = {"localhost", "127.0.0.1", "[::1]",
                                        NULL};
    int i;

    for (i = 0; hosts[i]; i++) {
        apr_size_t h = strlen(hosts[i]);

        if (n >= h && !strncasecmp(hostport, hosts[i], h)
            && (n == h || hostport[h] == ':')) {
            return 1;
        }
    }
    return 0;
}

/* RFC 9700 2.1 and RFC 8252 7: https, http only to the loopback
 * interface, or a private-use scheme (with a dot, "com.example.app:/")
 * for native apps; never a fragment, never whitespace or controls. */
static const char *redirect_uri_error(const char *u)
{
    const char *colon = strchr(u, ':'), *c;

    for (c = u; *c; c++) {
        if ((unsigned char)*c <= 0x20 || *c == 0x7f) {
            return "contains a space or a control character";
        }
    }
    if (strchr(u, '#')) {
        return "has a fragment";
    }
    if (strlen(u) > 1024) {
        return "is longer than 1024 characters";
    }
    if (!strncmp(u, "https://", 8)) {
        return u[8] && u[8] != '/' ? NULL : "has no host";
    }
    if (!strncmp(u, "http://", 7)) {
        apr_size_t n = strcspn(u + 7, "/?");

        return loopback_host(u + 7, n) ? NULL
             : "uses http to a host other than the loopback interface";
    }
    if (colon && colon > u && memchr(u, '.', (apr_size_t)(colon - u))
        && strspn(u, "abcdefghijklmnopqrstuvwxyz0123456789.+-")
           == (apr_size_t)(colon - u)) {
        return NULL;
    }
    return "is not https, loopback http or a private-use scheme";
}

static const char *words_error(const char *list, const char *const *known,
                               const char *what, apr_pool_t *p)
{
    const char *s = list;

    if (!s || !*(s + strspn(s, " "))) {
        return apr_psprintf(p, "no %s", what);
    }
    while (*s) {
        apr_size_t len;
        int i;

        s += strspn(s, " ");
        len = strcspn(s, " ");
        if (!len) {
            break;
        }
        for (i = 0; known[i]; i++) {
            if (strlen(known[i]) == len && !strncmp(s, known[i], len)) {
                break;
            }
        }
        if (!known[i]) {
            return apr_psprintf(p, "unknown %s '%.*s'", what, (int)len, s);
        }
        s += len;
    }
    return NULL;
}

apr_status_t csc_client_validate(const csc_client_t *c, const char **errmsg,
                                 apr_pool_t *p)
{
    static const char *const grants[] = {"authorization_code",
                                         "refresh_token",
                                         "client_credentials", NULL};
    static const char *const scopes[] = {"service", "credential", NULL};
    const char *bad = NULL;

    *errmsg = NULL;
    if (!id_ok(c->id)) {
        bad = "client_id must be 1 to 128 of A-Z a-z 0-9 . _ ~ -";
    }
    else if (store_empty(c->name) || strlen(c->name) > 255) {
        bad = "name must be 1 to 255 characters";
    }
    else if ((bad = words_error(c->grant_types, grants, "grant type", p))) {
    }
    else if ((bad = words_error(c->scopes, scopes, "scope", p))) {
    }
    else if (csc_client_list_has(c->grant_types, "client_credentials")
             && (!c->secret_hash || store_empty(c->acts_as))) {
        bad = "client_credentials needs a confidential client that acts "
              "as a user";
    }
    else if (csc_client_list_has(c->grant_types, "refresh_token")
             && !csc_client_list_has(c->grant_types, "authorization_code")) {
        bad = "refresh_token needs authorization_code";
    }
    else if (csc_client_list_has(c->grant_types, "authorization_code")) {
        const char *s = c->redirect_uris;
        int n = 0;

        while (!bad && s && *(s += strspn(s, " "))) {
            apr_size_t len = strcspn(s, " ");
            const char *u = apr_pstrmemdup(p, s, len);
            const char *why = redirect_uri_error(u);

            if (why) {
                bad = apr_psprintf(p, "redirect URI %s %s", u, why);
            }
            n++;
            s += len;
        }
        if (!bad && n == 0) {
            bad = "authorization_code needs a redirect URI";
        }
    }
    if (bad) {
        *errmsg = apr_psprintf(p, "client '%s': %s", c->id ? c->id : "",
                               bad);
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

static apr_status_t row_to_client(csc_store_t *st, apr_dbd_row_t *row,
                                  csc_client_t **out, apr_pool_t *p)
{
    csc_client_t *c = apr_pcalloc(p, sizeof(*c));
    apr_status_t rv = APR_SUCCESS;
    int i = 0;

#define STR(f) if (rv == APR_SUCCESS) rv = store_col_str(st, row, i++, &c->f, p)
#define I64(f) if (rv == APR_SUCCESS) rv = store_col_i64(st, row, i++, &c->f)
    STR(id); STR(name); STR(secret_hash); STR(redirect_uris);
    STR(grant_types); STR(scopes); STR(acts_as); I64(created); I64(updated);
#undef STR
#undef I64
    if (rv != APR_SUCCESS || i != CSC_CLIENT_NCOLS || !c->id || !c->name
        || !c->redirect_uris || !c->grant_types || !c->scopes) {
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "credential store %s: malformed "
                "client row", st->name);
        return APR_EGENERAL;
    }
    if (store_empty(c->secret_hash)) {
        c->secret_hash = NULL;
    }
    if (store_empty(c->acts_as)) {
        c->acts_as = NULL;
    }
    *out = c;
    return APR_SUCCESS;
}

apr_status_t csc_client_get(csc_store_t *st, const char *id,
                            csc_client_t **c, apr_pool_t *p)
{
    const char *args[1];
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    apr_status_t rv;

    *c = NULL;
    if (!id_ok(id)) {
        return APR_NOTFOUND;
    }
    args[0] = id;
    rv = store_select(st, ST_CLIENT_GET, args, &res, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (!store_next_row(st, res, &row, p)) {
        return APR_NOTFOUND;
    }
    rv = row_to_client(st, row, c, p);
    while (store_next_row(st, res, &row, p)) {
        /* drain; id is the primary key */
    }
    return rv;
}

apr_status_t csc_client_list(csc_store_t *st, apr_array_header_t **clients,
                             apr_pool_t *p)
{
    apr_dbd_results_t *res;
    apr_dbd_row_t *row = NULL;
    csc_client_t *c;
    apr_status_t rv, rv2 = APR_SUCCESS;

    *clients = apr_array_make(p, 8, sizeof(csc_client_t *));
    rv = store_select(st, ST_CLIENT_LIST, NULL, &res, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    while (store_next_row(st, res, &row, p)) {
        if ((rv = row_to_client(st, row, &c, p)) != APR_SUCCESS) {
            rv2 = rv;
            continue;
        }
        APR_ARRAY_PUSH(*clients, csc_client_t *) = c;
    }
    return rv2;
}

apr_status_t csc_client_insert(csc_store_t *st, const csc_client_t *c,
                               apr_pool_t *p)
{
    const char *args[CSC_CLIENT_NCOLS], *err;
    apr_int64_t now = store_now();
    apr_status_t rv;
    int nrows = 0, i = 0;

    if ((rv = csc_client_validate(c, &err, p)) != APR_SUCCESS) {
        return rv;
    }
    args[i++] = c->id;
    args[i++] = c->name;
    args[i++] = c->secret_hash;
    args[i++] = c->redirect_uris ? c->redirect_uris : "";
    args[i++] = c->grant_types;
    args[i++] = c->scopes;
    args[i++] = c->acts_as;
    args[i++] = store_i64s(p, c->created > 0 ? c->created : now);
    args[i++] = store_i64s(p, c->updated > 0 ? c->updated : now);
    rv = store_query(st, ST_CLIENT_INSERT, args, &nrows, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return nrows == 1 ? APR_SUCCESS : APR_EEXIST;
}

apr_status_t csc_client_delete(csc_store_t *st, const char *id,
                               apr_pool_t *p)
{
    const char *args[1];
    apr_status_t rv;
    int nrows = 0;

    if (!id_ok(id)) {
        return APR_NOTFOUND;
    }
    args[0] = id;
    rv = store_query(st, ST_CLIENT_DELETE, args, &nrows, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    return nrows >= 1 ? APR_SUCCESS : APR_NOTFOUND;
}
