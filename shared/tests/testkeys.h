/* SPDX-License-Identifier: Apache-2.0 */
/* Test keys.  RSA generation dominates the unit tests under valgrind
 * (minutes for RSA-3072), and memcheck is there to check our code, not
 * OpenSSL's prime search: with CSC_TEST_KEYS set to a directory, a key is
 * generated once, saved there under its name and loaded by later runs.
 * tools/test.sh points the native and the valgrind stage at one directory,
 * so the native run still generates every key itself. */
#ifndef CSC_TESTS_TESTKEYS_H
#define CSC_TESTS_TESTKEYS_H

#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

/* name: a file name for the cache; rsa_bits > 0 for RSA, else the EC group
 * (or an algorithm name such as "ED25519" with group_is_alg set). */
static EVP_PKEY *test_key(const char *name, int rsa_bits, const char *group,
                          int group_is_alg) __attribute__((unused));
static EVP_PKEY *test_key(const char *name, int rsa_bits, const char *group,
                          int group_is_alg)
{
    const char *dir = getenv("CSC_TEST_KEYS");
    char path[4096];
    EVP_PKEY *k = NULL;
    FILE *f;

    if (dir && *dir) {
        snprintf(path, sizeof(path), "%s/%s.pem", dir, name);
        if ((f = fopen(path, "r")) != NULL) {
            k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
            fclose(f);
            if (k) {
                return k;
            }
        }
    }
    k = rsa_bits ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)rsa_bits)
        : group_is_alg ? EVP_PKEY_Q_keygen(NULL, NULL, group)
        : EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
    if (k && dir && *dir && (f = fopen(path, "w")) != NULL) {
        PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
        fclose(f);
    }
    return k;
}

#endif
