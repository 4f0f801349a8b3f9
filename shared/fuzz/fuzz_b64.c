/* SPDX-License-Identifier: Apache-2.0 */
/* Base64 in both alphabets, padded or not: whatever decodes must encode and
 * decode back to the same bytes, in both output alphabets. */
#include <string.h>

#include <apr_strings.h>

#include "base/csc_b64.h"
#include "fuzz.h"

static apr_pool_t *root;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    root = fuzz_init();
    return 0;
}

static void round_trip(const unsigned char *bin, apr_size_t len,
                       const char *text, apr_pool_t *p)
{
    unsigned char *again;
    apr_size_t again_len;

    FUZZ_ASSERT(csc_b64_decode(text, strlen(text), &again, &again_len, p) == 0);
    FUZZ_ASSERT(again_len == len);
    FUZZ_ASSERT(len == 0 || memcmp(again, bin, len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    unsigned char *bin;
    apr_size_t len;
    const char *text;

    apr_pool_create(&p, root);
    /* a NUL-terminated copy: the decoder gets text and length, as the API
     * handlers pass it; a NUL inside must not be read past */
    text = apr_pstrmemdup(p, (const char *)data, size);
    if (csc_b64_decode(text, size, &bin, &len, p) == 0) {
        round_trip(bin, len, csc_b64_encode(bin, len, p), p);
        round_trip(bin, len, csc_b64url_encode(bin, len, p), p);
    }
    apr_pool_destroy(p);
    return 0;
}
