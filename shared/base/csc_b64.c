/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "base/csc_b64.h"

static const char std_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

int csc_b64_decode(const char *text, apr_size_t len, unsigned char **out,
                   apr_size_t *outlen, apr_pool_t *p)
{
    apr_size_t i, n = 0, pad = 0, data;
    unsigned char *buf;
    apr_uint32_t acc = 0;
    int bits = 0, seen_std = 0, seen_url = 0;

    while (len > 0 && text[len - 1] == '=' && pad < 2) {
        len--;
        pad++;
    }
    data = len;
    if (data == 0 || data % 4 == 1 || (pad && (data + pad) % 4 != 0)) {
        return -1;
    }
    buf = apr_palloc(p, data * 3 / 4 + 1);
    for (i = 0; i < data; i++) {
        unsigned char c = (unsigned char)text[i];
        int v = b64_value(c);
        if (v < 0) {
            return -1;
        }
        seen_std |= (c == '+' || c == '/');
        seen_url |= (c == '-' || c == '_');
        acc = (acc << 6) | (apr_uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[n++] = (unsigned char)(acc >> bits);
        }
    }
    /* a mixed alphabet or non-zero leftover bits is not a canonical
     * encoding of anything: refuse rather than guess */
    if ((seen_std && seen_url) || (acc & ((1u << bits) - 1))) {
        return -1;
    }
    *out = buf;
    *outlen = n;
    return 0;
}

static const char *encode(const unsigned char *in, apr_size_t len,
                          const char *alphabet, int padding, apr_pool_t *p)
{
    char *out = apr_palloc(p, (len + 2) / 3 * 4 + 1), *o = out;
    apr_size_t i;

    for (i = 0; i + 2 < len; i += 3) {
        *o++ = alphabet[in[i] >> 2];
        *o++ = alphabet[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
        *o++ = alphabet[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
        *o++ = alphabet[in[i + 2] & 63];
    }
    if (i < len) {
        *o++ = alphabet[in[i] >> 2];
        if (i + 1 < len) {
            *o++ = alphabet[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
            *o++ = alphabet[(in[i + 1] & 15) << 2];
        }
        else {
            *o++ = alphabet[(in[i] & 3) << 4];
            if (padding) *o++ = '=';
        }
        if (padding) *o++ = '=';
    }
    *o = '\0';
    return out;
}

const char *csc_b64_encode(const unsigned char *in, apr_size_t len,
                           apr_pool_t *p)
{
    return encode(in, len, std_alphabet, 1, p);
}

const char *csc_b64url_encode(const unsigned char *in, apr_size_t len,
                              apr_pool_t *p)
{
    return encode(in, len, url_alphabet, 0, p);
}
