/* SPDX-License-Identifier: Apache-2.0 */
/* The binding's side of the core (csc/csc_service.h): process-wide
 * settings, their check and start, and the entry of every request.  What
 * every binding would otherwise write again lives here once: path
 * defaults, the PIN source, opening and checking the stores against the
 * signer settings of the configuration being read. */
#include <string.h>

#include <apr_file_info.h>
#include <apr_global_mutex.h>
#include <apr_hash.h>
#include <apr_strings.h>

#include "api/csc_api.h"
#include "base/csc_log.h"
#include "config/csc_cfg.h"
#include "config/csc_pin_source.h"
#include "csc/csc_service.h"
#include "http/csc_error.h"
#include "oauth2/csc_oauth2.h"
#include "signer/csc_signer.h"
#include "state/csc_kv.h"
#include "store/csc_store.h"

#define DEFAULT_STATE_FILE  "csc-state"
#define DEFAULT_STATE_SLOTS 8192

typedef struct {
    const char *directive;
    const char *value;          /* as configured */
} setting_t;

struct csc_service_t {
    apr_pool_t *pool;
    const char *server_root;
    const char *runtime_dir;
    setting_t state_file, state_store, pkcs11_module, pkcs11_pin;
    int state_slots;
    const char *module_path;    /* pkcs11_module resolved */
    const char *state_path;     /* state_file resolved */
    apr_hash_t *stores;         /* spec -> csc_store_ref_t */
    csc_kv_t *kv;
};

csc_service_t *csc_service_create(apr_pool_t *pconf)
{
    csc_service_t *svc = apr_pcalloc(pconf, sizeof(*svc));

    svc->pool = pconf;
    svc->state_slots = CSC_UNSET;
    svc->stores = apr_hash_make(pconf);
    return svc;
}

void csc_service_set_dirs(csc_service_t *svc, const char *server_root,
                          const char *runtime_dir)
{
    svc->server_root = server_root ? apr_pstrdup(svc->pool, server_root)
                                   : NULL;
    svc->runtime_dir = runtime_dir ? apr_pstrdup(svc->pool, runtime_dir)
                                   : NULL;
}

const char *csc_service_set(csc_service_t *svc, const char *setting,
                            const char *directive, const char *arg,
                            apr_pool_t *p)
{
    setting_t *s;

    if (!strcmp(setting, "state_slots")) {
        return csc_cfg_set_int(directive, arg, 64, 1 << 22,
                               &svc->state_slots, p);
    }
    if (!strcmp(setting, "state_file")) {
        s = &svc->state_file;
    }
    else if (!strcmp(setting, "state_store")) {
        if (strncmp(arg, "pgsql:", 6) != 0 || !arg[6]) {
            return apr_psprintf(p, "%s: expected 'pgsql:<libpq connection "
                                "string>', e.g. 'pgsql:host=db.example.org "
                                "dbname=csc user=csc sslmode=verify-full'",
                                directive);
        }
        s = &svc->state_store;
    }
    else if (!strcmp(setting, "pkcs11_module")) {
        s = &svc->pkcs11_module;
    }
    else if (!strcmp(setting, "pkcs11_pin")) {
        const char *err = csc_pin_source_check(directive, arg, p);
        if (err) {
            return err;
        }
        s = &svc->pkcs11_pin;
    }
    else {
        return apr_psprintf(p, "%s: no such setting '%s' in this build",
                            directive, setting);
    }
    s->directive = apr_pstrdup(svc->pool, directive);
    s->value = apr_pstrdup(svc->pool, arg);
    return NULL;
}

const char *csc_service_set_store(csc_service_t *svc, csc_cfg_t *cfg,
                                  const char *directive, const char *spec,
                                  apr_pool_t *p)
{
    csc_store_ref_t *ref = apr_hash_get(svc->stores, spec,
                                        APR_HASH_KEY_STRING);
    const char *err = csc_store_spec_error(spec, p);

    /* only the shape here, so the message can carry the line; opening it
     * waits for csc_service_check() */
    if (err) {
        return apr_pstrcat(p, directive, ": ", err, NULL);
    }
    if (!ref) {
        ref = apr_pcalloc(svc->pool, sizeof(*ref));
        ref->spec = apr_pstrdup(svc->pool, spec);
        ref->directive = apr_pstrdup(svc->pool, directive);
        apr_hash_set(svc->stores, ref->spec, APR_HASH_KEY_STRING, ref);
    }
    cfg->store_spec = ref->spec;
    cfg->store_ref = ref;
    return NULL;
}

