/* SPDX-License-Identifier: Apache-2.0 */
/* csc_algo: OID tables, signHash algorithm decisions, RSASSA-PSS-params. */
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/csc_algo.h"
#include "tap.h"

#define RSAENC  CSC_OID_RSA_ENCRYPTION
#define PSS     CSC_OID_RSASSA_PSS
#define S256RSA CSC_OID_SHA256_WITH_RSA
#define S384RSA CSC_OID_SHA384_WITH_RSA
#define S512RSA CSC_OID_SHA512_WITH_RSA
#define ECPUB   CSC_OID_EC_PUBLIC_KEY
#define ECS256  CSC_OID_ECDSA_SHA256
#define ECS384  CSC_OID_ECDSA_SHA384
#define ECS512  CSC_OID_ECDSA_SHA512
#define SHA1    "1.3.14.3.2.26"
#define SHA224  "2.16.840.1.101.3.4.2.4"
#define SHA256  CSC_OID_SHA256
#define SHA384  CSC_OID_SHA384
#define SHA512  CSC_OID_SHA512

/* RSASSA-PSS-params SHA-384 / MGF1-SHA-384 / salt 32, as written by
 * "openssl req -x509 -sigopt rsa_padding_mode:pss -sigopt
 * rsa_pss_saltlen:32 -sha384" (OpenSSL 3.0). */
static const unsigned char pss_384_32[] = {
    0x30, 0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
    0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06,
    0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d,
    0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05,
    0x00, 0xa2, 0x03, 0x02, 0x01, 0x20
};

/* SHA-256 / MGF1-SHA-256 / salt 32, hash parameters absent (RFC 4055
 * allows it; some encoders do this). */
static const unsigned char pss_256_absent[] = {
    0x30, 0x30, 0xa0, 0x0d, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
    0x65, 0x03, 0x04, 0x02, 0x01, 0xa1, 0x1a, 0x30, 0x18, 0x06, 0x09, 0x2a,
    0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0b, 0x06, 0x09,
    0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0xa2, 0x03, 0x02,
    0x01, 0x20
};

static void test_hashes(void)
{
    static const struct {
        const char *oid, *name;
        int len;
    } want[] = {
        { SHA256, "SHA256", 32 }, { SHA384, "SHA384", 48 },
        { SHA512, "SHA512", 64 },
        { "2.16.840.1.101.3.4.2.8", "SHA3-256", 32 },
        { "2.16.840.1.101.3.4.2.9", "SHA3-384", 48 },
        { "2.16.840.1.101.3.4.2.10", "SHA3-512", 64 },
    };
    size_t i;

    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const csc_hash_t *h = csc_algo_hash_by_oid(want[i].oid);
        ok(h != NULL, "hash %s known", want[i].oid);
        if (!h) {
            continue;
        }
        is_str(h->name, want[i].name, "hash %s name", want[i].oid);
        is_int(h->len, want[i].len, "hash %s length", want[i].oid);
        is_int(EVP_MD_get_size(h->md()), want[i].len, "%s EVP_MD size",
               want[i].name);
        is_int(EVP_MD_get_type(h->md()), OBJ_txt2nid(want[i].oid),
               "%s EVP_MD matches the OID", want[i].name);
        ok(csc_algo_hash(h->id) == h, "%s by id", want[i].name);
        is_int(csc_algo_digest_len(want[i].oid), want[i].len,
               "digest_len(%s)", want[i].name);
    }
    ok(csc_algo_hash_by_oid(SHA1) == NULL, "SHA-1 refused");
    ok(csc_algo_hash_by_oid(SHA224) == NULL, "SHA-224 refused");
    ok(csc_algo_hash_by_oid("2.16.840.1.101.3.4.2.11") == NULL,
       "SHAKE128 unknown");
    ok(csc_algo_hash_by_oid("") == NULL, "empty OID");
    ok(csc_algo_hash_by_oid(NULL) == NULL, "NULL OID");
    ok(csc_algo_hash_by_oid("2.16.840.1.101.3.4.2.1.0") == NULL,
       "no prefix match");
    is_int(csc_algo_digest_len(SHA1), 0, "digest_len(SHA-1) is 0");
}

