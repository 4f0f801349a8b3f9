/* SPDX-License-Identifier: Apache-2.0 */
/* csc_pin: PBKDF2 PIN hashing, verification and PIN format rules. */
#include <stdio.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "authz/csc_pin.h"
#include "tap.h"

/* Published PBKDF2-HMAC-SHA256 vector (P = "passwordPASSWORDpassword",
 * S = "saltSALTsaltSALTsaltSALTsaltSALTsalt", c = 4096, dkLen = 40 ->
 * 348c89db...7dac47e9), in our encoding.  It proves interoperability and that
 * verification follows the stored salt/hash lengths, not the defaults. */
#define VEC_SALT "c2FsdFNBTFRzYWx0U0FMVHNhbHRTQUxUc2FsdFNBTFRzYWx0"
#define VEC_HASH "NIyJ28vTKy8y2BS4EW6EzysXNH68GAAYHE4qH7jdU+HGNVGMfaxH6Q=="
#define VEC_PIN "passwordPASSWORDpassword"

static void test_hash_verify(apr_pool_t *p)
{
    const char *enc = NULL, *enc2 = NULL, *enc_fast = NULL;
    unsigned iters = 0;
    char salt[64], hash[64];

    is_int(csc_pin_hash("123456", 0, p, &enc), APR_SUCCESS, "hash default");
    ok(enc && strncmp(enc, "pbkdf2-sha256$100000$", 21) == 0,
       "default encoding names scheme and 100000 iterations: %s",
       enc ? enc : "(null)");
    ok(enc && sscanf(enc, "pbkdf2-sha256$%u$%63[^$]$%63s", &iters, salt,
                     hash) == 3
       && strlen(salt) == 24 && strlen(hash) == 44,
       "16-byte salt and 32-byte hash in padded base64");
    is_int(csc_pin_verify("123456", enc), 1, "right PIN verifies");
    is_int(csc_pin_verify("123457", enc), 0, "wrong PIN refused");
    is_int(csc_pin_verify("12345", enc), 0, "prefix of PIN refused");
    is_int(csc_pin_verify("1234567", enc), 0, "PIN plus a digit refused");
    is_int(csc_pin_verify("", enc), 0, "empty PIN refused");
    is_int(csc_pin_verify(NULL, enc), 0, "NULL PIN refused");

    is_int(csc_pin_hash("123456", 0, p, &enc2), APR_SUCCESS, "hash again");
    ok(enc && enc2 && strcmp(enc, enc2) != 0,
       "two hashes of the same PIN differ (random salt)");
    is_int(csc_pin_verify("123456", enc2), 1, "second hash verifies too");

    is_int(csc_pin_hash("s3cr3t PIN!", 1000, p, &enc_fast), APR_SUCCESS,
           "hash with 1000 iterations");
    ok(enc_fast && strncmp(enc_fast, "pbkdf2-sha256$1000$", 19) == 0,
       "iteration count recorded");
    is_int(csc_pin_verify("s3cr3t PIN!", enc_fast), 1,
           "other iteration count still verifies");
    is_int(csc_pin_verify("s3cr3t PIN?", enc_fast), 0,
           "and still refuses a wrong PIN");

    is_int(csc_pin_verify(VEC_PIN, "pbkdf2-sha256$4096$" VEC_SALT "$"
                          VEC_HASH), 1,
           "published PBKDF2-HMAC-SHA256 vector verifies");
    is_int(csc_pin_verify("passwordPASSWORDpassworD", "pbkdf2-sha256$4096$"
                          VEC_SALT "$" VEC_HASH), 0,
           "vector with wrong password refused");
    /* Last byte 0xE9 -> 0xEA: the whole hash is compared, not a prefix. */
    is_int(csc_pin_verify(VEC_PIN, "pbkdf2-sha256$4096$" VEC_SALT "$"
                          "NIyJ28vTKy8y2BS4EW6EzysXNH68GAAYHE4qH7jdU+HGNVGMfaxH"
                          "6g=="), 0,
           "vector with last hash byte changed refused");
    is_int(csc_pin_verify(VEC_PIN, "pbkdf2-sha256$4097$" VEC_SALT "$"
                          VEC_HASH), 0,
           "vector with wrong iteration count refused");

    is_int(csc_pin_hash("1234", 999, p, &enc), APR_EINVAL,
           "iterations below minimum refused");
    is_int(csc_pin_hash("1234", CSC_PIN_MAX_ITERATIONS + 1, p, &enc),
           APR_EINVAL, "iterations above maximum refused");
    ok(enc == NULL, "no output on failure");
    is_int(csc_pin_hash(NULL, 1000, p, &enc), APR_EINVAL, "NULL PIN");
    is_int(csc_pin_hash("1234", 1000, p, NULL), APR_EINVAL, "NULL out");
}

