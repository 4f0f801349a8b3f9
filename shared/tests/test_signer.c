/* SPDX-License-Identifier: Apache-2.0 */
/* csc_signer: every algorithm signs and the signature verifies with OpenSSL
 * against the public key; request errors map to their codes; the key cache
 * is per process, thread-safe and dropped after fork.
 *
 * Default: software keys generated here (file: and provider:file: refs).
 * With CSC_TEST_PKCS11=1 (set by softhsm-signer-check.sh) it runs the
 * engine: tests against a SoftHSM2 token instead; variables:
 *   CSC_TEST_P11_MODULE, CSC_TEST_P11_PIN   module path and user PIN
 *   CSC_TEST_RSA_REF, CSC_TEST_EC_REF       engine:pkcs11:... references
 *   CSC_TEST_RSA_PUB, CSC_TEST_EC_PUB       exported public keys (PEM)
 *   CSC_TEST_TOKENDIR                       SoftHSM token directory, renamed
 *                                           away and back for the recovery
 *                                           test */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/csc_algo.h"
#include "base/csc_log.h"
#include "signer/csc_signer.h"
#include "tap.h"
#include "testkeys.h"

#define SHA3_256 "2.16.840.1.101.3.4.2.8"

typedef struct {
    const char *name;
    const char *ref;
    EVP_PKEY *pub;               /* public half only, detached from signer */
    csc_key_type_e type;
    int bits;
} key_t_;

static char tmpdir[64];
static int reinit_logged;        /* "re-initialising" messages seen */
static const char *secret;       /* must never appear in a log line */
static int secret_logged;

static void log_sink(void *baton, const char *file, int line, int level,
                     const char *msg)
{
    (void)baton;
    (void)file;
    (void)line;
    (void)level;
    if (strstr(msg, "re-initialising")) {
        reinit_logged++;
    }
    if (secret && strstr(msg, secret)) {
        secret_logged++;
    }
    printf("# log: %s\n", msg);
}

/* ---- helpers ------------------------------------------------------------ */

static EVP_PKEY *public_only(EVP_PKEY *k)
{
    unsigned char *der = NULL;
    const unsigned char *q;
    int n = i2d_PUBKEY(k, &der);
    EVP_PKEY *pub;

    q = der;
    pub = n > 0 ? d2i_PUBKEY(NULL, &q, n) : NULL;
    OPENSSL_free(der);
    return pub;
}

static EVP_PKEY *read_pub_pem(const char *path)
{
    FILE *f = fopen(path, "r");
    EVP_PKEY *k = f ? PEM_read_PUBKEY(f, NULL, NULL, NULL) : NULL;

    if (f) {
        fclose(f);
    }
    return k;
}

static int write_key(EVP_PKEY *k, const char *path, int form)
{
    BIO *b = BIO_new_file(path, "w");
    int ok_ = 0;

    if (!b) {
        return 0;
    }
    if (form == 0) {
        ok_ = PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
    }
    else if (form == 1) {
        ok_ = PEM_write_bio_PrivateKey_traditional(b, k, NULL, NULL, 0, NULL,
                                                   NULL);
    }
    else if (form == 2) {
        ok_ = i2d_PKCS8PrivateKey_bio(b, k, NULL, NULL, 0, NULL, NULL);
    }
    else {
        ok_ = PEM_write_bio_PrivateKey(b, k, EVP_aes_128_cbc(), NULL, 0, NULL,
                                       (void *)"secret");
    }
    BIO_free(b);
    chmod(path, 0600);
    return ok_;
}

static int resolve(const char *sign_oid, const char *hash_oid,
                   const csc_hash_t *pss_hash, int salt, csc_sig_params_t *sp,
                   apr_pool_t *p)
{
    unsigned char *der = NULL;
    apr_size_t dlen = 0;
    csc_algo_err_e err;

    if (pss_hash) {
        csc_algo_pss_params_encode(pss_hash, pss_hash, salt, &der, &dlen, p);
    }
    return csc_algo_resolve(sign_oid, hash_oid, der, dlen, sp, &err)
           == APR_SUCCESS;
}

static void digest_of(const csc_hash_t *h, const char *msg, unsigned char *out)
{
    unsigned int n = 0;

    EVP_Digest(msg, strlen(msg), out, &n, h->md(), NULL);
}

static int verify(EVP_PKEY *pub, const csc_sig_params_t *sp,
                  const unsigned char *dg, apr_size_t dlen,
                  const unsigned char *sig, apr_size_t slen)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pub, NULL);
    int r = c && EVP_PKEY_verify_init(c) > 0;

    if (r && sp->scheme == CSC_SCHEME_PKCS1) {
        r = EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) > 0;
    }
    else if (r && sp->scheme == CSC_SCHEME_PSS) {
        r = EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PSS_PADDING) > 0
            && EVP_PKEY_CTX_set_rsa_mgf1_md(c, sp->mgf1_hash->md()) > 0
            && EVP_PKEY_CTX_set_rsa_pss_saltlen(c, sp->salt_len) > 0;
    }
    r = r && EVP_PKEY_CTX_set_signature_md(c, sp->hash->md()) > 0
        && EVP_PKEY_verify(c, sig, slen, dg, dlen) == 1;
    EVP_PKEY_CTX_free(c);
    ERR_clear_error();
    return r;
}

