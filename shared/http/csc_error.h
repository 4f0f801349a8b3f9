/* SPDX-License-Identifier: Apache-2.0 */
/* The CSC error catalogue.  Clients compare error and error_description
 * strings byte for byte, so every string the server can send lives here,
 * once, with its HTTP status and its v1/v2 wording. */
#ifndef CSC_ERROR_H
#define CSC_ERROR_H

#include "csc/csc_request.h"

typedef enum {
    CSC_ERR_MALFORMED_AUTHZ = 0,   /* Authorization header not "Bearer x" */
    CSC_ERR_MALFORMED_AUTHZ_LONG,  /* auth/revoke, extendTransaction (v1) */
    CSC_ERR_MALFORMED_AUTHZ_OTP,   /* credentials/sendOTP (v1, sic) */
    CSC_ERR_LOGIN_MALFORMED,       /* auth/login without usable credentials */
    CSC_ERR_LOGIN_USERPASS,
    CSC_ERR_LOGIN_REFRESH_TYPE,
    CSC_ERR_LOGIN_REFRESH,
    CSC_ERR_LOGIN_FAILED,
    CSC_ERR_TOKEN_INVALID,         /* 401 on protected methods */
    CSC_ERR_TOKEN_EXPIRED,
    CSC_ERR_TOKEN_MISSING,
    CSC_ERR_REVOKE_HINT,
    CSC_ERR_REVOKE_TOKEN,
    CSC_ERR_PAGE_TOKEN,
    CSC_ERR_USERID_NOT_NULL,
    CSC_ERR_CREDENTIAL_DISABLED,
    CSC_ERR_NUMSIG_VALUE,
    CSC_ERR_NUMSIG_TOO_HIGH,
    CSC_ERR_OTP_INVALID,
    CSC_ERR_PIN_INVALID,
    CSC_ERR_PIN_LOCKED,
    CSC_ERR_OTP_LOCKED,
    CSC_ERR_AUTHDATA_INVALID,
    CSC_ERR_CREDENTIAL_LOCKED,
    CSC_ERR_HASH_EMPTY,
    CSC_ERR_HASH_BASE64,
    CSC_ERR_HASH_NOT_AUTHORIZED,
    CSC_ERR_DIGEST_LENGTH,
    CSC_ERR_SAD_EXPIRED,
    CSC_ERR_CERT_EXPIRED,          /* v2 text; v1 is built with O and CN */
    CSC_ERR_BODY_TOO_LARGE,
    CSC_ERR_BODY_NOT_JSON,
    CSC_ERR_BODY_TOO_DEEP,
    CSC_ERR_BODY_NOT_OBJECT,
    CSC_ERR_CONTENT_TYPE,
    CSC_ERR_HTTP_METHOD,
    CSC_ERR_NOT_IMPLEMENTED,
    CSC_ERR_NOT_FOUND,
    CSC_ERR_OPERATION_MODE,
    CSC_ERR_SERVER,
    CSC_ERR_UNAVAILABLE,
    CSC_ERR_TOO_MANY,
    CSC_ERR__COUNT
} csc_err_e;

typedef struct {
    int status;
    const char *error;
    const char *v1;     /* error_description under /csc/v1/ */
    const char *v2;     /* error_description under /csc/v2/ */
} csc_err_def_t;

/* The catalogue entry (for tests and documentation). */
const csc_err_def_t *csc_err_def(csc_err_e id);

/* Fills resp with the JSON error body for the request's version. */
void csc_error_set(csc_response_t *resp, const csc_request_t *req,
                   csc_err_e id);

/* 400 invalid_request "Missing (or invalid type) <type> parameter <name>" */
void csc_error_missing(csc_response_t *resp, const csc_request_t *req,
                       const char *type, const char *name);

/* 400 invalid_request "Invalid parameter <name>" */
void csc_error_invalid(csc_response_t *resp, const csc_request_t *req,
                       const char *name);

/* csc_error_json_for_status() is public: csc/csc_request.h. */

/* Any status/error/description; for texts built at run time. */
void csc_error_custom(csc_response_t *resp, const csc_request_t *req,
                      int status, const char *error,
                      const char *description);

#endif
