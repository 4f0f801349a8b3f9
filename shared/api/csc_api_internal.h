/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the CSC method implementations. */
#ifndef CSC_API_INTERNAL_H
#define CSC_API_INTERNAL_H

#include <jansson.h>

#include "api/csc_api.h"
#include "http/csc_error.h"
#include "http/csc_json.h"
#include "store/csc_store.h"

#define CSC_V1 (1u << 1)
#define CSC_V2 (1u << 2)

typedef struct csc_call_t {
    const csc_env_t *env;
    const csc_request_t *req;
    csc_response_t *resp;
    json_t *body;           /* parsed request object */
    const char *user;       /* authenticated subject, if the method needs one */
    const char *grant;      /* token grant id (for revocation) */
} csc_call_t;

typedef void csc_method_fn(csc_call_t *call);

typedef struct csc_method_t {
    const char *name;
    unsigned versions;      /* CSC_V1 | CSC_V2 */
    int needs_token;        /* Bearer token (or trusted external user) */
    csc_err_e bad_header;   /* error for an Authorization that is not Bearer */
    int allow_get;          /* info only */
    csc_method_fn *fn;
    /* advertised in info.methods only when this says so (NULL: always) */
    int (*available)(const csc_env_t *env);
    csc_wait_e wait;        /* csc_request_wait */
} csc_method_t;

/* The method table, terminated by a NULL name. */
extern const csc_method_t csc_methods[];

csc_method_fn csc_api_info;
csc_method_fn csc_api_auth_login;
csc_method_fn csc_api_auth_revoke;
csc_method_fn csc_api_credentials_list;
csc_method_fn csc_api_credentials_info;
csc_method_fn csc_api_credentials_authorize;
csc_method_fn csc_api_credentials_send_otp;
csc_method_fn csc_api_credentials_get_challenge;
csc_method_fn csc_api_credentials_extend;
csc_method_fn csc_api_signatures_sign_hash;

/* hash (v1) / hashes (v2) as decoded digests (csc_digest_t); -1 with the
 * error answered. */
int csc_api_digests(csc_call_t *call, int required,
                    apr_array_header_t **out);
/* Every digest has the length of hash_oid's output, or answers the error. */
int csc_api_digest_lengths(csc_call_t *call, const char *hash_oid,
                           const apr_array_header_t *digests);
/* Answers the error for a csc_sad_result_e other than OK; 0 for OK. */
int csc_api_sad_error(csc_call_t *call, int result);

int csc_api_login_available(const csc_env_t *env);

/* Checks a user name and password against the server's authentication
 * providers, counted against CSCLoginLimit like every auth/login guess;
 * the password is wiped.  CSC_LOGIN_ANSWERED: throttled (429) or no
 * provider could answer (500), with the error in call->resp. */
#define CSC_LOGIN_OK       1
#define CSC_LOGIN_WRONG    0
#define CSC_LOGIN_ANSWERED (-1)
int csc_api_password_login(csc_call_t *call, const char *user,
                           char *password);

/* 429 temporarily_unavailable with Retry-After (seconds). */
void csc_api_too_many(csc_call_t *call, int retry_after);

/* Counts one call of subject against a throttle (csc_limit.h); 1 with
 * 429 (and Retry-After) or 503 answered when it may not go on. */
int csc_api_throttled(csc_call_t *call, char kind, const char *subject,
                      int per_minute);

/* The caller's credential named by credentialID, or NULL with the error
 * already answered. */
const csc_credential_t *csc_api_own_credential(csc_call_t *call);

#endif
