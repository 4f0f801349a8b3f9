/* SPDX-License-Identifier: Apache-2.0 */
/* OAuth 2.0 client secrets.  csc-admin draws them (256 random bits), so a
 * salted SHA-256 is as strong as a slow hash here and costs the token
 * endpoint nothing; a secret an admin brings must be as long. */
#ifndef CSC_CLIENT_SECRET_H
#define CSC_CLIENT_SECRET_H

#include <apr_pools.h>

/* shortest secret accepted: 32 characters */
#define CSC_CLIENT_SECRET_MIN 32

/* "sha256$<base64 salt>$<base64 digest>", or NULL (RNG failure or a
 * secret shorter than CSC_CLIENT_SECRET_MIN). */
const char *csc_client_secret_hash(const char *secret, apr_pool_t *p);

/* 1 match, 0 not (also for NULL), -1 a malformed hash; constant time. */
int csc_client_secret_verify(const char *secret, const char *hash);

#endif
