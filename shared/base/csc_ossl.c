/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include <openssl/err.h>

#include <apr_strings.h>

#include "base/csc_ossl.h"

int csc_ossl_no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

const char *csc_ossl_errors(apr_pool_t *p, long *ckr)
{
    const char *first = NULL, *last = NULL, *p11 = NULL;
    unsigned long e;
    long dummy;

    if (!ckr) {
        ckr = &dummy;
    }
    *ckr = -1;
    while ((e = ERR_get_error()) != 0) {
        const char *lib = ERR_lib_error_string(e);
        const char *reason = ERR_reason_error_string(e);
        const char *line = apr_psprintf(p, "%s: %s", lib ? lib : "OpenSSL",
                                        reason ? reason
                                        : apr_psprintf(p, "error %08lx", e));
        /* libp11 files CKR_* values as reason codes under this library */
        if (lib && strcmp(lib, "PKCS#11 module") == 0 && !p11) {
            p11 = line;
            *ckr = (long)ERR_GET_REASON(e);
        }
        if (!first) {
            first = line;
        }
        last = line;
    }
    if (p11) {
        return p11;
    }
    if (!first) {
        return "no OpenSSL error detail";
    }
    return first == last ? first : apr_pstrcat(p, first, "; ", last, NULL);
}

const char *csc_ossl_last_reason(void)
{
    const char *r = ERR_reason_error_string(ERR_peek_last_error());

    return r ? r : "unknown OpenSSL error";
}
