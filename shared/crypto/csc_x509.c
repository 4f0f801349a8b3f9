/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include <apr_strings.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/csc_ossl.h"
#include "crypto/csc_x509.h"

/* RFC 4514 wants UTF-8 strings; OpenSSL's RFC 2253 preset would turn every
 * non-ASCII byte into "\C3\AB". */
#define CSC_DN_FLAGS (XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB)

/* Strings are static because key info has no pool to allocate from. */
static const struct {
    int nid;
    const char *oid;
} csc_curves[] = {
    { NID_X9_62_prime256v1, "1.2.840.10045.3.1.7" },
    { NID_secp384r1, "1.3.132.0.34" },
    { NID_secp521r1, "1.3.132.0.35" },
    { NID_brainpoolP256r1, "1.3.36.3.3.2.8.1.1.7" },
    { NID_brainpoolP384r1, "1.3.36.3.3.2.8.1.1.11" },
    { NID_brainpoolP512r1, "1.3.36.3.3.2.8.1.1.13" }
};

/* Our failures must not linger in the thread's error queue: a later
 * SSL_get_error() on the same httpd worker thread would misread them.
 * Errors queued before we were called are left alone. */
#define ERR_ENTER() ERR_set_mark()
#define ERR_LEAVE() ERR_pop_to_mark()



/* Reading PEM until it runs out always ends in a "no start line" error;
 * only that one means a clean end of input. */
static int pem_at_clean_end(void)
{
    unsigned long e = ERR_peek_last_error();
    return ERR_GET_LIB(e) == ERR_LIB_PEM
           && ERR_GET_REASON(e) == PEM_R_NO_START_LINE;
}

static BIO *pem_bio(const char *pem)
{
    if (pem == NULL) {
        return NULL;
    }
    return BIO_new_mem_buf(pem, -1);
}

static X509 *read_first_cert(const char *pem)
{
    BIO *bio = pem_bio(pem);
    X509 *x;

    if (bio == NULL) {
        return NULL;
    }
    x = PEM_read_bio_X509(bio, NULL, csc_ossl_no_passphrase, NULL);
    BIO_free(bio);
    return x;
}

static EVP_PKEY *read_pubkey(const char *pem)
{
    BIO *bio = pem_bio(pem);
    EVP_PKEY *pk;

    if (bio == NULL) {
        return NULL;
    }
    pk = PEM_read_bio_PUBKEY(bio, NULL, csc_ossl_no_passphrase, NULL);
    BIO_free(bio);
    return pk;
}

static const char *dn_string(const X509_NAME *name, apr_pool_t *p)
{
    BIO *bio = BIO_new(BIO_s_mem());
    const char *s = NULL;
    char *data;
    long len;

    if (bio == NULL) {
        return NULL;
    }
    if (X509_NAME_print_ex(bio, name, 0, CSC_DN_FLAGS) >= 0) {
        len = BIO_get_mem_data(bio, &data);
        s = len > 0 ? apr_pstrmemdup(p, data, (apr_size_t)len) : "";
    }
    BIO_free(bio);
    return s;
}

/* First value of an attribute as UTF-8; NULL when absent or when it holds
 * a NUL (that would truncate silently in C strings). */
static const char *name_entry_utf8(const X509_NAME *name, int nid,
                                   apr_pool_t *p)
{
    int idx = X509_NAME_get_index_by_NID(name, nid, -1);
    const X509_NAME_ENTRY *ne;
    unsigned char *utf8 = NULL;
    const char *s = NULL;
    int len;

    if (idx < 0 || (ne = X509_NAME_get_entry(name, idx)) == NULL) {
        return NULL;
    }
    len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(ne));
    if (len >= 0 && memchr(utf8, '\0', (size_t)len) == NULL) {
        s = apr_pstrmemdup(p, (const char *)utf8, (apr_size_t)len);
    }
    OPENSSL_free(utf8);
    return s;
}

static const char *serial_hex(const ASN1_INTEGER *serial, apr_pool_t *p)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
    char *hex;
    const char *s = NULL;

    if (bn == NULL) {
        return NULL;
    }
    hex = BN_bn2hex(bn);        /* uppercase, whole bytes */
    if (hex != NULL) {
        s = apr_pstrdup(p, hex);
        OPENSSL_free(hex);
    }
    BN_free(bn);
    return s;
}

/* Days since 1970-01-01 for a proleptic Gregorian date; done by hand
 * because apr_time_exp_gmt_get() refuses years before 1970 and timegm()
 * depends on the platform's time_t range. */
