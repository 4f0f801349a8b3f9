/* SPDX-License-Identifier: Apache-2.0 */
/* Key references as admins write them in the store ("engine:pkcs11:...",
 * "provider:...", "file:/path"): the syntax check must refuse or accept
 * any text without touching an HSM, and always explain a refusal. */
#include <apr_strings.h>

#include "signer/csc_signer.h"
#include "fuzz.h"

static apr_pool_t *root;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    csc_signer_conf_t conf = { .pkcs11_module = NULL };

    (void)argc;
    (void)argv;
    root = fuzz_init();
    FUZZ_ASSERT(csc_signer_global_conf(&conf) == APR_SUCCESS);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    const char *ref, *err = NULL;

    apr_pool_create(&p, root);
    ref = apr_pstrmemdup(p, (const char *)data, size);
    if (csc_keyref_check(ref, p, &err) != APR_SUCCESS) {
        FUZZ_ASSERT(err != NULL && *err != '\0');
    }
    apr_pool_destroy(p);
    return 0;
}