static void test_malformed(apr_pool_t *p)
{
    const char *good = NULL;
    apr_size_t salt_at, hash_at;
    char *copy;
    static const char *const bad[] = {
        "",
        "pbkdf2-sha256",
        "pbkdf2-sha256$",
        "pbkdf2-sha256$4096",
        "pbkdf2-sha256$4096$" VEC_SALT,
        "pbkdf2-sha256$4096$" VEC_SALT "$",
        "pbkdf2-sha256$4096$$" VEC_HASH,
        "pbkdf2-sha256$4096$" VEC_SALT "$" VEC_HASH "$",
        "pbkdf2-sha256$4096$" VEC_SALT "$" VEC_HASH "$x",
        "pbkdf2-sha1$4096$" VEC_SALT "$" VEC_HASH,
        "PBKDF2-SHA256$4096$" VEC_SALT "$" VEC_HASH,
        "$pbkdf2-sha256$4096$" VEC_SALT "$" VEC_HASH,
        "pbkdf2-sha256$$" VEC_SALT "$" VEC_HASH,
        "pbkdf2-sha256$04096$" VEC_SALT "$" VEC_HASH,
        "pbkdf2-sha256$+4096$" VEC_SALT "$" VEC_HASH,
        "pbkdf2-sha256$-4096$" VEC_SALT "$" VEC_HASH,
        "pbkdf2-sha256$4096x$" VEC_SALT "$" VEC_HASH,
        "pbkdf2-sha256$999$" VEC_SALT "$" VEC_HASH,
        "pbkdf2-sha256$10000001$" VEC_SALT "$" VEC_HASH,
        "pbkdf2-sha256$99999999999999999999$" VEC_SALT "$" VEC_HASH,
        "pbkdf2-sha256$4294971392$" VEC_SALT "$" VEC_HASH, /* 2^32 + 4096 */
        "pbkdf2-sha256$4096$c2FsdA==$" VEC_HASH,           /* 4-byte salt */
        "pbkdf2-sha256$4096$" VEC_SALT "$AAAAAAAAAAAAAAAAAAAA", /* 15 B */
        "pbkdf2-sha256$4096$" VEC_SALT "$" VEC_HASH "=",
        "pbkdf2-sha256$4096$" VEC_SALT "$" VEC_HASH " ",
        "pbkdf2-sha256$4096$ " VEC_SALT "$" VEC_HASH,
        "pbkdf2-sha256$4096$" VEC_SALT "$NIyJ28vTKy8y2BS4EW6EzysXNH68GAAY"
            "HE4qH7jdU+HGNVGMfaxH6Q=",                     /* bad length */
        "pbkdf2-sha256$4096$" VEC_SALT "$NIyJ28vTKy8y2BS4EW6EzysXNH68GAAY"
            "HE4qH7jdU-HGNVGMfaxH6Q==",                    /* base64url */
        "pbkdf2-sha256$4096$" VEC_SALT "$NIyJ28vTKy8y2BS4EW6E=ysXNH68GAAY"
            "HE4qH7jdU+HGNVGMfaxH6Q==",                    /* inner '=' */
        "pbkdf2-sha256$4096$" VEC_SALT "$NIyJ28vTKy8y2BS4EW6EzysXNH68GAAY"
            "HE4qH7jdU+HGNVGMfaxH===",                     /* 3 pads */
    };
    apr_size_t i;

    is_int(csc_pin_verify(VEC_PIN, NULL), -1, "NULL encoding is malformed");
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        is_int(csc_pin_verify(VEC_PIN, bad[i]), -1, "malformed #%u: '%s'",
               (unsigned)i, bad[i]);
    }
    is_int(csc_pin_verify(NULL, bad[10]), -1,
           "malformed wins over NULL PIN");

    /* A hash-length 64-byte (maximum) salt is accepted, 65 is not. */
    is_int(csc_pin_verify("x", apr_pstrcat(p, "pbkdf2-sha256$1000$",
           "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
           "AAAAAAAAAAAAAAAAAAAAAA==", "$", VEC_HASH, NULL)), 0,
           "64-byte salt parses (and mismatches)");
    is_int(csc_pin_verify("x", apr_pstrcat(p, "pbkdf2-sha256$1000$",
           "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
           "AAAAAAAAAAAAAAAAAAAAAAA=", "$", VEC_HASH, NULL)), -1,
           "65-byte salt is malformed");

    /* Flip one character of a genuine hash: still well-formed, no match. */
    if (!is_int(csc_pin_hash("2468", 1000, p, &good), APR_SUCCESS,
                "hash 2468")) {
        return;
    }
    salt_at = (apr_size_t)(strchr(good + sizeof("pbkdf2-sha256$"), '$')
                           - good) + 1;
    hash_at = (apr_size_t)(strchr(good + salt_at, '$') - good) + 1;
    copy = apr_pstrdup(p, good);
    copy[hash_at] = (copy[hash_at] == 'A') ? 'B' : 'A';
    is_int(csc_pin_verify("2468", copy), 0, "tampered hash refused");
    copy = apr_pstrdup(p, good);
    copy[salt_at] = (copy[salt_at] == 'A') ? 'B' : 'A';
    is_int(csc_pin_verify("2468", copy), 0, "tampered salt refused");
    is_int(csc_pin_verify("2468", good), 1, "original still verifies");
}

