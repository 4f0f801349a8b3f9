/* SPDX-License-Identifier: Apache-2.0 */
/* credentials/list and credentials/info.  A caller only ever sees its own
 * credentials: someone else's ID is answered exactly like an unknown one. */
#include <string.h>

#include <apr_strings.h>

#include "api/csc_api_internal.h"
#include "base/csc_b64.h"
#include "api/csc_credinfo.h"
#include "base/csc_log.h"
#include "store/csc_store.h"

#define CSC_PAGE_MAX 100

/* Loads the caller's credential named by credentialID, or answers the
 * request's error.  Shared by every method that takes a credentialID. */
const csc_credential_t *csc_api_own_credential(csc_call_t *call)
{
    const csc_request_t *req = call->req;
    const char *id = NULL;
    csc_credential_t *c = NULL;
    apr_status_t rv;

    if (csc_json_string(call->body, "credentialID", 1, &id, req,
                        call->resp) < 0) {
        return NULL;
    }
    if (!call->env->store) {
        csc_error_invalid(call->resp, req, "credentialID");
        return NULL;
    }
    rv = csc_store_get(call->env->store, id, &c, req->pool);
    if (rv == APR_NOTFOUND || (rv == APR_SUCCESS
                               && strcmp(c->owner, call->user) != 0)) {
        csc_error_invalid(call->resp, req, "credentialID");
        return NULL;
    }
    if (rv != APR_SUCCESS) {
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "credential store unavailable "
                "(%d) for %s", rv, call->env->cfg->store_spec);
        csc_error_set(call->resp, req, CSC_ERR_UNAVAILABLE);
        return NULL;
    }
    /* only an ID that exists and is the caller's reaches the logs, and no
     * longer than a log line should be: a client controls what it sends */
    call->resp->note_credential = strlen(c->id) > CSC_NOTE_MAX
        ? apr_pstrcat(req->pool, apr_pstrndup(req->pool, c->id, CSC_NOTE_MAX),
                      "...", NULL)
        : c->id;
    return c;
}

/* certificates/certInfo/authInfo, shared by info and v2 list. */
static int info_options(csc_call_t *call, csc_certs_e *certs, int *cert_info,
                        int *auth_info)
{
    const char *mode = NULL;

    *certs = CSC_CERTS_SINGLE;
    *cert_info = 0;
    *auth_info = 0;
    if (csc_json_string(call->body, "certificates", 0, &mode, call->req,
                        call->resp) < 0) {
        return -1;
    }
    if (mode && csc_credinfo_certs_mode(mode, certs) < 0) {
        csc_error_invalid(call->resp, call->req, "certificates");
        return -1;
    }
    if (csc_json_bool(call->body, "certInfo", cert_info, call->req,
                      call->resp) < 0
        || csc_json_bool(call->body, "authInfo", auth_info, call->req,
                         call->resp) < 0) {
        return -1;
    }
    return 0;
}

void csc_api_credentials_info(csc_call_t *call)
{
    const csc_credential_t *c;
    csc_certs_e certs;
    int cert_info, auth_info;
    const char *lang = NULL;
    json_t *out;

    if (csc_json_client_data(call->body, call->req, call->resp) < 0
        || csc_json_string(call->body, "lang", 0, &lang, call->req,
                           call->resp) < 0) {
        return;
    }
    c = csc_api_own_credential(call);
    if (!c || info_options(call, &certs, &cert_info, &auth_info) < 0) {
        return;
    }
    out = csc_credinfo_build(c, call->req->version, certs, cert_info,
                             auth_info, csc_cfg_lang(call->env->cfg),
                             call->req->pool);
    if (!out) {
        csc_error_set(call->resp, call->req, CSC_ERR_SERVER);
        return;
    }
    csc_json_respond(call->resp, call->req, 200, out);
}

/* The page token is the last ID of the previous page, so paging stays
 * correct while credentials are added or removed between calls. */
static int decode_page_token(csc_call_t *call, const char **after)
{
    const char *tok = NULL;
    unsigned char *raw;
    apr_size_t len;

    if (csc_json_string(call->body, "pageToken", 0, &tok, call->req,
                        call->resp) < 0) {
        csc_error_set(call->resp, call->req, CSC_ERR_PAGE_TOKEN);
        return -1;
    }
    if (!tok) {
        *after = NULL;
        return 0;
    }
    if (csc_b64_decode(tok, strlen(tok), &raw, &len, call->req->pool) != 0
        || len < 2 || raw[0] != 'p' || memchr(raw, '\0', len)) {
        csc_error_set(call->resp, call->req, CSC_ERR_PAGE_TOKEN);
        return -1;
    }
    *after = apr_pstrmemdup(call->req->pool, (const char *)raw + 1, len - 1);
    return 0;
}

