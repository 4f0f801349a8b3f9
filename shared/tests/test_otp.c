/* SPDX-License-Identifier: Apache-2.0 */
/* csc_otp: RFC 4226 / RFC 6238 vectors, window and replay rules, HOTP
 * resynchronisation, random codes, base32 secrets and otpauth URIs. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "authz/csc_otp.h"
#include "tap.h"

#define K20 ((const unsigned char *)"12345678901234567890")
#define K32 ((const unsigned char *)"12345678901234567890123456789012")
#define K64 ((const unsigned char *) \
    "1234567890123456789012345678901234567890123456789012345678901234")

static void test_hash_names(void)
{
    csc_otp_hash_e h = CSC_OTP_SHA512;

    ok(csc_otp_hash_parse("sha1", &h) == APR_SUCCESS && h == CSC_OTP_SHA1,
       "parse sha1");
    ok(csc_otp_hash_parse("sha256", &h) == APR_SUCCESS
       && h == CSC_OTP_SHA256, "parse sha256");
    ok(csc_otp_hash_parse("SHA512", &h) == APR_SUCCESS
       && h == CSC_OTP_SHA512, "parse SHA512 (case-insensitive)");
    is_int(csc_otp_hash_parse("md5", &h), APR_EINVAL, "md5 refused");
    is_int(csc_otp_hash_parse("sha-1", &h), APR_EINVAL, "sha-1 refused");
    is_int(csc_otp_hash_parse("", &h), APR_EINVAL, "empty refused");
    is_int(csc_otp_hash_parse(NULL, &h), APR_EINVAL, "NULL refused");
    is_str(csc_otp_hash_name(CSC_OTP_SHA256), "sha256", "name of SHA256");
    ok(csc_otp_hash_name((csc_otp_hash_e)7) == NULL, "no name for 7");
}

static void test_rfc4226(void)
{
    static const char *const want[10] = {
        "755224", "287082", "359152", "969429", "338314",
        "254676", "287922", "162583", "399871", "520489"
    };
    char otp[CSC_OTP_BUFSIZE];
    unsigned c;

    for (c = 0; c < 10; c++) {
        memset(otp, 0, sizeof(otp));
        ok(csc_otp_generate_hotp(K20, 20, 6, CSC_OTP_SHA1, c, otp)
           == APR_SUCCESS && strcmp(otp, want[c]) == 0,
           "RFC 4226 HOTP(%u) = %s (got %s)", c, want[c], otp);
    }
}

static void test_rfc6238(void)
{
    static const struct {
        apr_int64_t t;
        const char *sha1, *sha256, *sha512;
    } v[] = {
        { 59LL, "94287082", "46119246", "90693936" },
        { 1111111109LL, "07081804", "68084774", "25091201" },
        { 1111111111LL, "14050471", "67062674", "99943326" },
        { 1234567890LL, "89005924", "91819424", "93441116" },
        { 2000000000LL, "69279037", "90698825", "38618901" },
        { 20000000000LL, "65353130", "77737706", "47863826" },
    };
    char otp[CSC_OTP_BUFSIZE];
    apr_int64_t step = -1;
    apr_size_t i;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        apr_time_t now = apr_time_from_sec(v[i].t);
        apr_int64_t want_step = v[i].t / 30;

        ok(csc_otp_generate_totp(K20, 20, 8, 30, CSC_OTP_SHA1, now, otp)
           == APR_SUCCESS && strcmp(otp, v[i].sha1) == 0,
           "RFC 6238 SHA1 t=%lld -> %s (got %s)", (long long)v[i].t,
           v[i].sha1, otp);
        ok(csc_otp_generate_totp(K32, 32, 8, 30, CSC_OTP_SHA256, now, otp)
           == APR_SUCCESS && strcmp(otp, v[i].sha256) == 0,
           "RFC 6238 SHA256 t=%lld -> %s (got %s)", (long long)v[i].t,
           v[i].sha256, otp);
        ok(csc_otp_generate_totp(K64, 64, 8, 30, CSC_OTP_SHA512, now, otp)
           == APR_SUCCESS && strcmp(otp, v[i].sha512) == 0,
           "RFC 6238 SHA512 t=%lld -> %s (got %s)", (long long)v[i].t,
           v[i].sha512, otp);

        /* The checker accepts each published value, window 0, and reports
         * the step T = floor(t / 30). */
        step = -1;
        ok(csc_otp_totp_check(K20, 20, 8, 30, CSC_OTP_SHA1, 0, now,
                              v[i].sha1, -1, &step) == APR_SUCCESS
           && step == want_step, "check SHA1 t=%lld step %lld",
           (long long)v[i].t, (long long)step);
        step = -1;
        ok(csc_otp_totp_check(K32, 32, 8, 30, CSC_OTP_SHA256, 0, now,
                              v[i].sha256, -1, &step) == APR_SUCCESS
           && step == want_step, "check SHA256 t=%lld", (long long)v[i].t);
        step = -1;
        ok(csc_otp_totp_check(K64, 64, 8, 30, CSC_OTP_SHA512, 0, now,
                              v[i].sha512, -1, &step) == APR_SUCCESS
           && step == want_step, "check SHA512 t=%lld", (long long)v[i].t);
    }
    /* Wrong hash for the key/value: must not verify. */
    is_int(csc_otp_totp_check(K20, 20, 8, 30, CSC_OTP_SHA256, 1,
                              apr_time_from_sec(59), "94287082", -1, &step),
           APR_EMISMATCH, "SHA1 value refused under SHA256");

    /* HOTP with SHA-256/512 is HOTP of the step: T=1 at t=59. */
    ok(csc_otp_generate_hotp(K32, 32, 8, CSC_OTP_SHA256, 1, otp)
       == APR_SUCCESS && strcmp(otp, "46119246") == 0,
       "HOTP-SHA256(1) equals RFC 6238 value at t=59");
    ok(csc_otp_generate_hotp(K64, 64, 8, CSC_OTP_SHA512, 41152263, otp)
       == APR_SUCCESS && strcmp(otp, "93441116") == 0,
       "HOTP-SHA512(41152263) equals RFC 6238 value at t=1234567890");
}

