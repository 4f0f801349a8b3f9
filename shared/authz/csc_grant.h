/* SPDX-License-Identifier: Apache-2.0 */
/* Grants: what one login leaves in the shared state.  A grant is one
 * record holding its user, its absolute end, the digests of its live
 * access tokens, of its refresh token and of the refresh tokens it has
 * spent, and the state keys of the SADs authorized under it.  Every change
 * to it is one atomic update, so rotation, replay detection and revocation
 * cannot interleave wrongly across children; revoking it ends its tokens
 * and its SADs at once.  Each user has an index of their grants with a
 * configured maximum: a new login evicts that user's oldest grant, so one
 * user can only ever hold a bounded share of the state.
 *
 * A token is "<grant id>.<256 random bits>"; the state keeps only a digest
 * of it salted with the realm (the credential store). */
#ifndef CSC_GRANT_H
#define CSC_GRANT_H

#include <apr_pools.h>
#include <apr_time.h>

#include "api/csc_api.h"
#include "authz/csc_secret.h"

#define CSC_TOKEN_ACCESS  'a'
#define CSC_TOKEN_REFRESH 'r'

#define CSC_GRANT_ACCESS_MAX 4     /* live access tokens per grant */
#define CSC_GRANT_SPENT_MAX  32    /* spent refresh tokens remembered */
#define CSC_GRANT_SADS_MAX   16    /* live SADs per grant (or user) */
#define CSC_GRANT_USER_MAX   64    /* the highest CSCMaxGrantsPerUser */
#define CSC_GRANT_CLIENT_MAX 128   /* the longest OAuth 2.0 client_id */

/* What a login or a refresh came to.  Domain verdicts are values of
 * their own, never apr_status_t codes: a state backend's errors cannot be
 * mistaken for them, nor they for one. */
typedef enum {
    CSC_GRANT_OK = 0,
    CSC_GRANT_UNKNOWN,      /* unknown, expired, revoked or another realm's */
    CSC_GRANT_REPLAYED,     /* a rotated refresh token presented again: the
                             * grant is now revoked */
    CSC_GRANT_TENANT_FULL,  /* the tenant holds CSCMaxGrantsPerTenant */
    CSC_GRANT_STATE_ERROR   /* the shared state failed (full, broken) */
} csc_grant_result_e;

typedef struct {
    char kind;              /* CSC_TOKEN_ACCESS or CSC_TOKEN_REFRESH */
    const char *user;
    const char *grant;      /* grant id */
    const char *client;     /* OAuth 2.0 client_id; "" for auth/login */
    apr_time_t expires;
} csc_token_t;

/* auth/login: a new grant for user with an access token and, when
 * refresh is not NULL, a refresh token.  The user's oldest grants beyond
 * CSCMaxGrantsPerUser are revoked; CSC_GRANT_TENANT_FULL when the tenant
 * holds CSCMaxGrantsPerTenant. */
csc_grant_result_e csc_grant_login(const csc_env_t *env, const char *user,
                                   const char **access,
                                   const char **refresh, int *expires_in,
                                   apr_pool_t *p);

/* The same for an OAuth 2.0 client (client_id; NULL or "" for
 * auth/login): its refresh tokens work only for that client.  *grant (may
 * be NULL) is the new grant's id, for csc_grant_revoke(). */
csc_grant_result_e csc_grant_login_client(const csc_env_t *env,
                                          const char *user,
                                          const char *client,
                                          const char **access,
                                          const char **refresh,
                                          int *expires_in,
                                          const char **grant, apr_pool_t *p);

/* auth/login with a refresh token: a new access token in its grant and,
 * when new_refresh is not NULL, rotation (the presented one is spent and
 * a new one issued, with no more than the grant's absolute lifetime).
 * CSC_GRANT_UNKNOWN: unknown, expired, revoked or another realm's;
 * CSC_GRANT_REPLAYED: it was spent before, and the grant is now revoked.
 * *expires_in: seconds the access token lives (the grant may cut it). */
csc_grant_result_e csc_grant_refresh(const csc_env_t *env,
                                     const char *refresh, const char **user,
                                     const char **access,
                                     const char **new_refresh,
                                     int *expires_in, apr_pool_t *p);

/* The same at the token endpoint: a refresh token issued to another
 * client (or by auth/login, client NULL) is CSC_GRANT_UNKNOWN there. */
csc_grant_result_e csc_grant_refresh_client(const csc_env_t *env,
                                            const char *refresh,
                                            const char *client,
                                            const char **user,
                                            const char **access,
                                            const char **new_refresh,
                                            int *expires_in, apr_pool_t *p);

/* APR_SUCCESS, APR_TIMEUP (expired; *out filled), APR_NOTFOUND (unknown,
 * revoked, spent, or from another credential store), or a state error. */
apr_status_t csc_grant_lookup(const csc_env_t *env, const char *token,
                              csc_token_t *out, apr_pool_t *p);

/* Revokes one token; a refresh token takes its whole grant with it, and
 * so does the last token of a grant. */
apr_status_t csc_grant_revoke_token(const csc_env_t *env, const char *token,
                                    const csc_token_t *info);

/* Ends a grant with its tokens and SADs. */
apr_status_t csc_grant_revoke(const csc_env_t *env, const char *grant);

/* Files a SAD's state key under grant (NULL: under the user, for callers
 * another module authenticated), dropping the oldest beyond
 * CSC_GRANT_SADS_MAX.  APR_NOTFOUND when the grant is gone. */
apr_status_t csc_grant_add_sad(const csc_env_t *env, const char *grant,
                               const char *user,
                               const unsigned char key[CSC_SECRET_KEY_LEN],
                               apr_time_t expires);

/* Ends every grant and SAD of user in this realm; *count (may be NULL)
 * says how many grants. */
apr_status_t csc_grant_revoke_user(const csc_env_t *env, const char *user,
                                   int *count);

#endif
