/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "base/csc_b64.h"
#include "authz/csc_secret.h"

const char *csc_secret_random(apr_size_t nbytes, apr_pool_t *p)
{
    unsigned char buf[32];

    if (nbytes > sizeof(buf) || RAND_bytes(buf, (int)nbytes) != 1) {
        return NULL;
    }
    return csc_b64url_encode(buf, nbytes, p);
}

const char *csc_secret_new(apr_pool_t *p)
{
    return csc_secret_random(32, p);
}

/* Fetched once: EVP_sha256() looks the algorithm up in the provider store
 * on every use, which costs more than hashing a token. */
static EVP_MD *sha256;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void fetch_sha256(void)
{
    sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

const EVP_MD *csc_secret_sha256(void)
{
    pthread_once(&sha256_once, fetch_sha256);
    return sha256 ? sha256 : EVP_sha256();
}

void csc_secret_state_key(const csc_env_t *env, char kind,
                          const char *secret,
                          unsigned char key[CSC_SECRET_KEY_LEN])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    const char *realm = env->cfg->store_spec ? env->cfg->store_spec : "";
    unsigned int n = 32;

    key[0] = (unsigned char)kind;
    key[1] = ':';
    EVP_DigestInit_ex(md, csc_secret_sha256(), NULL);
    EVP_DigestUpdate(md, realm, strlen(realm) + 1);
    EVP_DigestUpdate(md, secret, strlen(secret));
    EVP_DigestFinal_ex(md, key + 2, &n);
    EVP_MD_CTX_free(md);
}
