/* SPDX-License-Identifier: Apache-2.0 */
/* One-time passwords for credential authorization: offline TOTP (RFC 6238)
 * and HOTP (RFC 4226) from the user's device, plus random codes for online
 * OTP (sent by SMS etc.), secret handling and otpauth:// enrollment URIs.
 *
 * Replay state (the last accepted TOTP step, the next HOTP counter) belongs
 * to the caller, which must read it and persist the new value atomically
 * (one transaction or under a global mutex): two workers checking the same
 * OTP concurrently would otherwise both succeed.
 *
 * OTP values and secrets are never logged. */
#ifndef CSC_OTP_H
#define CSC_OTP_H

#include <apr_pools.h>
#include <apr_errno.h>
#include <apr_time.h>

#define CSC_OTP_MIN_DIGITS 6
#define CSC_OTP_MAX_DIGITS 8
/* Size of every OTP output buffer: max digits + NUL. */
#define CSC_OTP_BUFSIZE (CSC_OTP_MAX_DIGITS + 1)

#define CSC_OTP_MIN_PERIOD 10
#define CSC_OTP_MAX_PERIOD 300
#define CSC_OTP_MAX_WINDOW 10
/* Each look-ahead step is one HMAC and one more value an attacker may hit:
 * RFC 4226 asks for a bounded resynchronisation window. */
#define CSC_OTP_MAX_LOOKAHEAD 100

/* Accepted raw key sizes.  Decoding accepts short legacy secrets (80-bit
 * Google Authenticator ones are common); generation insists on RFC 4226's
 * 128-bit minimum. */
#define CSC_OTP_MAX_KEY_LEN 128
#define CSC_OTP_MIN_SECRET_BYTES 16
#define CSC_OTP_MAX_SECRET_BYTES 64
#define CSC_OTP_DEFAULT_SECRET_BYTES 20

typedef enum {
    CSC_OTP_SHA1,
    CSC_OTP_SHA256,
    CSC_OTP_SHA512
} csc_otp_hash_e;

/* Calls oath_init() exactly once per process (pthread_once; the state is
 * plain memory, so it stays valid in forked children).  Every function below
 * calls it on demand; calling it early (child_init) just surfaces a failure
 * sooner.  Returns APR_EGENERAL if liboath refuses to initialise. */
apr_status_t csc_otp_init(void);

/* "sha1" / "sha256" / "sha512", case-insensitive.  APR_EINVAL otherwise. */
apr_status_t csc_otp_hash_parse(const char *name, csc_otp_hash_e *h);

/* "sha1" / "sha256" / "sha512"; NULL for an invalid value. */
const char *csc_otp_hash_name(csc_otp_hash_e h);

/* Writes HOTP(key, counter) with the given HMAC hash as a NUL-terminated
 * string of `digits` digits into out[CSC_OTP_BUFSIZE].  For SHA-256/512 this
 * is the natural generalisation used by RFC 6238 (TOTP is HOTP of the step).
 * APR_EINVAL on bad arguments (counter must be <= 2^63-1). */
apr_status_t csc_otp_generate_hotp(const unsigned char *key, apr_size_t klen,
                                   unsigned digits, csc_otp_hash_e h,
                                   apr_uint64_t counter, char *out);

/* TOTP at time `now` (T0 = Unix epoch) into out[CSC_OTP_BUFSIZE]. */
apr_status_t csc_otp_generate_totp(const unsigned char *key, apr_size_t klen,
                                   unsigned digits, unsigned period,
                                   csc_otp_hash_e h, apr_time_t now,
                                   char *out);

/* Checks a TOTP against the steps floor(now/period) +- window.
 *   APR_SUCCESS   otp matches a step > last_step; *step = that step, which
 *                 the caller must store as the new last_step.
 *   APR_EEXIST    otp matches only steps <= last_step: a replay.
 *   APR_EMISMATCH otp matches nothing in the window, or is not exactly
 *                 `digits` ASCII digits (including NULL).
 *   APR_EINVAL    bad parameters (key, digits, period, window, now < 0).
 * If the value matches several steps the latest one is taken, so a replay
 * of it cannot be accepted again at the later step.  Pass last_step = -1
 * when nothing has been accepted yet.  *step is written only on success. */