static void test_totp_window(void)
{
    const apr_int64_t t = 1700000000;       /* step 56666666, mid-step */
    const apr_int64_t cur = t / 30;
    const apr_time_t now = apr_time_from_sec(t) + 123456;
    char at[9][CSC_OTP_BUFSIZE];             /* steps cur-4 .. cur+4 */
    apr_int64_t step;
    int d;

    for (d = -4; d <= 4; d++) {
        csc_otp_generate_hotp(K20, 20, 6, CSC_OTP_SHA1,
                              (apr_uint64_t)(cur + d), at[d + 4]);
    }
    /* Sanity: the nine values differ, else the edge tests mean nothing. */
    for (d = 0; d < 9; d++) {
        int e;
        for (e = d + 1; e < 9; e++) {
            if (strcmp(at[d], at[e]) == 0) {
                break;
            }
        }
        if (e < 9) {
            break;
        }
    }
    ok(d == 9, "window fixture values are distinct");
    {
        char tnow[CSC_OTP_BUFSIZE];

        ok(csc_otp_generate_totp(K20, 20, 6, 30, CSC_OTP_SHA1, now, tnow)
           == APR_SUCCESS && strcmp(tnow, at[4]) == 0,
           "TOTP(now) is HOTP(floor(now / 30))");
    }

    for (d = -2; d <= 2; d++) {
        step = -1;
        ok(csc_otp_totp_check(K20, 20, 6, 30, CSC_OTP_SHA1, 2, now,
                              at[d + 4], -1, &step) == APR_SUCCESS
           && step == cur + d, "window 2 accepts step %+d", d);
    }
    for (d = -3; d <= 3; d += 6) {
        step = 42;
        ok(csc_otp_totp_check(K20, 20, 6, 30, CSC_OTP_SHA1, 2, now,
                              at[d + 4], -1, &step) == APR_EMISMATCH
           && step == 42, "window 2 refuses step %+d", d);
    }
    is_int(csc_otp_totp_check(K20, 20, 6, 30, CSC_OTP_SHA1, 0, now, at[4],
                              -1, &step), APR_SUCCESS,
           "window 0 accepts current step");
    is_int(csc_otp_totp_check(K20, 20, 6, 30, CSC_OTP_SHA1, 0, now, at[5],
                              -1, &step), APR_EMISMATCH,
           "window 0 refuses next step");
    is_int(csc_otp_totp_check(K20, 20, 6, 30, CSC_OTP_SHA1, 0, now, at[3],
                              -1, &step), APR_EMISMATCH,
           "window 0 refuses previous step");
    /* Step edges in time: last and first microsecond of the step. */
    is_int(csc_otp_totp_check(K20, 20, 6, 30, CSC_OTP_SHA1, 0,
                              apr_time_from_sec(cur * 30 + 30) - 1, at[4],
                              -1, &step), APR_SUCCESS,
           "last microsecond of a step still uses it");
    is_int(csc_otp_totp_check(K20, 20, 6, 30, CSC_OTP_SHA1, 0,
                              apr_time_from_sec(cur * 30 + 30), at[4],
                              -1, &step), APR_EMISMATCH,
           "first microsecond of the next step does not");

    /* Replay: the accepted step, or anything before it, is refused. */
    step = -1;
    is_int(csc_otp_totp_check(K20, 20, 6, 30, CSC_OTP_SHA1, 1, now, at[4],
                              -1, &step), APR_SUCCESS, "first use accepted");
    is_int(step, cur, "matched step reported");
    is_int(csc_otp_totp_check(K20, 20, 6, 30, CSC_OTP_SHA1, 1, now, at[4],
                              step, &step), APR_EEXIST,
           "same OTP again is a replay");
    is_int(csc_otp_totp_check(K20, 20, 6, 30, CSC_OTP_SHA1, 1, now, at[3],
                              cur, &step), APR_EEXIST,
           "older step after a newer one is a replay");
    is_int(csc_otp_totp_check(K20, 20, 6, 30, CSC_OTP_SHA1, 1, now, at[5],
                              cur, &step), APR_SUCCESS,
           "next step after the last one is accepted");
    is_int(step, cur + 1, "and reports cur+1");
    is_int(csc_otp_totp_check(K20, 20, 6, 30, CSC_OTP_SHA1, 1, now, at[4],
                              cur - 1, &step), APR_SUCCESS,
           "last_step just below matched step: accepted");

    /* Key chosen (by search) so that steps cur-3 and cur+5 share the value
     * 262769.  Taking the latest step means a replay cannot be accepted a
     * second time at the later step. */
    {
        const unsigned char *ck = (const unsigned char *)"collide-13832";
        char v[CSC_OTP_BUFSIZE];

        csc_otp_generate_hotp(ck, 13, 6, CSC_OTP_SHA1,
                              (apr_uint64_t)(cur - 3), v);
        ok(strcmp(v, "262769") == 0, "collision fixture at cur-3");
        csc_otp_generate_hotp(ck, 13, 6, CSC_OTP_SHA1,
                              (apr_uint64_t)(cur + 5), v);
        ok(strcmp(v, "262769") == 0, "collision fixture at cur+5");
        step = -1;
        ok(csc_otp_totp_check(ck, 13, 6, 30, CSC_OTP_SHA1, 5, now, "262769",
                              -1, &step) == APR_SUCCESS && step == cur + 5,
           "value matching two steps takes the later one");
        is_int(csc_otp_totp_check(ck, 13, 6, 30, CSC_OTP_SHA1, 5, now,
                                  "262769", step, &step), APR_EEXIST,
               "its replay is refused although it also matched cur-3");
        is_int(csc_otp_totp_check(ck, 13, 6, 30, CSC_OTP_SHA1, 4, now,
                                  "262769", -1, &step), APR_SUCCESS,
               "window 4 sees only cur-3");
        is_int(step, cur - 3, "and reports cur-3");
    }

    /* Near the epoch the window is clipped at step 0. */
    is_int(csc_otp_totp_check(K20, 20, 8, 30, CSC_OTP_SHA1, 3,
                              apr_time_from_sec(59), "94287082", -1, &step),
           APR_SUCCESS, "window reaching below step 0 is clipped");
    is_int(step, 1, "and finds step 1");
    is_int(csc_otp_totp_check(K20, 20, 8, 30, CSC_OTP_SHA1, 1, 0,
                              "94287082", -1, &step), APR_SUCCESS,
           "t=0 with window 1 sees step 1");
    is_int(step, 1, "step 1 from t=0");

    /* Period other than 30 changes the step. */
    csc_otp_generate_hotp(K20, 20, 6, CSC_OTP_SHA1,
                          (apr_uint64_t)(t / 60), at[0]);
    is_int(csc_otp_totp_check(K20, 20, 6, 60, CSC_OTP_SHA1, 0, now, at[0],
                              -1, &step), APR_SUCCESS, "period 60");
    is_int(step, t / 60, "period 60 step");
}

