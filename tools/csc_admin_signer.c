/* SPDX-License-Identifier: Apache-2.0 */
/* Key references through the signer layer, exactly as httpd will use them:
 * if the tool can read the public key and sign a CSR with a reference, the
 * server can sign with it too. */
#include <string.h>

#include <apr_strings.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "csc_admin.h"
#include "crypto/csc_algo.h"
#include "enroll/csc_ca.h"
#include "signer/csc_signer.h"

static int needs_pin(const char *ref)
{
    return strncmp(ref, "engine:", 7) == 0
           || strncmp(ref, "provider:", 9) == 0;
}

/* Configures the signer once, with the token PIN only when the reference
 * needs one (a file: key must work without any PIN set up). */
static apr_status_t signer_setup(csc_admin_t *a, const char *ref,
                                 const char **errmsg)
{
    csc_signer_conf_t conf;
    const char *pin = NULL;
    apr_status_t rv;

    if (a->signer_configured == 2
        || (a->signer_configured == 1 && !needs_pin(ref))) {
        return APR_SUCCESS;
    }
    if (needs_pin(ref)) {
        rv = csc_admin_pkcs11_pin(a, &pin, errmsg);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    memset(&conf, 0, sizeof(conf));
    conf.pkcs11_module = a->pkcs11_module;
    conf.pkcs11_pin = pin;
    rv = csc_signer_global_conf(&conf);
    if (rv != APR_SUCCESS) {
        *errmsg = "cannot configure the signer";
        return rv;
    }
    a->signer_configured = pin ? 2 : 1;
    return APR_SUCCESS;
}

apr_status_t csc_admin_key_public_pem(csc_admin_t *a, const char *ref,
                                      const char **pem, const char **errmsg)
{
    unsigned char *der;
    const unsigned char *q;
    apr_size_t len;
    EVP_PKEY *k;
    BIO *b;
    char *data;
    long n;
    apr_status_t rv;

    rv = csc_keyref_check(ref, a->pool, errmsg);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = signer_setup(a, ref, errmsg);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = csc_signer_public_key(ref, &der, &len, a->pool, errmsg);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    q = der;
    k = d2i_PUBKEY(NULL, &q, (long)len);
    b = BIO_new(BIO_s_mem());
    rv = APR_EGENERAL;
    if (k && b && PEM_write_bio_PUBKEY(b, k)) {
        n = BIO_get_mem_data(b, &data);
        *pem = apr_pstrmemdup(a->pool, data, (apr_size_t)n);
        rv = APR_SUCCESS;
    }
    else {
        *errmsg = "the signer returned an unusable public key";
    }
    BIO_free(b);
    EVP_PKEY_free(k);
    ERR_clear_error();
    return rv;
}

/* The signer layer offers no EVP_PKEY for an HSM key (it keeps keys in its
 * own per-process cache), so the request is built by csc_ca_make_csr()
 * with a throw-away key, which gives us its subject handling, and then
 * takes the real public key and a signature made by csc_signer_sign(). */
apr_status_t csc_admin_key_csr(csc_admin_t *a, const char *ref,
                               const char *pubkey_pem, const char *subject,
                               const char **csr_pem, const char **errmsg)
{
    apr_pool_t *p = a->pool;
    EVP_PKEY *tmp = NULL, *pub = NULL;
    X509_REQ *req = NULL;
    X509_ALGOR *alg = NULL;
    ASN1_BIT_STRING *bits = NULL;
    BIO *b = NULL;
    unsigned char *tbs = NULL, *sig, md[EVP_MAX_MD_SIZE];
    unsigned int mdlen;
    apr_size_t siglen;
    csc_sig_params_t sp;
    csc_algo_err_e aerr;
    const char *draft, *sign_oid;
    int tbs_len, nid, is_ec;
    char *data;
    long n;
    apr_status_t rv;

    rv = signer_setup(a, ref, errmsg);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    b = BIO_new_mem_buf(pubkey_pem, -1);
    pub = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    b = NULL;
    if (!pub) {
        *errmsg = "the stored public key does not parse";
        rv = APR_EINVAL;
        goto leave;
    }
    is_ec = EVP_PKEY_is_a(pub, "EC");
    if (!is_ec && !EVP_PKEY_is_a(pub, "RSA")) {
        *errmsg = "only RSA and EC keys are supported";
        rv = APR_ENOTIMPL;
        goto leave;
    }
    tmp = EVP_EC_gen("P-256");
    if (!tmp) {
        *errmsg = "cannot create a temporary key";
        rv = APR_EGENERAL;
        goto leave;
    }
    rv = csc_ca_make_csr(tmp, subject, &draft, p, errmsg);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    rv = APR_EGENERAL;
    nid = is_ec ? NID_ecdsa_with_SHA256 : NID_sha256WithRSAEncryption;
    sign_oid = is_ec ? CSC_OID_ECDSA_SHA256 : CSC_OID_SHA256_WITH_RSA;
    if (csc_algo_resolve(sign_oid, NULL, NULL, 0, &sp, &aerr)
        != APR_SUCCESS) {
        *errmsg = "signature algorithm not available";
        goto leave;
    }
    b = BIO_new_mem_buf(draft, -1);
    if (!b || !(req = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL))
        || !X509_REQ_set_pubkey(req, pub)
        || !(alg = X509_ALGOR_new())
        || !X509_ALGOR_set0(alg, OBJ_nid2obj(nid),
                            is_ec ? V_ASN1_UNDEF : V_ASN1_NULL, NULL)
        || !X509_REQ_set1_signature_algo(req, alg)
        || (tbs_len = i2d_re_X509_REQ_tbs(req, &tbs)) <= 0
        || !EVP_Digest(tbs, (size_t)tbs_len, md, &mdlen, EVP_sha256(),
                       NULL)) {
        *errmsg = "cannot build the certificate request";
        goto leave;
    }
    rv = csc_signer_sign(ref, &sp, md, mdlen, &sig, &siglen, p, errmsg);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    rv = APR_EGENERAL;
    if (!(bits = ASN1_BIT_STRING_new())
        || !ASN1_BIT_STRING_set(bits, sig, (int)siglen)) {
        *errmsg = "out of memory";
        goto leave;
    }
    /* a signature is a whole number of octets: no unused bits, whatever
     * its last byte looks like */
    bits->flags &= ~(ASN1_STRING_FLAG_BITS_LEFT | 0x07);
    bits->flags |= ASN1_STRING_FLAG_BITS_LEFT;
    X509_REQ_set0_signature(req, bits);
    bits = NULL;
    if (X509_REQ_verify(req, pub) != 1) {
        *errmsg = "the key behind the reference does not match the stored "
                  "public key (request signature does not verify)";
        goto leave;
    }
    BIO_free(b);
    if (!(b = BIO_new(BIO_s_mem())) || !PEM_write_bio_X509_REQ(b, req)) {
        *errmsg = "cannot encode the certificate request";
        goto leave;
    }
    n = BIO_get_mem_data(b, &data);
    *csr_pem = apr_pstrmemdup(p, data, (apr_size_t)n);
    rv = APR_SUCCESS;

leave:
    OPENSSL_free(tbs);
    ASN1_BIT_STRING_free(bits);
    X509_ALGOR_free(alg);
    X509_REQ_free(req);
    BIO_free(b);
    EVP_PKEY_free(tmp);
    EVP_PKEY_free(pub);
    ERR_clear_error();
    return rv;
}
