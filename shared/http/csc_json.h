/* SPDX-License-Identifier: Apache-2.0 */
/* Request-body JSON for CSC methods: strict parsing with limits, and typed
 * member access that answers the spec's exact error when a member has the
 * wrong type.  JSON values are tied to the request pool. */
#ifndef CSC_JSON_H
#define CSC_JSON_H

#include <jansson.h>

#include "csc/csc_request.h"

#define CSC_JSON_DEFAULT_MAX_DEPTH 16

/* Parses req->body into an object (an empty body counts as {}).  On
 * failure fills resp and returns NULL. */
json_t *csc_json_parse_body(const csc_request_t *req, csc_response_t *resp,
                            int max_depth);

/* Deepest nesting of arrays/objects in text, scanning past strings; used
 * before jansson sees the text so deep input never reaches its recursion. */
int csc_json_depth(const char *text, apr_size_t len);

/* Member getters.  A member that is absent or null leaves *out untouched
 * and returns CSC_JSON_ABSENT (an error when required is set).  A member of
 * another type always fails.  On failure resp is filled and CSC_JSON_ERROR
 * is returned. */
#define CSC_JSON_OK      0
#define CSC_JSON_ABSENT  1
#define CSC_JSON_ERROR  -1

int csc_json_string(json_t *obj, const char *name, int required,
                    const char **out, const csc_request_t *req,
                    csc_response_t *resp);
int csc_json_bool(json_t *obj, const char *name, int *out,
                  const csc_request_t *req, csc_response_t *resp);
int csc_json_int(json_t *obj, const char *name, int required,
                 apr_int64_t *out, const csc_request_t *req,
                 csc_response_t *resp);
/* An array of strings; *out holds const char * pointers. */
int csc_json_string_array(json_t *obj, const char *name, int required,
                          apr_array_header_t **out, const csc_request_t *req,
                          csc_response_t *resp);

/* clientData is free text the RSSP may log, but must be a string. */
int csc_json_client_data(json_t *obj, const csc_request_t *req,
                         csc_response_t *resp);

/* A JSON text (copied from text) as the response body. */
void csc_json_respond_text(csc_response_t *resp, const csc_request_t *req,
                           int status, const char *text);

/* Serialises obj as the response body with the given status; steals the
 * reference to obj. */
void csc_json_respond(csc_response_t *resp, const csc_request_t *req,
                      int status, json_t *obj);

/* 204 No Content. */
void csc_respond_empty(csc_response_t *resp);

#endif