static void test_totp_input(apr_pool_t *pool)
{
    static const char *const junk[] = {
        "", "12345", "1234567", "12345a", " 123456", "123456 ",
        "123456\n", "-12345", "+12345", "12 456", "0x1234",
        ("\xef\xbc\x91" "23456"),  /* fullwidth digit one */
        "99999999999999999999999999999999"
    };
    const apr_time_t now = apr_time_from_sec(1700000000);
    char real[CSC_OTP_BUFSIZE];
    apr_int64_t step = 7;
    apr_size_t i;

    for (i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        is_int(csc_otp_totp_check(K20, 20, 6, 30, CSC_OTP_SHA1, 1, now,
                                  junk[i], -1, &step), APR_EMISMATCH,
               "malformed OTP #%u is a mismatch", (unsigned)i);
    }
    is_int(csc_otp_totp_check(K20, 20, 6, 30, CSC_OTP_SHA1, 1, now, NULL,
                              -1, &step), APR_EMISMATCH, "NULL OTP");
    is_int(step, 7, "step untouched on mismatch");

    /* The right value with one more or one less digit is refused. */
    csc_otp_generate_totp(K20, 20, 8, 30, CSC_OTP_SHA1, now, real);
    is_int(csc_otp_totp_check(K20, 20, 8, 30, CSC_OTP_SHA1, 0, now, real,
                              -1, &step), APR_SUCCESS, "8-digit value ok");
    is_int(csc_otp_totp_check(K20, 20, 8, 30, CSC_OTP_SHA1, 0, now,
                              apr_pstrcat(pool, real, "0", NULL), -1, &step),
           APR_EMISMATCH, "right value plus a digit refused");
    is_int(csc_otp_totp_check(K20, 20, 8, 30, CSC_OTP_SHA1, 0, now,
                              apr_pstrcat(pool, real, "\n", NULL), -1, &step),
           APR_EMISMATCH, "right value plus newline refused");
    real[7] = '\0';
    is_int(csc_otp_totp_check(K20, 20, 8, 30, CSC_OTP_SHA1, 0, now, real,
                              -1, &step), APR_EMISMATCH,
           "truncated 8-digit value refused");
    is_int(csc_otp_totp_check(K20, 20, 7, 30, CSC_OTP_SHA1, 0, now, real,
                              -1, &step), APR_EMISMATCH,
           "8-digit value cut to 7 is not the 7-digit OTP");
    csc_otp_generate_totp(K20, 20, 7, 30, CSC_OTP_SHA1, now, real);
    is_int((int)strlen(real), 7, "7-digit OTP has 7 digits");
    is_int(csc_otp_totp_check(K20, 20, 7, 30, CSC_OTP_SHA1, 0, now, real,
                              -1, &step), APR_SUCCESS, "7-digit value ok");

    /* Nonsense parameters. */
    csc_otp_generate_totp(K20, 20, 6, 30, CSC_OTP_SHA1, now, real);
    is_int(csc_otp_totp_check(K20, 20, 5, 30, CSC_OTP_SHA1, 0, now, "12345",
                              -1, &step), APR_EINVAL, "digits 5");
    is_int(csc_otp_totp_check(K20, 20, 9, 30, CSC_OTP_SHA1, 0, now,
                              "123456789", -1, &step), APR_EINVAL,
           "digits 9");
    is_int(csc_otp_totp_check(K20, 20, 6, 9, CSC_OTP_SHA1, 0, now, real,
                              -1, &step), APR_EINVAL, "period 9");
    is_int(csc_otp_totp_check(K20, 20, 6, 301, CSC_OTP_SHA1, 0, now, real,
                              -1, &step), APR_EINVAL, "period 301");
    is_int(csc_otp_totp_check(K20, 20, 6, 10, CSC_OTP_SHA1, 10, now, "000000",
                              -1, &step), APR_EMISMATCH,
           "period 10, window 10 are valid limits");
    is_int(csc_otp_totp_check(K20, 20, 6, 300, CSC_OTP_SHA1, 11, now, real,
                              -1, &step), APR_EINVAL, "window 11");
    is_int(csc_otp_totp_check(K20, 0, 6, 30, CSC_OTP_SHA1, 0, now, real,
                              -1, &step), APR_EINVAL, "empty key");
    is_int(csc_otp_totp_check(NULL, 20, 6, 30, CSC_OTP_SHA1, 0, now, real,
                              -1, &step), APR_EINVAL, "NULL key");
    is_int(csc_otp_totp_check(K20, CSC_OTP_MAX_KEY_LEN + 1, 6, 30,
                              CSC_OTP_SHA1, 0, now, real, -1, &step),
           APR_EINVAL, "oversized key");
    is_int(csc_otp_totp_check(K20, 20, 6, 30, (csc_otp_hash_e)3, 0, now,
                              real, -1, &step), APR_EINVAL, "bad hash");
    is_int(csc_otp_totp_check(K20, 20, 6, 30, CSC_OTP_SHA1, 0, -1, real,
                              -1, &step), APR_EINVAL, "negative time");
    is_int(csc_otp_totp_check(K20, 20, 6, 30, CSC_OTP_SHA1, 0, now, real,
                              -1, NULL), APR_EINVAL, "NULL step");
    is_int(csc_otp_generate_totp(K20, 20, 6, 30, CSC_OTP_SHA1, now, NULL),
           APR_EINVAL, "generate into NULL");
    is_int(csc_otp_generate_hotp(K20, 20, 6, CSC_OTP_SHA1,
                                 (apr_uint64_t)APR_INT64_MAX + 1, real),
           APR_EINVAL, "HOTP counter above 2^63-1");
}

