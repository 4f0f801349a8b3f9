/* SPDX-License-Identifier: Apache-2.0 */
/* Base64 as CSC uses it: standard alphabet without line breaks on output;
 * on input both the standard and the URL-safe alphabet, with or without
 * padding, because the same digest reaches us both ways (JSON bodies and
 * OAuth query strings) and must compare equal as bytes. */
#ifndef CSC_B64_H
#define CSC_B64_H

#include <apr_pools.h>

/* Returns 0 and the decoded bytes, or -1 if the text is not base64. */
int csc_b64_decode(const char *text, apr_size_t len, unsigned char **out,
                   apr_size_t *outlen, apr_pool_t *p);

const char *csc_b64_encode(const unsigned char *in, apr_size_t len,
                           apr_pool_t *p);

/* URL-safe alphabet, no padding (tokens, page tokens). */
const char *csc_b64url_encode(const unsigned char *in, apr_size_t len,
                              apr_pool_t *p);

#endif