static void test_sign_oids(void)
{
    static const struct {
        const char *oid;
        csc_scheme_e scheme;
        csc_key_type_e kt;
        const char *implied;
    } want[] = {
        { RSAENC,  CSC_SCHEME_PKCS1, CSC_KEY_RSA, NULL },
        { S256RSA, CSC_SCHEME_PKCS1, CSC_KEY_RSA, SHA256 },
        { S384RSA, CSC_SCHEME_PKCS1, CSC_KEY_RSA, SHA384 },
        { S512RSA, CSC_SCHEME_PKCS1, CSC_KEY_RSA, SHA512 },
        { PSS,     CSC_SCHEME_PSS,   CSC_KEY_RSA, NULL },
        { ECPUB,   CSC_SCHEME_ECDSA, CSC_KEY_EC,  NULL },
        { ECS256,  CSC_SCHEME_ECDSA, CSC_KEY_EC,  SHA256 },
        { ECS384,  CSC_SCHEME_ECDSA, CSC_KEY_EC,  SHA384 },
        { ECS512,  CSC_SCHEME_ECDSA, CSC_KEY_EC,  SHA512 },
    };
    size_t i;

    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        csc_scheme_e s = 0;
        csc_key_type_e kt = 0;
        const csc_hash_t *h = (const csc_hash_t *)1;
        is_int(csc_algo_sign_info(want[i].oid, &s, &kt, &h), APR_SUCCESS,
               "signAlgo %s known", want[i].oid);
        is_int(s, want[i].scheme, "%s scheme", want[i].oid);
        is_int(kt, want[i].kt, "%s key type", want[i].oid);
        if (want[i].implied) {
            ok(h && strcmp(h->oid, want[i].implied) == 0, "%s implies %s",
               want[i].oid, want[i].implied);
        }
        else {
            ok(h == NULL, "%s implies no hash", want[i].oid);
        }
    }
    is_int(csc_algo_sign_info("1.2.840.113549.1.1.14", NULL, NULL, NULL),
           APR_NOTFOUND, "sha224WithRSAEncryption refused");
    is_int(csc_algo_sign_info("1.2.840.113549.1.1.5", NULL, NULL, NULL),
           APR_NOTFOUND, "sha1WithRSAEncryption refused");
    is_int(csc_algo_sign_info("1.2.840.10045.4.1", NULL, NULL, NULL),
           APR_NOTFOUND, "ecdsa-with-SHA1 refused");
    is_int(csc_algo_sign_info("1.3.101.112", NULL, NULL, NULL),
           APR_NOTFOUND, "Ed25519 not offered");
    is_int(csc_algo_sign_info(NULL, NULL, NULL, NULL), APR_NOTFOUND,
           "NULL signAlgo");
}

static void test_curves(void)
{
    static const struct {
        const char *oid, *nist, *group;
        int bits;
    } want[] = {
        { "1.2.840.10045.3.1.7", "P-256", "prime256v1", 256 },
        { "1.3.132.0.34", "P-384", "secp384r1", 384 },
        { "1.3.132.0.35", "P-521", "secp521r1", 521 },
    };
    size_t i;

    for (i = 0; i < 3; i++) {
        const csc_curve_t *c = csc_algo_curve_by_oid(want[i].oid);
        ok(c != NULL, "curve %s known", want[i].oid);
        if (!c) {
            continue;
        }
        is_str(c->nist_name, want[i].nist, "curve %s NIST name", want[i].oid);
        is_str(c->group_name, want[i].group, "curve %s group", want[i].oid);
        is_int(c->bits, want[i].bits, "curve %s bits", want[i].oid);
        ok(csc_algo_curve_by_name(want[i].group) == c, "by group %s",
           want[i].group);
        ok(csc_algo_curve_by_name(want[i].nist) == c, "by NIST %s",
           want[i].nist);
        is_int(OBJ_txt2nid(want[i].oid), OBJ_sn2nid(want[i].group),
               "OpenSSL agrees %s is %s", want[i].oid, want[i].group);
    }
    ok(csc_algo_curve_by_name("secp256r1")
       == csc_algo_curve_by_oid(want[0].oid), "secp256r1 alias");
    ok(csc_algo_curve_by_oid("1.3.36.3.3.2.8.1.1.7") == NULL,
       "brainpoolP256r1 not in the table");
    ok(csc_algo_curve_by_name("secp256k1") == NULL, "secp256k1 unknown");
}

