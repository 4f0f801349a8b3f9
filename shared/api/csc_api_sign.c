/* SPDX-License-Identifier: Apache-2.0 */
/* signatures/signHash: raw signatures over client-computed digests, made
 * by the credential's key wherever it lives (HSM, provider, file). */
#include <string.h>

#include <apr_strings.h>

#include "crypto/csc_algo.h"
#include "api/csc_api_internal.h"
#include "base/csc_b64.h"
#include "crypto/csc_credfacts.h"
#include "base/csc_log.h"
#include "authz/csc_sad.h"
#include "signer/csc_signer.h"

/* signAlgo must be one of the credential's key/algo values. */
static int algo_allowed(const csc_credfacts_t *f, const char *sign_oid,
                        apr_pool_t *p)
{
    apr_array_header_t *oids;
    int i;

    if (csc_algo_key_algos(f->key.type, f->key.bits, f->key.curve_oid, &oids,
                           p) != APR_SUCCESS) {
        return 0;
    }
    for (i = 0; i < oids->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(oids, i, const char *), sign_oid)) {
            return 1;
        }
    }
    return 0;
}

/* The end-entity certificate must be valid now. */
static int certificate_usable(csc_call_t *call, const csc_credfacts_t *f)
{
    if (!f->has_cert) {
        csc_error_set(call->resp, call->req, CSC_ERR_CREDENTIAL_DISABLED);
        return 0;
    }
    if (csc_credfacts_cert_valid(f, apr_time_now())) {
        return 1;
    }
    if (call->req->version == 1) {
        csc_error_custom(call->resp, call->req, 400, "invalid_request",
                         apr_psprintf(call->req->pool,
                                      "Signing certificate 'O=%s,CN=%s' is "
                                      "expired.", f->subject_o,
                                      f->subject_cn));
    }
    else {
        csc_error_set(call->resp, call->req, CSC_ERR_CERT_EXPIRED);
    }
    return 0;
}

/* Reads signAlgo, signAlgoParams and the hash algorithm, and resolves what
 * exactly is to be done. */
static int signature_params(csc_call_t *call, const csc_credfacts_t *f,
                            csc_sig_params_t *sp)
{
    const csc_request_t *req = call->req;
    const char *sign_oid = NULL, *params_b64 = NULL, *hash_oid = NULL;
    const char *hash_name = req->version == 1 ? "hashAlgo"
                                              : "hashAlgorithmOID";
    unsigned char *params = NULL;
    apr_size_t params_len = 0;
    csc_algo_err_e aerr;

    if (csc_json_string(call->body, "signAlgo", 1, &sign_oid, req,
                        call->resp) < 0
        || csc_json_string(call->body, "signAlgoParams", 0, &params_b64, req,
                           call->resp) < 0
        || csc_json_string(call->body, hash_name, 0, &hash_oid, req,
                           call->resp) < 0) {
        return -1;
    }
    if (params_b64 && csc_b64_decode(params_b64, strlen(params_b64), &params,
                                     &params_len, req->pool) != 0) {
        csc_error_invalid(call->resp, req, "signAlgoParams");
        return -1;
    }
    if (csc_algo_resolve(sign_oid, hash_oid, params, params_len, sp, &aerr)
        != APR_SUCCESS) {
        csc_error_custom(call->resp, req, 400, "invalid_request",
                         csc_algo_errstr(aerr, req->version));
        return -1;
    }
    if (!algo_allowed(f, sp->sign_oid, req->pool)) {
        csc_error_invalid(call->resp, req, "signAlgo");
        return -1;
    }
    return 0;
}

static int operation_mode(csc_call_t *call)
{
    const char *mode = NULL;

    if (call->req->version == 1) {
        return 0;
    }
    if (csc_json_string(call->body, "operationMode", 0, &mode, call->req,
                        call->resp) < 0
        || (mode && strcmp(mode, "S") != 0)) {
        /* asynchronous mode ("A") is not offered (info says so) */
        csc_error_set(call->resp, call->req, CSC_ERR_OPERATION_MODE);
        return -1;
    }
    return 0;
}