static void test_hotp(void)
{
    char o3[CSC_OTP_BUFSIZE], o0[CSC_OTP_BUFSIZE];
    apr_uint64_t next = 99;

    csc_otp_generate_hotp(K20, 20, 6, CSC_OTP_SHA1, 3, o3);
    csc_otp_generate_hotp(K20, 20, 6, CSC_OTP_SHA1, 0, o0);
    ok(strcmp(o3, "969429") == 0, "HOTP(3) fixture");

    ok(csc_otp_hotp_check(K20, 20, 6, CSC_OTP_SHA1, 0, 5, o3, &next)
       == APR_SUCCESS && next == 4, "counter 0, OTP(3), lookahead 5 -> 4");
    next = 99;
    ok(csc_otp_hotp_check(K20, 20, 6, CSC_OTP_SHA1, 0, 3, o3, &next)
       == APR_SUCCESS && next == 4, "lookahead 3 reaches 3 exactly");
    next = 99;
    ok(csc_otp_hotp_check(K20, 20, 6, CSC_OTP_SHA1, 0, 2, o3, &next)
       == APR_EMISMATCH && next == 99, "lookahead 2 refuses OTP(3)");
    ok(csc_otp_hotp_check(K20, 20, 6, CSC_OTP_SHA1, 3, 0, o3, &next)
       == APR_SUCCESS && next == 4, "exact counter, lookahead 0");
    next = 99;
    ok(csc_otp_hotp_check(K20, 20, 6, CSC_OTP_SHA1, 4, 5, o3, &next)
       == APR_EEXIST && next == 99, "OTP(3) with counter 4 is a replay");
    is_int(csc_otp_hotp_check(K20, 20, 6, CSC_OTP_SHA1, 4, 0, o3, &next),
           APR_EEXIST, "replay detected even with lookahead 0");
    is_int(csc_otp_hotp_check(K20, 20, 6, CSC_OTP_SHA1, 5, 0, o3, &next),
           APR_EMISMATCH, "two behind with lookahead 0: plain mismatch");
    is_int(csc_otp_hotp_check(K20, 20, 6, CSC_OTP_SHA1, 5, 2, o3, &next),
           APR_EEXIST, "two behind with lookahead 2: replay");
    is_int(csc_otp_hotp_check(K20, 20, 6, CSC_OTP_SHA1, 1, 9, o0, &next),
           APR_EEXIST, "OTP(0) at counter 1: replay");
    is_int(csc_otp_hotp_check(K20, 20, 6, CSC_OTP_SHA1, 0, 9, "520489",
                              &next), APR_SUCCESS, "OTP(9) lookahead 9");
    is_int(next, 10, "resynchronised to 10");
    is_int(csc_otp_hotp_check(K20, 20, 6, CSC_OTP_SHA1, 0, 9, "520488",
                              &next), APR_EMISMATCH, "off-by-one value");
    is_int(csc_otp_hotp_check(K20, 20, 6, CSC_OTP_SHA1, 0, 9, "52048",
                              &next), APR_EMISMATCH, "short value");
    is_int(csc_otp_hotp_check(K20, 20, 6, CSC_OTP_SHA1, 0, 9, NULL, &next),
           APR_EMISMATCH, "NULL value");

    /* SHA-256 HOTP through the same checker (RFC 6238 value, counter 1). */
    /* Same collision key as the TOTP test: HOTP also takes the later c. */
    ok(csc_otp_hotp_check((const unsigned char *)"collide-13832", 13, 6,
                          CSC_OTP_SHA1, 56666663, 8, "262769", &next)
       == APR_SUCCESS && next == 56666672,
       "HOTP value matching two counters resyncs past the later one");

    ok(csc_otp_hotp_check(K32, 32, 8, CSC_OTP_SHA256, 0, 1, "46119246",
                          &next) == APR_SUCCESS && next == 2,
       "HOTP-SHA256 check via RFC 6238 value");

    is_int(csc_otp_hotp_check(K20, 20, 6, CSC_OTP_SHA1, 0,
                              CSC_OTP_MAX_LOOKAHEAD + 1, o3, &next),
           APR_EINVAL, "lookahead above maximum");
    is_int(csc_otp_hotp_check(K20, 20, 6, CSC_OTP_SHA1,
                              (apr_uint64_t)APR_INT64_MAX, 1, o3, &next),
           APR_EINVAL, "counter + lookahead overflow");
    is_int(csc_otp_hotp_check(K20, 20, 6, CSC_OTP_SHA1,
                              (apr_uint64_t)APR_INT64_MAX, 0, o3, &next),
           APR_EMISMATCH, "largest counter is still usable");
    is_int(csc_otp_hotp_check(K20, 20, 6, CSC_OTP_SHA1, 0, 1, o3, NULL),
           APR_EINVAL, "NULL next_counter");
}

