/* SPDX-License-Identifier: Apache-2.0 */
/* mod_csc: the Cloud Signature Consortium API inside httpd.  This file
 * holds the module declaration and its life cycle; the CSC semantics live
 * in shared/. */
#define MOD_CSC_DECLARES_MODULE
#include <apr_strings.h>
#include <ap_mpm.h>
#include <http_core.h>
#include <http_protocol.h>
#include <util_mutex.h>

#include "base/csc_log.h"
#include "config/csc_pin_source.h"
#include "signer/csc_signer.h"
#include "mod_csc.h"

static server_rec *log_server;

/* Serialises PKCS#11 key loading (token logins) across all children. */
#define CSC_P11_MUTEX "csc-pkcs11"
static apr_global_mutex_t *p11_mutex;

static void p11_lock(void *baton)
{
    apr_global_mutex_t **m = baton;

    if (*m) {
        apr_global_mutex_lock(*m);
    }
}

static void p11_unlock(void *baton)
{
    apr_global_mutex_t **m = baton;

    if (*m) {
        apr_global_mutex_unlock(*m);
    }
}

/* The core's process log (start-up, housekeeping): the main server's
 * ErrorLog, so LogLevel csc:debug applies to it.  Messages about a request
 * go to the request's own log (mod_csc_handler.c). */
static void log_bridge(void *baton, const char *file, int line, int level,
                       const char *msg)
{
    (void)baton;
    ap_log_error(file, line, APLOG_MODULE_INDEX, level, 0, log_server,
                 "%s", msg);
}

static int csc_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp)
{
    (void)pconf;
    (void)plog;
    (void)ptemp;
    memset(&mod_csc_global, 0, sizeof(mod_csc_global));
    mod_csc_global.state_slots = CSC_UNSET;
    /* the admin's Mutex directive applies to it ("Mutex ... csc-pkcs11") */
    return ap_mutex_register(pconf, CSC_P11_MUTEX, NULL, APR_LOCK_DEFAULT, 0)
           == APR_SUCCESS ? OK : !OK;
}

static apr_status_t close_kv(void *data)
{
    csc_kv_t *kv = data;

    if (kv == mod_csc_kv) {
        mod_csc_kv = NULL;
    }
    kv->ops->close(kv);
    return APR_SUCCESS;
}

static int csc_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s)
{
    const char *path, *err = NULL;
    void *started = NULL;
    int flags = 0, slots;
    csc_signer_conf_t signer_conf = {NULL, NULL, NULL, NULL, NULL};
    apr_status_t rv;

    (void)plog;
    (void)ptemp;
    log_server = s;
    csc_log_set_sink(log_bridge, NULL,
                     ap_get_server_module_loglevel(s, APLOG_MODULE_INDEX));
    mod_csc_find_api_locations(pconf, s);
    /* the first of the two start-up passes only checks the configuration */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) {
        return OK;
    }
    /* A new master process means no child of an earlier one can hold the
     * state lock; after a graceful restart old children still may. */
    apr_pool_userdata_get(&started, "mod_csc-started", s->process->pool);
    if (!started) {
        flags |= CSC_KV_SHM_FRESH;
        apr_pool_userdata_set((void *)1, "mod_csc-started",
                              apr_pool_cleanup_null, s->process->pool);
    }
    path = mod_csc_global.state_file
        ? mod_csc_global.state_file
        : ap_runtime_dir_relative(pconf, "csc-state");
    slots = mod_csc_global.state_slots != CSC_UNSET
        ? mod_csc_global.state_slots : 8192;
    rv = csc_kv_shm_open(&mod_csc_kv, path, (apr_uint32_t)slots, flags, pconf,
                         &err);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s,
                     "CSCStateFile %s: %s", path, err ? err : "cannot open");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_pool_cleanup_register(pconf, mod_csc_kv, close_kv,
                              apr_pool_cleanup_null);
    /* read once by the parent, kept in memory only, never logged */
    err = csc_pin_source_read("CSCPKCS11PIN", mod_csc_global.pkcs11_pin_source,
                              &signer_conf.pkcs11_pin, pconf);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "%s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    rv = ap_global_mutex_create(&p11_mutex, NULL, CSC_P11_MUTEX, NULL, s,
                                pconf, 0);
    if (rv != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;   /* httpd has logged why */
    }
    signer_conf.pkcs11_module = mod_csc_global.pkcs11_module;
    signer_conf.load_lock = p11_lock;
    signer_conf.load_unlock = p11_unlock;
    signer_conf.lock_baton = &p11_mutex;
    rv = csc_signer_global_conf(&signer_conf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, rv, s, "cannot configure the "
                     "signer (CSCPKCS11Module/CSCPKCS11PIN)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s,
                 "shared state %s with %d slots", path, slots);
    return OK;
}

static void csc_child_init(apr_pool_t *pchild, server_rec *s)
{
    if (mod_csc_kv) {
        csc_kv_child_init(mod_csc_kv, pchild);
    }
    if (p11_mutex
        && apr_global_mutex_child_init(&p11_mutex,
                                       apr_global_mutex_lockfile(p11_mutex),
                                       pchild) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "cannot attach the "
                     CSC_P11_MUTEX " mutex: PKCS#11 key loads are not "
                     "serialised in this child");
        p11_mutex = NULL;
    }
    /* PKCS#11 sessions are never carried across fork: each child opens
     * its own on first use */
    csc_signer_flush();
}

static void csc_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_pre_config(csc_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(csc_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(csc_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(mod_csc_handler, NULL, NULL, APR_HOOK_MIDDLE);
    mod_csc_register_map_hooks();
    mod_csc_register_error_hooks();
}

AP_DECLARE_MODULE(csc) = {
    STANDARD20_MODULE_STUFF,
    mod_csc_create_dir_cfg,
    mod_csc_merge_dir_cfg,
    NULL,
    NULL,
    mod_csc_cmds,
    csc_register_hooks,
    AP_MODULE_FLAG_NONE
};
