/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "signer/csc_signer_route.h"

/* RFC 7512 attributes: a key reference must name a private key. */
apr_status_t csc_signer_pkcs11_uri_check(const char *uri, apr_pool_t *p,
                                         const char **errmsg)
{
    const char *s = uri + strlen("pkcs11:");

    if (!*s) {
        *errmsg = "PKCS#11 URI names no key (expected e.g. "
                  "pkcs11:token=csc;object=rsa1;type=private)";
        return APR_EINVAL;
    }
    while (*s) {
        size_t n = strcspn(s, ";?&");
        const char *eq = memchr(s, '=', n);
        size_t nlen = eq ? (size_t)(eq - s) : n;

        if (eq && nlen == 4 && strncasecmp(s, "type", 4) == 0
            && !(n - nlen - 1 == 7 && strncmp(eq + 1, "private", 7) == 0)) {
            *errmsg = apr_psprintf(p, "PKCS#11 URI %s: type must be private",
                                   uri);
            return APR_EINVAL;
        }
        s += n;
        if (*s) {
            s++;
        }
    }
    return APR_SUCCESS;
}
