/* SPDX-License-Identifier: Apache-2.0 */
/* The OAuth 2.0 authorization server of CSC v1.0.4 8.3 / v2.0.0.2 8.4,
 * served under the API base: <base>/oauth2/authorize, pushed_authorize,
 * token, revoke (also <base>/revoke), the sign-in and consent pages, and
 * RFC 8414 metadata at <base>/.well-known/oauth-authorization-server.
 * Its access tokens are grants like auth/login's (csc_grant.h), so every
 * CSC method takes them, and revocation ends them everywhere. */
#ifndef CSC_OAUTH2_H
#define CSC_OAUTH2_H

#include "api/csc_api.h"

/* Whether cfg's location runs the AS (CSCAuthType oauth2code or
 * oauth2client). */
int csc_oauth2_enabled(const csc_cfg_t *cfg);

/* The issuer identifier and base URI (info.oauth2): CSCOAuth2Issuer, or
 * the request's origin followed by the base path. */
const char *csc_oauth2_issuer(const csc_cfg_t *cfg, const csc_request_t *req);

/* csc_request_wait for version 0: the metadata and an endpoint that
 * does not exist wait for nothing, the rest long. */
csc_wait_e csc_oauth2_wait(const csc_request_t *req);

/* Answers a request routed to version 0. */
void csc_oauth2_handle(const csc_env_t *env, const csc_request_t *req,
                       csc_response_t *resp);

#endif
