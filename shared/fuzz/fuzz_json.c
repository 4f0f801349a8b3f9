/* SPDX-License-Identifier: Apache-2.0 */
/* The request-body parser and the typed member getters, as every method
 * uses them.  Invariants: a refused body gets a complete JSON error answer
 * (status 4xx, a body that parses, with error and error_description); an
 * accepted body is an object no deeper than the limit. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "http/csc_json.h"
#include "http/csc_json_fast.h"
#include "fuzz.h"

static apr_pool_t *root;

static const char *const members[] = {
    "credentialID", "SAD", "PIN", "OTP", "hashes", "hash", "hashAlgo",
    "hashAlgorithmOID", "signAlgo", "signAlgoParams", "numSignatures",
    "rememberMe", "refresh_token", "token", "maxResults", "pageToken",
    "onlyValid", "certificates", "certInfo", "authInfo", "lang", "userID",
    "clientData", "description", "operationMode", "validity_period"
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    root = fuzz_init();
    return 0;
}

static void check_error_answer(const csc_response_t *resp)
{
    json_t *j;

    FUZZ_ASSERT(resp->status >= 400 && resp->status < 500);
    FUZZ_ASSERT(resp->body && resp->content_type);
    j = json_loadb(resp->body, resp->body_len, 0, NULL);
    FUZZ_ASSERT(j && json_is_string(json_object_get(j, "error"))
                && json_is_string(json_object_get(j, "error_description")));
    json_decref(j);
}

/* The one-pass parser builds what jansson builds from the same text,
 * within the depth limit, or leaves the text to jansson. */
static void check_fast(const char *text, size_t len, int depth)
{
    json_t *fast = csc_json_fast_parse(text, len, depth), *slow;

    if (!fast) {
        return;
    }
    FUZZ_ASSERT(csc_json_depth(text, len) <= depth);
    slow = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                      NULL);
    FUZZ_ASSERT(slow && json_equal(fast, slow));
    json_decref(slow);
    json_decref(fast);
}

/* The writer makes json_dumps's compact text of an accepted body, or
 * leaves it to jansson. */
static void check_fast_dump(const json_t *body, apr_pool_t *p)
{
    apr_size_t len;
    const char *fast = csc_json_fast_dump(body, p, &len);
    char *slow;

    if (!fast) {
        return;
    }
    slow = json_dumps(body, JSON_COMPACT);
    FUZZ_ASSERT(slow && strlen(slow) == len && !strcmp(fast, slow));
    free(slow);
}

static void fresh(csc_response_t *resp, apr_pool_t *p)
{
    memset(resp, 0, sizeof(*resp));
    resp->headers = apr_table_make(p, 2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    csc_request_t req;
    csc_response_t resp;
    json_t *body;
    size_t i;
    int depth;

    if (size < 1) {
        return 0;
    }
    apr_pool_create(&p, root);
    memset(&req, 0, sizeof(req));
    req.pool = p;
    req.version = (data[0] & 1) ? 2 : 1;
    req.http_method = "POST";
    req.content_type = "application/json";
    req.body = apr_pstrmemdup(p, (const char *)data + 1, size - 1);
    req.body_len = size - 1;
    depth = 1 + (data[0] >> 1) % 20;
    check_fast(req.body, req.body_len, depth);
    fresh(&resp, p);
    body = csc_json_parse_body(&req, &resp, depth);
    if (!body) {
        check_error_answer(&resp);
        apr_pool_destroy(p);
        return 0;
    }
    FUZZ_ASSERT(json_is_object(body));
    check_fast_dump(body, p);
    FUZZ_ASSERT(csc_json_depth(req.body, req.body_len) <= depth);
    for (i = 0; i < COUNT(members); i++) {
        const char *s;
        apr_int64_t n;
        int b, rc;
        apr_array_header_t *arr;

        fresh(&resp, p);
        switch (i % 4) {
        case 0:
            rc = csc_json_string(body, members[i], (int)(i & 1), &s, &req, &resp);
            break;
        case 1:
            rc = csc_json_int(body, members[i], 0, &n, &req, &resp);
            break;
        case 2:
            rc = csc_json_bool(body, members[i], &b, &req, &resp);
            break;
        default:
            rc = csc_json_string_array(body, members[i], 1, &arr, &req, &resp);
            if (rc == CSC_JSON_OK) {
                int k;

                for (k = 0; k < arr->nelts; k++) {
                    FUZZ_ASSERT(APR_ARRAY_IDX(arr, k, const char *) != NULL);
                }
            }
            break;
        }
        if (rc == CSC_JSON_ERROR) {
            check_error_answer(&resp);
        }
    }
    fresh(&resp, p);
    if (csc_json_client_data(body, &req, &resp) == CSC_JSON_ERROR) {
        check_error_answer(&resp);
    }
    /* the body belongs to the request pool (csc_json_parse_body) */
    apr_pool_destroy(p);
    return 0;
}