static void test_key_algos(apr_pool_t *p)
{
    apr_array_header_t *a = NULL;

    is_int(csc_algo_key_algos(CSC_KEY_RSA, 2048, NULL, &a, p), APR_SUCCESS,
           "RSA-2048 algos");
    is_int(a->nelts, 5, "RSA: five OIDs");
    is_str(APR_ARRAY_IDX(a, 0, const char *), S256RSA, "RSA[0]");
    is_str(APR_ARRAY_IDX(a, 1, const char *), S384RSA, "RSA[1]");
    is_str(APR_ARRAY_IDX(a, 2, const char *), S512RSA, "RSA[2]");
    is_str(APR_ARRAY_IDX(a, 3, const char *), PSS, "RSA[3]");
    is_str(APR_ARRAY_IDX(a, 4, const char *), RSAENC, "RSA[4]");
    is_int(csc_algo_key_algos(CSC_KEY_RSA, 1024, NULL, &a, p), APR_EINVAL,
           "RSA-1024 refused");
    ok(a == NULL, "no list for RSA-1024");

    is_int(csc_algo_key_algos(CSC_KEY_EC, 384, "1.3.132.0.34", &a, p),
           APR_SUCCESS, "P-384 algos");
    is_int(a->nelts, 4, "EC: four OIDs");
    is_str(APR_ARRAY_IDX(a, 0, const char *), ECS256, "EC[0]");
    is_str(APR_ARRAY_IDX(a, 1, const char *), ECS384, "EC[1]");
    is_str(APR_ARRAY_IDX(a, 2, const char *), ECS512, "EC[2]");
    is_str(APR_ARRAY_IDX(a, 3, const char *), ECPUB, "EC[3] id-ecPublicKey");
    is_int(csc_algo_key_algos(CSC_KEY_EC, 256, "1.3.36.3.3.2.8.1.1.7", &a, p),
           APR_ENOTIMPL, "brainpool curve not offered");
    is_int(csc_algo_key_algos(CSC_KEY_EC, 256, NULL, &a, p), APR_ENOTIMPL,
           "EC without curve");
}

typedef struct {
    const char *sign, *hash;
    const unsigned char *params;
    apr_size_t plen;
    csc_algo_err_e err;
    const char *want_hash;       /* on success */
    csc_scheme_e want_scheme;
} resolve_case_t;

