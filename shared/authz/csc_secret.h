/* SPDX-License-Identifier: Apache-2.0 */
/* Bearer secrets (tokens, SADs): how they are made and how the shared
 * state files them.  The state never holds a secret itself, only a digest
 * of it salted with the realm (the credential store), so a value is only
 * valid where it was issued and a copy of the state file reveals none. */
#ifndef CSC_SECRET_H
#define CSC_SECRET_H

#include <apr_pools.h>
#include <openssl/types.h>

#include "api/csc_api.h"

#define CSC_SECRET_KEY_LEN 34   /* kind, ':', SHA-256 */

/* 256 random bits, base64url (43 characters); NULL if the RNG fails. */
const char *csc_secret_new(apr_pool_t *p);

/* Random base64url text of nbytes (at most 32) random bytes. */
const char *csc_secret_random(apr_size_t nbytes, apr_pool_t *p);

/* The state key of a secret of the given kind ('t' token, 's' SAD...). */
void csc_secret_state_key(const csc_env_t *env, char kind,
                          const char *secret,
                          unsigned char key[CSC_SECRET_KEY_LEN]);

/* SHA-256, fetched from the provider once per process. */
const EVP_MD *csc_secret_sha256(void);

#endif
