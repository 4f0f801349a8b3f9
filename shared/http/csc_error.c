/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>

#include "http/csc_error.h"

#define V1_MALFORMED "The request is missing a required parameter, includes " \
    "an invalid parameter value, includes a parameter more than once, or is " \
    "otherwise malformed."
#define V1_MALFORMED_REQ "The request is missing a REQUIRED parameter, " \
    "includes an invalid parameter value, includes a parameter more than " \
    "once, or is otherwise malformed."
#define V2_MALFORMED "Malformed authorization header"
#define IR "invalid_request"

/* Texts come from the CSC v1.0.4.0 and v2.0.0.2 method tables; typos that
 * clients match on ("authroization") are kept on purpose. */
static const csc_err_def_t catalogue[CSC_ERR__COUNT] = {
    [CSC_ERR_MALFORMED_AUTHZ] = {400, IR, V1_MALFORMED, V2_MALFORMED},
    [CSC_ERR_MALFORMED_AUTHZ_LONG] = {400, IR, V1_MALFORMED_REQ, V2_MALFORMED},
    [CSC_ERR_MALFORMED_AUTHZ_OTP] = {400, IR, "Malformed authroization header.",
                                     V2_MALFORMED},
    [CSC_ERR_LOGIN_MALFORMED] = {401, IR, "Malformed authentication parameter.",
                                 "Malformed authentication parameter"},
    [CSC_ERR_LOGIN_USERPASS] = {400, IR, "Malformed username-password.",
                                "Malformed username-password"},
    [CSC_ERR_LOGIN_REFRESH_TYPE] = {400, IR,
                                    "Invalid string parameter: refresh_token",
                                    "Invalid string parameter: refresh_token"},
    [CSC_ERR_LOGIN_REFRESH] = {400, IR, "Invalid refresh_token",
                               "Invalid refresh_token"},
    [CSC_ERR_LOGIN_FAILED] = {400, "authentication_error",
                              "An error occurred during authentication process",
                              "An error occurred during authentication process"},
    [CSC_ERR_TOKEN_INVALID] = {401, "invalid_token",
                               "The access token is not valid",
                               "The access token is not valid"},
    [CSC_ERR_TOKEN_EXPIRED] = {401, "expired_token",
                               "The access token is expired",
                               "The access token is expired"},
    [CSC_ERR_TOKEN_MISSING] = {401, "invalid_token",
                               "The access token is missing",
                               "The access token is missing"},
    [CSC_ERR_REVOKE_HINT] = {400, IR,
                             "Invalid string parameter token_type_hint",
                             "Invalid string parameter token_type_hint"},
    [CSC_ERR_REVOKE_TOKEN] = {400, IR, "Invalid string parameter token",
                              "Invalid string parameter token"},
    [CSC_ERR_PAGE_TOKEN] = {400, IR, "Invalid parameter pageToken",
                            "Invalid parameter pageToken"},
    [CSC_ERR_USERID_NOT_NULL] = {400, IR, "userID parameter MUST be null",
                                 "userID parameter MUST be null"},
    [CSC_ERR_CREDENTIAL_DISABLED] = {400, IR,
        "The credential identified by credentialID is disabled",
        "The credential identified by credentialID is disabled"},
    [CSC_ERR_NUMSIG_VALUE] = {400, IR,
                              "Invalid value for parameter numSignatures",
                              "Invalid value for parameter numSignatures"},
    [CSC_ERR_NUMSIG_TOO_HIGH] = {400, IR, "Numbers of signatures is too high",
                                 "Numbers of signatures is too high"},
    [CSC_ERR_OTP_INVALID] = {400, "invalid_otp", "The OTP is invalid",
                             "The OTP is invalid"},
    [CSC_ERR_PIN_INVALID] = {400, "invalid_pin", "The PIN is invalid",
                             "The PIN is invalid"},
    [CSC_ERR_PIN_LOCKED] = {400, IR, "PIN locked", "PIN locked"},
    [CSC_ERR_OTP_LOCKED] = {400, IR, "OTP locked", "OTP locked"},
    [CSC_ERR_AUTHDATA_INVALID] = {400, "invalid_authentication_data",
                                  "The authentication data is invalid",
                                  "The authentication data is invalid"},
    [CSC_ERR_CREDENTIAL_LOCKED] = {400, IR, "Credential locked",
                                   "Credential locked"},
    [CSC_ERR_HASH_EMPTY] = {400, IR, "Empty hash array", "Empty hash array"},
    [CSC_ERR_HASH_BASE64] = {400, IR, "Invalid Base64 hash string parameter",
                             "Invalid Base64 hash string parameter"},
    [CSC_ERR_HASH_NOT_AUTHORIZED] = {400, IR,
                                     "Hash is not authorized by the SAD.",
                                     "Hash is not authorized by the SAD"},
    [CSC_ERR_DIGEST_LENGTH] = {400, IR, "Invalid digest value length",
                               "Invalid digest value length"},
    [CSC_ERR_SAD_EXPIRED] = {400, IR, "SAD expired", "SAD expired"},
    [CSC_ERR_CERT_EXPIRED] = {400, IR, "Signing certificate is expired",
                              "Signing certificate is expired"},
    [CSC_ERR_BODY_TOO_LARGE] = {413, IR, "The request body is too large",
                                "The request body is too large"},
    [CSC_ERR_BODY_NOT_JSON] = {400, IR, "The request body is not valid JSON",
                               "The request body is not valid JSON"},
    [CSC_ERR_BODY_TOO_DEEP] = {400, IR, "The request body is nested too deeply",
                               "The request body is nested too deeply"},
    [CSC_ERR_BODY_NOT_OBJECT] = {400, IR,
                                 "The request body must be a JSON object",
                                 "The request body must be a JSON object"},
    [CSC_ERR_CONTENT_TYPE] = {415, IR, "Content-Type must be application/json",
                              "Content-Type must be application/json"},
    [CSC_ERR_HTTP_METHOD] = {405, IR, "HTTP method not allowed",
                             "HTTP method not allowed"},
    [CSC_ERR_NOT_IMPLEMENTED] = {501, IR, "Method not implemented",
                                 "Method not implemented"},
    [CSC_ERR_NOT_FOUND] = {404, IR, "Not found", "Not found"},
    [CSC_ERR_OPERATION_MODE] = {400, IR, "Invalid parameter operationMode",
                                "Invalid parameter operationMode"},
    [CSC_ERR_SERVER] = {500, "server_error",
                        "The server encountered an unexpected condition",
                        "The server encountered an unexpected condition"},
    [CSC_ERR_UNAVAILABLE] = {503, "temporarily_unavailable",
                             "The service is temporarily unavailable",
                             "The service is temporarily unavailable"},
    [CSC_ERR_TOO_MANY] = {429, "temporarily_unavailable",
                          "Too many requests, try again later",
                          "Too many requests, try again later"},
};