/* Signs msg's digest and verifies; returns 1 on a verified signature. */
static int sign_verify(const key_t_ *k, const csc_sig_params_t *sp,
                       const char *msg, apr_pool_t *p, const char **why)
{
    unsigned char dg[64], *sig = NULL;
    apr_size_t slen = 0;
    const char *err = NULL;
    apr_status_t rv;

    *why = NULL;
    digest_of(sp->hash, msg, dg);
    rv = csc_signer_sign(k->ref, sp, dg, sp->hash->len, &sig, &slen, p, &err);
    if (rv != APR_SUCCESS) {
        *why = apr_psprintf(p, "sign: %d %s", rv, err ? err : "");
    }
    else if (!verify(k->pub, sp, dg, sp->hash->len, sig, slen)) {
        *why = "does not verify";
    }
    else {
        dg[0] ^= 1;
        if (verify(k->pub, sp, dg, sp->hash->len, sig, slen)) {
            *why = "verifies for another digest too";
        }
    }
    if (*why) {
        /* a TAP comment; the caller's ok() says whether it was expected */
        printf("# %s (%s): %s\n", k->name, msg, *why);
        return 0;
    }
    return 1;
}

/* ---- signing with every algorithm -------------------------------------- */

static void test_all_algorithms(const key_t_ *k, int sha3, apr_pool_t *p)
{
    static const char *const hashes[] = { CSC_OID_SHA256, CSC_OID_SHA384,
                                          CSC_OID_SHA512 };
    csc_sig_params_t sp;
    const char *why = "";
    size_t i;

    if (k->type == CSC_KEY_RSA) {
        static const char *const implied[] = {
            CSC_OID_SHA256_WITH_RSA, CSC_OID_SHA384_WITH_RSA,
            CSC_OID_SHA512_WITH_RSA };
        for (i = 0; i < 3; i++) {
            resolve(implied[i], NULL, NULL, 0, &sp, p);
            ok(sign_verify(k, &sp, "implied", p, &why), "%s %s",
               k->name, implied[i]);
            resolve(CSC_OID_RSA_ENCRYPTION, hashes[i], NULL, 0, &sp, p);
            ok(sign_verify(k, &sp, "rsaEncryption", p, &why),
               "%s rsaEncryption + %s", k->name, hashes[i]);
            {
                const csc_hash_t *h = csc_algo_hash_by_oid(hashes[i]);
                resolve(CSC_OID_RSASSA_PSS, NULL, h, (int)h->len, &sp, p);
                ok(sign_verify(k, &sp, "pss", p, &why),
                   "%s RSASSA-PSS %s salt %d", k->name, h->name,
                   (int)h->len);
            }
        }
        {
            const csc_hash_t *h = csc_algo_hash(CSC_HASH_SHA256);
            int max = (k->bits - 1 + 7) / 8 - 32 - 2;
            resolve(CSC_OID_RSASSA_PSS, NULL, h, 0, &sp, p);
            ok(sign_verify(k, &sp, "pss0", p, &why),
               "%s PSS salt 0", k->name);
            resolve(CSC_OID_RSASSA_PSS, NULL, h, max, &sp, p);
            ok(sign_verify(k, &sp, "pssmax", p, &why),
               "%s PSS maximum salt %d", k->name, max);
        }
        if (sha3) {
            resolve(CSC_OID_RSA_ENCRYPTION, SHA3_256, NULL, 0, &sp, p);
            ok(sign_verify(k, &sp, "sha3", p, &why),
               "%s rsaEncryption + SHA3-256", k->name);
            resolve(CSC_OID_RSASSA_PSS, NULL,
                    csc_algo_hash(CSC_HASH_SHA3_256), 32, &sp, p);
            ok(sign_verify(k, &sp, "sha3pss", p, &why),
               "%s PSS SHA3-256", k->name);
        }
    }
    else {
        static const char *const implied[] = {
            CSC_OID_ECDSA_SHA256, CSC_OID_ECDSA_SHA384, CSC_OID_ECDSA_SHA512 };
        for (i = 0; i < 3; i++) {
            resolve(implied[i], NULL, NULL, 0, &sp, p);
            ok(sign_verify(k, &sp, "ecdsa", p, &why), "%s %s", k->name,
               implied[i]);
            resolve(CSC_OID_EC_PUBLIC_KEY, hashes[i], NULL, 0, &sp, p);
            ok(sign_verify(k, &sp, "ecpub", p, &why),
               "%s id-ecPublicKey + %s", k->name, hashes[i]);
        }
        if (sha3) {
            resolve(CSC_OID_EC_PUBLIC_KEY, SHA3_256, NULL, 0, &sp, p);
            ok(sign_verify(k, &sp, "sha3", p, &why),
               "%s id-ecPublicKey + SHA3-256", k->name);
        }
    }
}

/* PKCS#1 v1.5 really wraps a DigestInfo, and rsaEncryption+SHA-256 is the
 * very same signature as sha256WithRSAEncryption (v1.5 is deterministic). */