static void test_resolve(void)
{
    static const unsigned char null_der[] = { 0x05, 0x00 };
    static const unsigned char junk[] = { 0x04, 0x01, 0x00 };
    const resolve_case_t cases[] = {
        { S256RSA, NULL, NULL, 0, CSC_ALGO_OK, SHA256, CSC_SCHEME_PKCS1 },
        { S256RSA, SHA256, NULL, 0, CSC_ALGO_OK, SHA256, CSC_SCHEME_PKCS1 },
        { S384RSA, NULL, NULL, 0, CSC_ALGO_OK, SHA384, CSC_SCHEME_PKCS1 },
        { S512RSA, SHA512, NULL, 0, CSC_ALGO_OK, SHA512, CSC_SCHEME_PKCS1 },
        { S256RSA, SHA384, NULL, 0, CSC_ALGO_EHASH, NULL, 0 },
        { S512RSA, SHA256, NULL, 0, CSC_ALGO_EHASH, NULL, 0 },
        { S256RSA, "1.2.3", NULL, 0, CSC_ALGO_EHASH, NULL, 0 },
        { S256RSA, "", NULL, 0, CSC_ALGO_EHASH, NULL, 0 },
        { S256RSA, NULL, null_der, 2, CSC_ALGO_OK, SHA256, CSC_SCHEME_PKCS1 },
        { S256RSA, NULL, junk, 3, CSC_ALGO_EPARAMS, NULL, 0 },
        { RSAENC, NULL, NULL, 0, CSC_ALGO_EHASH_MISSING, NULL, 0 },
        { RSAENC, SHA384, NULL, 0, CSC_ALGO_OK, SHA384, CSC_SCHEME_PKCS1 },
        { RSAENC, "2.16.840.1.101.3.4.2.8", NULL, 0, CSC_ALGO_OK,
          "2.16.840.1.101.3.4.2.8", CSC_SCHEME_PKCS1 },
        { RSAENC, SHA1, NULL, 0, CSC_ALGO_EHASH, NULL, 0 },
        { RSAENC, SHA224, NULL, 0, CSC_ALGO_EHASH, NULL, 0 },
        { ECPUB, NULL, NULL, 0, CSC_ALGO_EHASH_MISSING, NULL, 0 },
        { ECPUB, SHA512, NULL, 0, CSC_ALGO_OK, SHA512, CSC_SCHEME_ECDSA },
        { ECS256, NULL, NULL, 0, CSC_ALGO_OK, SHA256, CSC_SCHEME_ECDSA },
        { ECS384, SHA384, NULL, 0, CSC_ALGO_OK, SHA384, CSC_SCHEME_ECDSA },
        { ECS384, SHA256, NULL, 0, CSC_ALGO_EHASH, NULL, 0 },
        { ECS512, NULL, null_der, 2, CSC_ALGO_OK, SHA512, CSC_SCHEME_ECDSA },
        { ECS256, NULL, pss_384_32, sizeof(pss_384_32), CSC_ALGO_EPARAMS,
          NULL, 0 },
        { PSS, NULL, NULL, 0, CSC_ALGO_EPARAMS_MISSING, NULL, 0 },
        { PSS, SHA384, NULL, 0, CSC_ALGO_EPARAMS_MISSING, NULL, 0 },
        { PSS, NULL, pss_384_32, sizeof(pss_384_32), CSC_ALGO_OK, SHA384,
          CSC_SCHEME_PSS },
        { PSS, SHA384, pss_384_32, sizeof(pss_384_32), CSC_ALGO_OK, SHA384,
          CSC_SCHEME_PSS },
        { PSS, SHA256, pss_384_32, sizeof(pss_384_32), CSC_ALGO_EHASH,
          NULL, 0 },
        { PSS, NULL, pss_384_32, sizeof(pss_384_32) - 1, CSC_ALGO_EPARAMS,
          NULL, 0 },
        { PSS, NULL, null_der, 2, CSC_ALGO_EPARAMS, NULL, 0 },
        { PSS, "9.9", pss_384_32, sizeof(pss_384_32), CSC_ALGO_EHASH,
          NULL, 0 },
        { "1.2.840.113549.1.1.14", SHA256, NULL, 0, CSC_ALGO_ESIGNALGO,
          NULL, 0 },
        { "1.2.840.10045.4.1", NULL, NULL, 0, CSC_ALGO_ESIGNALGO, NULL, 0 },
        { "hello", "also bad", NULL, 0, CSC_ALGO_ESIGNALGO, NULL, 0 },
        { NULL, SHA256, NULL, 0, CSC_ALGO_ESIGNALGO, NULL, 0 },
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const resolve_case_t *c = &cases[i];
        csc_sig_params_t sp;
        csc_algo_err_e err = (csc_algo_err_e)-1;
        apr_status_t rv = csc_algo_resolve(c->sign, c->hash, c->params,
                                           c->plen, &sp, &err);
        is_int(err, c->err, "resolve #%zu (%s, %s): error code", i,
               c->sign ? c->sign : "NULL", c->hash ? c->hash : "NULL");
        is_int(rv, c->err == CSC_ALGO_OK ? APR_SUCCESS : APR_EINVAL,
               "resolve #%zu: status", i);
        if (c->err == CSC_ALGO_OK && rv == APR_SUCCESS) {
            is_str(sp.hash->oid, c->want_hash, "resolve #%zu: hash", i);
            is_int(sp.scheme, c->want_scheme, "resolve #%zu: scheme", i);
            is_str(sp.sign_oid, c->sign, "resolve #%zu: sign OID", i);
        }
    }
    {
        csc_sig_params_t sp;
        csc_algo_err_e err;
        csc_algo_resolve(PSS, NULL, pss_384_32, sizeof(pss_384_32), &sp, &err);
        is_str(sp.mgf1_hash->oid, SHA384, "PSS MGF1 hash from params");
        is_int(sp.salt_len, 32, "PSS salt from params");
        is_int(sp.key_type, CSC_KEY_RSA, "PSS key type");
        csc_algo_resolve(ECS384, NULL, NULL, 0, &sp, &err);
        is_int(sp.key_type, CSC_KEY_EC, "ECDSA key type");
        ok(sp.mgf1_hash == NULL && sp.salt_len == 0, "no PSS fields for ECDSA");
    }
}

