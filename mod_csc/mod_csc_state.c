/* SPDX-License-Identifier: Apache-2.0 */
/* Shared state (one file for all children) and credential stores (one per
 * distinct CSCCredentialStore value) of the running configuration. */
#include <apr_hash.h>
#include <apr_strings.h>
#include <http_core.h>

#include "signer/csc_signer.h"
#include "mod_csc.h"

csc_kv_t *mod_csc_kv;

/* Stores opened while reading this configuration, by spec: many
 * locations naming one database share its connections. */
static apr_hash_t *stores;
static apr_pool_t *stores_pool;

static apr_status_t forget_stores(void *data)
{
    (void)data;
    stores = NULL;
    stores_pool = NULL;
    return APR_SUCCESS;
}

/* Every key reference in the store must be well formed and its route
 * available here, or the server does not start: a bad one would only
 * show as failed signatures much later. */
static const char *check_key_refs(csc_store_t *st, apr_pool_t *p)
{
    apr_array_header_t *creds;
    const char *err = NULL;
    int i;

    if (csc_store_list_all(st, &creds, p) != APR_SUCCESS) {
        return "cannot read the credentials";
    }
    for (i = 0; i < creds->nelts; i++) {
        const csc_credential_t *c = APR_ARRAY_IDX(creds, i,
                                                  const csc_credential_t *);
        if (csc_keyref_check(c->key_ref, p, &err) != APR_SUCCESS) {
            return apr_psprintf(p, "credential %s: bad key reference: %s",
                                c->id, err ? err : "?");
        }
    }
    csc_store_disconnect(st);   /* nothing of it may cross fork() */
    return NULL;
}

const char *mod_csc_store_for(const char *spec, csc_store_t **st,
                              apr_pool_t *p)
{
    const char *err = NULL;
    csc_store_t *s;

    if (!stores) {
        /* the configuration pool outlives every request of this
         * generation and is cleared at restart */
        stores_pool = p;
        stores = apr_hash_make(p);
        apr_pool_cleanup_register(p, NULL, forget_stores,
                                  apr_pool_cleanup_null);
    }
    s = apr_hash_get(stores, spec, APR_HASH_KEY_STRING);
    if (!s) {
        if (csc_store_open(&s, spec, stores_pool, &err) != APR_SUCCESS) {
            return err ? err : "cannot open the credential store";
        }
        if ((err = check_key_refs(s, p)) != NULL) {
            return err;
        }
        apr_hash_set(stores, apr_pstrdup(stores_pool, spec),
                     APR_HASH_KEY_STRING, s);
    }
    *st = s;
    return NULL;
}
