/* SPDX-License-Identifier: Apache-2.0 */
/* Throttles shared by every child: at most N events a minute per subject
 * (a user, a client address), with bursts of up to N, kept as one
 * "theoretical arrival time" per subject in the shared state (the generic
 * cell rate algorithm), so a check and its count are one atomic update. */
#ifndef CSC_LIMIT_H
#define CSC_LIMIT_H

#include "api/csc_api.h"

/* What is throttled; each has its own counters. */
#define CSC_LIMIT_LOGIN_FAIL 'L'   /* wrong passwords, per user name */
#define CSC_LIMIT_CLIENT     'A'   /* auth/login and sendOTP, per address */
#define CSC_LIMIT_OTP        'O'   /* sendOTP, per user */

typedef enum {
    CSC_LIMIT_OK,
    CSC_LIMIT_DENIED,         /* *retry_after: seconds until one is free */
    CSC_LIMIT_ERROR           /* the state failed: refuse, grant nothing */
} csc_limit_e;

/* Counts one event of subject against per_minute (0: no limit). */
csc_limit_e csc_limit_take(const csc_env_t *env, char kind,
                           const char *subject, int per_minute,
                           int *retry_after);

/* Gives back one event that turned out not to count (a right password). */
void csc_limit_give(const csc_env_t *env, char kind, const char *subject,
                    int per_minute);

#endif
