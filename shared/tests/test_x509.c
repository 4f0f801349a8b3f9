/* SPDX-License-Identifier: Apache-2.0 */
/* csc_x509 (certificate facts for credentials/info) and csc_ca (test CA).
 * Expected values come from the DER itself where possible, so the checks
 * do not merely repeat the code under test. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "enroll/csc_ca.h"
#include "crypto/csc_credfacts.h"
#include "crypto/csc_x509.h"
#include "tap.h"
#include "testkeys.h"

#define CA_DN "CN=mod_csc Test CA,O=Example,C=BE"
#define OID_P256 "1.2.840.10045.3.1.7"
#define OID_P384 "1.3.132.0.34"
#define OID_P521 "1.3.132.0.35"

static apr_pool_t *pool;
static char tmpdir[] = "/tmp/csc_test_x509_XXXXXX";

static const char *tpath(const char *name)
{
    return apr_pstrcat(pool, tmpdir, "/", name, NULL);
}

static const char *pub_pem(EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *d;
    long n;
    const char *s;

    PEM_write_bio_PUBKEY(b, k);
    n = BIO_get_mem_data(b, &d);
    s = apr_pstrmemdup(pool, d, (apr_size_t)n);
    BIO_free(b);
    return s;
}

static X509 *pem_x509(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);

    BIO_free(b);
    return x;
}

static const char *x509_pem(X509 *x)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *d;
    long n;
    const char *s;

    PEM_write_bio_X509(b, x);
    n = BIO_get_mem_data(b, &d);
    s = apr_pstrmemdup(pool, d, (apr_size_t)n);
    BIO_free(b);
    return s;
}

static const char *read_text(const char *path)
{
    char *s = NULL;
    apr_size_t n;
    apr_file_t *f;
    apr_finfo_t fi;

    if (apr_file_open(&f, path, APR_FOPEN_READ, 0, pool) != APR_SUCCESS) {
        return NULL;
    }
    apr_file_info_get(&fi, APR_FINFO_SIZE, f);
    n = (apr_size_t)fi.size;
    s = apr_pcalloc(pool, n + 1);
    apr_file_read_full(f, s, n, NULL);
    apr_file_close(f);
    return s;
}

/* The base64 lines of a PEM block, joined: what der_b64 must equal. */
static const char *pem_body(const char *pem)
{
    const char *b = strstr(pem, "-----\n");
    const char *e = strstr(pem, "-----END");
    char *out, *o;

    if (b == NULL || e == NULL) {
        return NULL;
    }
    out = o = apr_palloc(pool, (apr_size_t)(e - b));
    for (b += 6; b < e; b++) {
        if (*b != '\n' && *b != '\r') {
            *o++ = *b;
        }
    }
    *o = '\0';
    return out;
}

/* Serial as uppercase hex straight from the INTEGER's content octets. */
static const char *serial_of(const char *pem)
{
    X509 *x = pem_x509(pem);
    const ASN1_INTEGER *ai = X509_get0_serialNumber(x);
    const unsigned char *d = ASN1_STRING_get0_data(ai);
    int i, n = ASN1_STRING_length(ai);
    char *s = apr_palloc(pool, (apr_size_t)n * 2 + 1);

    for (i = 0; i < n; i++) {
        sprintf(s + 2 * i, "%02X", d[i]);
    }
    s[2 * n] = '\0';
    X509_free(x);
    return s;
}

/* Encoded time as CSC wants it: UTCTime gets its century prepended. */
static const char *time_of(const char *pem, int after, int *type)
{
    X509 *x = pem_x509(pem);
    const ASN1_TIME *t = after ? X509_get0_notAfter(x) : X509_get0_notBefore(x);
    const char *raw = apr_pstrmemdup(pool,
                                     (const char *)ASN1_STRING_get0_data(t),
                                     (apr_size_t)ASN1_STRING_length(t));
    const char *s;

    *type = ASN1_STRING_type(t);
    s = *type == V_ASN1_UTCTIME
            ? apr_pstrcat(pool, raw[0] >= '5' ? "19" : "20", raw, NULL)
            : raw;
    X509_free(x);
    return s;
}

/* Alters the last byte of the DER (inside the signature value). */
static const char *tamper_cert(const char *pem)
{
    X509 *x = pem_x509(pem), *y;
    unsigned char *der = NULL;
    const unsigned char *q;
    int n = i2d_X509(x, &der);
    const char *s;

    der[n - 1] ^= 0x01;
    q = der;
    y = d2i_X509(NULL, &q, n);
    s = y ? x509_pem(y) : NULL;
    OPENSSL_free(der);
    X509_free(x);
    X509_free(y);
    return s;
}