/* dir/path, or path when it is absolute or there is no dir. */
static const char *relative_to(const char *dir, const char *path,
                               apr_pool_t *p)
{
    char *out;

    if (!dir || path[0] == '/'
        || apr_filepath_merge(&out, dir, path, 0, p) != APR_SUCCESS) {
        return path;
    }
    return out;
}

/* Every key reference in the store must be well formed and its route
 * usable with these settings, or the server does not start: a bad one
 * would only show as failed signatures much later. */
static const char *check_key_refs(csc_store_ref_t *ref,
                                  const csc_signer_conf_t *settings,
                                  apr_pool_t *p)
{
    apr_array_header_t *creds;
    const char *err = NULL;
    int i;

    if (csc_store_list_all(ref->store, &creds, p) != APR_SUCCESS) {
        return "cannot read the credentials";
    }
    for (i = 0; i < creds->nelts; i++) {
        const csc_credential_t *c = APR_ARRAY_IDX(creds, i,
                                                  const csc_credential_t *);
        if (csc_keyref_check_for(c->key_ref, settings, p, &err)
            != APR_SUCCESS) {
            return apr_psprintf(p, "credential %s: bad key reference: %s",
                                c->id, err ? err : "?");
        }
    }
    return NULL;
}

const char *csc_service_check(csc_service_t *svc, apr_pool_t *ptemp)
{
    csc_signer_conf_t settings;
    apr_hash_index_t *hi;
    apr_finfo_t fi;
    const char *err = NULL;

    if (svc->state_store.value && svc->state_file.value) {
        return apr_psprintf(ptemp, "%s and %s exclude each other: the state "
                            "is either in PostgreSQL or in a file",
                            svc->state_store.directive,
                            svc->state_file.directive);
    }
    svc->state_path = relative_to(svc->runtime_dir,
                                  svc->state_file.value
                                  ? svc->state_file.value
                                  : DEFAULT_STATE_FILE, svc->pool);
    svc->module_path = NULL;
    if (svc->pkcs11_module.value) {
        const char *path = relative_to(svc->server_root,
                                       svc->pkcs11_module.value, svc->pool);
        if (apr_stat(&fi, path, APR_FINFO_TYPE, ptemp) != APR_SUCCESS
            || fi.filetype != APR_REG) {
            return apr_psprintf(ptemp, "%s: '%s' is not a readable file",
                                svc->pkcs11_module.directive,
                                svc->pkcs11_module.value);
        }
        svc->module_path = path;
    }
    memset(&settings, 0, sizeof(settings));
    settings.pkcs11_module = svc->module_path;
    for (hi = apr_hash_first(ptemp, svc->stores); hi; hi = apr_hash_next(hi)) {
        csc_store_ref_t *ref = apr_hash_this_val(hi);

        /* the configuration pool outlives every request of this
         * generation and is cleared at a restart, closing the store */
        if (!ref->store
            && csc_store_open(&ref->store, ref->spec, svc->pool, &err)
               != APR_SUCCESS) {
            ref->store = NULL;
            return apr_psprintf(ptemp, "%s %s: %s", ref->directive,
                                csc_store_spec_display(ref->spec, ptemp),
                                err ? err
                                : "cannot open the credential store");
        }
        err = check_key_refs(ref, &settings, ptemp);
        csc_store_disconnect(ref->store);   /* nothing may cross fork() */
        if (err) {
            return apr_psprintf(ptemp, "%s %s: %s", ref->directive,
                                csc_store_spec_display(ref->spec, ptemp),
                                err);
        }
    }
    return NULL;
}

static apr_status_t close_kv(void *data)
{
    csc_service_t *svc = data;

    csc_kv_close(svc->kv);
    svc->kv = NULL;
    return APR_SUCCESS;
}

void csc_global_mutex_lock(void *baton)
{
    apr_global_mutex_t **m = baton;

    if (*m) {
        apr_global_mutex_lock(*m);
    }
}

void csc_global_mutex_unlock(void *baton)
{
    apr_global_mutex_t **m = baton;

    if (*m) {
        apr_global_mutex_unlock(*m);
    }
}

