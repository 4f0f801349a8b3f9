/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <apr_cstr.h>
#include <apr_strings.h>

#include <liboath/oath.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "base/csc_log.h"
#include "authz/csc_otp.h"

/* Largest counter/step handed to liboath, which takes it as a time_t. */
#define OTP_MAX_COUNTER ((apr_uint64_t)APR_INT64_MAX)

static pthread_once_t otp_once = PTHREAD_ONCE_INIT;
static int otp_init_rc = OATH_OK;

static void otp_do_init(void)
{
    otp_init_rc = oath_init();
}

apr_status_t csc_otp_init(void)
{
    if (pthread_once(&otp_once, otp_do_init) != 0 || otp_init_rc != OATH_OK) {
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "liboath initialisation failed: %s",
                oath_strerror(otp_init_rc));
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

apr_status_t csc_otp_hash_parse(const char *name, csc_otp_hash_e *h)
{
    if (!name || !h) {
        return APR_EINVAL;
    }
    if (apr_cstr_casecmp(name, "sha1") == 0) {
        *h = CSC_OTP_SHA1;
    }
    else if (apr_cstr_casecmp(name, "sha256") == 0) {
        *h = CSC_OTP_SHA256;
    }
    else if (apr_cstr_casecmp(name, "sha512") == 0) {
        *h = CSC_OTP_SHA512;
    }
    else {
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

const char *csc_otp_hash_name(csc_otp_hash_e h)
{
    switch (h) {
    case CSC_OTP_SHA1:
        return "sha1";
    case CSC_OTP_SHA256:
        return "sha256";
    case CSC_OTP_SHA512:
        return "sha512";
    }
    return NULL;
}

static int key_ok(const unsigned char *key, apr_size_t klen)
{
    return key && klen > 0 && klen <= CSC_OTP_MAX_KEY_LEN;
}

static int digits_ok(unsigned digits)
{
    return digits >= CSC_OTP_MIN_DIGITS && digits <= CSC_OTP_MAX_DIGITS;
}

static int period_ok(unsigned period)
{
    return period >= CSC_OTP_MIN_PERIOD && period <= CSC_OTP_MAX_PERIOD;
}

/* A submitted OTP is attacker-controlled input: anything but exactly
 * `digits` ASCII digits is simply a wrong OTP. */
static int otp_shape_ok(const char *otp, unsigned digits)
{
    unsigned i;

    if (!otp) {
        return 0;
    }
    for (i = 0; i < digits; i++) {
        if (otp[i] < '0' || otp[i] > '9') {
            return 0;
        }
    }
    return otp[digits] == '\0';
}

/* HOTP(key, c) for any of the three hashes.  liboath's oath_hotp_* API is
 * SHA-1 only, but TOTP with a 1-second step and T0 = 0 evaluated at time c
 * is exactly HOTP(c) (RFC 6238 section 4.2), and oath_totp_generate2 takes a
 * hash flag.  TOTP steps go through here too, so one code path serves both.
 * Arguments are validated by the callers. */
static apr_status_t otp_at(const unsigned char *key, apr_size_t klen,
                           unsigned digits, csc_otp_hash_e h,
                           apr_uint64_t c, char *out)
{
    int flags, rc;

    switch (h) {
    case CSC_OTP_SHA1:
        flags = 0;
        break;
    case CSC_OTP_SHA256:
        flags = OATH_TOTP_HMAC_SHA256;
        break;
    case CSC_OTP_SHA512:
        flags = OATH_TOTP_HMAC_SHA512;
        break;
    default:
        return APR_EINVAL;
    }
    if (c > OTP_MAX_COUNTER) {
        return APR_EINVAL;
    }
    rc = oath_totp_generate2((const char *)key, klen, (time_t)c, 1, 0,
                             digits, flags, out);
    if (rc != OATH_OK) {
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "OTP generation failed: %s",
                oath_strerror(rc));
        return APR_EGENERAL;
    }
    return APR_SUCCESS;
}

static apr_status_t otp_precheck(const unsigned char *key, apr_size_t klen,
                                 unsigned digits, csc_otp_hash_e h)
{
    if (!key_ok(key, klen) || !digits_ok(digits) || !csc_otp_hash_name(h)) {
        return APR_EINVAL;
    }
    return csc_otp_init();
}

apr_status_t csc_otp_generate_hotp(const unsigned char *key, apr_size_t klen,
                                   unsigned digits, csc_otp_hash_e h,
                                   apr_uint64_t counter, char *out)
{
    apr_status_t rv;

    if (!out) {
        return APR_EINVAL;
    }
    if ((rv = otp_precheck(key, klen, digits, h)) != APR_SUCCESS) {
        return rv;
    }
    return otp_at(key, klen, digits, h, counter, out);
}

apr_status_t csc_otp_generate_totp(const unsigned char *key, apr_size_t klen,
                                   unsigned digits, unsigned period,
                                   csc_otp_hash_e h, apr_time_t now,
                                   char *out)
{
    apr_status_t rv;

    if (!out || !period_ok(period) || now < 0) {
        return APR_EINVAL;
    }
    if ((rv = otp_precheck(key, klen, digits, h)) != APR_SUCCESS) {
        return rv;
    }
    return otp_at(key, klen, digits, h,
                  (apr_uint64_t)apr_time_sec(now) / period, out);
}

/* Returns 1 on match, 0 on mismatch, -1 on generation failure. */
static int otp_matches(const unsigned char *key, apr_size_t klen,
                       unsigned digits, csc_otp_hash_e h, apr_uint64_t c,
                       const char *otp)
{
    char buf[CSC_OTP_BUFSIZE];
    int m;

    if (otp_at(key, klen, digits, h, c, buf) != APR_SUCCESS) {
        return -1;
    }
    m = CRYPTO_memcmp(buf, otp, digits) == 0;
    OPENSSL_cleanse(buf, sizeof(buf));
    return m;
}

apr_status_t csc_otp_totp_check(const unsigned char *key, apr_size_t klen,
                                unsigned digits, unsigned period,
                                csc_otp_hash_e h, unsigned window,
                                apr_time_t now, const char *otp,
                                apr_int64_t last_step, apr_int64_t *step)
{
    apr_int64_t cur, s, best = -1;
    apr_status_t rv;

    if (!step || !period_ok(period) || window > CSC_OTP_MAX_WINDOW
        || now < 0) {
        return APR_EINVAL;
    }
    if ((rv = otp_precheck(key, klen, digits, h)) != APR_SUCCESS) {
        return rv;
    }
    if (!otp_shape_ok(otp, digits)) {
        return APR_EMISMATCH;
    }
    /* now <= 2^63 us, so cur + window cannot overflow. */
    cur = apr_time_sec(now) / (apr_int64_t)period;
    /* Every step in the window is computed, matched or not, so the time
     * taken does not reveal which step matched. */
    for (s = cur - (apr_int64_t)window; s <= cur + (apr_int64_t)window; s++) {
        int m;

        if (s < 0) {
            continue;
        }
        m = otp_matches(key, klen, digits, h, (apr_uint64_t)s, otp);
        if (m < 0) {
            return APR_EGENERAL;
        }
        if (m) {
            best = s;
        }
    }
    if (best < 0) {
        return APR_EMISMATCH;
    }
    if (best <= last_step) {
        return APR_EEXIST;
    }
    *step = best;
    return APR_SUCCESS;
}

apr_status_t csc_otp_hotp_check(const unsigned char *key, apr_size_t klen,
                                unsigned digits, csc_otp_hash_e h,
                                apr_uint64_t counter, unsigned lookahead,
                                const char *otp, apr_uint64_t *next_counter)
{
    apr_uint64_t c, lookback, best = 0;
    int found = 0, m;
    apr_status_t rv;

    if (!next_counter || lookahead > CSC_OTP_MAX_LOOKAHEAD
        || counter > OTP_MAX_COUNTER - lookahead) {
        return APR_EINVAL;
    }
    if ((rv = otp_precheck(key, klen, digits, h)) != APR_SUCCESS) {
        return rv;
    }
    if (!otp_shape_ok(otp, digits)) {
        return APR_EMISMATCH;
    }
    for (c = counter; c <= counter + lookahead; c++) {
        if ((m = otp_matches(key, klen, digits, h, c, otp)) < 0) {
            return APR_EGENERAL;
        }
        if (m) {
            best = c;
            found = 1;
        }
    }
    if (found) {
        *next_counter = best + 1;
        return APR_SUCCESS;
    }
    /* Only to tell a replay apart from a wrong value, for the caller's
     * audit log and lockout policy; both are refusals. */
    lookback = lookahead ? lookahead : 1;
    if (lookback > counter) {
        lookback = counter;
    }
    for (c = counter - lookback; c < counter; c++) {
        if ((m = otp_matches(key, klen, digits, h, c, otp)) < 0) {
            return APR_EGENERAL;
        }
        if (m) {
            return APR_EEXIST;
        }
    }
    return APR_EMISMATCH;
}

apr_status_t csc_otp_random_code(unsigned digits, char *out)
{
    unsigned char rnd[32];
    unsigned n = 0, i;

    if (!out || !digits_ok(digits)) {
        return APR_EINVAL;
    }
    /* Rejection sampling: bytes >= 250 would make digits 0..5 more likely
     * than 6..9.  32 bytes almost always suffice for 8 digits; refill if
     * not. */
    while (n < digits) {
        if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
            csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "OTP: RAND_bytes failed");
            OPENSSL_cleanse(out, n);
            return APR_EGENERAL;
        }
        for (i = 0; i < sizeof(rnd) && n < digits; i++) {
            if (rnd[i] < 250) {
                out[n++] = (char)('0' + rnd[i] % 10);
            }
        }
    }
    out[n] = '\0';
    OPENSSL_cleanse(rnd, sizeof(rnd));
    return APR_SUCCESS;
}