static void test_pkcs1_digestinfo(const key_t_ *k, apr_pool_t *p)
{
    static const unsigned char prefix[] = {
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
        0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 };
    csc_sig_params_t a, b;
    unsigned char dg[32], *s1 = NULL, *s2 = NULL, out[512];
    apr_size_t l1 = 0, l2 = 0;
    size_t olen = sizeof(out);
    const char *err;
    EVP_PKEY_CTX *c;
    int r;

    resolve(CSC_OID_SHA256_WITH_RSA, NULL, NULL, 0, &a, p);
    resolve(CSC_OID_RSA_ENCRYPTION, CSC_OID_SHA256, NULL, 0, &b, p);
    digest_of(a.hash, "digestinfo", dg);
    csc_signer_sign(k->ref, &a, dg, 32, &s1, &l1, p, &err);
    csc_signer_sign(k->ref, &b, dg, 32, &s2, &l2, p, &err);
    ok(s1 && s2 && l1 == l2 && memcmp(s1, s2, l1) == 0,
       "%s: rsaEncryption+SHA-256 == sha256WithRSAEncryption", k->name);
    is_int(l1, k->bits / 8, "%s: signature is modulus-sized", k->name);

    c = EVP_PKEY_CTX_new(k->pub, NULL);
    r = s1 && EVP_PKEY_verify_recover_init(c) > 0
        && EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) > 0
        && EVP_PKEY_verify_recover(c, out, &olen, s1, l1) > 0;
    EVP_PKEY_CTX_free(c);
    ok(r && olen == sizeof(prefix) + 32
       && memcmp(out, prefix, sizeof(prefix)) == 0
       && memcmp(out + sizeof(prefix), dg, 32) == 0,
       "%s: recovered block is DigestInfo(SHA-256, digest)", k->name);
}

static void test_ecdsa_der(const key_t_ *k, apr_pool_t *p)
{
    csc_sig_params_t sp;
    unsigned char dg[32], *sig = NULL, *re = NULL;
    const unsigned char *q;
    apr_size_t slen = 0;
    const char *err;
    ECDSA_SIG *es;
    int n = 0;

    resolve(CSC_OID_ECDSA_SHA256, NULL, NULL, 0, &sp, p);
    digest_of(sp.hash, "der", dg);
    csc_signer_sign(k->ref, &sp, dg, 32, &sig, &slen, p, &err);
    q = sig;
    es = sig ? d2i_ECDSA_SIG(NULL, &q, (long)slen) : NULL;
    if (es) {
        n = i2d_ECDSA_SIG(es, &re);
    }
    ok(es && q == sig + slen && (apr_size_t)n == slen
       && memcmp(re, sig, slen) == 0,
       "%s: signature is one DER ECDSA-Sig-Value (%d bytes)", k->name,
       (int)slen);
    ECDSA_SIG_free(es);
    OPENSSL_free(re);
}

static void test_request_errors(const key_t_ *rsa, const key_t_ *ec,
                                apr_pool_t *p)
{
    csc_sig_params_t sp;
    unsigned char dg[64] = { 0 }, *sig;
    apr_size_t slen;
    const char *err;

    resolve(CSC_OID_SHA256_WITH_RSA, NULL, NULL, 0, &sp, p);
    is_int(csc_signer_sign(rsa->ref, &sp, dg, 31, &sig, &slen, p, &err),
           CSC_SIGNER_EDIGESTLEN, "31-byte digest for SHA-256");
    is_int(csc_signer_sign(rsa->ref, &sp, dg, 48, &sig, &slen, p, &err),
           CSC_SIGNER_EDIGESTLEN, "48-byte digest for SHA-256");
    ok(sig == NULL && slen == 0, "no signature on error");
    resolve(CSC_OID_ECDSA_SHA384, NULL, NULL, 0, &sp, p);
    is_int(csc_signer_sign(ec->ref, &sp, dg, 32, &sig, &slen, p, &err),
           CSC_SIGNER_EDIGESTLEN, "32-byte digest for ecdsa-with-SHA384");

    is_int(csc_signer_sign(rsa->ref, &sp, dg, 48, &sig, &slen, p, &err),
           CSC_SIGNER_EKEYTYPE, "%s with ecdsa-with-SHA384", rsa->name);
    resolve(CSC_OID_EC_PUBLIC_KEY, CSC_OID_SHA256, NULL, 0, &sp, p);
    is_int(csc_signer_sign(rsa->ref, &sp, dg, 32, &sig, &slen, p, &err),
           CSC_SIGNER_EKEYTYPE, "%s with id-ecPublicKey", rsa->name);
    resolve(CSC_OID_SHA256_WITH_RSA, NULL, NULL, 0, &sp, p);
    is_int(csc_signer_sign(ec->ref, &sp, dg, 32, &sig, &slen, p, &err),
           CSC_SIGNER_EKEYTYPE, "%s with sha256WithRSAEncryption", ec->name);
    resolve(CSC_OID_RSASSA_PSS, NULL, csc_algo_hash(CSC_HASH_SHA256), 32, &sp,
            p);
    is_int(csc_signer_sign(ec->ref, &sp, dg, 32, &sig, &slen, p, &err),
           CSC_SIGNER_EKEYTYPE, "%s with RSASSA-PSS", ec->name);

    {
        int max = (rsa->bits - 1 + 7) / 8 - 32 - 2;
        resolve(CSC_OID_RSASSA_PSS, NULL, csc_algo_hash(CSC_HASH_SHA256),
                max + 1, &sp, p);
        is_int(csc_signer_sign(rsa->ref, &sp, dg, 32, &sig, &slen, p, &err),
               CSC_SIGNER_EPARAMS, "%s: PSS salt %d (one too long)",
               rsa->name, max + 1);
    }
    is_int(csc_signer_sign(rsa->ref, NULL, dg, 32, &sig, &slen, p, &err),
           APR_EINVAL, "NULL params");
}

