/* SPDX-License-Identifier: Apache-2.0 */
/* Backend-independent entry points: argument checks live here once, so each
 * backend can trust key and value sizes. */
#include "state/csc_kv.h"

static int kv_key_ok(const void *key, apr_size_t klen)
{
    return key != NULL && klen > 0 && klen <= CSC_KV_KEY_MAX;
}

apr_status_t csc_kv_get(csc_kv_t *kv, const void *key, apr_size_t klen,
                        void *buf, apr_size_t bufsize, apr_size_t *vlen,
                        apr_time_t *expires)
{
    if (!kv || !kv->ops || !kv_key_ok(key, klen) || !vlen
        || (!buf && bufsize > 0)) {
        return APR_EINVAL;
    }
    return kv->ops->get(kv, key, klen, buf, bufsize, vlen, expires);
}

apr_status_t csc_kv_put(csc_kv_t *kv, const void *key, apr_size_t klen,
                        const void *val, apr_size_t vlen, apr_time_t expires)
{
    if (!kv || !kv->ops || !kv_key_ok(key, klen)
        || vlen > kv->value_max || (!val && vlen > 0)) {
        return APR_EINVAL;
    }
    return kv->ops->put(kv, key, klen, val, vlen, expires);
}

apr_status_t csc_kv_del(csc_kv_t *kv, const void *key, apr_size_t klen)
{
    if (!kv || !kv->ops || !kv_key_ok(key, klen)) {
        return APR_EINVAL;
    }
    return kv->ops->del(kv, key, klen);
}

apr_status_t csc_kv_update(csc_kv_t *kv, const void *key, apr_size_t klen,
                           csc_kv_update_fn *fn, void *baton)
{
    if (!kv || !kv->ops || !kv_key_ok(key, klen) || !fn) {
        return APR_EINVAL;
    }
    return kv->ops->update(kv, key, klen, fn, baton);
}

apr_status_t csc_kv_child_init(csc_kv_t *kv, apr_pool_t *p)
{
    if (!kv || !kv->ops) {
        return APR_EINVAL;
    }
    if (!kv->ops->child_init) {
        return APR_SUCCESS;
    }
    return kv->ops->child_init(kv, p);
}

void csc_kv_close(csc_kv_t *kv)
{
    if (kv && kv->ops && kv->ops->close) {
        kv->ops->close(kv);
    }
}

apr_size_t csc_kv_value_max(const csc_kv_t *kv)
{
    return kv->value_max;
}
