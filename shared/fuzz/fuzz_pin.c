/* SPDX-License-Identifier: Apache-2.0 */
/* Stored PIN strings ("pbkdf2-sha256$iterations$salt$hash") as a damaged or
 * hostile store row could hold them, and the PIN format rules.  Input: the
 * PIN up to the first newline, then the stored string.  Fuzz builds cap
 * PBKDF2 iterations (csc_pin.c), so a large count is no timeout. */
#include <string.h>

#include <apr_strings.h>

#include "authz/csc_pin.h"
#include "fuzz.h"

static apr_pool_t *root;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    root = fuzz_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    const char *text, *nl, *pin, *encoded, *mine;
    int v;

    apr_pool_create(&p, root);
    text = apr_pstrmemdup(p, (const char *)data, size);
    nl = strchr(text, '\n');
    pin = nl ? apr_pstrmemdup(p, text, (apr_size_t)(nl - text)) : text;
    encoded = nl ? nl + 1 : "";
    v = csc_pin_verify(pin, encoded);
    FUZZ_ASSERT(v == 1 || v == 0 || v == -1);
    (void)csc_pin_format_ok(pin, 'N');
    if (csc_pin_format_ok(pin, 'A')) {
        /* what we hash, we verify; a changed PIN never matches */
        FUZZ_ASSERT(csc_pin_hash(pin, CSC_PIN_MIN_ITERATIONS, p, &mine)
                    == APR_SUCCESS);
        FUZZ_ASSERT(csc_pin_verify(pin, mine) == 1);
        FUZZ_ASSERT(csc_pin_verify(apr_pstrcat(p, pin, "x", NULL), mine) == 0);
    }
    apr_pool_destroy(p);
    return 0;
}