static apr_int64_t days_from_civil(apr_int64_t y, int m, int d)
{
    apr_int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Validity times are UTCTime up to 2049 and GeneralizedTime after; CSC
 * always wants the four-digit-year form, so go through struct tm instead of
 * copying the encoded string. */
static apr_status_t cert_time(const ASN1_TIME *t, const char **str,
                              apr_time_t *at, apr_pool_t *p)
{
    struct tm tm;
    apr_int64_t secs;

    if (t == NULL || !ASN1_TIME_to_tm(t, &tm)) {
        return APR_EINVAL;
    }
    *str = apr_psprintf(p, "%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900,
                        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                        tm.tm_sec);
    secs = days_from_civil((apr_int64_t)tm.tm_year + 1900, tm.tm_mon + 1,
                           tm.tm_mday) * 86400
           + tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
    *at = apr_time_from_sec(secs);
    return APR_SUCCESS;
}

static apr_status_t cert_info(X509 *x, csc_cert_info_t **out, apr_pool_t *p,
                              const char **errmsg)
{
    csc_cert_info_t *c = apr_pcalloc(p, sizeof(*c));
    const X509_NAME *subject = X509_get_subject_name(x);
    unsigned char *der, *q;
    char *b64;
    int len;

    len = i2d_X509(x, NULL);
    if (len <= 0) {
        *errmsg = "cannot encode certificate";
        return APR_EINVAL;
    }
    der = q = apr_palloc(p, (apr_size_t)len);
    if (i2d_X509(x, &q) != len) {
        *errmsg = "cannot encode certificate";
        return APR_EINVAL;
    }
    b64 = apr_palloc(p, 4 * (((apr_size_t)len + 2) / 3) + 1);
    EVP_EncodeBlock((unsigned char *)b64, der, len);
    c->der_b64 = b64;

    c->subject_dn = dn_string(subject, p);
    c->issuer_dn = dn_string(X509_get_issuer_name(x), p);
    c->serial_hex = serial_hex(X509_get0_serialNumber(x), p);
    if (c->subject_dn == NULL || c->issuer_dn == NULL
        || c->serial_hex == NULL) {
        *errmsg = "cannot read certificate names or serial number";
        return APR_EINVAL;
    }
    if (cert_time(X509_get0_notBefore(x), &c->valid_from, &c->not_before, p)
        || cert_time(X509_get0_notAfter(x), &c->valid_to, &c->not_after, p)) {
        *errmsg = "certificate has an invalid validity time";
        return APR_EINVAL;
    }
    c->subject_o = name_entry_utf8(subject, NID_organizationName, p);
    c->subject_cn = name_entry_utf8(subject, NID_commonName, p);
    *out = c;
    return APR_SUCCESS;
}

apr_status_t csc_x509_parse_chain(const char *pem, apr_array_header_t **certs,
                                  apr_pool_t *p, const char **errmsg)
{
    apr_array_header_t *arr = apr_array_make(p, 3, sizeof(csc_cert_info_t *));
    apr_status_t rv = APR_SUCCESS;
    BIO *bio;
    X509 *x;

    *certs = NULL;
    *errmsg = NULL;
    ERR_ENTER();
    bio = pem_bio(pem);
    if (bio == NULL) {
        *errmsg = "no certificate PEM given";
        rv = APR_EINVAL;
        goto leave;
    }
    while ((x = PEM_read_bio_X509(bio, NULL, csc_ossl_no_passphrase, NULL)) != NULL) {
        csc_cert_info_t *c;

        rv = cert_info(x, &c, p, errmsg);
        X509_free(x);
        if (rv != APR_SUCCESS) {
            *errmsg = apr_psprintf(p, "certificate %d: %s", arr->nelts + 1,
                                   *errmsg);
            goto leave;
        }
        APR_ARRAY_PUSH(arr, csc_cert_info_t *) = c;
    }
    if (!pem_at_clean_end()) {
        *errmsg = apr_psprintf(p, "certificate %d: bad PEM or DER (%s)",
                               arr->nelts + 1, csc_ossl_last_reason());
        rv = APR_EINVAL;
        goto leave;
    }
    if (arr->nelts == 0) {
        *errmsg = "no certificate found in PEM text";
        rv = APR_EINVAL;
        goto leave;
    }
    *certs = arr;

leave:
    BIO_free(bio);
    ERR_LEAVE();
    return rv;
}

static apr_status_t key_info(const EVP_PKEY *pk, csc_key_info_t *ki,
                             const char **errmsg)
{
    char group[64];
    size_t glen = 0;
    int nid;
    size_t i;

    memset(ki, 0, sizeof(*ki));
    if (EVP_PKEY_is_a(pk, "RSA")) {
        ki->type = CSC_KEY_RSA;
        ki->bits = EVP_PKEY_get_bits(pk);
        return APR_SUCCESS;
    }
    if (!EVP_PKEY_is_a(pk, "EC")) {
        /* RSA-PSS-restricted keys land here on purpose: reporting them as
         * plain RSA would advertise PKCS#1 v1.5 algorithms they refuse. */
        *errmsg = "unsupported public key type (only RSA and EC)";
        return APR_ENOTIMPL;
    }
    if (!EVP_PKEY_get_group_name(pk, group, sizeof(group), &glen)) {
        *errmsg = "EC key without a named curve";
        return APR_ENOTIMPL;
    }
    nid = OBJ_txt2nid(group);
    if (nid == NID_undef) {
        nid = EC_curve_nist2nid(group);
    }
    for (i = 0; i < sizeof(csc_curves) / sizeof(csc_curves[0]); i++) {
        if (csc_curves[i].nid == nid) {
            ki->type = CSC_KEY_EC;
            ki->bits = EVP_PKEY_get_bits(pk);
            ki->curve_oid = csc_curves[i].oid;
            return APR_SUCCESS;
        }
    }
    *errmsg = "unsupported EC curve";
    return APR_ENOTIMPL;
}

apr_status_t csc_x509_key_info_from_cert(const char *pem_first_cert,
                                         csc_key_info_t *ki,
                                         const char **errmsg)
{
    apr_status_t rv;
    EVP_PKEY *pk;
    X509 *x;

    *errmsg = NULL;
    ERR_ENTER();
    x = read_first_cert(pem_first_cert);
    if (x == NULL || (pk = X509_get0_pubkey(x)) == NULL) {
        memset(ki, 0, sizeof(*ki));
        *errmsg = "cannot parse certificate or its public key";
        rv = APR_EINVAL;
    }
    else {
        rv = key_info(pk, ki, errmsg);
    }
    X509_free(x);
    ERR_LEAVE();
    return rv;
}

apr_status_t csc_x509_key_info_from_spki_pem(const char *pubkey_pem,
                                             csc_key_info_t *ki,
                                             const char **errmsg)
{
    apr_status_t rv;
    EVP_PKEY *pk;

    *errmsg = NULL;
    ERR_ENTER();
    pk = read_pubkey(pubkey_pem);
    if (pk == NULL) {
        memset(ki, 0, sizeof(*ki));
        *errmsg = "cannot parse public key PEM";
        rv = APR_EINVAL;
    }
    else {
        rv = key_info(pk, ki, errmsg);
    }
    EVP_PKEY_free(pk);
    ERR_LEAVE();
    return rv;
}

const char *csc_x509_validity_status(apr_time_t not_before,
                                     apr_time_t not_after, apr_time_t now)
{
    /* Whole seconds: notAfter 235959Z covers the whole last second. */
    apr_int64_t s = apr_time_sec(now);

    if (s < apr_time_sec(not_before)) {
        return NULL;
    }
    return s > apr_time_sec(not_after) ? "expired" : "valid";
}

const char *csc_x509_status(const csc_cert_info_t *c, apr_time_t now)
{
    return csc_x509_validity_status(c->not_before, c->not_after, now);
}

apr_status_t csc_x509_matches_key(const char *cert_pem,
                                  const char *pubkey_pem)
{
    apr_status_t rv = APR_EINVAL;
    X509 *x;
    EVP_PKEY *pk;

    ERR_ENTER();
    x = read_first_cert(cert_pem);
    pk = read_pubkey(pubkey_pem);
    if (x != NULL && pk != NULL && X509_get0_pubkey(x) != NULL) {
        rv = EVP_PKEY_eq(X509_get0_pubkey(x), pk) == 1 ? APR_SUCCESS
                                                        : APR_EMISMATCH;
    }
    EVP_PKEY_free(pk);
    X509_free(x);
    ERR_LEAVE();
    return rv;
}

apr_status_t csc_x509_check_chain(const char *chain_pem, const char **errmsg)
{
    STACK_OF(X509) *chain = sk_X509_new_null();
    apr_status_t rv = APR_SUCCESS;
    BIO *bio = NULL;
    X509 *x;
    int i;

    *errmsg = NULL;
    ERR_ENTER();
    if (chain == NULL || (bio = pem_bio(chain_pem)) == NULL) {
        *errmsg = "no certificate PEM given";
        rv = APR_EINVAL;
        goto leave;
    }
    while ((x = PEM_read_bio_X509(bio, NULL, csc_ossl_no_passphrase, NULL)) != NULL) {
        if (!sk_X509_push(chain, x)) {
            X509_free(x);
            *errmsg = "out of memory";
            rv = APR_ENOMEM;
            goto leave;
        }
    }
    if (!pem_at_clean_end() || sk_X509_num(chain) == 0) {
        *errmsg = "cannot parse certificate chain PEM";
        rv = APR_EINVAL;
        goto leave;
    }
    for (i = 0; i + 1 < sk_X509_num(chain); i++) {
        X509 *subject = sk_X509_value(chain, i);
        X509 *issuer = sk_X509_value(chain, i + 1);
        EVP_PKEY *ikey = X509_get0_pubkey(issuer);
        int vrc = X509_check_issued(issuer, subject);

        if (vrc != X509_V_OK) {
            /* returns string literals in OpenSSL 3: thread-safe */
            *errmsg = X509_verify_cert_error_string(vrc);
            rv = APR_EGENERAL;
            goto leave;
        }
        if (ikey == NULL || X509_verify(subject, ikey) != 1) {
            *errmsg = "certificate signature does not verify with the "
                      "next certificate's key";
            rv = APR_EGENERAL;
            goto leave;
        }
    }

leave:
    BIO_free(bio);
    sk_X509_pop_free(chain, X509_free);
    ERR_LEAVE();
    return rv;
}