int csc_otp_code_equal(const char *expected, const char *given)
{
    apr_size_t len;

    if (!expected || !given) {
        return 0;
    }
    len = strlen(expected);
    if (strlen(given) != len) {
        return 0;
    }
    return CRYPTO_memcmp(expected, given, len) == 0;
}

/* Canonical form for both decoding and URIs: upper case, no spaces, no
 * padding.  Anything else outside the RFC 4648 alphabet is left in place for
 * the decoder to reject.  Returns NULL for an empty result. */
static char *b32_normalise(const char *in, apr_pool_t *p)
{
    apr_size_t len = strlen(in), i, n = 0;
    char *out = apr_palloc(p, len + 1);

    for (i = 0; i < len; i++) {
        char c = in[i];

        if (c == ' ' || c == '\t') {
            continue;
        }
        out[n++] = (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
    }
    while (n > 0 && out[n - 1] == '=') {
        n--;
    }
    out[n] = '\0';
    return n ? out : NULL;
}

typedef struct {
    unsigned char *key;
    apr_size_t klen;
} otp_key_scrub_t;

static apr_status_t otp_key_scrub(void *data)
{
    otp_key_scrub_t *s = data;

    OPENSSL_cleanse(s->key, s->klen);
    return APR_SUCCESS;
}

/* Shared by csc_otp_secret_decode and csc_otp_uri; norm is the normalised
 * text, left for the caller to scrub. */
static apr_status_t b32_decode(const char *base32, unsigned char **key,
                               apr_size_t *klen, char **norm, apr_pool_t *p)
{
    char *raw = NULL;
    size_t rawlen = 0;
    otp_key_scrub_t *scrub;
    apr_status_t rv;
    int rc;

    if ((rv = csc_otp_init()) != APR_SUCCESS) {
        return rv;
    }
    if (!(*norm = b32_normalise(base32, p))) {
        return APR_EINVAL;
    }
    rc = oath_base32_decode(*norm, strlen(*norm), &raw, &rawlen);
    if (rc != OATH_OK || rawlen == 0 || rawlen > CSC_OTP_MAX_KEY_LEN) {
        if (raw) {
            OPENSSL_cleanse(raw, rawlen);
            free(raw);
        }
        OPENSSL_cleanse(*norm, strlen(*norm));
        return APR_EINVAL;
    }
    scrub = apr_palloc(p, sizeof(*scrub));
    scrub->key = apr_pmemdup(p, raw, rawlen);
    scrub->klen = rawlen;
    apr_pool_cleanup_register(p, scrub, otp_key_scrub,
                              apr_pool_cleanup_null);
    OPENSSL_cleanse(raw, rawlen);
    free(raw);
    *key = scrub->key;
    *klen = rawlen;
    return APR_SUCCESS;
}

apr_status_t csc_otp_secret_decode(const char *base32, unsigned char **key,
                                   apr_size_t *klen, apr_pool_t *p)
{
    char *norm;
    apr_status_t rv;

    if (!base32 || !key || !klen || !p) {
        return APR_EINVAL;
    }
    rv = b32_decode(base32, key, klen, &norm, p);
    if (rv == APR_SUCCESS) {
        OPENSSL_cleanse(norm, strlen(norm));
    }
    return rv;
}

apr_status_t csc_otp_secret_generate(apr_size_t nbytes, apr_pool_t *p,
                                     const char **base32)
{
    unsigned char raw[CSC_OTP_MAX_SECRET_BYTES];
    char *enc = NULL;
    size_t enclen = 0;
    apr_status_t rv = APR_SUCCESS;
    int rc;

    if (!p || !base32) {
        return APR_EINVAL;
    }
    if (nbytes == 0) {
        nbytes = CSC_OTP_DEFAULT_SECRET_BYTES;
    }
    if (nbytes < CSC_OTP_MIN_SECRET_BYTES
        || nbytes > CSC_OTP_MAX_SECRET_BYTES) {
        return APR_EINVAL;
    }
    if ((rv = csc_otp_init()) != APR_SUCCESS) {
        return rv;
    }
    if (RAND_bytes(raw, (int)nbytes) != 1) {
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "OTP secret: RAND_bytes failed");
        return APR_EGENERAL;
    }
    rc = oath_base32_encode((const char *)raw, nbytes, &enc, &enclen);
    if (rc != OATH_OK) {
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "OTP secret: base32 failed: %s",
                oath_strerror(rc));
        rv = APR_EGENERAL;
        goto leave;
    }
    while (enclen > 0 && enc[enclen - 1] == '=') {
        enclen--;
    }
    *base32 = apr_pstrmemdup(p, enc, enclen);