static void test_errstr(void)
{
    is_str(csc_algo_errstr(CSC_ALGO_ESIGNALGO, 1), "Invalid parameter signAlgo",
           "errstr signAlgo");
    is_str(csc_algo_errstr(CSC_ALGO_EHASH_MISSING, 1),
           "Missing (or invalid type) string parameter hashAlgo",
           "errstr missing hashAlgo v1");
    is_str(csc_algo_errstr(CSC_ALGO_EHASH_MISSING, 2),
           "Missing (or invalid type) string parameter hashAlgorithmOID",
           "errstr missing hashAlgorithmOID v2");
    is_str(csc_algo_errstr(CSC_ALGO_EHASH, 1), "Invalid parameter hashAlgo",
           "errstr hashAlgo v1");
    is_str(csc_algo_errstr(CSC_ALGO_EHASH, 2),
           "Invalid parameter hashAlgorithmOID", "errstr hashAlgo v2");
    is_str(csc_algo_errstr(CSC_ALGO_EPARAMS_MISSING, 2),
           "Missing (or invalid type) string parameter signAlgoParams",
           "errstr missing params");
    is_str(csc_algo_errstr(CSC_ALGO_EPARAMS, 1),
           "Invalid parameter signAlgoParams", "errstr params");
    ok(csc_algo_errstr(CSC_ALGO_OK, 1) == NULL, "errstr OK is NULL");
}

static int pss_parse(const unsigned char *d, apr_size_t n,
                     const csc_hash_t **h, const csc_hash_t **m, int *s)
{
    return csc_algo_pss_params_parse(d, n, h, m, s) == APR_SUCCESS;
}

/* OpenSSL's own decoder must read our encoding the same way. */
static void cross_check_openssl(const unsigned char *der, apr_size_t len,
                                const csc_hash_t *h, const csc_hash_t *m,
                                int salt, const char *label)
{
    const unsigned char *q = der;
    RSA_PSS_PARAMS *pp = d2i_RSA_PSS_PARAMS(NULL, &q, (long)len);
    const ASN1_OBJECT *obj = NULL;
    int ok_all = 0;

    if (pp && q == der + len && pp->hashAlgorithm && pp->maskGenAlgorithm) {
        const void *pval = NULL;
        int ptype = 0;
        X509_ALGOR *mh = NULL;

        X509_ALGOR_get0(&obj, NULL, NULL, pp->hashAlgorithm);
        ok_all = OBJ_obj2nid(obj) == EVP_MD_get_type(h->md());
        X509_ALGOR_get0(&obj, &ptype, &pval, pp->maskGenAlgorithm);
        ok_all = ok_all && OBJ_obj2nid(obj) == NID_mgf1
                 && ptype == V_ASN1_SEQUENCE;
        if (ok_all) {
            /* d2i leaves maskHash empty: decode MGF1's parameter ourselves */
            const ASN1_STRING *seq = pval;
            const unsigned char *sq = ASN1_STRING_get0_data(seq);
            mh = d2i_X509_ALGOR(NULL, &sq, ASN1_STRING_length(seq));
        }
        if (mh) {
            X509_ALGOR_get0(&obj, NULL, NULL, mh);
            X509_ALGOR_free(mh);
        }
        ok_all = ok_all && mh && OBJ_obj2nid(obj) == EVP_MD_get_type(m->md());
        ok_all = ok_all && (pp->saltLength
                            ? ASN1_INTEGER_get(pp->saltLength) == salt
                            : salt == 20);
        ok_all = ok_all && pp->trailerField == NULL;
    }
    ok(ok_all, "OpenSSL decodes %s identically", label);
    RSA_PSS_PARAMS_free(pp);
}