/* ---- threads and fork -------------------------------------------------- */

typedef struct {
    const key_t_ *keys;
    int nkeys;
    int iterations;
    int seed;
    int failures;
    char why[200];
} thread_arg_t;

static void *signer_thread(void *arg)
{
    thread_arg_t *t = arg;
    apr_pool_t *p;
    int i;

    apr_pool_create_unmanaged_ex(&p, NULL, NULL);
    for (i = 0; i < t->iterations; i++) {
        const key_t_ *k = &t->keys[(t->seed + i) % t->nkeys];
        csc_sig_params_t sp;
        const char *why = NULL;
        char msg[64];

        if (k->type == CSC_KEY_RSA) {
            switch ((t->seed + i) % 3) {
            case 0:
                resolve(CSC_OID_SHA256_WITH_RSA, NULL, NULL, 0, &sp, p);
                break;
            case 1:
                resolve(CSC_OID_RSASSA_PSS, NULL,
                        csc_algo_hash(CSC_HASH_SHA384), 48, &sp, p);
                break;
            default:
                resolve(CSC_OID_RSA_ENCRYPTION, CSC_OID_SHA512, NULL, 0, &sp,
                        p);
            }
        }
        else {
            resolve((t->seed + i) % 2 ? CSC_OID_ECDSA_SHA256
                    : CSC_OID_ECDSA_SHA512, NULL, NULL, 0, &sp, p);
        }
        snprintf(msg, sizeof(msg), "thread %d iteration %d", t->seed, i);
        if (!sign_verify(k, &sp, msg, p, &why)) {
            t->failures++;
            snprintf(t->why, sizeof(t->why), "%s: %s", k->name, why);
        }
        apr_pool_clear(p);
    }
    apr_pool_destroy(p);
    return NULL;
}

static void test_threads(const key_t_ *keys, int nkeys, int iterations)
{
    pthread_t th[8];
    thread_arg_t args[8];
    int i, failures = 0, started = 0;
    const char *why = "";

    for (i = 0; i < 8; i++) {
        memset(&args[i], 0, sizeof(args[i]));
        args[i].keys = keys;
        args[i].nkeys = nkeys;
        args[i].iterations = iterations;
        args[i].seed = i;
        if (pthread_create(&th[i], NULL, signer_thread, &args[i]) == 0) {
            started++;
        }
    }
    for (i = 0; i < started; i++) {
        pthread_join(th[i], NULL);
        failures += args[i].failures;
        if (args[i].failures) {
            why = args[i].why;
        }
    }
    is_int(started, 8, "8 threads started");
    is_int(failures, 0, "8 threads x %d signatures all verify %s", iterations,
           why);
}

/* Child signs with each key and verifies; exit status = failures. */
static int fork_sign(const key_t_ *keys, int nkeys, int threads)
{
    pid_t pid;
    int status = 0;

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        apr_pool_t *p;
        int i, bad = 0;
        apr_pool_create_unmanaged_ex(&p, NULL, NULL);
        for (i = 0; i < nkeys; i++) {
            csc_sig_params_t sp;
            const char *why;
            resolve(keys[i].type == CSC_KEY_RSA ? CSC_OID_SHA256_WITH_RSA
                    : CSC_OID_ECDSA_SHA256, NULL, NULL, 0, &sp, p);
            if (!sign_verify(&keys[i], &sp, "child", p, &why)) {
                fprintf(stderr, "# child: %s: %s\n", keys[i].name, why);
                bad++;
            }
        }
        if (threads) {
            /* the event-MPM shape: a forked child signing from threads */
            pthread_t th[4];
            thread_arg_t args[4];
            for (i = 0; i < 4; i++) {
                memset(&args[i], 0, sizeof(args[i]));
                args[i].keys = keys;
                args[i].nkeys = nkeys;
                args[i].iterations = threads;
                args[i].seed = i;
                pthread_create(&th[i], NULL, signer_thread, &args[i]);
            }
            for (i = 0; i < 4; i++) {
                pthread_join(th[i], NULL);
                bad += args[i].failures;
            }
        }
        _exit(bad > 100 ? 100 : bad);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
        return -1;
    }
    return WEXITSTATUS(status);
}

/* ---- software keys ------------------------------------------------------ */

