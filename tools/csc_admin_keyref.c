/* SPDX-License-Identifier: Apache-2.0 */
/* Key references for token keys: "engine:pkcs11:" followed by an RFC 7512
 * PKCS#11 URI, which is what the signer layer hands to libp11's engine.
 * Only the attributes the tool itself writes (token, id) are read back. */
#include <ctype.h>
#include <string.h>

#include <apr_strings.h>

#include "csc_admin.h"

static const char *pct_encode(const unsigned char *s, apr_size_t len,
                              int all, apr_pool_t *p)
{
    char *out = apr_palloc(p, len * 3 + 1), *o = out;
    apr_size_t i;

    for (i = 0; i < len; i++) {
        if (!all && (isalnum(s[i]) || strchr("-._~", s[i]))) {
            *o++ = (char)s[i];
        }
        else {
            o += apr_snprintf(o, 4, "%%%02x", s[i]);
        }
    }
    *o = '\0';
    return out;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = tolower(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* Percent-decodes [s, s+len); NULL for a broken escape. */
static unsigned char *pct_decode(const char *s, apr_size_t len,
                                 apr_size_t *out_len, apr_pool_t *p)
{
    unsigned char *out = apr_palloc(p, len + 1);
    apr_size_t i, n = 0;

    for (i = 0; i < len; i++) {
        if (s[i] == '%') {
            int hi, lo;

            if (i + 2 >= len) {
                return NULL;
            }
            hi = hexval((unsigned char)s[i + 1]);
            lo = hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0) {
                return NULL;
            }
            out[n++] = (unsigned char)(hi << 4 | lo);
            i += 2;
        }
        else {
            out[n++] = (unsigned char)s[i];
        }
    }
    out[n] = '\0';
    *out_len = n;
    return out;
}

apr_status_t csc_admin_p11_parse_ref(const char *ref, const char **token,
                                     unsigned char **id, apr_size_t *id_len,
                                     apr_pool_t *p)
{
    static const char prefix[] = "engine:pkcs11:";
    const char *s, *end;

    *token = NULL;
    *id = NULL;
    if (strncmp(ref, prefix, sizeof(prefix) - 1) != 0) {
        return APR_ENOTIMPL;
    }
    s = ref + sizeof(prefix) - 1;
    end = s + strcspn(s, "?");
    while (s < end) {
        const char *semi = memchr(s, ';', (apr_size_t)(end - s));
        const char *stop = semi ? semi : end;
        const char *eq = memchr(s, '=', (apr_size_t)(stop - s));
        apr_size_t n;

        if (eq) {
            apr_size_t nlen = (apr_size_t)(eq - s);
            apr_size_t vlen = (apr_size_t)(stop - eq - 1);

            if (nlen == 5 && !strncmp(s, "token", 5)) {
                *token = (const char *)pct_decode(eq + 1, vlen, &n, p);
                if (!*token || strlen(*token) != n) {
                    return APR_EINVAL;
                }
            }
            else if (nlen == 2 && !strncmp(s, "id", 2)) {
                *id = pct_decode(eq + 1, vlen, id_len, p);
                if (!*id) {
                    return APR_EINVAL;
                }
            }
        }
        s = semi ? semi + 1 : end;
    }
    return (*token && *id && *id_len) ? APR_SUCCESS : APR_ENOTIMPL;
}

const char *csc_admin_p11_make_ref(const char *token,
                                   const unsigned char *id,
                                   apr_size_t id_len, apr_pool_t *p)
{
    /* every id byte is escaped, so the id reads the same as
     * pkcs11-tool --id hex */
    return apr_pstrcat(p, "engine:pkcs11:token=",
                       pct_encode((const unsigned char *)token,
                                  strlen(token), 0, p),
                       ";id=", pct_encode(id, id_len, 1, p),
                       ";type=private", NULL);
}
