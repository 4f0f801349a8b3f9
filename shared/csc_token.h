/* SPDX-License-Identifier: Apache-2.0 */
/* Service access and refresh tokens.  A token is 256 random bits shown to
 * the client once; the server keeps only a record under a digest of it in
 * the shared state, so every child sees a revocation at once and a stolen
 * state file reveals no usable token. */
#ifndef CSC_TOKEN_H
#define CSC_TOKEN_H

#include <apr_pools.h>
#include <apr_time.h>

#include "csc_api.h"

#define CSC_TOKEN_ACCESS  'a'
#define CSC_TOKEN_REFRESH 'r'

typedef struct {
    char kind;              /* CSC_TOKEN_ACCESS or CSC_TOKEN_REFRESH */
    const char *user;
    const char *grant;      /* all tokens of one login share a grant */
    apr_time_t expires;
} csc_token_t;

/* Issues a token; grant NULL starts a new grant. */
apr_status_t csc_token_issue(const csc_env_t *env, char kind,
                             const char *user, const char *grant,
                             int lifetime, const char **token,
                             csc_token_t *info, apr_pool_t *p);

/* APR_SUCCESS, APR_TIMEUP (expired; *out filled), APR_NOTFOUND (unknown,
 * revoked, or from another credential store), or a state error. */
apr_status_t csc_token_lookup(const csc_env_t *env, const char *token,
                              csc_token_t *out, apr_pool_t *p);

/* Revokes one token.  With with_grant, every token of its grant goes too
 * (revoking a refresh token); without, only this one (revoking an access
 * token, or spending a refresh token that is being rotated). */
apr_status_t csc_token_revoke(const csc_env_t *env, const char *token,
                              const csc_token_t *info, int with_grant);

#endif
