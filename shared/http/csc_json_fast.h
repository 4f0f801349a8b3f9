/* SPDX-License-Identifier: Apache-2.0 */
/* A one-pass parser for the common request body: an object of plain ASCII
 * strings, integers, booleans, null, arrays and objects of those. */
#ifndef CSC_JSON_FAST_H
#define CSC_JSON_FAST_H

#include <stddef.h>

#include <jansson.h>

/* The object jansson would build from text (JSON_REJECT_DUPLICATES), or
 * NULL when the text is outside the subset or not JSON: then jansson must
 * decide. */
json_t *csc_json_fast_parse(const char *text, size_t len);

#endif
