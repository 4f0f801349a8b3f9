/* SPDX-License-Identifier: Apache-2.0 */
/* DER RSASSA-PSS-params and the signHash algorithm decision.  Input: one
 * byte picks a signAlgo OID and one a hash OID (or lets both come from the
 * input text), the rest is the DER of signAlgoParams.  Invariants: parsed
 * parameters re-encode to DER that parses to the same values; a resolved
 * decision names a hash and a salt length the key can use. */
#include <string.h>

#include <apr_strings.h>

#include "crypto/csc_algo.h"
#include "fuzz.h"

static apr_pool_t *root;

static const char *const sign_oids[] = {
    CSC_OID_RSA_ENCRYPTION, CSC_OID_RSASSA_PSS, CSC_OID_SHA256_WITH_RSA,
    CSC_OID_SHA384_WITH_RSA, CSC_OID_SHA512_WITH_RSA, CSC_OID_EC_PUBLIC_KEY,
    CSC_OID_ECDSA_SHA256, CSC_OID_ECDSA_SHA384, CSC_OID_ECDSA_SHA512,
    "1.2.840.113549.1.1.14", "1.2.840.113549.1.1.5", "1.2.840.10045.4.3.1",
    "", "1.2.840.113549.1.1.10.0", "1..2"
};
static const char *const hash_oids[] = {
    CSC_OID_SHA256, CSC_OID_SHA384, CSC_OID_SHA512,
    "1.3.14.3.2.26", "2.16.840.1.101.3.4.2.4", "", NULL
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    root = fuzz_init();
    return 0;
}

static void check_params(const unsigned char *der, apr_size_t len,
                         apr_pool_t *p)
{
    const csc_hash_t *h, *mgf, *h2, *mgf2;
    unsigned char *again;
    apr_size_t again_len;
    int salt, salt2;

    if (csc_algo_pss_params_parse(der, len, &h, &mgf, &salt) != APR_SUCCESS) {
        return;
    }
    FUZZ_ASSERT(h && mgf && salt >= 0);
    FUZZ_ASSERT(csc_algo_pss_params_encode(h, mgf, salt, &again, &again_len, p)
                == APR_SUCCESS);
    FUZZ_ASSERT(csc_algo_pss_params_parse(again, again_len, &h2, &mgf2, &salt2)
                == APR_SUCCESS);
    FUZZ_ASSERT(h2 == h && mgf2 == mgf && salt2 == salt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    const char *sign_oid, *hash_oid;
    const unsigned char *der;
    apr_size_t der_len;
    csc_sig_params_t sp;
    csc_algo_err_e err;

    if (size < 2) {
        return 0;
    }
    apr_pool_create(&p, root);
    der = data + 2;
    der_len = size - 2;
    if (data[0] == 0xff) {
        /* OIDs from the input: "sign\nhash\n" then the DER */
        const char *text = apr_pstrmemdup(p, (const char *)der, der_len);
        const char *nl = strchr(text, '\n');
        const char *nl2 = nl ? strchr(nl + 1, '\n') : NULL;

        if (!nl2) {
            apr_pool_destroy(p);
            return 0;
        }
        sign_oid = apr_pstrmemdup(p, text, (apr_size_t)(nl - text));
        hash_oid = apr_pstrmemdup(p, nl + 1, (apr_size_t)(nl2 - nl - 1));
        der_len -= (apr_size_t)(nl2 + 1 - text);
        der += nl2 + 1 - text;
    }
    else {
        sign_oid = sign_oids[data[0] % COUNT(sign_oids)];
        hash_oid = hash_oids[data[1] % COUNT(hash_oids)];
    }
    check_params(der, der_len, p);
    memset(&sp, 0, sizeof(sp));
    if (csc_algo_resolve(sign_oid, hash_oid, der_len ? der : NULL, der_len,
                         &sp, &err) == APR_SUCCESS) {
        FUZZ_ASSERT(sp.hash != NULL);
    }
    else {
        FUZZ_ASSERT(csc_algo_errstr(err, 1) && csc_algo_errstr(err, 2));
    }
    (void)csc_algo_hash_by_oid(sign_oid);
    (void)csc_algo_curve_by_oid(hash_oid ? hash_oid : "");
    (void)csc_algo_digest_len(hash_oid ? hash_oid : "");
    apr_pool_destroy(p);
    return 0;
}
