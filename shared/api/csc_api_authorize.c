/* SPDX-License-Identifier: Apache-2.0 */
/* Credential authorization: credentials/authorize, sendOTP (v1),
 * getChallenge (v2) and extendTransaction. */
#include <string.h>

#include <apr_strings.h>

#include "crypto/csc_algo.h"
#include "api/csc_api_internal.h"
#include "base/csc_b64.h"
#include "authz/csc_factors.h"
#include "authz/csc_limit.h"
#include "base/csc_log.h"
#include "authz/csc_sad.h"

int csc_api_digests(csc_call_t *call, int required,
                    apr_array_header_t **out)
{
    const csc_request_t *req = call->req;
    const char *name = req->version == 1 ? "hash" : "hashes";
    json_t *v = json_object_get(call->body, name), *item;
    apr_array_header_t *arr;
    size_t i;

    *out = NULL;
    if (!v || json_is_null(v)) {
        if (required) {
            /* v2 still names the member "hash" in this text */
            csc_error_missing(call->resp, req, "array", "hash");
            return -1;
        }
        return 0;
    }
    if (!json_is_array(v)) {
        csc_error_missing(call->resp, req, "array", "hash");
        return -1;
    }
    if (json_array_size(v) == 0) {
        csc_error_set(call->resp, req, CSC_ERR_HASH_EMPTY);
        return -1;
    }
    arr = apr_array_make(req->pool, (int)json_array_size(v),
                         sizeof(csc_digest_t));
    json_array_foreach(v, i, item) {
        csc_digest_t *d = apr_array_push(arr);
        unsigned char *raw;
        apr_size_t len;

        if (!json_is_string(item)
            || csc_b64_decode(json_string_value(item),
                              json_string_length(item), &raw, &len,
                              req->pool) != 0) {
            csc_error_set(call->resp, req, CSC_ERR_HASH_BASE64);
            return -1;
        }
        d->data = raw;
        d->len = len;
    }
    *out = arr;
    return 0;
}

int csc_api_digest_lengths(csc_call_t *call, const char *hash_oid,
                           const apr_array_header_t *digests)
{
    apr_size_t want = csc_algo_digest_len(hash_oid);
    int i;

    for (i = 0; digests && i < digests->nelts; i++) {
        if (APR_ARRAY_IDX(digests, i, csc_digest_t).len != want) {
            csc_error_set(call->resp, call->req, CSC_ERR_DIGEST_LENGTH);
            return -1;
        }
    }
    return 0;
}

/* v2 hashAlgorithmOID: required with hashes, and a hash we accept. */
static int hash_algorithm(csc_call_t *call, const apr_array_header_t *d,
                          const char **oid)
{
    *oid = NULL;
    if (call->req->version == 1) {
        return 0;
    }
    if (csc_json_string(call->body, "hashAlgorithmOID", d != NULL, oid,
                        call->req, call->resp) < 0) {
        return -1;
    }
    if (*oid && !csc_algo_hash_by_oid(*oid)) {
        csc_error_invalid(call->resp, call->req, "hashAlgorithmOID");
        return -1;
    }
    return *oid ? csc_api_digest_lengths(call, *oid, d) : 0;
}

/* The factors as v1 sends them (PIN, OTP) or as v2 does (authData). */
static int read_factors(csc_call_t *call, const csc_credential_t *c,
                        const char **pin, const char **otp)
{
    const csc_request_t *req = call->req;
    json_t *auth, *item;
    size_t i;

    *pin = *otp = NULL;
    if (req->version == 1) {
        if (csc_json_string(call->body, "PIN", c->pin_hash != NULL, pin, req,
                            call->resp) < 0
            || csc_json_string(call->body, "OTP", c->otp_type != NULL, otp,
                               req, call->resp) < 0) {
            return -1;
        }
        return 0;
    }
    auth = json_object_get(call->body, "authData");
    if (!auth || json_is_null(auth)) {
        if (c->pin_hash || c->otp_type) {
            csc_error_missing(call->resp, req, "array", "authData");
            return -1;
        }
        return 0;
    }
    if (!json_is_array(auth)) {
        csc_error_missing(call->resp, req, "array", "authData");
        return -1;
    }
    json_array_foreach(auth, i, item) {
        const char *id = json_string_value(json_object_get(item, "id"));
        const char *value = json_string_value(json_object_get(item,
                                                              "value"));
        if (!json_is_object(item) || !id) {
            csc_error_invalid(call->resp, req, "authData");
            return -1;
        }
        if (!strcmp(id, "PIN") && c->pin_hash) {
            *pin = value;
        }
        else if (!strcmp(id, "OTP") && c->otp_type) {
            *otp = value;
        }
        else {
            csc_error_invalid(call->resp, req, "authData");
            return -1;
        }
    }
    if ((c->pin_hash && !*pin) || (c->otp_type && !*otp)) {
        csc_error_set(call->resp, req, CSC_ERR_AUTHDATA_INVALID);
        return -1;
    }
    return 0;
}