void csc_api_credentials_list(csc_call_t *call)
{
    const csc_request_t *req = call->req;
    apr_int64_t max = 0;
    const char *after = NULL, *lang = NULL;
    apr_array_header_t *ids;
    int more = 0, limit, i, want_info = 0, only_valid = 0;
    csc_certs_e certs = CSC_CERTS_SINGLE;
    int cert_info = 0, auth_info = 0;
    json_t *out, *list, *infos = NULL;
    apr_status_t rv;

    if (csc_json_client_data(call->body, req, call->resp) < 0
        || csc_json_string(call->body, "lang", 0, &lang, req,
                           call->resp) < 0) {
        return;
    }
    if (json_object_get(call->body, "userID")
        && !json_is_null(json_object_get(call->body, "userID"))) {
        csc_error_set(call->resp, req, CSC_ERR_USERID_NOT_NULL);
        return;
    }
    if (csc_json_int(call->body, "maxResults", 0, &max, req, call->resp) < 0) {
        return;
    }
    if (json_object_get(call->body, "maxResults") && max < 1) {
        csc_error_invalid(call->resp, req, "maxResults");
        return;
    }
    if (decode_page_token(call, &after) < 0) {
        return;
    }
    if (req->version == 2
        && (csc_json_bool(call->body, "credentialInfo", &want_info, req,
                          call->resp) < 0
            || csc_json_bool(call->body, "onlyValid", &only_valid, req,
                             call->resp) < 0
            || info_options(call, &certs, &cert_info, &auth_info) < 0)) {
        return;
    }
    limit = csc_cfg_page_size(call->env->cfg);
    if (max > 0 && max < limit) {
        limit = (int)max;
    }
    if (limit > CSC_PAGE_MAX) {
        limit = CSC_PAGE_MAX;
    }
    if (!call->env->store) {
        ids = apr_array_make(req->pool, 1, sizeof(const char *));
    }
    else if ((rv = csc_store_list(call->env->store, call->user, after, limit,
                                  &ids, &more, req->pool)) != APR_SUCCESS) {
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "credential store unavailable "
                "(%d) for %s", rv, call->env->cfg->store_spec);
        csc_error_set(call->resp, req, CSC_ERR_UNAVAILABLE);
        return;
    }
    list = json_array();
    if (want_info) {
        infos = json_array();
    }
    for (i = 0; i < ids->nelts; i++) {
        const char *id = APR_ARRAY_IDX(ids, i, const char *);
        csc_credential_t *c;
        json_t *info;

        if (want_info || only_valid) {
            if (csc_store_get(call->env->store, id, &c, req->pool)
                != APR_SUCCESS) {
                continue;   /* deleted since the listing */
            }
            if (only_valid && !csc_credinfo_usable(c, req->pool)) {
                continue;
            }
            if (want_info) {
                info = csc_credinfo_build(c, 2, certs, cert_info, auth_info,
                                          csc_cfg_lang(call->env->cfg),
                                          req->pool);
                if (!info) {
                    json_decref(list);
                    json_decref(infos);
                    csc_error_set(call->resp, req, CSC_ERR_SERVER);
                    return;
                }
                json_object_set_new(info, "credentialID", json_string(id));
                json_array_append_new(infos, info);
            }
        }
        json_array_append_new(list, json_string(id));
    }
    out = json_pack("{s:o}", "credentialIDs", list);
    if (infos) {
        json_object_set_new(out, "credentialInfos", infos);
    }
    if (only_valid) {
        json_object_set_new(out, "onlyValid", json_true());
    }
    if (more && ids->nelts > 0) {
        const char *last = APR_ARRAY_IDX(ids, ids->nelts - 1, const char *);
        const char *raw = apr_pstrcat(req->pool, "p", last, NULL);
        json_object_set_new(out, "nextPageToken", json_string(
            csc_b64url_encode((const unsigned char *)raw, strlen(raw),
                              req->pool)));
    }
    csc_json_respond(call->resp, req, 200, out);
}
