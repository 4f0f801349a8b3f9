/* SPDX-License-Identifier: Apache-2.0 */
/* The settings of one API location (httpd: <Location>/<VirtualHost>;
 * nginx: location/server).  A binding creates one per scope, merges them
 * the way its server merges scopes, and hands every directive's value to
 * csc_cfg_set() under the setting's neutral name; the core parses it, keeps
 * the range, and words the error with the binding's directive name.  The
 * settings are opaque: what they mean lives in the core. */
#ifndef CSC_PUBLIC_CONFIG_H
#define CSC_PUBLIC_CONFIG_H

#include <apr_pools.h>

typedef struct csc_cfg_t csc_cfg_t;

/* Every setting starts unset, so that a merge can tell "not configured
 * here" from "configured to the default". */
csc_cfg_t *csc_cfg_create(apr_pool_t *p);
/* add's settings win over base's; lists (auth_type) replace, not append. */
csc_cfg_t *csc_cfg_merge(apr_pool_t *p, const csc_cfg_t *base,
                         const csc_cfg_t *add);

/* Parses arg into the setting named `setting` (one of the names below).
 * Returns NULL, or the message, which starts with `directive`.  A setting
 * that takes a list (auth_type) adds one value per call.
 *
 *   base_path, name, logo, region, lang, description, auth_type,
 *   otp_delivery, oauth2_issuer, oauth2_templates, token_lifetime, refresh_lifetime, grant_lifetime,
 *   max_grants, max_tenant_grants, login_limit, client_limit, otp_limit,
 *   sad_lifetime, max_failures, totp_window, hotp_lookahead, page_size,
 *   max_body, max_depth
 *
 * The credential store is a setting of the service, not of this table:
 * csc_service_set_store() (csc/csc_service.h). */
const char *csc_cfg_set(csc_cfg_t *cfg, const char *setting,
                        const char *directive, const char *arg,
                        apr_pool_t *p);

/* What a binding needs before it calls the core: the URL path the API is
 * served under, and how much body it may read. */
const char *csc_cfg_base_path(const csc_cfg_t *c);
int csc_cfg_max_body(const csc_cfg_t *c);

#endif