static void answer_locked(csc_call_t *call, const csc_credential_t *c)
{
    csc_error_set(call->resp, call->req, call->req->version == 2
                  ? CSC_ERR_CREDENTIAL_LOCKED
                  : c->pin_hash ? CSC_ERR_PIN_LOCKED : CSC_ERR_OTP_LOCKED);
}

/* numSignatures: an integer from 1 to the credential's multisign. */
static int num_signatures(csc_call_t *call, const csc_credential_t *c,
                          apr_int64_t *n)
{
    if (csc_json_int(call->body, "numSignatures", 1, n, call->req,
                     call->resp) < 0) {
        return -1;
    }
    if (*n < 1) {
        csc_error_set(call->resp, call->req, CSC_ERR_NUMSIG_VALUE);
        return -1;
    }
    if (*n > c->multisign) {
        csc_error_set(call->resp, call->req, CSC_ERR_NUMSIG_TOO_HIGH);
        return -1;
    }
    return 0;
}

/* The answer of authorize and extendTransaction: the SAD, or 503 when the
 * shared state could not keep it (sad NULL). */
static void respond_sad(csc_call_t *call, const char *sad, int lifetime)
{
    if (!sad) {
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "cannot store a SAD in the shared "
                "state (is CSCStateSlots too small?)");
        csc_error_set(call->resp, call->req, CSC_ERR_UNAVAILABLE);
        return;
    }
    csc_json_respond(call->resp, call->req, 200,
                     json_pack("{s:s,s:i}", "SAD", sad, "expiresIn",
                               lifetime));
}

static void answer_sad(csc_call_t *call, const csc_credential_t *c,
                       int num, const char *hash_oid,
                       const apr_array_header_t *digests)
{
    int lifetime = csc_cfg_sad_lifetime(call->env->cfg);
    csc_sad_grant_t g = {call->user, call->grant, c->id, num, hash_oid,
                         digests, lifetime};
    const char *sad = NULL;

    if (csc_sad_issue(call->env, &g, &sad, call->req->pool)
        != APR_SUCCESS) {
        sad = NULL;
    }
    respond_sad(call, sad, lifetime);
}

void csc_api_credentials_authorize(csc_call_t *call)
{
    const csc_request_t *req = call->req;
    const csc_credential_t *c;
    apr_array_header_t *digests;
    const char *hash_oid, *pin, *otp, *desc = NULL;
    apr_int64_t num;
    int now_blocked;
    csc_factor_result_e fr;

    if (csc_json_client_data(call->body, req, call->resp) < 0
        || csc_json_string(call->body, "description", 0, &desc, req,
                           call->resp) < 0
        || !(c = csc_api_own_credential(call))) {
        return;
    }
    if (!c->enabled) {
        csc_error_set(call->resp, req, CSC_ERR_CREDENTIAL_DISABLED);
        return;
    }
    if (num_signatures(call, c, &num) < 0
        || csc_api_digests(call, c->scal == 2, &digests) < 0
        || hash_algorithm(call, digests, &hash_oid) < 0) {
        return;
    }
    if (digests && digests->nelts != num) {
        /* a SAD bound to hashes grants exactly those signatures */
        csc_error_set(call->resp, req, CSC_ERR_NUMSIG_VALUE);
        return;
    }
    if (digests && digests->nelts > CSC_SAD_MAX_HASHES) {
        csc_error_set(call->resp, req, CSC_ERR_NUMSIG_TOO_HIGH);
        return;
    }
    if (c->blocked) {
        answer_locked(call, c);
        return;
    }
    if (read_factors(call, c, &pin, &otp) < 0) {
        return;
    }
    fr = csc_factors_check(call->env, c, pin, otp, &now_blocked, req->pool);
    switch (fr) {
    case CSC_FACTOR_OK:
        answer_sad(call, c, (int)num, hash_oid, digests);
        return;
    case CSC_FACTOR_LOCKED:
        answer_locked(call, c);
        return;
    case CSC_FACTOR_PIN_WRONG:
    case CSC_FACTOR_OTP_WRONG:
        csc_error_set(call->resp, req, req->version == 2
                      ? CSC_ERR_AUTHDATA_INVALID
                      : fr == CSC_FACTOR_PIN_WRONG ? CSC_ERR_PIN_INVALID
                                                   : CSC_ERR_OTP_INVALID);
        return;
    default:
        csc_error_set(call->resp, req, CSC_ERR_UNAVAILABLE);
        return;
    }
}

