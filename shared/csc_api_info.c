/* info: the service's self-description.  It must be truthful: methods
 * lists only what this configuration really answers. */
#include <string.h>

#include "csc_algo.h"
#include "csc_api_internal.h"

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
    json_t *out, *methods = json_array();
    const char *lang = NULL;

    if (csc_json_client_data(call->body, req, call->resp) < 0
        || csc_json_string(call->body, "lang", 0, &lang, req,
                           call->resp) < 0) {
        return;
    }
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
        json_object_set_new(out, "signAlgorithms",
                            json_pack("{s:o}", "algos", algos));
        /* signDoc is not offered: no formats, no levels, no async mode */
        json_object_set_new(out, "signature_formats",
                            json_pack("{s:[],s:[]}", "formats",
                                      "envelope_properties"));
        json_object_set_new(out, "conformance_levels", json_array());
        json_object_set_new(out, "asynchronousOperationMode", json_false());
    }
    csc_json_respond(call->resp, req, 200, out);
}
