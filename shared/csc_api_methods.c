/* The method table: what each version answers, and how. */
#include "csc_api_internal.h"

/* clang-format off */
const csc_method_t csc_methods[] = {
    {"info", CSC_V1 | CSC_V2, 0, CSC_ERR_MALFORMED_AUTHZ, 1,
     csc_api_info, NULL},
    {"auth/login", CSC_V1 | CSC_V2, 0, CSC_ERR_MALFORMED_AUTHZ, 0,
     csc_api_auth_login, csc_api_login_available},
    {"auth/revoke", CSC_V1 | CSC_V2, 1, CSC_ERR_MALFORMED_AUTHZ_LONG, 0,
     csc_api_auth_revoke, NULL},
    {"credentials/list", CSC_V1 | CSC_V2, 1, CSC_ERR_MALFORMED_AUTHZ, 0,
     csc_api_credentials_list, NULL},
    {"credentials/info", CSC_V1 | CSC_V2, 1, CSC_ERR_MALFORMED_AUTHZ, 0,
     csc_api_credentials_info, NULL},
    {NULL, 0, 0, 0, 0, NULL, NULL}
};
/* clang-format on */
