/* SPDX-License-Identifier: Apache-2.0 */
/* mod_csc: the Cloud Signature Consortium API inside httpd.  This file
 * holds the module declaration and its life cycle; the CSC semantics live
 * in shared/. */
#define MOD_CSC_DECLARES_MODULE
#include <apr_strings.h>
#include <ap_mpm.h>
#include <http_main.h>
#include <http_core.h>
#include <http_protocol.h>
#include <util_mutex.h>

#include "mod_csc.h"

csc_service_t *mod_csc_service;
static server_rec *log_server;

/* Serialises PKCS#11 key loading (token logins) across all children. */
#define CSC_P11_MUTEX "csc-pkcs11"
static apr_global_mutex_t *p11_mutex;


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

static apr_status_t forget_service(void *data)
{
    (void)data;
    mod_csc_service = NULL;
    return APR_SUCCESS;
}

static int csc_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                          apr_pool_t *ptemp)
{
    (void)plog;
    (void)ptemp;
    /* every reading of the configuration records into a service of its
     * own, gone with pconf */
    mod_csc_service = csc_service_create(pconf);
    apr_pool_cleanup_register(pconf, NULL, forget_service,
                              apr_pool_cleanup_null);
    /* the admin's Mutex directive applies to it ("Mutex ... csc-pkcs11") */
    return ap_mutex_register(pconf, CSC_P11_MUTEX, NULL, APR_LOCK_DEFAULT, 0)
           == APR_SUCCESS ? OK : !OK;
}

/* Runs for every reading, `apache2 -t` included: the directives only
 * recorded, and here, with ServerRoot, DefaultRuntimeDir and the PKCS#11
 * module final whatever their order in the files, the stores are opened
 * and their key references checked. */
static int csc_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
{
    const char *err;

    (void)pconf;
    (void)plog;
    csc_service_set_dirs(mod_csc_service, ap_server_root,
                         ap_runtime_dir_relative(ptemp, ""));
    err = csc_service_check(mod_csc_service, ptemp);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, s, "%s",
                     err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

static int csc_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s)
{
    csc_service_start_t how = {0, csc_global_mutex_lock,
                               csc_global_mutex_unlock, &p11_mutex};
    void *started = NULL;
    const char *err;
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
        how.fresh = 1;
        apr_pool_userdata_set((void *)1, "mod_csc-started",
                              apr_pool_cleanup_null, s->process->pool);
    }
    rv = ap_global_mutex_create(&p11_mutex, NULL, CSC_P11_MUTEX, NULL, s,
                                pconf, 0);
    if (rv != APR_SUCCESS) {
        return HTTP_INTERNAL_SERVER_ERROR;   /* httpd has logged why */
    }
    err = csc_service_start(mod_csc_service, &how);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "%s", err);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, "shared state %s",
                 csc_service_state_describe(mod_csc_service, ptemp));
    return OK;
}

static void csc_child_init(apr_pool_t *pchild, server_rec *s)
{
    if (p11_mutex
        && apr_global_mutex_child_init(&p11_mutex,
                                       apr_global_mutex_lockfile(p11_mutex),
                                       pchild) != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, "cannot attach the "
                     CSC_P11_MUTEX " mutex: PKCS#11 key loads are not "
                     "serialised in this child");
        p11_mutex = NULL;
    }
    csc_service_child_init(mod_csc_service, pchild);
}

static void csc_register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_pre_config(csc_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(csc_check_config, NULL, NULL, APR_HOOK_MIDDLE);
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