static void test_keyref_check(apr_pool_t *p, const char *rsa_path)
{
    const char *err = NULL;
    char buf[5000];

    is_int(csc_keyref_check(apr_pstrcat(p, "file:", rsa_path, NULL), p, &err),
           APR_SUCCESS, "file: ref to an existing key");
    is_int(csc_keyref_check("file:relative/key.pem", p, &err), APR_EINVAL,
           "file: relative path refused");
    is_int(csc_keyref_check(apr_pstrcat(p, "file:", tmpdir, "/none.pem",
                                        NULL), p, &err),
           APR_ENOENT, "file: missing file");
    is_int(csc_keyref_check(apr_pstrcat(p, "file:", tmpdir, NULL), p, &err),
           APR_EINVAL, "file: directory refused");
    is_int(csc_keyref_check("hsm:foo", p, &err), APR_EINVAL, "unknown route");
    ok(err && strstr(err, "engine:, provider: or file:"), "message names the "
       "routes: %s", err ? err : "");
    is_int(csc_keyref_check("", p, &err), APR_EINVAL, "empty ref");
    is_int(csc_keyref_check(NULL, p, &err), APR_EINVAL, "NULL ref");
    memset(buf, 'a', sizeof(buf) - 1);
    buf[sizeof(buf) - 1] = 0;
    memcpy(buf, "file:/", 6);
    is_int(csc_keyref_check(buf, p, &err), APR_EINVAL, "ref over 4096 bytes");
    is_int(csc_keyref_check("file:/tmp/a\nb", p, &err), APR_EINVAL,
           "control character refused");
    is_int(csc_keyref_check("engine:/tmp/key.pem", p, &err), APR_EINVAL,
           "engine: needs a pkcs11 URI");
    is_int(csc_keyref_check("engine:pkcs11:", p, &err), APR_EINVAL,
           "engine: empty pkcs11 URI");
    err = NULL;
    is_int(csc_keyref_check("engine:pkcs11:token=csc;object=k;pin-value=4711",
                            p, &err), APR_EINVAL, "pin-value refused");
    ok(err && !strstr(err, "4711"), "message does not repeat the PIN: %s",
       err ? err : "");
    is_int(csc_keyref_check("engine:pkcs11:token=csc;object=k?PIN-VALUE=4711",
                            p, &err), APR_EINVAL,
           "pin-value in the query refused (any case)");
    is_int(csc_keyref_check("engine:pkcs11:token=csc;object=k;type=cert", p,
                            &err), APR_EINVAL, "type=cert refused");
    is_int(csc_keyref_check("provider:", p, &err), APR_EINVAL,
           "provider: without URI");
    is_int(csc_keyref_check("provider:pkcs11:object=k;pin-value=1", p, &err),
           APR_EINVAL, "provider pin-value refused");
    if (access("/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so", R_OK) == 0) {
        is_int(csc_keyref_check("engine:pkcs11:token=csc;object=k;"
                                "type=private", p, &err), APR_SUCCESS,
               "engine ref OK (engine installed, no token needed)");
    }
    if (access("/usr/lib/x86_64-linux-gnu/ossl-modules/pkcs11.so", F_OK) != 0
        && !getenv("OPENSSL_MODULES")) {
        is_int(csc_keyref_check("provider:pkcs11:token=csc;object=k", p,
                                &err), APR_ENOTIMPL,
               "provider:pkcs11: not available here");
        is_str(err, "OpenSSL provider 'pkcs11' is not available on this "
               "system; use engine:pkcs11:... or install pkcs11-provider",
               "clear message at check time");
    }
}

