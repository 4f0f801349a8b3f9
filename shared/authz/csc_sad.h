/* SPDX-License-Identifier: Apache-2.0 */
/* Signature Activation Data.  A SAD is 256 random bits handed to the
 * client; the server keeps, under a digest of it, what it grants: whose it
 * is, which credential, how many signatures are left, until when, and
 * optionally exactly which hashes.  Every use goes through one atomic
 * update of the shared state, so a budget of N signs at most N hashes in
 * total however many children race for it. */
#ifndef CSC_SAD_H
#define CSC_SAD_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "api/csc_api.h"

#define CSC_SAD_MAX_HASHES 100  /* hashes one SAD can be bound to */
#define CSC_SAD_MAX_NAME   255  /* user and credential ID length */

/* A digest as raw bytes. */
typedef struct {
    const unsigned char *data;
    apr_size_t len;
} csc_digest_t;

typedef enum {
    CSC_SAD_OK = 0,
    CSC_SAD_INVALID,          /* unknown, spent, someone else's, other credential */
    CSC_SAD_EXPIRED,
    CSC_SAD_TOO_MANY,         /* more hashes than signatures left */
    CSC_SAD_HASH_NOT_BOUND,   /* a hash (or its algorithm) not authorized */
    CSC_SAD_STATE_ERROR       /* the shared state failed */
} csc_sad_result_e;

/* What a SAD grants. hash_oid may be NULL (not bound); hashes may be NULL
 * or empty (SCAL 1 without hashes). */
typedef struct {
    const char *user;
    const char *grant;                  /* the login's; NULL: external */
    const char *credential_id;
    int num_signatures;
    const char *hash_oid;
    const apr_array_header_t *hashes;   /* of csc_digest_t */
    int lifetime;                       /* seconds */
} csc_sad_grant_t;

apr_status_t csc_sad_issue(const csc_env_t *env, const csc_sad_grant_t *g,
                           const char **sad, apr_pool_t *p);

/* Atomically checks that sad lets user, in the login grant (NULL: a user
 * another module authenticated), sign these digests with this
 * credential and hash algorithm, and consumes them from its budget (the
 * record disappears when the budget reaches zero).  Nothing is consumed
 * unless everything checks. */
csc_sad_result_e csc_sad_consume(const csc_env_t *env, const char *sad,
                                 const char *user, const char *grant,
                                 const char *credential_id,
                                 const char *hash_oid,
                                 const apr_array_header_t *digests);

/* Gives back what csc_sad_consume took when signing then failed (HSM
 * down): the client may retry with the same SAD. */
void csc_sad_refund(const csc_env_t *env, const char *sad,
                    const apr_array_header_t *digests);

/* For extendTransaction: replaces sad with a new SAD (*new_sad, from p)
 * that carries exactly what is left of it: the remaining budget, the hash
 * algorithm and the bound hashes not signed yet, with a fresh lifetime.
 * digests (NULL: none) announce the next signatures: no more than the
 * budget, and with a bound SAD each must be one of its unsigned hashes
 * (CSC_SAD_HASH_NOT_BOUND otherwise), so a SAD never becomes bound to
 * other hashes or unbound.  The check and the emptying of the old SAD are
 * one atomic step: two concurrent extensions give one successor.  On any
 * refusal the old SAD is left as it was (its budget is restored when the
 * successor cannot be stored). */
csc_sad_result_e csc_sad_extend(const csc_env_t *env, const char *sad,
                                const char *user, const char *grant,
                                const char *credential_id,
                                const char *hash_oid,
                                const apr_array_header_t *digests,
                                int lifetime, const char **new_sad,
                                apr_pool_t *p);

#endif