static void test_pss(apr_pool_t *p)
{
    const csc_hash_t *h, *m;
    unsigned char *der;
    apr_size_t len, i;
    int s;

    ok(pss_parse(pss_384_32, sizeof(pss_384_32), &h, &m, &s),
       "parse OpenSSL's PSS params");
    is_str(h->oid, SHA384, "hash SHA-384");
    is_str(m->oid, SHA384, "MGF1 SHA-384");
    is_int(s, 32, "salt 32");

    ok(pss_parse(pss_256_absent, sizeof(pss_256_absent), &h, &m, &s),
       "parse params with absent hash parameters");
    is_str(h->oid, SHA256, "absent-params hash SHA-256");
    is_int(s, 32, "absent-params salt 32");

    is_int(csc_algo_pss_params_encode(csc_algo_hash(CSC_HASH_SHA384),
                                      csc_algo_hash(CSC_HASH_SHA384), 32,
                                      &der, &len, p), APR_SUCCESS,
           "encode SHA-384/32");
    ok(len == sizeof(pss_384_32) && memcmp(der, pss_384_32, len) == 0,
       "encoding equals OpenSSL's bytes");

    /* round trips, incl. salt edge values of the INTEGER encoding */
    {
        static const int salts[] = { 0, 1, 20, 32, 48, 64, 127, 128, 255,
                                     256, 478, 32767, 32768, 65535 };
        csc_hash_e ids[] = { CSC_HASH_SHA256, CSC_HASH_SHA384,
                             CSC_HASH_SHA512, CSC_HASH_SHA3_256 };
        int all = 1, xall = 1;
        size_t a, b, c;
        for (a = 0; a < 4; a++) {
            for (b = 0; b < 4; b++) {
                for (c = 0; c < sizeof(salts) / sizeof(salts[0]); c++) {
                    const csc_hash_t *hh = csc_algo_hash(ids[a]);
                    const csc_hash_t *mm = csc_algo_hash(ids[b]);
                    if (csc_algo_pss_params_encode(hh, mm, salts[c], &der,
                                                   &len, p)
                        || !pss_parse(der, len, &h, &m, &s) || h != hh
                        || m != mm || s != salts[c]) {
                        all = 0;
                        printf("# round trip failed %zu %zu %d\n", a, b,
                               salts[c]);
                    }
                }
            }
        }
        ok(all, "encode/parse round trip: 4 hashes x 4 MGF1 hashes x 14 salts");
        for (c = 0; c < sizeof(salts) / sizeof(salts[0]); c++) {
            const csc_hash_t *hh = csc_algo_hash(CSC_HASH_SHA256);
            csc_algo_pss_params_encode(hh, hh, salts[c], &der, &len, p);
            if (salts[c] == 20) {
                ok(memmem(der, len, "\xa2", 1) == NULL,
                   "salt 20 (DER default) omitted");
            }
            {
                const unsigned char *q = der;
                RSA_PSS_PARAMS *pp = d2i_RSA_PSS_PARAMS(NULL, &q, (long)len);
                long got = pp ? (pp->saltLength
                                 ? ASN1_INTEGER_get(pp->saltLength) : 20) : -1;
                if (got != salts[c] || q != der + len) {
                    xall = 0;
                    printf("# OpenSSL reads salt %ld for %d\n", got, salts[c]);
                }
                RSA_PSS_PARAMS_free(pp);
            }
        }
        ok(xall, "OpenSSL reads every encoded salt length back");
    }
    csc_algo_pss_params_encode(csc_algo_hash(CSC_HASH_SHA512),
                               csc_algo_hash(CSC_HASH_SHA256), 64, &der, &len,
                               p);
    cross_check_openssl(der, len, csc_algo_hash(CSC_HASH_SHA512),
                        csc_algo_hash(CSC_HASH_SHA256), 64,
                        "SHA-512/MGF1-SHA-256/64");
    csc_algo_pss_params_encode(csc_algo_hash(CSC_HASH_SHA256),
                               csc_algo_hash(CSC_HASH_SHA256), 20, &der, &len,
                               p);
    cross_check_openssl(der, len, csc_algo_hash(CSC_HASH_SHA256),
                        csc_algo_hash(CSC_HASH_SHA256), 20,
                        "SHA-256/20 (salt omitted)");

    is_int(csc_algo_pss_params_encode(NULL, csc_algo_hash(CSC_HASH_SHA256),
                                      32, &der, &len, p), APR_EINVAL,
           "encode without hash refused");
    is_int(csc_algo_pss_params_encode(csc_algo_hash(CSC_HASH_SHA256),
                                      csc_algo_hash(CSC_HASH_SHA256), -1,
                                      &der, &len, p), APR_EINVAL,
           "encode negative salt refused");

    /* every truncation of a valid encoding fails */
    {
        int all = 1;
        for (i = 0; i < sizeof(pss_384_32); i++) {
            if (pss_parse(pss_384_32, i, &h, &m, &s)) {
                all = 0;
            }
        }
        ok(all, "all %zu truncations rejected", sizeof(pss_384_32));
    }
}