static void test_soft(apr_pool_t *p)
{
    static const struct {
        const char *name, *file;
        int rsa_bits;
        const char *group;
        int form;                /* 0 PKCS#8 PEM, 1 traditional, 2 DER */
    } spec[] = {
        { "RSA-2048", "rsa2048.pem", 2048, NULL, 0 },
        { "RSA-3072", "rsa3072.pem", 3072, NULL, 1 },
        { "P-256", "p256.pem", 0, "P-256", 1 },
        { "P-384", "p384.der", 0, "P-384", 2 },
        { "P-521", "p521.pem", 0, "P-521", 0 },
    };
    key_t_ keys[5];
    EVP_PKEY *priv[5];
    csc_signer_conf_t conf = { NULL, NULL, NULL, NULL, NULL };
    const char *err;
    int i;

    is_int(csc_signer_global_conf(&conf), APR_SUCCESS, "global conf");
    for (i = 0; i < 5; i++) {
        const char *path = apr_pstrcat(p, tmpdir, "/", spec[i].file, NULL);
        priv[i] = test_key(spec[i].file, spec[i].rsa_bits, spec[i].group, 0);
        ok(priv[i] && write_key(priv[i], path, spec[i].form),
           "generated %s into %s", spec[i].name, spec[i].file);
        keys[i].name = spec[i].name;
        keys[i].ref = apr_pstrcat(p, "file:", path, NULL);
        keys[i].pub = public_only(priv[i]);
        keys[i].type = spec[i].rsa_bits ? CSC_KEY_RSA : CSC_KEY_EC;
        keys[i].bits = spec[i].rsa_bits ? spec[i].rsa_bits
                       : EVP_PKEY_get_bits(priv[i]);
    }
    test_keyref_check(p, keys[0].ref + 5);

    /* probe and public key */
    for (i = 0; i < 5; i++) {
        csc_key_info_t info;
        unsigned char *spki = NULL, *want = NULL;
        apr_size_t len = 0;
        int wlen = i2d_PUBKEY(priv[i], &want);

        is_int(csc_signer_probe(keys[i].ref, &info, p, &err), APR_SUCCESS,
               "probe %s", keys[i].name);
        is_int(info.type, keys[i].type, "%s type", keys[i].name);
        is_int(info.bits, keys[i].bits, "%s bits", keys[i].name);
        if (keys[i].type == CSC_KEY_EC) {
            const csc_curve_t *c = csc_algo_curve_by_name(spec[i].group);
            is_str(info.curve_oid, c->oid, "%s curve OID", keys[i].name);
        }
        else {
            ok(info.curve_oid == NULL, "%s has no curve", keys[i].name);
        }
        is_int(csc_signer_public_key(keys[i].ref, &spki, &len, p, &err),
               APR_SUCCESS, "public key of %s", keys[i].name);
        ok(spki && (int)len == wlen && memcmp(spki, want, len) == 0,
           "%s SPKI equals the generated key's", keys[i].name);
        OPENSSL_free(want);
    }

    for (i = 0; i < 5; i++) {
        test_all_algorithms(&keys[i], 1, p);
    }
    test_pkcs1_digestinfo(&keys[0], p);
    test_pkcs1_digestinfo(&keys[1], p);
    test_ecdsa_der(&keys[2], p);
    test_ecdsa_der(&keys[4], p);
    test_request_errors(&keys[0], &keys[2], p);
    test_request_errors(&keys[1], &keys[3], p);

    /* provider route with the default provider's file store */
    {
        key_t_ pk = keys[0];
        csc_sig_params_t sp;
        const char *why = "";
        pk.name = "provider:file: RSA-2048";
        pk.ref = apr_pstrcat(p, "provider:file:", keys[0].ref + 5, NULL);
        is_int(csc_keyref_check(pk.ref, p, &err), APR_SUCCESS,
               "provider:file: ref checks");
        resolve(CSC_OID_RSASSA_PSS, NULL, csc_algo_hash(CSC_HASH_SHA256), 32,
                &sp, p);
        ok(sign_verify(&pk, &sp, "provider", p, &why), "%s PSS", pk.name);
        pk = keys[3];
        pk.name = "provider:file: P-384";
        pk.ref = apr_pstrcat(p, "provider:file:", keys[3].ref + 5, NULL);
        resolve(CSC_OID_ECDSA_SHA384, NULL, NULL, 0, &sp, p);
        ok(sign_verify(&pk, &sp, "provider", p, &why), "%s", pk.name);
        pk.ref = apr_pstrcat(p, "provider:file:", tmpdir, "/none.pem", NULL);
        ok(!sign_verify(&pk, &sp, "provider", p, &why),
           "provider:file: missing file fails");
        if (access("/usr/lib/x86_64-linux-gnu/ossl-modules/pkcs11.so", F_OK)
            != 0 && !getenv("OPENSSL_MODULES")) {
            unsigned char dg[48] = { 0 }, *sig;
            apr_size_t slen;
            err = NULL;
            is_int(csc_signer_sign("provider:pkcs11:token=csc;object=k", &sp,
                                   dg, 48, &sig, &slen, p, &err),
                   APR_ENOTIMPL, "provider:pkcs11: at run time");
            ok(err && strstr(err, "OpenSSL provider 'pkcs11' is not available"
                             " on this system; use engine:pkcs11:... or "
                             "install pkcs11-provider"),
               "clear message at run time: %s", err ? err : "");
        }
    }

    /* broken key files */
    {
        const char *enc = apr_pstrcat(p, tmpdir, "/enc.pem", NULL);
        const char *junk = apr_pstrcat(p, tmpdir, "/junk.pem", NULL);
        unsigned char dg[32] = { 0 }, *sig;
        apr_size_t slen;
        csc_sig_params_t sp;
        FILE *f;

        resolve(CSC_OID_SHA256_WITH_RSA, NULL, NULL, 0, &sp, p);
        write_key(priv[0], enc, 3);
        err = NULL;
        is_int(csc_signer_sign(apr_pstrcat(p, "file:", enc, NULL), &sp, dg, 32,
                               &sig, &slen, p, &err), APR_EINVAL,
               "encrypted key file refused (no prompt)");
        ok(err && strstr(err, "encrypted"), "says why: %s", err ? err : "");
        f = fopen(junk, "w");
        fputs("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
              f);
        fclose(f);
        is_int(csc_signer_sign(apr_pstrcat(p, "file:", junk, NULL), &sp, dg,
                               32, &sig, &slen, p, &err), APR_EINVAL,
               "garbage key file refused");
        is_int(csc_signer_sign(apr_pstrcat(p, "file:", tmpdir, "/gone.pem",
                                           NULL), &sp, dg, 32, &sig, &slen, p,
                               &err), APR_ENOENT, "missing key file");
        is_int(csc_signer_sign("nope:x", &sp, dg, 32, &sig, &slen, p, &err),
               APR_EINVAL, "bad key reference at sign time");
        unlink(enc);
        unlink(junk);
    }

    test_threads(keys, 5, 25);

    /* The cache: after the file behind a reference is replaced, this
     * process keeps signing with the cached key, a forked child loads the
     * new one, and csc_signer_flush() makes this process load it too. */
    {
        EVP_PKEY *other = test_key("other-rsa2048", 2048, NULL, 0);
        EVP_PKEY *other_pub = public_only(other);
        key_t_ k = keys[0], k_new = keys[0];
        csc_sig_params_t sp;
        const char *why = "";
        int rc;

        k_new.pub = other_pub;
        k_new.name = "replaced RSA-2048";
        write_key(other, keys[0].ref + 5, 0);
        resolve(CSC_OID_SHA256_WITH_RSA, NULL, NULL, 0, &sp, p);
        ok(sign_verify(&k, &sp, "cached", p, &why),
           "cached key still used after the file changed");
        rc = fork_sign(&k_new, 1, 0);
        is_int(rc, 0, "forked child dropped the parent's cache and loaded "
               "the new key");
        rc = fork_sign(keys + 1, 4, 10);
        is_int(rc, 0, "forked child signs with every key, also from 4 "
               "threads");
        ok(sign_verify(&k, &sp, "parent", p, &why),
           "parent unchanged after the children");
        csc_signer_flush();
        ok(sign_verify(&k_new, &sp, "flushed", p, &why),
           "after flush the new key is loaded");
        EVP_PKEY_free(other);
        EVP_PKEY_free(other_pub);
    }

    for (i = 0; i < 5; i++) {
        EVP_PKEY_free(priv[i]);
        EVP_PKEY_free(keys[i].pub);
    }
    is_int(reinit_logged, 0, "software keys never re-initialise an engine");
}