apr_status_t csc_otp_totp_check(const unsigned char *key, apr_size_t klen,
                                unsigned digits, unsigned period,
                                csc_otp_hash_e h, unsigned window,
                                apr_time_t now, const char *otp,
                                apr_int64_t last_step, apr_int64_t *step);

/* Checks an HOTP against counters [counter, counter + lookahead], where
 * counter is the next expected value.
 *   APR_SUCCESS   match at c; *next_counter = c + 1 (resynchronises a token
 *                 that was pressed without being used).  The latest
 *                 matching c is taken, for the same reason as for TOTP.
 *   APR_EEXIST    no match ahead, but otp equals one of the max(lookahead, 1)
 *                 values just below counter: a replay.  (Older values are
 *                 not searched and report APR_EMISMATCH.)
 *   APR_EMISMATCH no match, or malformed otp.
 *   APR_EINVAL    bad parameters (lookahead > CSC_OTP_MAX_LOOKAHEAD,
 *                 counter + lookahead > 2^63-1, ...).
 * *next_counter is written only on success. */
apr_status_t csc_otp_hotp_check(const unsigned char *key, apr_size_t klen,
                                unsigned digits, csc_otp_hash_e h,
                                apr_uint64_t counter, unsigned lookahead,
                                const char *otp, apr_uint64_t *next_counter);

/* A uniformly random code of `digits` digits (6..8) from the OpenSSL CSPRNG
 * into out[CSC_OTP_BUFSIZE], for online OTP. */
apr_status_t csc_otp_random_code(unsigned digits, char *out);

/* Constant-time comparison of an expected code (e.g. a stored online OTP)
 * with a submitted one.  1 if both are non-NULL, of equal length and equal,
 * else 0.  Only the length may leak through timing. */
int csc_otp_code_equal(const char *expected, const char *given);

/* Decodes an RFC 4648 base32 secret to raw key bytes allocated from p.
 * Tolerates lower case, spaces and missing '=' padding (as typed by users or
 * found in otpauth URIs).  The key is scrubbed when p is cleared or
 * destroyed.  APR_EINVAL for invalid base32, an empty key or one longer than
 * CSC_OTP_MAX_KEY_LEN. */
apr_status_t csc_otp_secret_decode(const char *base32, unsigned char **key,
                                   apr_size_t *klen, apr_pool_t *p);

/* Generates nbytes (16..64; 0 = CSC_OTP_DEFAULT_SECRET_BYTES) random key
 * bytes and returns them base32-encoded, upper case, without padding (the
 * form authenticator apps expect), allocated from p. */
apr_status_t csc_otp_secret_generate(apr_size_t nbytes, apr_pool_t *p,
                                     const char **base32);

/* Builds an enrollment URI (Google "Key Uri Format"):
 *   otpauth://KIND/ISSUER:ACCOUNT?secret=S&issuer=ISSUER&algorithm=SHA1
 *       &digits=D&period=P      (kind "totp"; period_or_counter = period)
 *       &digits=D&counter=C     (kind "hotp"; period_or_counter = counter)
 * ISSUER and ACCOUNT are percent-encoded (everything outside RFC 3986
 * unreserved, space as %20).  issuer may be NULL or "" (then no prefix and no
 * issuer parameter).  Neither may contain ':' (the label separator), which
 * gives APR_EINVAL, as do an empty account, an invalid secret, or digits /
 * period out of range.  The secret is emitted normalised (upper case, no
 * spaces or padding).  The URI contains the secret: treat it as one. */
apr_status_t csc_otp_uri(const char *kind, const char *issuer,
                         const char *account, const char *base32,
                         unsigned digits, apr_uint64_t period_or_counter,
                         csc_otp_hash_e h, apr_pool_t *p, const char **uri);

#endif
