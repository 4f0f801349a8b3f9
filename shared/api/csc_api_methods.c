/* SPDX-License-Identifier: Apache-2.0 */
/* The method table: what each version answers, and how. */
#include "api/csc_api_internal.h"

/* Online OTP needs somewhere to send codes. */
static int csc_api_online_otp_available(const csc_env_t *env)
{
    return env->cfg->otp_delivery != NULL;
}

/* clang-format off */
const csc_method_t csc_methods[] = {
    {"info", CSC_V1 | CSC_V2, 0, CSC_ERR_MALFORMED_AUTHZ, 1,
     csc_api_info, NULL, CSC_WAIT_NONE},
    {"auth/login", CSC_V1 | CSC_V2, 0, CSC_ERR_MALFORMED_AUTHZ, 0,
     csc_api_auth_login, csc_api_login_available, CSC_WAIT_LONG},
    {"auth/revoke", CSC_V1 | CSC_V2, 1, CSC_ERR_MALFORMED_AUTHZ_LONG, 0,
     csc_api_auth_revoke, NULL, CSC_WAIT_BRIEF},
    {"credentials/list", CSC_V1 | CSC_V2, 1, CSC_ERR_MALFORMED_AUTHZ, 0,
     csc_api_credentials_list, NULL, CSC_WAIT_BRIEF},
    {"credentials/info", CSC_V1 | CSC_V2, 1, CSC_ERR_MALFORMED_AUTHZ, 0,
     csc_api_credentials_info, NULL, CSC_WAIT_BRIEF},
    {"credentials/authorize", CSC_V1 | CSC_V2, 1, CSC_ERR_MALFORMED_AUTHZ, 0,
     csc_api_credentials_authorize, NULL, CSC_WAIT_LONG},
    {"credentials/sendOTP", CSC_V1, 1, CSC_ERR_MALFORMED_AUTHZ_OTP, 0,
     csc_api_credentials_send_otp, csc_api_online_otp_available,
     CSC_WAIT_LONG},
    {"credentials/getChallenge", CSC_V2, 1, CSC_ERR_MALFORMED_AUTHZ, 0,
     csc_api_credentials_get_challenge, csc_api_online_otp_available,
     CSC_WAIT_LONG},
    {"credentials/extendTransaction", CSC_V1 | CSC_V2, 1,
     CSC_ERR_MALFORMED_AUTHZ_LONG, 0, csc_api_credentials_extend, NULL,
     CSC_WAIT_BRIEF},
    {"signatures/signHash", CSC_V1 | CSC_V2, 1, CSC_ERR_MALFORMED_AUTHZ, 0,
     csc_api_signatures_sign_hash, NULL, CSC_WAIT_BRIEF},
    {NULL, 0, 0, 0, 0, NULL, NULL, CSC_WAIT_NONE}
};
/* clang-format on */
