/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include <apr_strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "authz/csc_secret.h"
#include "base/csc_b64.h"
#include "oauth2/csc_client_secret.h"

#define SALT_LEN 16

/* SHA-256(salt || secret) */
static int salted(const unsigned char *salt, const char *secret,
                  unsigned char out[32])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned int n = 32;
    int ok = md && EVP_DigestInit_ex(md, csc_secret_sha256(), NULL) == 1
             && EVP_DigestUpdate(md, salt, SALT_LEN) == 1
             && EVP_DigestUpdate(md, secret, strlen(secret)) == 1
             && EVP_DigestFinal_ex(md, out, &n) == 1;

    EVP_MD_CTX_free(md);
    return ok;
}

const char *csc_client_secret_hash(const char *secret, apr_pool_t *p)
{
    unsigned char salt[SALT_LEN], d[32];
    const char *out;

    if (!secret || strlen(secret) < CSC_CLIENT_SECRET_MIN
        || RAND_bytes(salt, SALT_LEN) != 1 || !salted(salt, secret, d)) {
        return NULL;
    }
    out = apr_pstrcat(p, "sha256$", csc_b64_encode(salt, SALT_LEN, p), "$",
                      csc_b64_encode(d, 32, p), NULL);
    OPENSSL_cleanse(d, sizeof(d));
    return out;
}

int csc_client_secret_verify(const char *secret, const char *hash)
{
    unsigned char *salt = NULL, *want = NULL, got[32];
    apr_size_t slen = 0, wlen = 0;
    const char *s1, *s2;
    apr_pool_t *p;
    int ok = -1;

    if (!hash || strncmp(hash, "sha256$", 7) != 0
        || !(s1 = hash + 7) || !(s2 = strchr(s1, '$'))) {
        return -1;
    }
    if (apr_pool_create(&p, NULL) != APR_SUCCESS) {
        return -1;
    }
    if (csc_b64_decode(s1, (apr_size_t)(s2 - s1), &salt, &slen, p) == 0
        && csc_b64_decode(s2 + 1, strlen(s2 + 1), &want, &wlen, p) == 0
        && slen == SALT_LEN && wlen == 32) {
        ok = secret && salted(salt, secret, got)
             && CRYPTO_memcmp(got, want, 32) == 0;
        OPENSSL_cleanse(got, sizeof(got));
    }
    apr_pool_destroy(p);
    return ok;
}