const csc_err_def_t *csc_err_def(csc_err_e id)
{
    if ((int)id < 0 || id >= CSC_ERR__COUNT) {
        id = CSC_ERR_SERVER;
    }
    return &catalogue[id];
}

/* Statuses the CSC catalogue has an entry for. */
static const struct {
    int status;
    csc_err_e id;
} by_status[] = {
    {404, CSC_ERR_NOT_FOUND}, {405, CSC_ERR_HTTP_METHOD},
    {413, CSC_ERR_BODY_TOO_LARGE}, {415, CSC_ERR_CONTENT_TYPE},
    {429, CSC_ERR_TOO_MANY}, {500, CSC_ERR_SERVER},
    {501, CSC_ERR_NOT_IMPLEMENTED}, {503, CSC_ERR_UNAVAILABLE},
};

const char *csc_error_json_for_status(int status, int version,
                                      apr_pool_t *p)
{
    csc_request_t req;
    csc_response_t resp;
    const char *error = IR, *text = V1_MALFORMED;
    apr_size_t i;

    memset(&req, 0, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    req.pool = p;
    req.version = version;
    resp.headers = apr_table_make(p, 1);
    for (i = 0; i < sizeof(by_status) / sizeof(by_status[0]); i++) {
        if (by_status[i].status == status) {
            csc_error_set(&resp, &req, by_status[i].id);
            return resp.body;
        }
    }
    switch (status) {
    case 401:
    case 403:
        error = "access_denied";
        text = "Access denied";
        break;
    case 408:
        text = "Request timeout";
        break;
    case 411:
        text = "Content-Length required";
        break;
    case 414:
        text = "Request URI too long";
        break;
    default:
        if (status >= 500) {
            error = status == 502 || status == 504
                    ? "temporarily_unavailable" : "server_error";
            text = status == 502 || status == 504
                   ? csc_err_def(CSC_ERR_UNAVAILABLE)->v2
                   : csc_err_def(CSC_ERR_SERVER)->v2;
        }
        break;
    }
    csc_error_custom(&resp, &req, status, error, text);
    return resp.body;
}

void csc_error_custom(csc_response_t *resp, const csc_request_t *req,
                      int status, const char *error,
                      const char *description)
{
    json_t *o = json_pack("{s:s,s:s}", "error", error,
                          "error_description", description);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;

    resp->status = status;
    resp->content_type = "application/json;charset=UTF-8";
    if (text) {
        resp->body = apr_pstrdup(req->pool, text);
        free(text);
    }
    else {
        resp->body = "{\"error\":\"server_error\"}";
    }
    resp->body_len = strlen(resp->body);
    resp->note_error = error;
    json_decref(o);
    if (status == 401) {
        /* RFC 6750 section 3: a 401 names the scheme and the problem */
        apr_table_setn(resp->headers, "WWW-Authenticate",
                       apr_psprintf(req->pool, "Bearer error=\"%s\"",
                                    error));
    }
}

void csc_error_set(csc_response_t *resp, const csc_request_t *req,
                   csc_err_e id)
{
    const csc_err_def_t *d = csc_err_def(id);

    csc_error_custom(resp, req, d->status, d->error,
                     req->version == 1 ? d->v1 : d->v2);
}

void csc_error_missing(csc_response_t *resp, const csc_request_t *req,
                       const char *type, const char *name)
{
    csc_error_custom(resp, req, 400, IR,
                     apr_psprintf(req->pool,
                                  "Missing (or invalid type) %s parameter %s",
                                  type, name));
}

void csc_error_invalid(csc_response_t *resp, const csc_request_t *req,
                       const char *name)
{
    csc_error_custom(resp, req, 400, IR,
                     apr_pstrcat(req->pool, "Invalid parameter ", name, NULL));
}
