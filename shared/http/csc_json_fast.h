/* SPDX-License-Identifier: Apache-2.0 */
/* A one-pass parser for the common request body, and a writer for the
 * common answer: objects of plain ASCII strings, integers, booleans, null,
 * arrays and objects of those. */
#ifndef CSC_JSON_FAST_H
#define CSC_JSON_FAST_H

#include <stddef.h>

#include <apr_pools.h>
#include <jansson.h>

/* The object jansson would build from text (JSON_REJECT_DUPLICATES), no
 * more than max_depth arrays and objects deep, or NULL when the text is
 * deeper, outside the subset or not JSON: then the caller's depth check
 * and jansson must decide. */
json_t *csc_json_fast_parse(const char *text, size_t len, int max_depth);

/* The text json_dumps(v, JSON_COMPACT) would make, NUL-terminated in pool,
 * its length in *len; NULL when v holds a real or a string outside
 * printable ASCII (or a quote or backslash): then jansson must write it. */
const char *csc_json_fast_dump(const json_t *v, apr_pool_t *pool,
                               apr_size_t *len);

#endif
