/* SPDX-License-Identifier: Apache-2.0 */
/* Static credential PINs.  The RSSP never stores a PIN, only a salted,
 * deliberately slow PBKDF2-HMAC-SHA256 hash in a self-describing string:
 *
 *     pbkdf2-sha256$<iterations>$<base64 salt>$<base64 hash>
 *
 * (RFC 4648 base64 with padding).  Because the cost travels with every hash,
 * the default can be raised later without invalidating stored PINs; callers
 * may rehash on the next successful verification. */
#ifndef CSC_PIN_H
#define CSC_PIN_H

#include <apr_pools.h>
#include <apr_errno.h>

/* Why 100000: a PIN is checked online, inside an httpd worker, on every
 * credentials/authorize, so the cost is paid per request.  On the reference
 * box (2 vCPU EPYC, OpenSSL 3.0) 100000 iterations take about 22 ms, which
 * bounds a worker at ~45 PIN checks/s/core: tolerable next to RSA signing
 * (~2.5k/s) only because PIN checks are far rarer than signatures.  OWASP's
 * 600000 would cost ~130 ms per attempt.  No iteration count makes a stolen
 * hash of a 6-digit PIN safe (10^6 guesses); the real protections are the
 * attempt counter/lockout and keeping the store private.  The slow hash only
 * buys time and stops precomputation.  Override at build time with
 * -DCSC_PIN_DEFAULT_ITERATIONS=n or per call through csc_pin_hash(). */
#ifndef CSC_PIN_DEFAULT_ITERATIONS
#define CSC_PIN_DEFAULT_ITERATIONS 100000
#endif

/* Bounds enforced for hashing and for verification of stored strings: the
 * upper bound keeps a corrupted or hostile store entry from pinning a worker
 * for minutes. */
#define CSC_PIN_MIN_ITERATIONS 1000
#define CSC_PIN_MAX_ITERATIONS 10000000

#define CSC_PIN_SALT_LEN 16
#define CSC_PIN_HASH_LEN 32

/* PIN length limits for csc_pin_format_ok(), in characters (= bytes, since
 * only ASCII is accepted).  4 is the usual smart-card floor; 64 leaves room for
 * passphrases while keeping request bodies and hashing input bounded. */
#define CSC_PIN_MIN_LEN 4
#define CSC_PIN_MAX_LEN 64

/* Hashes pin with a fresh 16-byte random salt.  iterations == 0 selects
 * CSC_PIN_DEFAULT_ITERATIONS; otherwise it must lie within
 * [CSC_PIN_MIN_ITERATIONS, CSC_PIN_MAX_ITERATIONS].  *encoded is allocated
 * from p.  Returns APR_EINVAL on bad arguments, APR_EGENERAL if the RNG or
 * KDF fails. */
apr_status_t csc_pin_hash(const char *pin, apr_uint32_t iterations,
                          apr_pool_t *p, const char **encoded);

/* 1: pin matches encoded; 0: it does not (also for pin == NULL);
 * -1: encoded is malformed, uses an unknown scheme or an out-of-range cost.
 * The comparison is constant-time. */
int csc_pin_verify(const char *pin, const char *encoded);

/* Checks a PIN against the CSC PIN/format letter before it is hashed or
 * verified:  'N' = ASCII digits only, 'A' = any printable ASCII (0x20..0x7E,
 * so letters, digits, symbols and space).  Non-ASCII is refused on purpose:
 * the same UTF-8 text can arrive in different normalisation forms from
 * different clients and would then never match.  Length must be within
 * [CSC_PIN_MIN_LEN, CSC_PIN_MAX_LEN].  Returns 1 if acceptable, else 0
 * (also for an unknown format letter). */
int csc_pin_format_ok(const char *pin, char format);

#endif
