/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include <apr_strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base/csc_log.h"
#include "authz/csc_pin.h"

#define PIN_SCHEME "pbkdf2-sha256"

/* Stored strings may come from other versions of the module, so verification
 * accepts any salt and hash length in these ranges, not only the current
 * defaults. */
#define PIN_SALT_MIN 8
#define PIN_SALT_MAX 64
#define PIN_HASH_MIN 16
#define PIN_HASH_MAX 64

/* Base64 buffer for PIN_HASH_MAX bytes: 4 * ceil(64 / 3) + NUL. */
#define PIN_B64_MAX 89

static int pin_kdf(const char *pin, const unsigned char *salt,
                   apr_size_t slen, apr_uint32_t iterations,
                   unsigned char *out, apr_size_t olen)
{
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    /* fuzz builds only: a stored string may ask for 10^7 iterations, which
     * a fuzzer would report as a timeout; hashing and verifying both go
     * through here, so they still agree */
    if (iterations > 16) {
        iterations = 16;
    }
#endif
    return PKCS5_PBKDF2_HMAC(pin, (int)strlen(pin), salt, (int)slen,
                             (int)iterations, EVP_sha256(),
                             (int)olen, out) == 1;
}

static int b64_char_ok(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
        || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/* EVP_DecodeBlock alone tolerates surrounding whitespace and reports padding
 * bytes as data, so the alphabet and padding are checked here first: a stored
 * hash has exactly one valid spelling. */
static int b64_decode_strict(const char *in, apr_size_t inlen,
                             unsigned char *out, apr_size_t outmax,
                             apr_size_t *outlen)
{
    apr_size_t i, pad = 0;
    int n;

    if (inlen == 0 || inlen % 4 != 0 || inlen / 4 * 3 > outmax) {
        return 0;
    }
    if (in[inlen - 1] == '=') {
        pad = (in[inlen - 2] == '=') ? 2 : 1;
    }
    for (i = 0; i < inlen - pad; i++) {
        if (!b64_char_ok(in[i])) {
            return 0;
        }
    }
    n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)inlen);
    if (n < 0 || (apr_size_t)n != inlen / 4 * 3) {
        return 0;
    }
    *outlen = (apr_size_t)n - pad;
    return 1;
}

/* Strict decimal: no sign, no leading zero, no overflow past the cap. */
static int parse_iterations(const char *s, apr_size_t len, apr_uint32_t *out)
{
    apr_uint64_t v = 0;
    apr_size_t i;

    if (len == 0 || len > 10 || (s[0] == '0')) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        v = v * 10 + (apr_uint64_t)(s[i] - '0');
    }
    if (v < CSC_PIN_MIN_ITERATIONS || v > CSC_PIN_MAX_ITERATIONS) {
        return 0;
    }
    *out = (apr_uint32_t)v;
    return 1;
}

apr_status_t csc_pin_hash(const char *pin, apr_uint32_t iterations,
                          apr_pool_t *p, const char **encoded)
{
    unsigned char salt[CSC_PIN_SALT_LEN];
    unsigned char hash[CSC_PIN_HASH_LEN];
    unsigned char salt64[PIN_B64_MAX];
    unsigned char hash64[PIN_B64_MAX];
    apr_status_t rv = APR_SUCCESS;

    if (!pin || !p || !encoded) {
        return APR_EINVAL;
    }
    *encoded = NULL;
    if (iterations == 0) {
        iterations = CSC_PIN_DEFAULT_ITERATIONS;
    }
    if (iterations < CSC_PIN_MIN_ITERATIONS
        || iterations > CSC_PIN_MAX_ITERATIONS) {
        return APR_EINVAL;
    }
    if (RAND_bytes(salt, sizeof(salt)) != 1) {
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "PIN hash: RAND_bytes failed");
        return APR_EGENERAL;
    }
    if (!pin_kdf(pin, salt, sizeof(salt), iterations, hash, sizeof(hash))) {
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "PIN hash: PBKDF2 failed");
        rv = APR_EGENERAL;
        goto leave;
    }
    EVP_EncodeBlock(salt64, salt, sizeof(salt));
    EVP_EncodeBlock(hash64, hash, sizeof(hash));
    *encoded = apr_psprintf(p, PIN_SCHEME "$%u$%s$%s", (unsigned)iterations,
                            (const char *)salt64, (const char *)hash64);
leave:
    OPENSSL_cleanse(hash, sizeof(hash));
    OPENSSL_cleanse(hash64, sizeof(hash64));
    return rv;
}

int csc_pin_verify(const char *pin, const char *encoded)
{
    unsigned char salt[PIN_SALT_MAX + 2];
    unsigned char want[PIN_HASH_MAX + 2];
    unsigned char got[PIN_HASH_MAX];
    apr_size_t slen, hlen;
    apr_uint32_t iterations;
    const char *f_iter, *f_salt, *f_hash, *end;
    int result = -1;

    if (!encoded) {
        return -1;
    }
    /* scheme$iter$salt$hash: exactly four fields. */
    if (strncmp(encoded, PIN_SCHEME "$", sizeof(PIN_SCHEME)) != 0) {
        return -1;
    }
    f_iter = encoded + sizeof(PIN_SCHEME);
    if (!(f_salt = strchr(f_iter, '$'))) {
        return -1;
    }
    f_salt++;
    if (!(f_hash = strchr(f_salt, '$'))) {
        return -1;
    }
    f_hash++;
    if (strchr(f_hash, '$')) {
        return -1;
    }
    end = f_hash + strlen(f_hash);

    if (!parse_iterations(f_iter, (apr_size_t)(f_salt - 1 - f_iter),
                          &iterations)
        || !b64_decode_strict(f_salt, (apr_size_t)(f_hash - 1 - f_salt),
                              salt, sizeof(salt), &slen)
        || slen < PIN_SALT_MIN || slen > PIN_SALT_MAX
        || !b64_decode_strict(f_hash, (apr_size_t)(end - f_hash),
                              want, sizeof(want), &hlen)
        || hlen < PIN_HASH_MIN || hlen > PIN_HASH_MAX) {
        goto leave;
    }
    if (!pin) {
        result = 0;
        goto leave;
    }
    if (!pin_kdf(pin, salt, slen, iterations, got, hlen)) {
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "PIN verify: PBKDF2 failed");
        result = 0;
        goto leave;
    }
    result = CRYPTO_memcmp(got, want, hlen) == 0 ? 1 : 0;

leave:
    OPENSSL_cleanse(got, sizeof(got));
    OPENSSL_cleanse(want, sizeof(want));
    return result;
}

int csc_pin_format_ok(const char *pin, char format)
{
    apr_size_t i, len;

    if (!pin || (format != 'N' && format != 'A')) {
        return 0;
    }
    len = strlen(pin);
    if (len < CSC_PIN_MIN_LEN || len > CSC_PIN_MAX_LEN) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)pin[i];

        if (format == 'N' ? (c < '0' || c > '9') : (c < 0x20 || c > 0x7e)) {
            return 0;
        }
    }
    return 1;
}
