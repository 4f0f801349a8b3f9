/* Shared state (one file for all children) and credential stores (one per
 * distinct CSCCredentialStore value) of the running configuration. */
#include <apr_hash.h>
#include <apr_strings.h>
#include <http_core.h>

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
        apr_hash_set(stores, apr_pstrdup(stores_pool, spec),
                     APR_HASH_KEY_STRING, s);
    }
    *st = s;
    return NULL;
}