const char *csc_service_start(csc_service_t *svc,
                              const csc_service_start_t *how)
{
    csc_signer_conf_t signer;
    const char *err = NULL, *pin = NULL;
    apr_status_t rv;

    if (!svc->state_path) {
        return "csc_service_start before csc_service_check";
    }
    if (svc->state_slots == CSC_UNSET) {
        svc->state_slots = DEFAULT_STATE_SLOTS;
    }
    if (svc->state_store.value) {
        /* shared with other hosts: never wiped, FRESH or not */
        rv = csc_kv_pgsql_open(&svc->kv, svc->state_store.value + 6,
                               svc->pool, &err);
        if (rv != APR_SUCCESS) {
            svc->kv = NULL;
            return apr_psprintf(svc->pool, "%s: %s",
                                svc->state_store.directive,
                                err ? err : "cannot open");
        }
    }
    else {
        rv = csc_kv_shm_open(&svc->kv, svc->state_path,
                             (apr_uint32_t)svc->state_slots,
                             how->fresh ? CSC_KV_SHM_FRESH : 0, svc->pool,
                             &err);
    }
    if (rv != APR_SUCCESS) {
        svc->kv = NULL;
        return apr_psprintf(svc->pool, "%s %s: %s",
                            svc->state_file.directive
                            ? svc->state_file.directive : "state file",
                            svc->state_path, err ? err : "cannot open");
    }
    apr_pool_cleanup_register(svc->pool, svc, close_kv,
                              apr_pool_cleanup_null);
    /* read once by the master, kept in memory only, never logged */
    err = csc_pin_source_read(svc->pkcs11_pin.directive,
                              svc->pkcs11_pin.value, &pin, svc->pool);
    if (err) {
        return err;
    }
    memset(&signer, 0, sizeof(signer));
    signer.pkcs11_module = svc->module_path;
    signer.pkcs11_pin = pin;
    signer.load_lock = how->load_lock;
    signer.load_unlock = how->load_unlock;
    signer.lock_baton = how->lock_baton;
    rv = csc_signer_global_conf(&signer);
    if (rv != APR_SUCCESS) {
        return apr_psprintf(svc->pool, "cannot configure the signer "
                            "(%s/%s)", svc->pkcs11_module.directive
                            ? svc->pkcs11_module.directive : "PKCS#11 module",
                            svc->pkcs11_pin.directive
                            ? svc->pkcs11_pin.directive : "PIN");
    }
    return NULL;
}

const char *csc_service_state_describe(const csc_service_t *svc,
                                       apr_pool_t *p)
{
    if (svc->state_store.value) {
        return apr_pstrcat(p, "in ", csc_store_spec_display(
                                  svc->state_store.value, p), NULL);
    }
    return apr_psprintf(p, "in %s with %d slots", svc->state_path,
                        svc->state_slots);
}

void csc_service_child_init(csc_service_t *svc, apr_pool_t *pchild)
{
    if (svc && svc->kv) {
        csc_kv_child_init(svc->kv, pchild);
    }
    /* PKCS#11 sessions are never carried across fork: each worker opens
     * its own on first use */
    csc_signer_flush();
}

int csc_request_route(const csc_cfg_t *cfg, const char *path,
                      csc_request_t *req)
{
    req->method = NULL;
    if (!path || csc_api_route(csc_cfg_base_path(cfg), path, &req->version,
                               &req->method, req->pool) != 0) {
        req->version = 1;
        req->method = NULL;
        return -1;
    }
    return 0;
}

csc_wait_e csc_request_wait(const csc_request_t *req)
{
    if (!req->method || req->body_unreadable) {
        return CSC_WAIT_NONE;
    }
    return req->version == 0 ? csc_oauth2_wait(req) : csc_api_wait(req);
}

void csc_serve(const csc_service_t *svc, const csc_cfg_t *cfg,
               const csc_request_t *req, csc_response_t *resp)
{
    csc_env_t env;

    memset(resp, 0, sizeof(*resp));
    resp->headers = apr_table_make(req->pool, 4);
    if (!req->method) {
        csc_error_set(resp, req, CSC_ERR_NOT_FOUND);
        return;
    }
    if (req->body_unreadable) {
        csc_error_set(resp, req, CSC_ERR_BODY_NOT_JSON);
        return;
    }
    env.cfg = cfg;
    env.kv = svc ? svc->kv : NULL;
    env.store = csc_cfg_store(cfg);
    if (!env.kv) {
        csc_error_set(resp, req, CSC_ERR_UNAVAILABLE);
        return;
    }
    if (req->version == 0) {
        csc_oauth2_handle(&env, req, resp);
        return;
    }
    csc_handle(&env, req, resp);
}