static void test_format(void)
{
    is_int(csc_pin_format_ok("1234", 'N'), 1, "N: 4 digits");
    is_int(csc_pin_format_ok("123", 'N'), 0, "N: 3 digits too short");
    is_int(csc_pin_format_ok("12a4", 'N'), 0, "N: letter refused");
    is_int(csc_pin_format_ok("12 34", 'N'), 0, "N: space refused");
    is_int(csc_pin_format_ok("-1234", 'N'), 0, "N: sign refused");
    is_int(csc_pin_format_ok(
        "1234567890123456789012345678901234567890123456789012345678901234",
        'N'), 1, "N: 64 digits");
    is_int(csc_pin_format_ok(
        "12345678901234567890123456789012345678901234567890123456789012345",
        'N'), 0, "N: 65 digits too long");
    is_int(csc_pin_format_ok("Ab1!", 'A'), 1, "A: letters, digit, symbol");
    is_int(csc_pin_format_ok("pass phrase ~{}", 'A'), 1, "A: space, braces");
    is_int(csc_pin_format_ok("1234", 'A'), 1, "A: digits are printable");
    is_int(csc_pin_format_ok("abc", 'A'), 0, "A: 3 chars too short");
    is_int(csc_pin_format_ok("abc\tdef", 'A'), 0, "A: tab refused");
    is_int(csc_pin_format_ok("abcd\n", 'A'), 0, "A: newline refused");
    is_int(csc_pin_format_ok("abc\x7f", 'A'), 0, "A: DEL refused");
    is_int(csc_pin_format_ok("p\xc3\xa4ss", 'A'), 0, "A: non-ASCII refused");
    is_int(csc_pin_format_ok("1234", 'X'), 0, "unknown format letter");
    is_int(csc_pin_format_ok("1234", 'n'), 0, "format letter is exact");
    is_int(csc_pin_format_ok(NULL, 'N'), 0, "NULL PIN");
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_hash_verify(p);
    test_malformed(p);
    test_format();
    apr_pool_destroy(p);
    apr_terminate();
    return tap_done();
}