static void send_otp(csc_call_t *call, const csc_credential_t *c)
{
    apr_status_t rv;

    if (!c->otp_type || strcmp(c->otp_type, "online") != 0) {
        csc_error_invalid(call->resp, call->req, "credentialID");
        return;
    }
    if (c->blocked) {
        csc_error_set(call->resp, call->req, call->req->version == 2
                      ? CSC_ERR_CREDENTIAL_LOCKED : CSC_ERR_OTP_LOCKED);
        return;
    }
    if (csc_api_throttled(call, CSC_LIMIT_CLIENT, call->req->client_ip,
                          csc_cfg_client_limit(call->env->cfg))
        || csc_api_throttled(call, CSC_LIMIT_OTP, call->user,
                             csc_cfg_otp_limit(call->env->cfg))) {
        return;
    }
    rv = csc_factors_send_otp(call->env, c, call->req->pool);
    if (rv != APR_SUCCESS) {
        csc_error_set(call->resp, call->req, CSC_ERR_UNAVAILABLE);
        return;
    }
    csc_respond_empty(call->resp);
}

void csc_api_credentials_send_otp(csc_call_t *call)
{
    const csc_credential_t *c;

    if (csc_json_client_data(call->body, call->req, call->resp) < 0
        || !(c = csc_api_own_credential(call))) {
        return;
    }
    send_otp(call, c);
}

void csc_api_credentials_get_challenge(csc_call_t *call)
{
    const csc_credential_t *c;
    const char *object = NULL;

    if (csc_json_client_data(call->body, call->req, call->resp) < 0
        || !(c = csc_api_own_credential(call))
        || csc_json_string(call->body, "authObjectID", 1, &object, call->req,
                           call->resp) < 0) {
        return;
    }
    if (strcmp(object, "OTP") != 0 || !c->otp_type
        || strcmp(c->otp_type, "online") != 0) {
        csc_error_invalid(call->resp, call->req, "authObjectID");
        return;
    }
    send_otp(call, c);
}

int csc_api_sad_error(csc_call_t *call, int result)
{
    switch (result) {
    case CSC_SAD_OK:
        return 0;
    case CSC_SAD_EXPIRED:
        csc_error_set(call->resp, call->req, CSC_ERR_SAD_EXPIRED);
        break;
    case CSC_SAD_HASH_NOT_BOUND:
        csc_error_set(call->resp, call->req, CSC_ERR_HASH_NOT_AUTHORIZED);
        break;
    case CSC_SAD_STATE_ERROR:
        csc_error_set(call->resp, call->req, CSC_ERR_UNAVAILABLE);
        break;
    default:
        csc_error_invalid(call->resp, call->req, "SAD");
        break;
    }
    return -1;
}

/* A fresh SAD for the next signHash of a transaction: it carries what is
 * left of the presented one (budget, bound hashes) and supersedes it; the
 * hashes the request names must be among those the user approved. */
void csc_api_credentials_extend(csc_call_t *call)
{
    const csc_request_t *req = call->req;
    const csc_credential_t *c;
    apr_array_header_t *digests;
    const char *sad = NULL, *hash_oid, *new_sad = NULL;
    int lifetime = csc_cfg_sad_lifetime(call->env->cfg);
    csc_sad_result_e r;

    if (csc_json_client_data(call->body, req, call->resp) < 0
        || !(c = csc_api_own_credential(call))
        || csc_json_string(call->body, "SAD", 1, &sad, req, call->resp) < 0
        || csc_api_digests(call, c->scal == 2, &digests) < 0
        || hash_algorithm(call, digests, &hash_oid) < 0) {
        return;
    }
    if (!c->enabled) {
        csc_error_set(call->resp, req, CSC_ERR_CREDENTIAL_DISABLED);
        return;
    }
    if (c->blocked) {
        answer_locked(call, c);
        return;
    }
    r = csc_sad_extend(call->env, sad, call->user, call->grant, c->id,
                       hash_oid, digests, lifetime, &new_sad, req->pool);
    switch (r) {
    case CSC_SAD_OK:
    case CSC_SAD_STATE_ERROR:
        respond_sad(call, r == CSC_SAD_OK ? new_sad : NULL, lifetime);
        return;
    case CSC_SAD_TOO_MANY:
        csc_error_set(call->resp, req, CSC_ERR_NUMSIG_TOO_HIGH);
        return;
    default:
        csc_api_sad_error(call, r);
        return;
    }
}