/* Hand-made bad and edge encodings: build on the SHA-256 fields. */
#define HASH256  0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, \
                 0x04, 0x02, 0x01, 0x05, 0x00
#define HASH1    0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, \
                 0x00
#define HASH224  0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, \
                 0x04, 0x02, 0x04, 0x05, 0x00
#define MGF_OID  0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, \
                 0x08
#define F0_256   0xa0, 0x0f, HASH256
#define F1_256   0xa1, 0x1c, 0x30, 0x1a, MGF_OID, HASH256
#define F2_32    0xa2, 0x03, 0x02, 0x01, 0x20

static void test_pss_rejects(void)
{
    static const unsigned char good[] = { 0x30, 0x34, F0_256, F1_256, F2_32 };
    static const unsigned char trailer1[] = {
        0x30, 0x39, F0_256, F1_256, F2_32, 0xa3, 0x03, 0x02, 0x01, 0x01 };
    static const unsigned char trailer2[] = {
        0x30, 0x39, F0_256, F1_256, F2_32, 0xa3, 0x03, 0x02, 0x01, 0x02 };
    static const unsigned char empty[] = { 0x30, 0x00 };
    static const unsigned char only_hash[] = { 0x30, 0x11, F0_256 };
    static const unsigned char sha1_hash[] = {
        0x30, 0x30, 0xa0, 0x0b, HASH1, F1_256, F2_32 };
    static const unsigned char sha224_hash[] = {
        0x30, 0x34, 0xa0, 0x0f, HASH224, F1_256, F2_32 };
    static const unsigned char sha1_mgf[] = {
        0x30, 0x30, F0_256, 0xa1, 0x18, 0x30, 0x16, MGF_OID, HASH1, F2_32 };
    static const unsigned char not_mgf1[] = {
        0x30, 0x34, F0_256, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86,
        0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x09, HASH256, F2_32 };
    static const unsigned char neg_salt[] = {
        0x30, 0x34, F0_256, F1_256, 0xa2, 0x03, 0x02, 0x01, 0xff };
    static const unsigned char nonmin_salt[] = {
        0x30, 0x35, F0_256, F1_256, 0xa2, 0x04, 0x02, 0x02, 0x00, 0x20 };
    static const unsigned char out_of_order[] = {
        0x30, 0x34, F1_256, F0_256, F2_32 };
    static const unsigned char unknown_tag[] = {
        0x30, 0x39, F0_256, F1_256, F2_32, 0xa4, 0x03, 0x02, 0x01, 0x01 };
    static const unsigned char trailing[] = {
        0x30, 0x34, F0_256, F1_256, F2_32, 0x00 };
    static const unsigned char inner_trailing[] = {
        0x30, 0x35, F0_256, F1_256, F2_32, 0x00 };
    static const unsigned char long_len[] = {
        0x30, 0x81, 0x34, F0_256, F1_256, F2_32 };
    static const unsigned char indefinite[] = {
        0x30, 0x80, F0_256, F1_256, F2_32, 0x00, 0x00 };
    static const unsigned char hash_param_str[] = {
        0x30, 0x34, 0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
        0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04, 0x00, F1_256, F2_32 };
    static const unsigned char oid_nonmin[] = {
        0x30, 0x35, 0xa0, 0x10, 0x30, 0x0e, 0x06, 0x0a, 0x60, 0x86, 0x48,
        0x01, 0x65, 0x03, 0x04, 0x02, 0x80, 0x01, 0x05, 0x00, F1_256, F2_32 };
    static const unsigned char big_salt[] = {
        0x30, 0x36, F0_256, F1_256, 0xa2, 0x05, 0x02, 0x03, 0x01, 0x00,
        0x00 };
    static const unsigned char not_seq[] = { 0x31, 0x34, F0_256, F1_256,
                                             F2_32 };
    static const unsigned char no_salt[] = { 0x30, 0x2f, F0_256, F1_256 };
    const csc_hash_t *h, *m;
    int s;

    ok(pss_parse(good, sizeof(good), &h, &m, &s) && s == 32,
       "hand-made SHA-256/32 parses");
    ok(pss_parse(trailer1, sizeof(trailer1), &h, &m, &s),
       "explicit trailerField 1 accepted");
    ok(pss_parse(no_salt, sizeof(no_salt), &h, &m, &s) && s == 20,
       "absent saltLength defaults to 20");
    ok(!pss_parse(trailer2, sizeof(trailer2), &h, &m, &s),
       "trailerField 2 rejected");
    ok(!pss_parse(empty, sizeof(empty), &h, &m, &s),
       "all defaults (SHA-1) rejected");
    ok(!pss_parse(only_hash, sizeof(only_hash), &h, &m, &s),
       "default MGF1-SHA-1 rejected");
    ok(!pss_parse(sha1_hash, sizeof(sha1_hash), &h, &m, &s),
       "explicit SHA-1 hash rejected");
    ok(!pss_parse(sha224_hash, sizeof(sha224_hash), &h, &m, &s),
       "SHA-224 hash rejected");
    ok(!pss_parse(sha1_mgf, sizeof(sha1_mgf), &h, &m, &s),
       "MGF1-SHA-1 rejected");
    ok(!pss_parse(not_mgf1, sizeof(not_mgf1), &h, &m, &s),
       "MGF other than MGF1 rejected");
    ok(!pss_parse(neg_salt, sizeof(neg_salt), &h, &m, &s),
       "negative salt rejected");
    ok(!pss_parse(nonmin_salt, sizeof(nonmin_salt), &h, &m, &s),
       "non-minimal INTEGER rejected");
    ok(!pss_parse(big_salt, sizeof(big_salt), &h, &m, &s),
       "salt >= 2^16 rejected");
    ok(!pss_parse(out_of_order, sizeof(out_of_order), &h, &m, &s),
       "fields out of order rejected");
    ok(!pss_parse(unknown_tag, sizeof(unknown_tag), &h, &m, &s),
       "unknown field [4] rejected");
    ok(!pss_parse(trailing, sizeof(trailing), &h, &m, &s),
       "bytes after the SEQUENCE rejected");
    ok(!pss_parse(inner_trailing, sizeof(inner_trailing), &h, &m, &s),
       "bytes inside the SEQUENCE after the fields rejected");
    ok(!pss_parse(long_len, sizeof(long_len), &h, &m, &s),
       "non-minimal length rejected");
    ok(!pss_parse(indefinite, sizeof(indefinite), &h, &m, &s),
       "indefinite length rejected");
    ok(!pss_parse(hash_param_str, sizeof(hash_param_str), &h, &m, &s),
       "hash parameters other than NULL rejected");
    ok(!pss_parse(oid_nonmin, sizeof(oid_nonmin), &h, &m, &s),
       "non-minimal OID subidentifier rejected");
    ok(!pss_parse(not_seq, sizeof(not_seq), &h, &m, &s),
       "SET instead of SEQUENCE rejected");
    ok(!pss_parse(NULL, 0, &h, &m, &s), "NULL input rejected");
}

int main(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    test_hashes();
    test_sign_oids();
    test_curves();
    test_key_algos(p);
    test_resolve();
    test_errstr();
    test_pss(p);
    test_pss_rejects();
    apr_pool_destroy(p);
    apr_terminate();
    return tap_done();
}