static void test_random_code(void)
{
    char a[CSC_OTP_BUFSIZE], b[CSC_OTP_BUFSIZE];
    unsigned counts[10] = { 0 }, i, d, bad = 0, lo = 100000, hi = 0;

    is_int(csc_otp_random_code(8, a), APR_SUCCESS, "random 8 digits");
    is_int((int)strlen(a), 8, "length 8");
    is_int(csc_otp_random_code(8, b), APR_SUCCESS, "random again");
    ok(strcmp(a, b) != 0, "two random codes differ");
    is_int(csc_otp_random_code(6, a), APR_SUCCESS, "random 6 digits");
    is_int((int)strlen(a), 6, "length 6");
    is_int(csc_otp_random_code(5, a), APR_EINVAL, "5 digits refused");
    is_int(csc_otp_random_code(9, a), APR_EINVAL, "9 digits refused");
    is_int(csc_otp_random_code(6, NULL), APR_EINVAL, "NULL out");

    /* 2500 codes x 8 = 20000 digits: each digit expected 2000 times,
     * standard deviation ~42; 1750..2250 (6 sigma) catches any gross bias. */
    for (i = 0; i < 2500; i++) {
        csc_otp_random_code(8, a);
        for (d = 0; d < 8; d++) {
            if (a[d] < '0' || a[d] > '9') {
                bad++;
            }
            else {
                counts[a[d] - '0']++;
            }
        }
    }
    for (d = 0; d < 10; d++) {
        lo = counts[d] < lo ? counts[d] : lo;
        hi = counts[d] > hi ? counts[d] : hi;
    }
    is_int(bad, 0, "only digits produced");
    ok(lo >= 1750 && hi <= 2250, "digit frequencies plausible (%u..%u)",
       lo, hi);

    ok(csc_otp_code_equal("123456", "123456"), "code_equal: equal");
    ok(!csc_otp_code_equal("123456", "123457"), "code_equal: differs");
    ok(!csc_otp_code_equal("123456", "12345"), "code_equal: shorter");
    ok(!csc_otp_code_equal("123456", "1234567"), "code_equal: longer");
    ok(!csc_otp_code_equal(NULL, "1"), "code_equal: NULL");
}

