/* SPDX-License-Identifier: Apache-2.0 */
/* info: the service's self-description.  It must be truthful: methods
 * lists only what this configuration really answers. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "crypto/csc_algo.h"
#include "api/csc_api_internal.h"
#include "oauth2/csc_oauth2.h"

/* The document depends only on the configuration and the version, and
 * building and serialising it is most of what info costs; bodies are kept
 * per process under everything they depend on (plain heap copies, safe
 * across fork).  A few slots suffice: one per location and version. */
#define INFO_CACHE_SLOTS 16

static struct {
    char *key;
    char *body;
} info_cache[INFO_CACHE_SLOTS];
static unsigned info_cache_next;
static pthread_mutex_t info_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *info_cache_key(const csc_env_t *env,
                                  const csc_request_t *req, apr_pool_t *p)
{
    int version = req->version;
    const csc_cfg_t *cfg = env->cfg;
    const apr_array_header_t *types = csc_cfg_auth_types(cfg, p);
    const csc_method_t *m;
    char *key = apr_psprintf(p, "%d\n%s\n%s\n%s\n%s\n%s\n", version,
                             csc_cfg_name(cfg), csc_cfg_logo(cfg),
                             csc_cfg_region(cfg), csc_cfg_lang(cfg),
                             csc_cfg_description(cfg));
    int i;

    for (i = 0; i < types->nelts; i++) {
        key = apr_pstrcat(p, key, APR_ARRAY_IDX(types, i, const char *), ",",
                          NULL);
    }
    for (m = csc_methods; m->name; m++) {
        if (m->available) {
            key = apr_pstrcat(p, key, m->available(env) ? "1" : "0", NULL);
        }
    }
    if (csc_oauth2_enabled(cfg)) {
        /* the issuer may follow the Host the request came to */
        key = apr_pstrcat(p, key, "\n", csc_oauth2_issuer(cfg, req), NULL);
    }
    return key;
}

static int info_cache_get(const char *key, csc_response_t *resp,
                          const csc_request_t *req)
{
    int i, found = 0;

    pthread_mutex_lock(&info_cache_lock);
    for (i = 0; i < INFO_CACHE_SLOTS && info_cache[i].key; i++) {
        if (!strcmp(info_cache[i].key, key)) {
            csc_json_respond_text(resp, req, 200, info_cache[i].body);
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&info_cache_lock);
    return found;
}

static void info_cache_put(const char *key, const char *body)
{
    char *k = strdup(key), *b = strdup(body);
    unsigned slot;

    if (!k || !b) {
        free(k);
        free(b);
        return;
    }
    pthread_mutex_lock(&info_cache_lock);
    slot = info_cache_next++ % INFO_CACHE_SLOTS;
    free(info_cache[slot].key);
    free(info_cache[slot].body);
    info_cache[slot].key = k;
    info_cache[slot].body = b;
    pthread_mutex_unlock(&info_cache_lock);
}

static json_t *string_array(const apr_array_header_t *a)
{
    json_t *arr = json_array();
    int i;

    for (i = 0; i < a->nelts; i++) {
        json_array_append_new(arr,
                              json_string(APR_ARRAY_IDX(a, i, const char *)));
    }
    return arr;
}

void csc_api_info(csc_call_t *call)
{
    const csc_env_t *env = call->env;
    const csc_cfg_t *cfg = env->cfg;
    const csc_request_t *req = call->req;
    const csc_method_t *m;
    unsigned bit = 1u << req->version;
    json_t *out, *methods;
    const char *lang = NULL, *key;

    if (csc_json_client_data(call->body, req, call->resp) < 0
        || csc_json_string(call->body, "lang", 0, &lang, req,
                           call->resp) < 0) {
        return;
    }
    key = info_cache_key(env, req, req->pool);
    if (info_cache_get(key, call->resp, req)) {
        return;
    }
    methods = json_array();
    for (m = csc_methods; m->name; m++) {
        if ((m->versions & bit) && (!m->available || m->available(env))) {
            json_array_append_new(methods, json_string(m->name));
        }
    }
    out = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o}",
                    "specs", req->version == 1 ? "1.0.4.0" : "2.0.0.2",
                    "name", csc_cfg_name(cfg),
                    "logo", csc_cfg_logo(cfg),
                    "region", csc_cfg_region(cfg),
                    "lang", csc_cfg_lang(cfg),
                    "description", csc_cfg_description(cfg),
                    "authType", string_array(csc_cfg_auth_types(cfg,
                                                                req->pool)),
                    "methods", methods);
    if (csc_oauth2_enabled(cfg)) {
        /* the base URI form, which both EU wallet libraries read (the
         * Swift one requires it); they append /oauth2/authorize... */
        json_object_set_new(out, "oauth2",
                            json_string(csc_oauth2_issuer(cfg, req)));
    }
    if (req->version == 2) {
        json_t *algos = json_array();
        apr_array_header_t *rsa, *ec;
        int i;

        /* every algorithm some credential key type can use */
        csc_algo_key_algos(CSC_KEY_RSA, 2048, NULL, &rsa, req->pool);
        csc_algo_key_algos(CSC_KEY_EC, 256, "1.2.840.10045.3.1.7", &ec,
                           req->pool);
        apr_array_cat(rsa, ec);
        for (i = 0; i < rsa->nelts; i++) {
            json_array_append_new(algos, json_string(
                APR_ARRAY_IDX(rsa, i, const char *)));
        }
        /* algoParams, parallel to algos: none of them takes any (the
         * Swift EUDI parser requires the member) */
        json_object_set_new(out, "signAlgorithms",
                            json_pack("{s:o,s:[]}", "algos", algos,
                                      "algoParams"));
        if (csc_oauth2_enabled(cfg)) {
            /* required by the EUDI Kotlin parser (CSC 2.2) */
            json_object_set_new(out, "supportedHashTypes",
                                json_pack("[s]", "DTBSR"));
        }
        /* signDoc is not offered: no formats, no levels, no async mode */
        json_object_set_new(out, "signature_formats",
                            json_pack("{s:[],s:[]}", "formats",
                                      "envelope_properties"));
        json_object_set_new(out, "conformance_levels", json_array());
        json_object_set_new(out, "asynchronousOperationMode", json_false());
    }
    csc_json_respond(call->resp, req, 200, out);
    if (call->resp->status == 200) {
        info_cache_put(key, call->resp->body);
    }
}
