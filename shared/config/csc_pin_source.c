/* SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>
#include <openssl/crypto.h>

#include "config/csc_pin_source.h"

const char *csc_pin_source_check(const char *directive, const char *src,
                                 apr_pool_t *p)
{
    if (!src || (strncmp(src, "file:", 5) && strncmp(src, "env:", 4))) {
        return apr_psprintf(p, "%s: use file:/path/to/pin-file or "
                            "env:VARIABLE (the PIN itself never goes in the "
                            "configuration)", directive);
    }
    return NULL;
}

const char *csc_pin_source_read(const char *directive, const char *src,
                                const char **pin, apr_pool_t *p)
{
    char buf[256];
    apr_file_t *f;
    apr_size_t n = sizeof(buf) - 1;
    const char *err;

    *pin = NULL;
    if (!src) {
        return NULL;
    }
    if ((err = csc_pin_source_check(directive, src, p)) != NULL) {
        return err;
    }
    if (!strncmp(src, "env:", 4)) {
        *pin = getenv(src + 4);
        return *pin ? NULL : apr_psprintf(p, "%s: environment variable %s is "
                                          "not set", directive, src + 4);
    }
    if (apr_file_open(&f, src + 5, APR_FOPEN_READ, 0, p) != APR_SUCCESS) {
        return apr_psprintf(p, "%s: cannot read %s", directive, src + 5);
    }
    if (apr_file_read(f, buf, &n) != APR_SUCCESS) {
        n = 0;
    }
    apr_file_close(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        n--;
    }
    if (n == 0) {
        OPENSSL_cleanse(buf, sizeof(buf));
        return apr_psprintf(p, "%s: %s is empty", directive, src + 5);
    }
    *pin = apr_pstrmemdup(p, buf, n);
    OPENSSL_cleanse(buf, sizeof(buf));
    return NULL;
}
