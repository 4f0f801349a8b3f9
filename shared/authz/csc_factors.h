/* SPDX-License-Identifier: Apache-2.0 */
/* Checking a credential's authorization factors (PIN, TOTP, HOTP, online
 * OTP) with the bookkeeping that makes them safe across processes:
 * failure counting and blocking in the durable store, one-time use of
 * every OTP value. */
#ifndef CSC_FACTORS_H
#define CSC_FACTORS_H

#include "api/csc_api.h"
#include "store/csc_store.h"

typedef enum {
    CSC_FACTOR_OK = 0,
    CSC_FACTOR_PIN_WRONG,
    CSC_FACTOR_OTP_WRONG,       /* wrong, replayed, expired or raced */
    CSC_FACTOR_LOCKED,          /* blocked, before or by this attempt */
    CSC_FACTOR_ERROR            /* store or state failure */
} csc_factor_result_e;

/* Checks pin and otp (either may be NULL when the credential has no such
 * factor; the caller has checked presence).  A wrong value counts one
 * failure; *now_blocked tells whether this attempt blocked the credential. */
csc_factor_result_e csc_factors_check(const csc_env_t *env,
                                      const csc_credential_t *c,
                                      const char *pin, const char *otp,
                                      int *now_blocked, apr_pool_t *p);

/* Online OTP: makes a fresh code for the credential, keeps it in the
 * shared state for CSC_ONLINE_OTP_LIFETIME seconds, and hands it to the
 * configured delivery (CSCOTPDelivery). */
#define CSC_ONLINE_OTP_LIFETIME 300
#define CSC_ONLINE_OTP_TRIES 3
/* A delivery command that has not finished after this many seconds is
 * killed (SIGKILL) and the delivery fails: a hung gateway must not hold a
 * worker.  A wrapper script should exec its worker, or the worker's own
 * children outlive the kill. */
#define CSC_OTP_DELIVERY_TIMEOUT 10
apr_status_t csc_factors_send_otp(const csc_env_t *env,
                                  const csc_credential_t *c,
                                  apr_pool_t *p);

#endif
