/* SPDX-License-Identifier: Apache-2.0 */
/* Who is calling the token, revoke and pushed_authorize endpoints: the
 * three client authentication methods of CSC 8.4.4 (client_secret_basic,
 * client_secret_post, none for public clients), with the CSC error
 * strings.  A confidential client must authenticate; a public one must
 * not bring a secret. */
#include <string.h>

#include <apr_strings.h>
#include <openssl/crypto.h>

#include "base/csc_b64.h"
#include "base/csc_log.h"
#include "oauth2/csc_client_secret.h"
#include "oauth2/csc_oauth2_internal.h"

csc_client_t *oauth2_client_find(csc_call_t *call, const char *client_id,
                                 apr_status_t *rv)
{
    csc_client_t *c = NULL;

    *rv = call->env->store
        ? csc_client_get(call->env->store, client_id, &c, call->req->pool)
        : APR_NOTFOUND;
    return *rv == APR_SUCCESS ? c : NULL;
}

static void basic_refused(csc_call_t *call)
{
    apr_table_setn(call->resp->headers, "WWW-Authenticate",
                   "Basic realm=\"oauth2\"");
    oauth2_error(call, 401, "invalid_client", "Invalid authorization header");
}

/* RFC 6749 2.3.1: id and secret are form-encoded before Basic. */
static int split_basic(csc_call_t *call, const char *h, const char **id,
                       const char **secret)
{
    apr_pool_t *p = call->req->pool;
    unsigned char *raw;
    apr_size_t len;
    const char *why;
    char *text, *colon;
    apr_table_t *t;

    h += strspn(h, " ");
    if (csc_b64_decode(h, strlen(h), &raw, &len, p) != 0
        || memchr(raw, '\0', len)) {
        return -1;
    }
    text = apr_pstrmemdup(p, (const char *)raw, len);
    OPENSSL_cleanse(raw, len);
    colon = strchr(text, ':');
    if (!colon || colon == text) {
        return -1;
    }
    *colon = '\0';
    t = oauth2_form_parse(apr_pstrcat(p, "i=", text, "&s=", colon + 1, NULL),
                          strlen(text) + strlen(colon + 1) + 5, p, &why);
    OPENSSL_cleanse(colon + 1, strlen(colon + 1));
    if (!t || !(*id = oauth2_param(t, "i"))) {
        return -1;
    }
    *secret = oauth2_param(t, "s");
    return *secret ? 0 : -1;
}

csc_client_t *oauth2_client_auth(csc_call_t *call, apr_table_t *form)
{
    const char *h = call->req->authorization;
    const char *form_id = oauth2_param(form, "client_id");
    const char *form_secret = oauth2_param(form, "client_secret");
    const char *id = NULL, *secret = NULL;
    csc_client_t *c;
    apr_status_t rv;
    int basic = 0, ok;

    if (h && !strncasecmp(h, "Basic ", 6)) {
        basic = 1;
        if (split_basic(call, h + 6, &id, &secret) != 0
            || (form_id && strcmp(form_id, id) != 0) || form_secret) {
            /* two different clients, or two secrets, in one request */
            basic_refused(call);
            return NULL;
        }
    }
    else if (h) {
        basic_refused(call);
        return NULL;
    }
    else {
        id = form_id;
        secret = form_secret;
    }
    if (apr_table_get(form, "client_assertion")) {
        oauth2_error(call, 400, "invalid_request",
                     "Invalid parameter client_assertion_type");
        return NULL;
    }
    if (!id) {
        oauth2_error(call, 400, "invalid_request",
                     "Missing parameter client_id");
        return NULL;
    }
    c = oauth2_client_find(call, id, &rv);
    if (!c && rv != APR_NOTFOUND) {
        oauth2_error(call, 503, "temporarily_unavailable",
                     "The service is unavailable, try again later");
        return NULL;
    }
    if (!c) {
        if (basic) {
            basic_refused(call);
        }
        else {
            oauth2_error(call, 400, "invalid_request",
                         "Invalid parameter client_id");
        }
        return NULL;
    }
    if (!c->secret_hash) {
        if (secret) {
            /* a public client has no secret to show */
            oauth2_error(call, 400, "invalid_request",
                         "Invalid parameter client_secret");
            return NULL;
        }
        return c;
    }
    if (!secret) {
        apr_table_setn(call->resp->headers, "WWW-Authenticate",
                       "Basic realm=\"oauth2\"");
        oauth2_error(call, 401, "invalid_request",
                     "Client authorization required");
        return NULL;
    }
    ok = csc_client_secret_verify(secret, c->secret_hash);
    if (ok != 1) {
        if (ok < 0) {
            csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "oauth2: client '%s' has a "
                    "malformed secret hash in the store", c->id);
        }
        csc_log(CSC_LOG_MARK, CSC_LOG_INFO, "oauth2: client '%s' failed "
                "authentication", c->id);
        if (basic) {
            basic_refused(call);
        }
        else {
            oauth2_error(call, 400, "invalid_request",
                         "Invalid parameter client_secret");
        }
        return NULL;
    }
    return c;
}