leave:
    OPENSSL_cleanse(raw, sizeof(raw));
    if (enc) {
        OPENSSL_cleanse(enc, strlen(enc));
        free(enc);
    }
    return rv;
}

/* RFC 3986 percent-encoding of everything but the unreserved set, so the
 * label survives both URI parsers and authenticator apps ('+' would be read
 * as a space by some). */
static const char *uri_escape(const char *in, apr_pool_t *p)
{
    static const char hex[] = "0123456789ABCDEF";
    apr_size_t len = strlen(in), i, n = 0;
    char *out = apr_palloc(p, len * 3 + 1);

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
            || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_'
            || c == '~') {
            out[n++] = (char)c;
        }
        else {
            out[n++] = '%';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 0x0f];
        }
    }
    out[n] = '\0';
    return out;
}

apr_status_t csc_otp_uri(const char *kind, const char *issuer,
                         const char *account, const char *base32,
                         unsigned digits, apr_uint64_t period_or_counter,
                         csc_otp_hash_e h, apr_pool_t *p, const char **uri)
{
    const char *alg, *label, *iss_q, *tail;
    unsigned char *key;
    apr_size_t klen;
    char *norm;
    apr_status_t rv;
    int totp;

    if (!kind || !account || !base32 || !p || !uri) {
        return APR_EINVAL;
    }
    *uri = NULL;
    if (strcmp(kind, "totp") == 0) {
        totp = 1;
    }
    else if (strcmp(kind, "hotp") == 0) {
        totp = 0;
    }
    else {
        return APR_EINVAL;
    }
    if (!digits_ok(digits) || *account == '\0' || strchr(account, ':')
        || (issuer && strchr(issuer, ':'))) {
        return APR_EINVAL;
    }
    if (totp && (period_or_counter < CSC_OTP_MIN_PERIOD
                 || period_or_counter > CSC_OTP_MAX_PERIOD)) {
        return APR_EINVAL;
    }
    switch (h) {
    case CSC_OTP_SHA1:
        alg = "SHA1";
        break;
    case CSC_OTP_SHA256:
        alg = "SHA256";
        break;
    case CSC_OTP_SHA512:
        alg = "SHA512";
        break;
    default:
        return APR_EINVAL;
    }
    /* Decoding proves the secret is usable before it is handed to a user. */
    if ((rv = b32_decode(base32, &key, &klen, &norm, p)) != APR_SUCCESS) {
        return rv;
    }

    if (issuer && *issuer) {
        iss_q = uri_escape(issuer, p);
        label = apr_pstrcat(p, iss_q, ":", uri_escape(account, p), NULL);
        iss_q = apr_pstrcat(p, "&issuer=", iss_q, NULL);
    }
    else {
        label = uri_escape(account, p);
        iss_q = "";
    }
    tail = apr_psprintf(p, "&%s=%" APR_UINT64_T_FMT,
                        totp ? "period" : "counter", period_or_counter);
    *uri = apr_pstrcat(p, "otpauth://", kind, "/", label, "?secret=", norm,
                       iss_q, "&algorithm=", alg, "&digits=",
                       apr_itoa(p, (int)digits), tail, NULL);
    OPENSSL_cleanse(norm, strlen(norm));
    return APR_SUCCESS;
}