/* ---- SoftHSM via the engine -------------------------------------------- */

static const char *need_env(const char *name)
{
    const char *v = getenv(name);

    if (!v || !*v) {
        fprintf(stderr, "missing environment variable %s\n", name);
        exit(2);
    }
    return v;
}

static void test_pkcs11(apr_pool_t *p)
{
    key_t_ keys[2];
    csc_signer_conf_t conf = { .pkcs11_module = NULL };
    const char *err = NULL, *why = "";
    const char *tokendir = need_env("CSC_TEST_TOKENDIR");
    const char *moved = apr_pstrcat(p, tokendir, ".away", NULL);
    csc_sig_params_t sp;
    unsigned char dg[32], *sig;
    apr_size_t slen;
    apr_status_t rv;
    int i, cycle;

    conf.pkcs11_module = need_env("CSC_TEST_P11_MODULE");
    conf.pkcs11_pin = need_env("CSC_TEST_P11_PIN");
    secret = conf.pkcs11_pin;
    keys[0].name = "SoftHSM RSA-2048";
    keys[0].ref = need_env("CSC_TEST_RSA_REF");
    keys[0].pub = read_pub_pem(need_env("CSC_TEST_RSA_PUB"));
    keys[0].type = CSC_KEY_RSA;
    keys[0].bits = 2048;
    keys[1].name = "SoftHSM P-256";
    keys[1].ref = need_env("CSC_TEST_EC_REF");
    keys[1].pub = read_pub_pem(need_env("CSC_TEST_EC_PUB"));
    keys[1].type = CSC_KEY_EC;
    keys[1].bits = 256;
    ok(keys[0].pub && keys[1].pub, "exported public keys read");

    is_int(csc_signer_global_conf(&conf), APR_SUCCESS, "global conf");
    for (i = 0; i < 2; i++) {
        csc_key_info_t info;
        unsigned char *spki = NULL, *want = NULL;
        apr_size_t len = 0;
        int wlen = i2d_PUBKEY(keys[i].pub, &want);

        is_int(csc_keyref_check(keys[i].ref, p, &err), APR_SUCCESS,
               "check %s", keys[i].ref);
        rv = csc_signer_probe(keys[i].ref, &info, p, &err);
        is_int(rv, APR_SUCCESS, "probe %s %s", keys[i].name,
               rv ? err : "");
        is_int(info.type, keys[i].type, "%s type", keys[i].name);
        is_int(info.bits, keys[i].bits, "%s bits", keys[i].name);
        if (i == 1) {
            is_str(info.curve_oid, "1.2.840.10045.3.1.7", "P-256 curve OID");
        }
        csc_signer_public_key(keys[i].ref, &spki, &len, p, &err);
        ok(spki && (int)len == wlen && memcmp(spki, want, len) == 0,
           "%s SPKI equals pkcs11-tool's export", keys[i].name);
        OPENSSL_free(want);
    }
    /* SHA3 works through libp11 0.4.12 + SoftHSM 2.6 (PSS included) */
    test_all_algorithms(&keys[0], 1, p);
    test_all_algorithms(&keys[1], 1, p);
    test_pkcs1_digestinfo(&keys[0], p);
    test_ecdsa_der(&keys[1], p);
    test_request_errors(&keys[0], &keys[1], p);
    test_threads(keys, 2, 40);
    is_int(fork_sign(keys, 2, 0), 0, "forked child signs with both keys");
    is_int(fork_sign(keys, 2, 20), 0, "forked child signs from 4 threads");
    resolve(CSC_OID_SHA256_WITH_RSA, NULL, NULL, 0, &sp, p);
    ok(sign_verify(&keys[0], &sp, "after fork", p, &why),
       "parent still signs after the children");

    /* the token goes away and comes back, twice */
    resolve(CSC_OID_ECDSA_SHA256, NULL, NULL, 0, &sp, p);
    digest_of(sp.hash, "recovery", dg);
    for (cycle = 1; cycle <= 2; cycle++) {
        apr_time_t outage_start;
        int before;
        ok(sign_verify(&keys[1], &sp, "before", p, &why),
           "cycle %d: signs before the token goes", cycle);
        before = reinit_logged;
        outage_start = apr_time_now();
        ok(rename(tokendir, moved) == 0, "cycle %d: token directory moved "
           "away", cycle);
        err = NULL;
        rv = csc_signer_sign(keys[1].ref, &sp, dg, 32, &sig, &slen, p, &err);
        is_int(rv, CSC_SIGNER_EUNAVAIL, "cycle %d: token gone -> "
               "CSC_SIGNER_EUNAVAIL", cycle);
        ok(err && strstr(err, "unavailable") && !strstr(err, conf.pkcs11_pin),
           "cycle %d: admin message without PIN: %s", cycle, err ? err : "");
        {
            csc_sig_params_t rsp;
            resolve(CSC_OID_SHA256_WITH_RSA, NULL, NULL, 0, &rsp, p);
            rv = csc_signer_sign(keys[0].ref, &rsp, dg, 32, &sig, &slen, p,
                                 &err);
            is_int(rv, CSC_SIGNER_EUNAVAIL, "cycle %d: other key also "
                   "unavailable", cycle);
        }
        /* One re-initialisation, and never more than one a second
         * (LOAD_REINIT_INTERVAL_SEC) however many requests fail: a slow,
         * loaded machine may legitimately see a second one. */
        {
            int reinits = reinit_logged - before;
            apr_time_t secs = apr_time_sec(apr_time_now() - outage_start);
            ok(reinits >= 1 && reinits <= 1 + secs, "cycle %d: %d engine "
               "reinit(s) in %d s of outage", cycle, reinits, (int)secs);
        }
        ok(rename(moved, tokendir) == 0, "cycle %d: token directory back",
           cycle);
        ok(sign_verify(&keys[1], &sp, "after", p, &why),
           "cycle %d: next request signs again", cycle);
        resolve(CSC_OID_SHA256_WITH_RSA, NULL, NULL, 0, &sp, p);
        ok(sign_verify(&keys[0], &sp, "after", p, &why),
           "cycle %d: RSA key too", cycle);
        resolve(CSC_OID_ECDSA_SHA256, NULL, NULL, 0, &sp, p);
    }

    /* The token refusing a mechanism is the request's fault: a 400 code
     * (or a good signature if the token can do it), never a reinit. */
    {
        unsigned char *der;
        apr_size_t dl;
        csc_algo_err_e aerr;
        csc_sig_params_t psp;
        int before = reinit_logged;

        csc_algo_pss_params_encode(csc_algo_hash(CSC_HASH_SHA256),
                                   csc_algo_hash(CSC_HASH_SHA512), 32, &der,
                                   &dl, p);
        csc_algo_resolve(CSC_OID_RSASSA_PSS, NULL, der, dl, &psp, &aerr);
        digest_of(psp.hash, "mgf", dg);
        err = NULL;
        rv = csc_signer_sign(keys[0].ref, &psp, dg, 32, &sig, &slen, p, &err);
        ok(rv == CSC_SIGNER_EPARAMS
           || (rv == APR_SUCCESS && verify(keys[0].pub, &psp, dg, 32, sig,
                                           slen)),
           "PSS SHA-256 with MGF1-SHA-512: %s",
           rv == APR_SUCCESS ? "signed" : err ? err : "?");
        is_int(reinit_logged, before, "no engine reinit for it");
    }

    /* a reference to a key that is not on the token */
    {
        const char *bad = "engine:pkcs11:token=csc;object=nosuchkey;"
                          "type=private";
        err = NULL;
        rv = csc_signer_sign(bad, &sp, dg, 32, &sig, &slen, p, &err);
        is_int(rv, CSC_SIGNER_EUNAVAIL, "missing object -> EUNAVAIL");
        ok(sign_verify(&keys[1], &sp, "good", p, &why),
           "other keys unaffected");
    }

    /* wrong PIN, then the right one again (a config reload each time) */
    {
        csc_signer_conf_t wrong = conf;
        wrong.pkcs11_pin = "999999";
        csc_signer_global_conf(&wrong);
        secret = wrong.pkcs11_pin;
        err = NULL;
        rv = csc_signer_sign(keys[1].ref, &sp, dg, 32, &sig, &slen, p, &err);
        is_int(rv, CSC_SIGNER_EUNAVAIL, "wrong PIN -> EUNAVAIL");
        ok(err && !strstr(err, "999999") && !strstr(err, conf.pkcs11_pin),
           "message without PIN: %s", err ? err : "");
        csc_signer_global_conf(&conf);
        secret = conf.pkcs11_pin;
        ok(sign_verify(&keys[1], &sp, "pin", p, &why),
           "right PIN after reload signs");
    }
    is_int(secret_logged, 0, "no log line contained a PIN");
    EVP_PKEY_free(keys[0].pub);
    EVP_PKEY_free(keys[1].pub);
}

static void rm_tmpdir(void)
{
    char cmd[128];

    if (tmpdir[0]) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) {
            fprintf(stderr, "could not remove %s\n", tmpdir);
        }
    }
}

int main(void)
{
    apr_pool_t *p;
    const char *pk = getenv("CSC_TEST_PKCS11");

    apr_initialize();
    apr_pool_create(&p, NULL);
    csc_log_set_sink(log_sink, NULL, CSC_LOG_DEBUG);
    if (pk && strcmp(pk, "1") == 0) {
        test_pkcs11(p);
    }
    else {
        strcpy(tmpdir, "/tmp/csc-signer-XXXXXX");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            return 2;
        }
        test_soft(p);
        rm_tmpdir();
    }
    apr_pool_destroy(p);
    apr_terminate();
    return tap_done();
}
