/* SPDX-License-Identifier: Apache-2.0 */
/* Certificate chains and public keys as the store holds them (PEM, DER
 * inside): the parsers behind credentials/info.  Input: the PEM text, or,
 * when it holds no PEM armour, raw DER wrapped into one CERTIFICATE block so
 * that the DER parser itself is reached. */
#include <string.h>

#include <apr_strings.h>

#include "base/csc_b64.h"
#include "crypto/csc_x509.h"
#include "fuzz.h"

static apr_pool_t *root;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    root = fuzz_init();
    return 0;
}

static const char *armour(const char *label, const uint8_t *der, size_t size,
                          apr_pool_t *p)
{
    return apr_pstrcat(p, "-----BEGIN ", label, "-----\n",
                       csc_b64_encode(der, size, p), "\n-----END ", label,
                       "-----\n", NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    const char *text, *err = NULL, *pem, *spki;
    apr_array_header_t *certs;
    csc_key_info_t ki;
    int i;

    apr_pool_create(&p, root);
    text = apr_pstrmemdup(p, (const char *)data, size);
    pem = strstr(text, "-----BEGIN") ? text : armour("CERTIFICATE", data, size, p);
    spki = strstr(text, "-----BEGIN") ? text : armour("PUBLIC KEY", data, size, p);
    if (csc_x509_parse_chain(pem, &certs, p, &err) == APR_SUCCESS) {
        FUZZ_ASSERT(certs->nelts > 0);
        for (i = 0; i < certs->nelts; i++) {
            const csc_cert_info_t *c = APR_ARRAY_IDX(certs, i, csc_cert_info_t *);

            FUZZ_ASSERT(c->subject_dn && c->issuer_dn && c->serial_hex);
            (void)csc_x509_status(c, apr_time_now());
        }
        (void)csc_x509_key_info_from_cert(pem, &ki, &err);
        (void)csc_x509_check_chain(pem, &err);
    }
    else {
        FUZZ_ASSERT(err != NULL);
    }
    (void)csc_x509_key_info_from_spki_pem(spki, &ki, &err);
    apr_pool_destroy(p);
    return 0;
}