/* The answer to a failed signature, as csc_signer.h maps its codes: what
 * the request asked for wrongly is the client's 400 (and only worth an
 * info line); the rest is the server's, logged as an error. */
static void signer_error(csc_call_t *call, const csc_credential_t *c,
                         apr_status_t rv, const char *err)
{
    const csc_request_t *req = call->req;
    int client = 1;

    switch (rv) {
    case CSC_SIGNER_EKEYTYPE:
        csc_error_invalid(call->resp, req, "signAlgo");
        break;
    case CSC_SIGNER_EPARAMS:
        csc_error_invalid(call->resp, req, "signAlgoParams");
        break;
    case CSC_SIGNER_EDIGESTLEN:
        csc_error_set(call->resp, req, CSC_ERR_DIGEST_LENGTH);
        break;
    case CSC_SIGNER_EUNAVAIL:
        client = 0;
        csc_error_set(call->resp, req, CSC_ERR_UNAVAILABLE);
        break;
    default:
        client = 0;
        csc_error_set(call->resp, req, CSC_ERR_SERVER);
        break;
    }
    csc_log(CSC_LOG_MARK, client ? CSC_LOG_INFO : CSC_LOG_ERR, "signHash with "
            "credential %s failed: %s", c->id, err ? err : "signer error");
}

void csc_api_signatures_sign_hash(csc_call_t *call)
{
    const csc_request_t *req = call->req;
    const csc_credential_t *c;
    apr_array_header_t *digests;
    const char *sad = NULL, *err = NULL;
    csc_sig_params_t sp;
    csc_credfacts_t facts;
    json_t *sigs;
    int i;

    if (csc_json_client_data(call->body, req, call->resp) < 0
        || !(c = csc_api_own_credential(call))
        || csc_json_string(call->body, "SAD", 1, &sad, req, call->resp) < 0
        || operation_mode(call) < 0
        || csc_api_digests(call, 1, &digests) < 0) {
        return;
    }
    if (csc_credfacts_get(c, &facts, req->pool) != APR_SUCCESS) {
        csc_error_set(call->resp, req, CSC_ERR_SERVER);
        return;
    }
    if (signature_params(call, &facts, &sp) < 0
        || csc_api_digest_lengths(call, sp.hash->oid, digests) < 0) {
        return;
    }
    if (digests->nelts > c->multisign) {
        csc_error_set(call->resp, req, CSC_ERR_NUMSIG_TOO_HIGH);
        return;
    }
    if (!c->enabled || c->blocked) {
        csc_error_set(call->resp, req, CSC_ERR_CREDENTIAL_DISABLED);
        return;
    }
    if (!certificate_usable(call, &facts)
        || csc_api_sad_error(call, csc_sad_consume(call->env, sad, call->user,
                                                   call->grant, c->id,
                                                   sp.hash->oid,
                                                   digests)) < 0) {
        return;
    }
    sigs = json_array();
    for (i = 0; i < digests->nelts; i++) {
        const csc_digest_t *d = &APR_ARRAY_IDX(digests, i, csc_digest_t);
        unsigned char *sig;
        apr_size_t siglen;
        apr_status_t rv = csc_signer_sign(c->key_ref, &sp, d->data, d->len,
                                          &sig, &siglen, req->pool, &err);
        if (rv != APR_SUCCESS) {
            /* nothing was returned, so nothing was spent */
            csc_sad_refund(call->env, sad, digests);
            json_decref(sigs);
            signer_error(call, c, rv, err);
            return;
        }
        json_array_append_new(sigs, json_string(csc_b64_encode(sig, siglen,
                                                               req->pool)));
    }
    csc_json_respond(call->resp, req, 200, json_pack("{s:o}", "signatures",
                                                     sigs));
}
