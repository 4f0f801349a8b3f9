/* SPDX-License-Identifier: Apache-2.0 */
/* How many logins (grants) a tenant, i.e. a credential store, holds in
 * the shared state, for CSCMaxGrantsPerTenant.  Grants expire silently,
 * so the count is kept by the hour a grant will have expired by: a ring
 * of 720 hourly counters in one record, where the hours that have passed
 * no longer count.  A grant is counted in one hour and moved when its
 * life is extended; one that lives longer than 720 hours is counted in
 * the last hour of the ring. */
#ifndef CSC_TENANT_H
#define CSC_TENANT_H

#include <apr_time.h>

#include "api/csc_api.h"

typedef enum {
    CSC_TENANT_COUNTED,
    CSC_TENANT_FULL,            /* the tenant already holds max */
    CSC_TENANT_ERROR            /* the state failed: count nothing */
} csc_tenant_e;

/* Counts a grant that lives until `until` unless the tenant already
 * holds max.  *hour: where it is counted (0 when it is not), for the
 * calls below. */
csc_tenant_e csc_tenant_add(const csc_env_t *env, apr_time_t until, int max,
                            apr_int64_t *hour);

/* The hour a grant living until `until` is counted in, now. */
apr_int64_t csc_tenant_hour(apr_time_t until, apr_time_t now);

/* Moves a counted grant from one hour to another, or drops it (to 0). */
void csc_tenant_move(const csc_env_t *env, apr_int64_t from, apr_int64_t to);

/* The tenant's live grants (for tests and operators). */
int csc_tenant_count(const csc_env_t *env);

#endif