static void test_secrets(apr_pool_t *p)
{
    unsigned char *key = NULL;
    apr_size_t klen = 0;
    const char *b32 = NULL, *b32b = NULL;
    unsigned i, alpha_ok = 1;

    ok(csc_otp_secret_decode("JBSWY3DPEHPK3PXP", &key, &klen, p)
       == APR_SUCCESS && klen == 10
       && memcmp(key, "Hello!\xde\xad\xbe\xef", 10) == 0,
       "base32 JBSWY3DPEHPK3PXP = 'Hello!' DE AD BE EF");
    ok(csc_otp_secret_decode("jbsw y3dp ehpk 3pxp", &key, &klen, p)
       == APR_SUCCESS && klen == 10
       && memcmp(key, "Hello!\xde\xad\xbe\xef", 10) == 0,
       "lower case with spaces decodes the same");
    ok(csc_otp_secret_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", &key, &klen,
                             p) == APR_SUCCESS && klen == 20
       && memcmp(key, K20, 20) == 0, "base32 of the RFC 4226 secret");
    ok(csc_otp_secret_decode("GEZDGNBVGY======", &key, &klen, p)
       == APR_SUCCESS && klen == 6 && memcmp(key, "123456", 6) == 0,
       "padded base32");
    ok(csc_otp_secret_decode("GEZDGNBVGY", &key, &klen, p)
       == APR_SUCCESS && klen == 6 && memcmp(key, "123456", 6) == 0,
       "unpadded base32");
    is_int(csc_otp_secret_decode("JBSWY3DPEHPK3PX1", &key, &klen, p),
           APR_EINVAL, "digit 1 is not base32");
    is_int(csc_otp_secret_decode("JBSW-Y3DP", &key, &klen, p), APR_EINVAL,
           "dash refused");
    is_int(csc_otp_secret_decode("", &key, &klen, p), APR_EINVAL, "empty");
    is_int(csc_otp_secret_decode("  ====", &key, &klen, p), APR_EINVAL,
           "only padding");
    is_int(csc_otp_secret_decode(NULL, &key, &klen, p), APR_EINVAL, "NULL");

    is_int(csc_otp_secret_generate(0, p, &b32), APR_SUCCESS,
           "generate default secret");
    is_int(b32 ? (int)strlen(b32) : -1, 32, "20 bytes -> 32 base32 chars");
    for (i = 0; b32 && b32[i]; i++) {
        if (!((b32[i] >= 'A' && b32[i] <= 'Z')
              || (b32[i] >= '2' && b32[i] <= '7'))) {
            alpha_ok = 0;
        }
    }
    ok(b32 && alpha_ok, "upper-case base32 alphabet, no padding");
    ok(b32 && csc_otp_secret_decode(b32, &key, &klen, p) == APR_SUCCESS
       && klen == 20, "generated secret decodes to 20 bytes");
    is_int(csc_otp_secret_generate(16, p, &b32b), APR_SUCCESS, "16 bytes");
    is_int(b32b ? (int)strlen(b32b) : -1, 26, "16 bytes -> 26 chars");
    ok(b32b && csc_otp_secret_decode(b32b, &key, &klen, p) == APR_SUCCESS
       && klen == 16, "round trip of 16 bytes");
    ok(b32 && b32b && strncmp(b32, b32b, 26) != 0, "secrets are random");
    is_int(csc_otp_secret_generate(15, p, &b32), APR_EINVAL, "15 bytes");
    is_int(csc_otp_secret_generate(65, p, &b32), APR_EINVAL, "65 bytes");
}

