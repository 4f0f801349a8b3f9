/* SPDX-License-Identifier: Apache-2.0 */
/* The service as a binding runs it: the process-wide settings, the life
 * cycle around the server's own (read the configuration, check it, start,
 * fork workers), and one call per API request.
 *
 *   configuration reading   csc_service_create(), then for every directive
 *                           csc_service_set() / csc_service_set_store() /
 *                           csc_cfg_set(): they parse and record, nothing
 *                           more, so their order in the file never matters
 *   check (also for a       csc_service_set_dirs(), csc_service_check():
 *   syntax-only test run)   opens every credential store and checks every
 *                           key reference against the signer settings
 *                           of this configuration
 *   start, in the master    csc_service_start(): the shared state, the
 *                           token PIN, the signer
 *   in each worker          csc_service_child_init()
 *   each request            csc_request_route(), then csc_serve()
 *
 * One csc_service_t lives per configuration reading, in the pool that
 * reading is made in; a reload makes a new one. */
#ifndef CSC_PUBLIC_SERVICE_H
#define CSC_PUBLIC_SERVICE_H

#include <apr_pools.h>

#include "csc/csc_config.h"
#include "csc/csc_request.h"

typedef struct csc_service_t csc_service_t;

csc_service_t *csc_service_create(apr_pool_t *pconf);

/* What relative paths are relative to: server_root for module paths,
 * runtime_dir for the state file (httpd: DefaultRuntimeDir).  Call when
 * the server's own settings are final (httpd: check_config), before
 * csc_service_check(); both are copied. */
void csc_service_set_dirs(csc_service_t *svc, const char *server_root,
                          const char *runtime_dir);

/* Process-wide settings, by neutral name; NULL or the message (starting
 * with directive):
 *   state_file     the shared state; relative to runtime_dir
 *                  (default: runtime_dir/csc-state)
 *   state_slots    its size in 4 KiB entries, 64 to 4194304 (default 8192)
 *   state_store    pgsql:<libpq conninfo>: the state in PostgreSQL, shared
 *                  by every host that names it (excludes state_file)
 *   pkcs11_module  the PKCS#11 library of engine: keys; relative to
 *                  server_root; csc_service_check() loads it once to see
 *                  that it is one
 *   pkcs11_pin     the token PIN's source: file:/path or env:VARIABLE */
const char *csc_service_set(csc_service_t *svc, const char *setting,
                            const char *directive, const char *arg,
                            apr_pool_t *p);

/* The credential store of cfg's scope, as driver:parameters.  Locations
 * naming the same spec share one store. */
const char *csc_service_set_store(csc_service_t *svc, csc_cfg_t *cfg,
                                  const char *directive, const char *spec,
                                  apr_pool_t *p);

/* Opens the stores and checks their key references against this
 * configuration's signer settings (its PKCS#11 module, not the one in
 * force).  NULL, or the first problem, naming the directive and the
 * store.  Safe to run twice; leaves no connection open (nothing may
 * cross fork()). */
const char *csc_service_check(csc_service_t *svc, apr_pool_t *ptemp);

typedef struct {
    /* No process of an earlier start can still use the shared state (a
     * first start, not a graceful restart): its lock is re-initialised. */
    int fresh;
    /* A lock across all worker processes, held while one loads a PKCS#11
     * key (a token login); NULL: none. */
    void (*load_lock)(void *baton);
    void (*load_unlock)(void *baton);
    void *lock_baton;
} csc_service_start_t;

/* Ready-made load_lock/load_unlock for an APR global mutex, which both
 * bindings use: lock_baton points at an apr_global_mutex_t * (a NULL
 * mutex: no lock, for a worker that could not attach it). */
void csc_global_mutex_lock(void *baton);
void csc_global_mutex_unlock(void *baton);

/* In the master, after csc_service_check() and before workers fork:
 * opens (or re-attaches) the shared state, reads the token PIN and
 * configures the signer.  NULL or the message. */
const char *csc_service_start(csc_service_t *svc,
                              const csc_service_start_t *how);

/* Where the state in force is (after csc_service_start), for a log line:
 * the file and its slots, or the PostgreSQL spec without its password. */
const char *csc_service_state_describe(const csc_service_t *svc,
                                       apr_pool_t *p);

/* In each worker after fork. */
void csc_service_child_init(csc_service_t *svc, apr_pool_t *pchild);

/* Splits path ("<base>/v1/<method>") into req->version and req->method.
 * Returns 0, or -1 when path is not an API path of cfg (req->method is
 * then NULL and csc_serve answers 404 without looking at the body). */
int csc_request_route(const csc_cfg_t *cfg, const char *path,
                      csc_request_t *req);

/* After csc_request_route (and with the body's flags set): what
 * csc_serve will wait for to answer req (csc_wait_e). */
csc_wait_e csc_request_wait(const csc_request_t *req);

/* Answers the request: always a complete HTTP answer in *resp (its
 * headers table is made here).  svc may be NULL when start failed; the
 * answer is then 503. */
void csc_serve(const csc_service_t *svc, const csc_cfg_t *cfg,
               const csc_request_t *req, csc_response_t *resp);

#endif