static const char *tamper_csr(const char *pem)
{
    BIO *b = BIO_new_mem_buf(pem, -1);
    X509_REQ *r = PEM_read_bio_X509_REQ(b, NULL, NULL, NULL), *y;
    unsigned char *der = NULL;
    const unsigned char *q;
    int n = i2d_X509_REQ(r, &der);
    char *d;
    long len;
    const char *s = NULL;

    der[n - 1] ^= 0x01;
    q = der;
    y = d2i_X509_REQ(NULL, &q, n);
    BIO_free(b);
    b = BIO_new(BIO_s_mem());
    if (y != NULL && PEM_write_bio_X509_REQ(b, y)) {
        len = BIO_get_mem_data(b, &d);
        s = apr_pstrmemdup(pool, d, (apr_size_t)len);
    }
    BIO_free(b);
    OPENSSL_free(der);
    X509_REQ_free(r);
    X509_REQ_free(y);
    return s;
}

/* Re-dates a certificate and re-signs it with the CA key. */
static const char *redate(const char *pem, const char *nb, const char *na,
                          const char *ca_key_path)
{
    X509 *x = pem_x509(pem);
    BIO *b = BIO_new_file(ca_key_path, "r");
    EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    const char *s = NULL;

    if (ASN1_TIME_set_string_X509(X509_getm_notBefore(x), nb)
        && ASN1_TIME_set_string_X509(X509_getm_notAfter(x), na)
        && X509_sign(x, k, EVP_sha256()) > 0) {
        s = x509_pem(x);
    }
    EVP_PKEY_free(k);
    BIO_free(b);
    X509_free(x);
    return s;
}

static csc_cert_info_t *first_info(const char *pem)
{
    apr_array_header_t *certs;
    const char *err;

    if (csc_x509_parse_chain(pem, &certs, pool, &err) != APR_SUCCESS) {
        printf("# parse_chain: %s\n", err);
        return NULL;
    }
    return APR_ARRAY_IDX(certs, 0, csc_cert_info_t *);
}

static const char *subject_of_issued(const char *ca_key, const char *ca_crt,
                                     EVP_PKEY *k, const char *subject)
{
    const char *pem, *err;
    csc_cert_info_t *c;

    if (csc_ca_issue(ca_key, ca_crt, pub_pem(k), subject, 30, &pem, pool,
                     &err) != APR_SUCCESS) {
        printf("# issue '%s': %s\n", subject, err);
        return NULL;
    }
    c = first_info(pem);
    return c ? c->subject_dn : NULL;
}

/* Full check of one freshly issued end-entity certificate. */
static void check_fresh(const char *label, const char *pem, const char *dn,
                        int days, time_t t0, time_t t1)
{
    csc_cert_info_t *c = first_info(pem);
    int type;

    if (!ok(c != NULL, "%s: parses", label)) {
        return;
    }
    is_str(c->subject_dn, dn, "%s: subjectDN", label);
    is_str(c->issuer_dn, CA_DN, "%s: issuerDN", label);
    is_str(c->serial_hex, serial_of(pem), "%s: serial equals the DER's", label);
    is_int(strlen(c->serial_hex), 32, "%s: 16-byte serial", label);
    ok(strchr("01234567", c->serial_hex[0]) != NULL, "%s: serial positive",
       label);
    is_str(c->der_b64, pem_body(pem), "%s: der_b64 equals the PEM body",
           label);
    is_str(c->valid_from, time_of(pem, 0, &type), "%s: validFrom", label);
    is_str(c->valid_to, time_of(pem, 1, &type), "%s: validTo", label);
    is_int(strlen(c->valid_from), 15, "%s: validFrom has 15 chars", label);
    ok(c->valid_from[14] == 'Z' && c->valid_to[14] == 'Z',
       "%s: times end in Z", label);
    ok(apr_time_sec(c->not_before) >= t0 && apr_time_sec(c->not_before) <= t1,
       "%s: notBefore is issuance time", label);
    is_int(apr_time_sec(c->not_after - c->not_before), (long long)days * 86400,
           "%s: validity length", label);
    is_str(csc_x509_status(c, apr_time_now()), "valid", "%s: status", label);
}

typedef struct {
    const char *pem, *dn, *serial;
    int bad;
} thread_job_t;

static void *APR_THREAD_FUNC parse_worker(apr_thread_t *t, void *data)
{
    thread_job_t *job = data;
    apr_pool_t *p;
    int i;

    apr_pool_create(&p, NULL);
    for (i = 0; i < 200; i++) {
        apr_array_header_t *certs;
        const char *err;
        csc_cert_info_t *c;

        if (csc_x509_parse_chain(job->pem, &certs, p, &err) != APR_SUCCESS
            || certs->nelts != 2) {
            job->bad++;
            continue;
        }
        c = APR_ARRAY_IDX(certs, 0, csc_cert_info_t *);
        if (strcmp(c->subject_dn, job->dn) || strcmp(c->serial_hex, job->serial)
            || strcmp(APR_ARRAY_IDX(certs, 1, csc_cert_info_t *)->subject_dn,
                      CA_DN)) {
            job->bad++;
        }
        apr_pool_clear(p);
    }
    apr_pool_destroy(p);
    /* plain return rather than apr_thread_exit(): pthread_exit's unwinding
     * trips a false stack-buffer-overflow in GCC 12's ASan */
    (void)t;
    return NULL;
}