static void test_uri(apr_pool_t *p)
{
    const char *uri = NULL;

    is_int(csc_otp_uri("totp", "ACME Co", "john.doe@example.com",
                       "JBSWY3DPEHPK3PXP", 6, 30, CSC_OTP_SHA1, p, &uri),
           APR_SUCCESS, "totp URI");
    is_str(uri, "otpauth://totp/ACME%20Co:john.doe%40example.com"
           "?secret=JBSWY3DPEHPK3PXP&issuer=ACME%20Co&algorithm=SHA1"
           "&digits=6&period=30", "exact totp URI");

    is_int(csc_otp_uri("hotp", NULL, "alice", "jbsw y3dp ehpk 3pxp====", 8,
                       42, CSC_OTP_SHA256, p, &uri), APR_SUCCESS,
           "hotp URI without issuer");
    is_str(uri, "otpauth://hotp/alice?secret=JBSWY3DPEHPK3PXP"
           "&algorithm=SHA256&digits=8&counter=42",
           "exact hotp URI, normalised secret");

    is_int(csc_otp_uri("totp", "B\xc3\xa4nk & Co/EU", "a+b c?d#e",
                       "GEZDGNBVGY", 7, 60, CSC_OTP_SHA512, p, &uri),
           APR_SUCCESS, "URI with reserved and non-ASCII characters");
    is_str(uri, "otpauth://totp/B%C3%A4nk%20%26%20Co%2FEU:a%2Bb%20c%3Fd%23e"
           "?secret=GEZDGNBVGY&issuer=B%C3%A4nk%20%26%20Co%2FEU"
           "&algorithm=SHA512&digits=7&period=60", "exact escaped URI");

    is_int(csc_otp_uri("totp", "", "bob", "GEZDGNBVGY", 6, 30, CSC_OTP_SHA1,
                       p, &uri), APR_SUCCESS, "empty issuer");
    is_str(uri, "otpauth://totp/bob?secret=GEZDGNBVGY&algorithm=SHA1"
           "&digits=6&period=30", "empty issuer omitted");

    uri = "x";
    is_int(csc_otp_uri("totp", "ACME", "a:b", "GEZDGNBVGY", 6, 30,
                       CSC_OTP_SHA1, p, &uri), APR_EINVAL, "':' in account");
    ok(uri == NULL, "no URI on error");
    is_int(csc_otp_uri("totp", "AC:ME", "ab", "GEZDGNBVGY", 6, 30,
                       CSC_OTP_SHA1, p, &uri), APR_EINVAL, "':' in issuer");
    is_int(csc_otp_uri("totp", "ACME", "", "GEZDGNBVGY", 6, 30, CSC_OTP_SHA1,
                       p, &uri), APR_EINVAL, "empty account");
    is_int(csc_otp_uri("motp", "ACME", "a", "GEZDGNBVGY", 6, 30,
                       CSC_OTP_SHA1, p, &uri), APR_EINVAL, "bad kind");
    is_int(csc_otp_uri("totp", "ACME", "a", "GEZDGNBVG1", 6, 30,
                       CSC_OTP_SHA1, p, &uri), APR_EINVAL, "bad secret");
    is_int(csc_otp_uri("totp", "ACME", "a", "GEZDGNBVGY", 6, 5,
                       CSC_OTP_SHA1, p, &uri), APR_EINVAL, "period 5");
    is_int(csc_otp_uri("totp", "ACME", "a", "GEZDGNBVGY", 9, 30,
                       CSC_OTP_SHA1, p, &uri), APR_EINVAL, "digits 9");
    is_int(csc_otp_uri("hotp", "ACME", "a", "GEZDGNBVGY", 6, 0,
                       CSC_OTP_SHA1, p, &uri), APR_SUCCESS,
           "hotp counter 0 is fine");
}

