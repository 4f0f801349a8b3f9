/* SPDX-License-Identifier: Apache-2.0 */
/* Entry point of the CSC API core: one call per HTTP request, synchronous,
 * re-entrant and free of per-request globals, so any server binding can
 * call it from any thread. */
#ifndef CSC_API_H
#define CSC_API_H

#include "config/csc_cfg.h"
#include "csc/csc_request.h"

struct csc_kv_t;
struct csc_store_t;

/* What a request runs against: its merged configuration and the shared
 * state the binding opened for it. */
typedef struct csc_env_t {
    const csc_cfg_t *cfg;
    struct csc_kv_t *kv;          /* cross-process state (tokens, SADs) */
    struct csc_store_t *store;    /* credential store of this location */
} csc_env_t;

/* Splits "<base>/v1/<method>" into version and method.  Returns 0 on a
 * match, -1 when path is not under base. */
int csc_api_route(const char *base, const char *path, int *version,
                  const char **method, apr_pool_t *p);

/* csc_request_wait for versions 1 and 2. */
csc_wait_e csc_api_wait(const csc_request_t *req);

/* Runs the request and fills resp (always a complete HTTP answer). */
void csc_handle(const csc_env_t *env, const csc_request_t *req,
                csc_response_t *resp);

#endif