int main(void)
{
    const char *ca_key, *ca_crt, *ca2_key, *ca2_crt, *ca3_key, *ca3_crt;
    const char *ca_pem, *ca2_pem, *ca3_pem, *err, *s;
    const char *rsa_pem, *p256_pem, *p384_pem, *neg_pem, *old_pem, *fut_pem;
    const char *csr, *csr_cert, *rsa_csr_cert, *bad;
    EVP_PKEY *rsa, *p256, *p384, *p521, *ed;
    apr_array_header_t *certs;
    csc_key_info_t ki;
    csc_cert_info_t *c;
    struct stat st;
    time_t t0, t1;
    apr_status_t rv;
    int type;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    ca_key = tpath("ca.key");
    ca_crt = tpath("ca.crt");
    ca2_key = tpath("ca2.key");
    ca2_crt = tpath("ca2.crt");
    ca3_key = tpath("ca3.key");
    ca3_crt = tpath("ca3.crt");

    rsa = test_key("x509-rsa2048", 2048, NULL, 0);
    p256 = test_key("x509-p256", 0, "P-256", 0);
    p384 = test_key("x509-p384", 0, "P-384", 0);
    p521 = test_key("x509-p521", 0, "P-521", 0);
    ed = test_key("x509-ed25519", 0, "ED25519", 1);
    if (!rsa || !p256 || !p384 || !p521 || !ed) {
        printf("Bail out! key generation failed\n");
        return 1;
    }

    /* --- CA creation --- */
    rv = csc_ca_create(CA_DN, 3650, ca_key, ca_crt, pool, &err);
    is_int(rv, APR_SUCCESS, "create CA (%s)", rv ? err : "ok");
    ok(stat(ca_key, &st) == 0 && (st.st_mode & 0777) == 0600,
       "CA key file has mode 0600");
    rv = csc_ca_create(CA_DN, 3650, ca_key, tpath("other.crt"), pool, &err);
    ok(APR_STATUS_IS_EEXIST(rv), "create refuses to overwrite a CA key");
    ca_pem = read_text(ca_crt);
    c = first_info(ca_pem);
    ok(c != NULL, "CA certificate parses");
    if (c == NULL) {
        return tap_done();
    }
    is_str(c->subject_dn, CA_DN, "CA subjectDN");
    is_str(c->issuer_dn, CA_DN, "CA is self-issued");
    is_str(c->subject_cn, "mod_csc Test CA", "CA CN");
    is_str(c->subject_o, "Example", "CA O");
    is_int(apr_time_sec(c->not_after - c->not_before), 3650LL * 86400,
           "CA validity 3650 days");
    rv = csc_x509_key_info_from_cert(ca_pem, &ki, &err);
    ok(rv == APR_SUCCESS && ki.type == CSC_KEY_EC && ki.bits == 256,
       "CA key is EC 256");
    is_str(ki.curve_oid, OID_P256, "CA curve P-256");
    is_int(csc_x509_check_chain(ca_pem, &err), APR_SUCCESS,
           "a lone CA is a valid chain");
    rv = csc_ca_create("/CN=Second CA/O=Other", 30, ca2_key, ca2_crt, pool,
                       &err);
    is_int(rv, APR_SUCCESS, "create second CA, slash syntax");
    ca2_pem = read_text(ca2_crt);
    c = first_info(ca2_pem);
    is_str(c ? c->subject_dn : "(none)", "O=Other,CN=Second CA",
           "slash syntax is DER order");
    /* same name as the first CA, different key */
    rv = csc_ca_create(CA_DN, 30, ca3_key, ca3_crt, pool, &err);
    is_int(rv, APR_SUCCESS, "create look-alike CA");
    ca3_pem = read_text(ca3_crt);
    ok(csc_ca_create(CA_DN, 0, tpath("x.key"), tpath("x.crt"), pool, &err)
       == APR_EINVAL && access(tpath("x.key"), F_OK) != 0,
       "create with 0 days fails and writes nothing");

    /* --- end-entity certificates --- */
    t0 = time(NULL);
    rv = csc_ca_issue(ca_key, ca_crt, pub_pem(rsa),
                      "CN=Alice Example,O=Example Org,C=BE", 365, &rsa_pem,
                      pool, &err);
    t1 = time(NULL);
    is_int(rv, APR_SUCCESS, "issue RSA (%s)", rv ? err : "ok");
    check_fresh("RSA", rsa_pem, "CN=Alice Example,O=Example Org,C=BE", 365,
                t0, t1);
    c = first_info(rsa_pem);
    is_str(c->subject_cn, "Alice Example", "RSA subject CN");
    is_str(c->subject_o, "Example Org", "RSA subject O");
    rv = csc_x509_key_info_from_cert(rsa_pem, &ki, &err);
    ok(rv == APR_SUCCESS && ki.type == CSC_KEY_RSA, "RSA key type");
    is_int(ki.bits, 2048, "RSA 2048 bits");
    ok(ki.curve_oid == NULL, "RSA has no curve");

    t0 = time(NULL);
    rv = csc_ca_issue(ca_key, ca_crt, pub_pem(p256),
                      "/C=BE/O=Example Org/CN=Bob", 365, &p256_pem, pool, &err);
    t1 = time(NULL);
    is_int(rv, APR_SUCCESS, "issue P-256");
    check_fresh("P-256", p256_pem, "CN=Bob,O=Example Org,C=BE", 365, t0, t1);
    rv = csc_x509_key_info_from_cert(p256_pem, &ki, &err);
    ok(rv == APR_SUCCESS && ki.type == CSC_KEY_EC && ki.bits == 256,
       "P-256 EC 256 bits");
    is_str(ki.curve_oid, OID_P256, "P-256 curve OID");

    /* 10000 days reaches past 2049: notAfter is GeneralizedTime */
    t0 = time(NULL);
    rv = csc_ca_issue(ca_key, ca_crt, pub_pem(p384), "CN=Carol,O=Example",
                      10000, &p384_pem, pool, &err);
    t1 = time(NULL);
    is_int(rv, APR_SUCCESS, "issue P-384");
    check_fresh("P-384", p384_pem, "CN=Carol,O=Example", 10000, t0, t1);
    s = time_of(p384_pem, 1, &type);
    is_int(type, V_ASN1_GENERALIZEDTIME, "P-384 notAfter is GeneralizedTime");
    time_of(p384_pem, 0, &type);
    is_int(type, V_ASN1_UTCTIME, "P-384 notBefore is UTCTime");
    rv = csc_x509_key_info_from_cert(p384_pem, &ki, &err);
    ok(rv == APR_SUCCESS && ki.type == CSC_KEY_EC && ki.bits == 384,
       "P-384 EC 384 bits");
    is_str(ki.curve_oid, OID_P384, "P-384 curve OID");

    rv = csc_x509_key_info_from_spki_pem(pub_pem(p521), &ki, &err);
    ok(rv == APR_SUCCESS && ki.type == CSC_KEY_EC && ki.bits == 521,
       "SPKI P-521 EC 521 bits");
    is_str(ki.curve_oid, OID_P521, "P-521 curve OID");
    rv = csc_x509_key_info_from_spki_pem(pub_pem(rsa), &ki, &err);
    ok(rv == APR_SUCCESS && ki.type == CSC_KEY_RSA && ki.bits == 2048,
       "SPKI RSA 2048");
    rv = csc_x509_key_info_from_spki_pem(pub_pem(ed), &ki, &err);
    ok(rv == APR_ENOTIMPL && err != NULL, "Ed25519 is not supported");

    /* --- the whole chain --- */
    s = apr_pstrcat(pool, "subject=whatever\n", rsa_pem, ca_pem, NULL);
    rv = csc_x509_parse_chain(s, &certs, pool, &err);
    ok(rv == APR_SUCCESS && certs->nelts == 2, "chain has 2 certificates");
    if (rv == APR_SUCCESS && certs->nelts == 2) {
        is_str(APR_ARRAY_IDX(certs, 0, csc_cert_info_t *)->subject_dn,
               "CN=Alice Example,O=Example Org,C=BE", "chain[0] is the EE");
        is_str(APR_ARRAY_IDX(certs, 1, csc_cert_info_t *)->der_b64,
               pem_body(ca_pem), "chain[1] is the CA");
    }

    /* --- names --- */
    is_str(subject_of_issued(ca_key, ca_crt, p256,
                             "CN=Zo\xc3\xab,O=Caf\xc3\xa9"),
           "CN=Zo\xc3\xab,O=Caf\xc3\xa9", "UTF-8 subject stays UTF-8");
    is_str(subject_of_issued(ca_key, ca_crt, p256, "CN=Zo\\C3\\AB"),
           "CN=Zo\xc3\xab", "hex-escaped UTF-8 in the subject");
    c = first_info(csc_ca_issue(ca_key, ca_crt, pub_pem(p256), "CN=Zo\xc3\xab",
                                1, &s, pool, &err) == APR_SUCCESS ? s : "");
    is_str(c ? c->subject_cn : "(none)", "Zo\xc3\xab", "subject_cn is UTF-8");
    ok(c && c->subject_o == NULL, "subject_o NULL when there is no O");
    is_str(subject_of_issued(ca_key, ca_crt, p256,
                             "CN=Doe\\, John , O = Example\\+Sons"),
           "CN=Doe\\, John,O=Example\\+Sons", "escaped comma and plus");
    /* DER sorts the SET (CN first) and OpenSSL's reversed printing also
     * reverses inside the RDN; the order of AVAs in an RDN carries no
     * meaning */
    is_str(subject_of_issued(ca_key, ca_crt, p256,
                             "CN=Eve+UID=eve42,O=Example"),
           "UID=eve42+CN=Eve,O=Example", "multi-valued RDN");
    is_str(subject_of_issued(ca_key, ca_crt, p256, "cn=lower,2.5.4.10=Oid Org"),
           "CN=lower,O=Oid Org", "lower-case keyword and dotted OID");
    is_str(subject_of_issued(ca_key, ca_crt, p256, "CN=\\ padded\\ "),
           "CN=\\ padded\\ ", "escaped edge spaces are kept");
    ok(csc_ca_issue(ca_key, ca_crt, pub_pem(p256), "C=BEL,CN=x", 1, &s, pool,
                    &err) == APR_EINVAL && err, "country must be 2 letters");
    ok(csc_ca_issue(ca_key, ca_crt, pub_pem(p256), "XYZZY=1", 1, &s, pool,
                    &err) == APR_EINVAL && err, "unknown attribute type");
    rv = csc_ca_issue(ca_key, ca_crt, pub_pem(p256), "CN=Zo\xeb", 1, &s,
                      pool, &err);
    ok(rv == APR_EINVAL && err, "invalid UTF-8 (%s)", err);
    rv = csc_ca_issue(ca_key, ca_crt, pub_pem(p256), "CN=a\\00b", 1, &s,
                      pool, &err);
    ok(rv == APR_EINVAL && err, "escaped NUL (%s)", err);
    ok(csc_ca_issue(ca_key, ca_crt, pub_pem(p256), "CN=", 1, &s, pool,
                    &err) == APR_EINVAL && err, "empty value");
    ok(csc_ca_issue(ca_key, ca_crt, pub_pem(p256), "CN=a\"b", 1, &s, pool,
                    &err) == APR_EINVAL && err, "unescaped quote");
    ok(csc_ca_issue(ca_key, ca_crt, pub_pem(p256), "CN=#0403414141", 1, &s,
                    pool, &err) == APR_EINVAL && err, "BER value refused");
    ok(csc_ca_issue(ca_key, ca_crt, pub_pem(p256), "CN=a,", 1, &s, pool,
                    &err) == APR_EINVAL && err, "trailing comma");
    ok(csc_ca_issue(ca_key, ca_crt, pub_pem(p256), "", 1, &s, pool,
                    &err) == APR_EINVAL && err, "empty subject");

    /* --- validity and status --- */
    rv = csc_ca_issue(ca_key, ca_crt, pub_pem(p256), "CN=Expired", -1,
                      &neg_pem, pool, &err);
    is_int(rv, APR_SUCCESS, "issue with negative days");
    c = first_info(neg_pem);
    is_str(c ? csc_x509_status(c, apr_time_now()) : "(none)", "expired",
           "negative days -> expired");
    ok(c && apr_time_sec(c->not_after - c->not_before) == 86400,
       "expired certificate spans one day");

    old_pem = redate(rsa_pem, "19600101000000Z", "20201231235959Z", ca_key);
    c = old_pem ? first_info(old_pem) : NULL;
    ok(c != NULL, "re-dated certificate parses");
    if (c != NULL) {
        time_of(old_pem, 0, &type);
        is_int(type, V_ASN1_UTCTIME, "1960 notBefore is UTCTime");
        is_str(c->valid_from, "19600101000000Z", "validFrom 1960");
        is_str(c->valid_to, "20201231235959Z", "validTo 2020");
        is_int(apr_time_sec(c->not_before), -315619200LL, "notBefore epoch");
        is_int(apr_time_sec(c->not_after), 1609459199LL, "notAfter epoch");
        is_str(csc_x509_status(c, apr_time_now()), "expired", "2020 expired");
        is_str(csc_x509_status(c, apr_time_from_sec(1609459199) + 999999),
               "valid", "valid through the last second");
        is_str(csc_x509_status(c, apr_time_from_sec(1609459200)), "expired",
               "expired one second later");
        ok(csc_x509_status(c, apr_time_from_sec(-315619201)) == NULL,
           "not yet valid -> NULL");
        is_str(csc_x509_status(c, apr_time_from_sec(-315619200)), "valid",
               "valid from the first second");
        is_int(csc_x509_check_chain(apr_pstrcat(pool, old_pem, ca_pem, NULL),
                                    &err),
               APR_SUCCESS, "re-signed certificate chains");
    }
    fut_pem = redate(rsa_pem, "20900101000000Z", "99991231235959Z", ca_key);
    c = fut_pem ? first_info(fut_pem) : NULL;
    ok(c != NULL, "future certificate parses");
    if (c != NULL) {
        is_str(c->valid_from, "20900101000000Z", "validFrom 2090");
        is_str(c->valid_to, "99991231235959Z", "validTo 9999");
        is_int(apr_time_sec(c->not_after), 253402300799LL, "9999 epoch");
        ok(csc_x509_status(c, apr_time_now()) == NULL, "future -> NULL");
    }

    /* --- key matching --- */
    is_int(csc_x509_matches_key(rsa_pem, pub_pem(rsa)), APR_SUCCESS,
           "RSA cert matches its key");
    is_int(csc_x509_matches_key(rsa_pem, pub_pem(p256)), APR_EMISMATCH,
           "RSA cert does not match an EC key");
    is_int(csc_x509_matches_key(p256_pem, pub_pem(p384)), APR_EMISMATCH,
           "P-256 cert does not match a P-384 key");
    is_int(csc_x509_matches_key(p384_pem, pub_pem(p384)), APR_SUCCESS,
           "P-384 cert matches its key");
    is_int(csc_x509_matches_key("junk", pub_pem(rsa)), APR_EINVAL,
           "matches_key: bad certificate");
    is_int(csc_x509_matches_key(rsa_pem, NULL), APR_EINVAL,
           "matches_key: no key");

    /* --- chain checks --- */
    is_int(csc_x509_check_chain(apr_pstrcat(pool, rsa_pem, ca_pem, NULL), &err),
           APR_SUCCESS, "EE + CA chain ok");
    is_int(csc_x509_check_chain(rsa_pem, &err), APR_SUCCESS,
           "a lone EE is not checked further");
    rv = csc_x509_check_chain(apr_pstrcat(pool, rsa_pem, ca2_pem, NULL), &err);
    ok(rv == APR_EGENERAL && err, "EE + wrong CA detected (%s)", err);
    rv = csc_x509_check_chain(apr_pstrcat(pool, rsa_pem, ca3_pem, NULL), &err);
    ok(rv == APR_EGENERAL && err, "EE + look-alike CA detected (%s)", err);
    rv = csc_x509_check_chain(apr_pstrcat(pool, ca_pem, rsa_pem, NULL), &err);
    ok(rv == APR_EGENERAL && err, "reversed chain detected (%s)", err);
    rv = csc_x509_check_chain(apr_pstrcat(pool, rsa_pem, p256_pem, NULL), &err);
    ok(rv == APR_EGENERAL && err, "EE as issuer detected (%s)", err);
    bad = tamper_cert(rsa_pem);
    ok(bad != NULL, "tampered certificate still parses");
    rv = csc_x509_check_chain(apr_pstrcat(pool, bad, ca_pem, NULL), &err);
    ok(rv == APR_EGENERAL && err && strstr(err, "signature"),
       "bad signature detected (%s)", err);
    rv = csc_x509_check_chain(apr_pstrcat(pool, rsa_pem, ca_pem, rsa_pem, NULL),
                              &err);
    ok(rv == APR_EGENERAL, "a broken link later in the chain is detected");
    is_int(csc_x509_check_chain("not a chain", &err), APR_EINVAL,
           "check_chain: garbage");

    /* --- garbage in --- */
    certs = NULL;
    rv = csc_x509_parse_chain("garbage", &certs, pool, &err);
    ok(rv == APR_EINVAL && certs == NULL && err, "garbage: %s", err);
    rv = csc_x509_parse_chain(NULL, &certs, pool, &err);
    ok(rv == APR_EINVAL && err, "NULL PEM: %s", err);
    rv = csc_x509_parse_chain("", &certs, pool, &err);
    ok(rv == APR_EINVAL && err, "empty PEM: %s", err);
    rv = csc_x509_parse_chain("-----BEGIN CERTIFICATE-----\nAAAA\n"
                              "-----END CERTIFICATE-----\n", &certs, pool,
                              &err);
    ok(rv == APR_EINVAL && err, "bad DER: %s", err);
    rv = csc_x509_parse_chain("-----BEGIN CERTIFICATE-----\n!!!*\n"
                              "-----END CERTIFICATE-----\n", &certs, pool,
                              &err);
    ok(rv == APR_EINVAL && err, "bad base64: %s", err);
    s = apr_pstrcat(pool, rsa_pem, "-----BEGIN CERTIFICATE-----\nMIIB\n"
                    "-----END CERTIFICATE-----\n", NULL);
    rv = csc_x509_parse_chain(s, &certs, pool, &err);
    ok(rv == APR_EINVAL && err && strstr(err, "certificate 2"),
       "damaged second block is an error, not a shorter chain: %s", err);
    s = apr_pstrmemdup(pool, rsa_pem, strlen(rsa_pem) - 40);
    rv = csc_x509_parse_chain(s, &certs, pool, &err);
    ok(rv == APR_EINVAL, "truncated PEM");
    ok(ERR_peek_error() == 0, "no OpenSSL errors left behind");
    ERR_raise(ERR_LIB_USER, 42);
    csc_x509_parse_chain("garbage", &certs, pool, &err);
    ok(ERR_GET_REASON(ERR_peek_last_error()) == 42,
       "caller's earlier OpenSSL error is kept");
    ERR_clear_error();
    ok(csc_x509_key_info_from_cert("garbage", &ki, &err) == APR_EINVAL && err,
       "key info from garbage certificate");
    ok(csc_x509_key_info_from_spki_pem("garbage", &ki, &err) == APR_EINVAL
       && err, "key info from garbage key");
    ok(csc_x509_key_info_from_spki_pem(rsa_pem, &ki, &err) == APR_EINVAL,
       "a certificate is not an SPKI");

    /* --- CSR round trip --- */
    rv = csc_ca_make_csr(p256, "CN=CSR User,O=Example", &csr, pool, &err);
    ok(rv == APR_SUCCESS && strstr(csr, "BEGIN CERTIFICATE REQUEST"),
       "make EC CSR");
    rv = csc_ca_issue_from_csr(ca_key, ca_crt, csr, 90, &csr_cert, pool, &err);
    is_int(rv, APR_SUCCESS, "issue from EC CSR (%s)", rv ? err : "ok");
    if (rv == APR_SUCCESS) {
        is_int(csc_x509_matches_key(csr_cert, pub_pem(p256)), APR_SUCCESS,
               "CSR certificate carries the key");
        c = first_info(csr_cert);
        is_str(c ? c->subject_dn : "(none)", "CN=CSR User,O=Example",
               "CSR subject carried over");
        is_int(apr_time_sec(c->not_after - c->not_before), 90LL * 86400,
               "CSR certificate validity");
        is_int(csc_x509_check_chain(apr_pstrcat(pool, csr_cert, ca_pem, NULL),
                                    &err),
               APR_SUCCESS, "CSR certificate chains to the CA");
    }
    rv = csc_ca_make_csr(rsa, "CN=RSA CSR", &csr, pool, &err);
    is_int(rv, APR_SUCCESS, "make RSA CSR");
    rv = csc_ca_issue_from_csr(ca_key, ca_crt, csr, 90, &rsa_csr_cert, pool,
                               &err);
    ok(rv == APR_SUCCESS
       && csc_x509_matches_key(rsa_csr_cert, pub_pem(rsa)) == APR_SUCCESS,
       "RSA CSR round trip");
    bad = tamper_csr(csr);
    ok(bad != NULL, "tampered CSR still parses");
    rv = csc_ca_issue_from_csr(ca_key, ca_crt, bad, 90, &s, pool, &err);
    ok(rv == APR_EINVAL && s == NULL && err, "tampered CSR refused: %s", err);
    ok(csc_ca_issue_from_csr(ca_key, ca_crt, "junk", 90, &s, pool, &err)
       == APR_EINVAL, "garbage CSR refused");
    ok(csc_ca_make_csr(p256, "no equals sign", &s, pool, &err) == APR_EINVAL,
       "CSR with a bad subject refused");

    /* --- CA loading --- */
    rv = csc_ca_issue(ca2_key, ca_crt, pub_pem(p256), "CN=x", 1, &s, pool,
                      &err);
    ok(rv == APR_EINVAL && err && strstr(err, "does not match"),
       "mismatched CA key refused: %s", err);
    ok(csc_ca_issue(ca_key, tpath("missing.crt"), pub_pem(p256), "CN=x", 1,
                    &s, pool, &err) == APR_EINVAL, "missing CA certificate");
    {
        const char *ee_path = tpath("ee.crt");
        apr_file_t *f;

        apr_file_open(&f, ee_path, APR_FOPEN_WRITE | APR_FOPEN_CREATE, 0600,
                      pool);
        apr_file_puts(rsa_pem, f);
        apr_file_close(f);
        rv = csc_ca_issue(ca_key, ee_path, pub_pem(p256), "CN=x", 1, &s, pool,
                          &err);
        ok(rv == APR_EINVAL && err && strstr(err, "not a CA"),
           "an end-entity certificate cannot issue: %s", err);
        apr_file_remove(ee_path, pool);
    }
    ok(csc_ca_issue(ca_key, ca_crt, pub_pem(p256), "CN=x", 36501, &s, pool,
                    &err) == APR_EINVAL, "too many days refused");

    /* --- threads: the request path runs in event MPM workers --- */
    {
        thread_job_t jobs[4];
        apr_thread_t *th[4];
        apr_status_t trv;
        int i, bad_total = 0;

        for (i = 0; i < 4; i++) {
            jobs[i].pem = i % 2 ? apr_pstrcat(pool, rsa_pem, ca_pem, NULL)
                                : apr_pstrcat(pool, p384_pem, ca_pem, NULL);
            jobs[i].dn = i % 2 ? "CN=Alice Example,O=Example Org,C=BE"
                               : "CN=Carol,O=Example";
            jobs[i].serial = serial_of(i % 2 ? rsa_pem : p384_pem);
            jobs[i].bad = 0;
            apr_thread_create(&th[i], NULL, parse_worker, &jobs[i], pool);
        }
        for (i = 0; i < 4; i++) {
            apr_thread_join(&trv, th[i]);
            bad_total += jobs[i].bad;
        }
        is_int(bad_total, 0, "4 threads x 200 parses agree");
    }

    /* --- key and certificate facts, kept per process by content --- */
    {
        csc_credential_t cr;
        csc_credfacts_t f;
        apr_time_t now = apr_time_now();

        memset(&cr, 0, sizeof(cr));
        cr.id = "facts";
        cr.pubkey_pem = pub_pem(rsa);
        cr.cert_chain_pem = rsa_pem;
        cr.updated = 7;
        ok(csc_credfacts_get(&cr, &f, pool) == APR_SUCCESS
           && f.key.type == CSC_KEY_RSA && f.key.bits == 2048
           && f.has_cert && csc_credfacts_cert_valid(&f, now),
           "facts: RSA 2048 with a certificate valid now");
        ok(csc_credfacts_cert_valid(&f, f.not_after + apr_time_from_msec(999))
           && !csc_credfacts_cert_valid(&f, f.not_after
                                            + apr_time_from_sec(1))
           && csc_credfacts_cert_valid(&f, f.not_before)
           && !csc_credfacts_cert_valid(&f, f.not_before - 1),
           "facts: valid to the second, as credentials/info's status says");
        cr.cert_chain_pem = old_pem;
        ok(csc_credfacts_get(&cr, &f, pool) == APR_SUCCESS && f.has_cert
           && !csc_credfacts_cert_valid(&f, now),
           "facts: a replaced certificate is seen with the same 'updated'");
        cr.cert_chain_pem = fut_pem;
        ok(csc_credfacts_get(&cr, &f, pool) == APR_SUCCESS
           && !csc_credfacts_cert_valid(&f, now),
           "facts: a not-yet-valid certificate is not valid now");
        cr.cert_chain_pem = rsa_pem;
        ok(csc_credfacts_get(&cr, &f, pool) == APR_SUCCESS
           && csc_credfacts_cert_valid(&f, now),
           "facts: back to the first certificate");
        cr.cert_chain_pem = NULL;
        ok(csc_credfacts_get(&cr, &f, pool) == APR_SUCCESS && !f.has_cert
           && !csc_credfacts_cert_valid(&f, now),
           "facts: no certificate, nothing valid");
        cr.pubkey_pem = pub_pem(p256);
        ok(csc_credfacts_get(&cr, &f, pool) == APR_SUCCESS
           && f.key.type == CSC_KEY_EC && f.key.bits == 256,
           "facts: a new key is seen");
        {
            /* the longest CN RFC 5280 allows, in two-byte characters */
            char cn[64 * 2 + 1];
            const char *pem = NULL;
            int k;

            for (k = 0; k < 64; k++) {
                memcpy(cn + 2 * k, "\xc3\xa9", 2);
            }
            cn[128] = '\0';
            rv = csc_ca_issue(ca_key, ca_crt, cr.pubkey_pem,
                              apr_pstrcat(pool, "CN=", cn, ",O=Example",
                                          NULL), 30, &pem, pool, &err);
            cr.cert_chain_pem = pem;
            ok(rv == APR_SUCCESS
               && csc_credfacts_get(&cr, &f, pool) == APR_SUCCESS
               && !strcmp(f.subject_cn, cn)
               && !strcmp(f.subject_o, "Example"),
               "facts: a 64-character UTF-8 CN is kept whole (%s)",
               rv == APR_SUCCESS ? "issued" : err);
        }
    }

    EVP_PKEY_free(rsa);
    EVP_PKEY_free(p256);
    EVP_PKEY_free(p384);
    EVP_PKEY_free(p521);
    EVP_PKEY_free(ed);

    {
        const char *names[] = { "ca.key", "ca.crt", "ca2.key", "ca2.crt",
                                "ca3.key", "ca3.crt", "other.crt" };
        size_t i;

        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            apr_file_remove(tpath(names[i]), pool);
        }
        ok(rmdir(tmpdir) == 0, "temporary directory removed");
    }
    apr_pool_destroy(pool);
    apr_terminate();

    return tap_done();
}