/* The oathtool binary is an independent implementation (same library,
 * different front end: base32 parsing and hash selection). */
static void test_oathtool(apr_pool_t *p)
{
    static const char *const tool = "/usr/bin/oathtool";
    unsigned char *key;
    apr_size_t klen;
    char ours[CSC_OTP_BUFSIZE], line[64] = "";
    FILE *f;

    if (access(tool, X_OK) != 0) {
        skip("TOTP SHA-256 against oathtool: %s not installed", tool);
        skip("HOTP against oathtool: %s not installed", tool);
        return;
    }
    csc_otp_secret_decode("JBSWY3DPEHPK3PXP", &key, &klen, p);

    f = popen("/usr/bin/oathtool --totp=sha256 -b --now @1700000000 "
              "JBSWY3DPEHPK3PXP 2>/dev/null", "r");
    if (f) {
        if (!fgets(line, sizeof(line), f)) {
            line[0] = '\0';
        }
        pclose(f);
    }
    line[strcspn(line, "\n")] = '\0';
    csc_otp_generate_totp(key, klen, 6, 30, CSC_OTP_SHA256,
                          apr_time_from_sec(1700000000), ours);
    ok(line[0] && strcmp(ours, line) == 0,
       "TOTP-SHA256 matches oathtool (ours %s, oathtool %s)", ours, line);

    line[0] = '\0';
    f = popen("/usr/bin/oathtool --hotp -b -c 8 -d 7 JBSWY3DPEHPK3PXP "
              "2>/dev/null", "r");
    if (f) {
        if (!fgets(line, sizeof(line), f)) {
            line[0] = '\0';
        }
        pclose(f);
    }
    line[strcspn(line, "\n")] = '\0';
    csc_otp_generate_hotp(key, klen, 7, CSC_OTP_SHA1, 8, ours);
    ok(line[0] && strcmp(ours, line) == 0,
       "HOTP(8), 7 digits, matches oathtool (ours %s, oathtool %s)", ours,
       line);
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    is_int(csc_otp_init(), APR_SUCCESS, "liboath initialises");
    is_int(csc_otp_init(), APR_SUCCESS, "second init is a no-op");
    test_hash_names();
    test_rfc4226();
    test_rfc6238();
    test_totp_window();
    test_totp_input(p);
    test_hotp();
    test_random_code();
    test_secrets(p);
    test_uri(p);
    test_oathtool(p);
    apr_pool_destroy(p);
    apr_terminate();
    return tap_done();
}
