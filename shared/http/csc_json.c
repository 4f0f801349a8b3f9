/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include <apr_strings.h>
#include <apr_tables.h>

#include "http/csc_error.h"
#include "http/csc_json.h"
#include "http/csc_json_fast.h"

static apr_status_t json_cleanup(void *data)
{
    json_decref((json_t *)data);
    return APR_SUCCESS;
}

int csc_json_depth(const char *text, apr_size_t len)
{
    int depth = 0, max = 0, in_string = 0;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        char c = text[i];
        if (in_string) {
            if (c == '\\') {
                i++;
            }
            else if (c == '"') {
                in_string = 0;
            }
            continue;
        }
        if (c == '"') {
            in_string = 1;
        }
        else if (c == '{' || c == '[') {
            if (++depth > max) {
                max = depth;
            }
        }
        else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return max;
}

json_t *csc_json_parse_body(const csc_request_t *req, csc_response_t *resp,
                            int max_depth)
{
    json_error_t jerr;
    json_t *root;
    apr_size_t i;

    if (req->body_too_large) {
        csc_error_set(resp, req, CSC_ERR_BODY_TOO_LARGE);
        return NULL;
    }
    for (i = 0; i < req->body_len && strchr(" \t\r\n", req->body[i]); i++)
        ;
    if (i == req->body_len) {
        root = json_object();
    }
    else {
        /* what the one-pass parser takes is within the depth limit;
         * whatever it leaves gets the depth check, then jansson */
        root = csc_json_fast_parse(req->body, req->body_len, max_depth);
        if (!root) {
            if (csc_json_depth(req->body, req->body_len) > max_depth) {
                csc_error_set(resp, req, CSC_ERR_BODY_TOO_DEEP);
                return NULL;
            }
            root = json_loadb(req->body, req->body_len,
                              JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                              &jerr);
        }
        if (!root) {
            csc_error_set(resp, req, CSC_ERR_BODY_NOT_JSON);
            return NULL;
        }
    }
    apr_pool_cleanup_register(req->pool, root, json_cleanup,
                              apr_pool_cleanup_null);
    if (!json_is_object(root)) {
        csc_error_set(resp, req, CSC_ERR_BODY_NOT_OBJECT);
        return NULL;
    }
    return root;
}

int csc_json_string(json_t *obj, const char *name, int required,
                    const char **out, const csc_request_t *req,
                    csc_response_t *resp)
{
    json_t *v = json_object_get(obj, name);

    if (!v || json_is_null(v)) {
        if (required) {
            csc_error_missing(resp, req, "string", name);
            return CSC_JSON_ERROR;
        }
        return CSC_JSON_ABSENT;
    }
    if (!json_is_string(v)) {
        csc_error_missing(resp, req, "string", name);
        return CSC_JSON_ERROR;
    }
    /* Values are used as C strings: an embedded NUL would make two
     * different inputs look alike. */
    if (strlen(json_string_value(v)) != json_string_length(v)) {
        csc_error_invalid(resp, req, name);
        return CSC_JSON_ERROR;
    }
    *out = json_string_value(v);
    return CSC_JSON_OK;
}

int csc_json_bool(json_t *obj, const char *name, int *out,
                  const csc_request_t *req, csc_response_t *resp)
{
    json_t *v = json_object_get(obj, name);

    if (!v || json_is_null(v)) {
        return CSC_JSON_ABSENT;
    }
    if (!json_is_boolean(v)) {
        csc_error_missing(resp, req, "boolean", name);
        return CSC_JSON_ERROR;
    }
    *out = json_is_true(v);
    return CSC_JSON_OK;
}

int csc_json_int(json_t *obj, const char *name, int required,
                 apr_int64_t *out, const csc_request_t *req,
                 csc_response_t *resp)
{
    json_t *v = json_object_get(obj, name);

    if (!v || json_is_null(v)) {
        if (required) {
            csc_error_missing(resp, req, "integer", name);
            return CSC_JSON_ERROR;
        }
        return CSC_JSON_ABSENT;
    }
    if (!json_is_integer(v)) {
        csc_error_missing(resp, req, "integer", name);
        return CSC_JSON_ERROR;
    }
    *out = json_integer_value(v);
    return CSC_JSON_OK;
}

int csc_json_string_array(json_t *obj, const char *name, int required,
                          apr_array_header_t **out, const csc_request_t *req,
                          csc_response_t *resp)
{
    json_t *v = json_object_get(obj, name), *item;
    apr_array_header_t *arr;
    size_t i;

    if (!v || json_is_null(v)) {
        if (required) {
            csc_error_missing(resp, req, "array", name);
            return CSC_JSON_ERROR;
        }
        return CSC_JSON_ABSENT;
    }
    if (!json_is_array(v)) {
        csc_error_missing(resp, req, "array", name);
        return CSC_JSON_ERROR;
    }
    arr = apr_array_make(req->pool, (int)json_array_size(v) + 1,
                         sizeof(const char *));
    json_array_foreach(v, i, item) {
        if (!json_is_string(item)) {
            csc_error_missing(resp, req, "array", name);
            return CSC_JSON_ERROR;
        }
        APR_ARRAY_PUSH(arr, const char *) = json_string_value(item);
    }
    *out = arr;
    return CSC_JSON_OK;
}

int csc_json_client_data(json_t *obj, const csc_request_t *req,
                         csc_response_t *resp)
{
    json_t *v = json_object_get(obj, "clientData");

    if (v && !json_is_null(v) && !json_is_string(v)) {
        csc_error_invalid(resp, req, "clientData");
        return CSC_JSON_ERROR;
    }
    return CSC_JSON_OK;
}

static void set_body(csc_response_t *resp, int status, const char *body,
                     apr_size_t len)
{
    resp->status = status;
    resp->content_type = "application/json;charset=UTF-8";
    resp->body = body;
    resp->body_len = len;
}

void csc_json_respond_text(csc_response_t *resp, const csc_request_t *req,
                           int status, const char *text)
{
    set_body(resp, status, apr_pstrdup(req->pool, text), strlen(text));
}

void csc_json_respond(csc_response_t *resp, const csc_request_t *req,
                      int status, json_t *obj)
{
    apr_size_t len;
    const char *fast = csc_json_fast_dump(obj, req->pool, &len);
    char *text;

    if (fast) {
        json_decref(obj);
        set_body(resp, status, fast, len);
        return;
    }
    text = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (!text) {
        csc_error_set(resp, req, CSC_ERR_SERVER);
        return;
    }
    csc_json_respond_text(resp, req, status, text);
    free(text);
}

void csc_respond_empty(csc_response_t *resp)
{
    resp->status = 204;
    resp->content_type = NULL;
    resp->body = NULL;
    resp->body_len = 0;
}
