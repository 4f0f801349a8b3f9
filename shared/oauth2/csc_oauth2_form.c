/* SPDX-License-Identifier: Apache-2.0 */
/* application/x-www-form-urlencoded, both ways, and the Cookie header. */
#include <stdarg.h>
#include <string.h>

#include <apr_strings.h>

#include "oauth2/csc_oauth2_internal.h"

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes s[0..n) in place into a new string; NULL for a bad escape or
 * an encoded NUL. */
static char *decode(const char *s, apr_size_t n, apr_pool_t *p)
{
    char *out = apr_palloc(p, n + 1), *o = out;
    apr_size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] == '+') {
            *o++ = ' ';
        }
        else if (s[i] == '%') {
            int hi, lo;

            if (i + 2 >= n) {
                return NULL;
            }
            hi = hexval(s[i + 1]);
            lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                return NULL;
            }
            *o++ = (char)(hi * 16 + lo);
            i += 2;
        }
        else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

apr_table_t *oauth2_form_parse(const char *s, apr_size_t len, apr_pool_t *p,
                               const char **why)
{
    apr_table_t *t = apr_table_make(p, 16);
    apr_size_t i = 0;

    *why = NULL;
    if (memchr(s, '\0', len)) {
        *why = "a NUL byte";
        return NULL;
    }
    while (i < len) {
        apr_size_t end = i, eq;
        char *name, *value;

        while (end < len && s[end] != '&') {
            end++;
        }
        for (eq = i; eq < end && s[eq] != '='; eq++) {
        }
        if (end > i) {
            name = decode(s + i, eq - i, p);
            value = eq < end ? decode(s + eq + 1, end - eq - 1, p) : "";
            if (!name || !value) {
                *why = "bad percent-encoding";
                return NULL;
            }
            if (*name && apr_table_get(t, name)) {
                *why = apr_psprintf(p, "parameter %s given twice", name);
                return NULL;
            }
            if (*name && *value) {
                apr_table_setn(t, name, value);
            }
            else if (*name) {
                /* remembered as given, so a second one still counts */
                apr_table_setn(t, name, "");
            }
        }
        i = end + 1;
    }
    return t;
}

const char *oauth2_param(apr_table_t *t, const char *name)
{
    const char *v = t ? apr_table_get(t, name) : NULL;

    return v && *v ? v : NULL;
}

int oauth2_b64url43(const char *s)
{
    return s && strlen(s) == 43
        && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789-_") == 43;
}

const char *oauth2_url_encode(const char *s, apr_pool_t *p)
{
    static const char hex[] = "0123456789ABCDEF";
    apr_size_t n = strlen(s), i;
    char *out = apr_palloc(p, 3 * n + 1), *o = out;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
            || c == '~') {
            *o++ = (char)c;
        }
        else {
            *o++ = '%';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 15];
        }
    }
    *o = '\0';
    return out;
}

const char *oauth2_uri_add(const char *uri, apr_pool_t *p, ...)
{
    va_list ap;
    const char *name, *value, *out = uri;
    char sep = strchr(uri, '?') ? '&' : '?';

    va_start(ap, p);
    while ((name = va_arg(ap, const char *)) != NULL) {
        value = va_arg(ap, const char *);
        if (!value) {
            continue;
        }
        out = apr_psprintf(p, "%s%c%s=%s", out, sep, name,
                           oauth2_url_encode(value, p));
        sep = '&';
    }
    va_end(ap);
    return out;
}

const char *oauth2_cookie(const char *header, const char *name,
                          apr_pool_t *p)
{
    apr_size_t n = strlen(name);
    const char *s = header;

    while (s && *s) {
        apr_size_t len;

        s += strspn(s, " \t;");
        len = strcspn(s, ";");
        if (len > n && !strncmp(s, name, n) && s[n] == '=') {
            return apr_pstrmemdup(p, s + n + 1, len - n - 1);
        }
        s += len;
    }
    return NULL;
}
