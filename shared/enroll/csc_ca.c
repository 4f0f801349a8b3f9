/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <string.h>
#include <time.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/csc_ossl.h"
#include "enroll/csc_ca.h"

#define CSC_CA_MAX_DAYS 36500
#define CSC_CA_SERIAL_BYTES 16

typedef struct {
    int nid;
    const char *value;
} csc_ext_t;

static const csc_ext_t ca_exts[] = {
    { NID_basic_constraints, "critical,CA:TRUE" },
    { NID_key_usage, "critical,keyCertSign,cRLSign" },
    /* the SKID must exist before the AKID can copy it (self-signed) */
    { NID_subject_key_identifier, "hash" },
    { NID_authority_key_identifier, "keyid:always" },
    { NID_undef, NULL }
};

static const csc_ext_t ee_exts[] = {
    { NID_basic_constraints, "critical,CA:FALSE" },
    { NID_key_usage, "critical,digitalSignature,nonRepudiation" },
    { NID_subject_key_identifier, "hash" },
    /* issuer+serial only when an imported CA certificate has no SKID */
    { NID_authority_key_identifier, "keyid,issuer" },
    { NID_undef, NULL }
};



static apr_status_t check_days(int days, const char **errmsg)
{
    if (days == 0 || days > CSC_CA_MAX_DAYS || days < -CSC_CA_MAX_DAYS) {
        *errmsg = "validity days must be non-zero and at most 36500 "
                  "in either direction";
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* ---- subject strings -------------------------------------------------- */

typedef struct {
    const char *type;
    const char *value;
    apr_size_t len;
    int same_rdn;           /* continues the previous RDN ("+") */
} csc_ava_t;

static int hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = tolower(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

static apr_status_t add_ava(X509_NAME *name, const csc_ava_t *ava, int set,
                            apr_pool_t *p, const char **errmsg)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(ava->type, 0);
    int rc;

    if (obj == NULL) {
        /* RFC 4514 keywords are case-insensitive; OpenSSL's short
         * names are upper case */
        char *up = apr_pstrdup(p, ava->type);
        char *c;

        for (c = up; *c; c++) {
            *c = (char)toupper((unsigned char)*c);
        }
        obj = OBJ_txt2obj(up, 0);
    }
    if (obj == NULL) {
        *errmsg = apr_psprintf(p, "unknown attribute type '%s'", ava->type);
        return APR_EINVAL;
    }
    if (memchr(ava->value, '\0', ava->len) != NULL) {
        ASN1_OBJECT_free(obj);
        *errmsg = apr_psprintf(p, "NUL byte in the value of %s", ava->type);
        return APR_EINVAL;
    }
    rc = X509_NAME_add_entry_by_OBJ(name, obj, MBSTRING_UTF8,
                                    (const unsigned char *)ava->value,
                                    (int)ava->len, -1, set);
    ASN1_OBJECT_free(obj);
    if (!rc) {
        *errmsg = apr_psprintf(p, "invalid value for %s (%s)", ava->type,
                               csc_ossl_last_reason());
        return APR_EINVAL;
    }
    return APR_SUCCESS;
}

/* Reads "type=" at *sp, trimming spaces; leaves *sp after the '='. */
static const char *parse_type(const char **sp, apr_pool_t *p,
                              const char **errmsg)
{
    const char *s = *sp, *start, *end;

    while (*s == ' ') {
        s++;
    }
    start = s;
    while (*s && *s != '=' && *s != ',' && *s != '+' && *s != '/') {
        s++;
    }
    if (*s != '=') {
        *errmsg = apr_psprintf(p, "missing '=' after attribute type at "
                               "\"%.20s\"", start);
        return NULL;
    }
    end = s;
    while (end > start && end[-1] == ' ') {
        end--;
    }
    if (end == start) {
        *errmsg = "empty attribute type";
        return NULL;
    }
    *sp = s + 1;
    return apr_pstrmemdup(p, start, (apr_size_t)(end - start));
}

/* RFC 4514 value at *sp up to an unescaped ',' or '+' or the end. */
static apr_status_t parse_rfc4514_value(const char **sp, csc_ava_t *ava,
                                        apr_pool_t *p, const char **errmsg)
{
    const char *s = *sp;
    char *buf = apr_palloc(p, strlen(s) + 1);
    apr_size_t n = 0, keep = 0;

    while (*s == ' ') {
        s++;
    }
    if (*s == '#') {
        *errmsg = "#hex (BER) attribute values are not supported";
        return APR_EINVAL;
    }
    while (*s && *s != ',' && *s != '+') {
        if (*s == '\\') {
            int hi = hexval((unsigned char)s[1]);
            int lo = hi >= 0 ? hexval((unsigned char)s[2]) : -1;

            if (hi >= 0 && lo >= 0) {
                buf[n++] = (char)(hi * 16 + lo);
                s += 3;
            }
            else if (s[1] && strchr(",+\"\\<>;= #", s[1]) != NULL) {
                buf[n++] = s[1];
                s += 2;
            }
            else {
                *errmsg = apr_psprintf(p, "bad escape in value of %s",
                                       ava->type);
                return APR_EINVAL;
            }
            keep = n;       /* escaped characters are never trimmed */
            continue;
        }
        if (strchr("\"<>;", *s) != NULL) {
            *errmsg = apr_psprintf(p, "character '%c' must be escaped in "
                                   "value of %s", *s, ava->type);
            return APR_EINVAL;
        }
        buf[n++] = *s++;
        if (buf[n - 1] != ' ') {
            keep = n;
        }
    }
    if (keep == 0) {
        *errmsg = apr_psprintf(p, "empty value for %s", ava->type);
        return APR_EINVAL;
    }
    buf[keep] = '\0';
    ava->value = buf;
    ava->len = keep;
    *sp = s;
    return APR_SUCCESS;
}

static apr_status_t parse_rfc4514(const char *s, X509_NAME *name,
                                  apr_pool_t *p, const char **errmsg)
{
    apr_array_header_t *avas = apr_array_make(p, 4, sizeof(csc_ava_t));
    int same_rdn = 0;
    int i, end;
    apr_status_t rv;

    for (;;) {
        csc_ava_t *ava = apr_array_push(avas);

        ava->same_rdn = same_rdn;
        if ((ava->type = parse_type(&s, p, errmsg)) == NULL) {
            return APR_EINVAL;
        }
        if ((rv = parse_rfc4514_value(&s, ava, p, errmsg)) != APR_SUCCESS) {
            return rv;
        }
        if (*s == '\0') {
            break;
        }
        same_rdn = (*s == '+');
        s++;
    }
    /* The string lists the most specific RDN first, DER the other way
     * round: emit RDN groups from the back, each group in its own order. */
    end = avas->nelts;
    while (end > 0) {
        int start = end - 1;

        while (start > 0 && APR_ARRAY_IDX(avas, start, csc_ava_t).same_rdn) {
            start--;
        }
        for (i = start; i < end; i++) {
            rv = add_ava(name, &APR_ARRAY_IDX(avas, i, csc_ava_t),
                         i == start ? 0 : -1, p, errmsg);
            if (rv != APR_SUCCESS) {
                return rv;
            }
        }
        end = start;
    }
    return APR_SUCCESS;
}

static apr_status_t parse_slash(const char *s, X509_NAME *name,
                                apr_pool_t *p, const char **errmsg)
{
    char *buf = apr_palloc(p, strlen(s) + 1);
    apr_status_t rv;

    while (*s == '/') {
        csc_ava_t ava;
        apr_size_t n = 0;

        s++;
        if ((ava.type = parse_type(&s, p, errmsg)) == NULL) {
            return APR_EINVAL;
        }
        while (*s && *s != '/') {
            if (*s == '\\' && s[1]) {
                s++;
            }
            buf[n++] = *s++;
        }
        if (n == 0) {
            *errmsg = apr_psprintf(p, "empty value for %s", ava.type);
            return APR_EINVAL;
        }
        ava.value = buf;
        ava.len = n;
        if ((rv = add_ava(name, &ava, 0, p, errmsg)) != APR_SUCCESS) {
            return rv;
        }
    }
    return APR_SUCCESS;
}

static apr_status_t parse_subject(const char *subject, X509_NAME **out,
                                  apr_pool_t *p, const char **errmsg)
{
    X509_NAME *name;
    apr_status_t rv;

    *out = NULL;
    if (subject == NULL || subject[strspn(subject, " /")] == '\0') {
        *errmsg = "empty subject";
        return APR_EINVAL;
    }
    if ((name = X509_NAME_new()) == NULL) {
        *errmsg = "out of memory";
        return APR_ENOMEM;
    }
    rv = subject[0] == '/' ? parse_slash(subject, name, p, errmsg)
                           : parse_rfc4514(subject, name, p, errmsg);
    if (rv != APR_SUCCESS) {
        X509_NAME_free(name);
        return rv;
    }
    *out = name;
    return APR_SUCCESS;
}

/* ---- building and signing ------------------------------------------- */

/* EdDSA signs the message itself and takes no separate digest. */
static const EVP_MD *sign_md(const EVP_PKEY *key)
{
    if (EVP_PKEY_is_a(key, "ED25519") || EVP_PKEY_is_a(key, "ED448")) {
        return NULL;
    }
    return EVP_sha256();
}

/* RFC 5280 wants positive serials of at most 20 octets; forcing 0x40 in
 * the first byte keeps the DER exactly 16 bytes with 126 random bits. */
static int set_random_serial(X509 *x)
{
    unsigned char buf[CSC_CA_SERIAL_BYTES];
    ASN1_INTEGER *ai = NULL;
    BIGNUM *bn;
    int ok = 0;

    if (RAND_bytes(buf, sizeof(buf)) != 1) {
        return 0;
    }
    buf[0] = (unsigned char)((buf[0] & 0x7f) | 0x40);
    bn = BN_bin2bn(buf, sizeof(buf), NULL);
    if (bn != NULL && (ai = BN_to_ASN1_INTEGER(bn, NULL)) != NULL) {
        ok = X509_set_serialNumber(x, ai);
    }
    ASN1_INTEGER_free(ai);
    BN_free(bn);
    return ok;
}

static int set_validity(X509 *x, int days)
{
    time_t now = time(NULL);

    return X509_time_adj_ex(X509_getm_notBefore(x), days < 0 ? 2 * days : 0,
                            0, &now) != NULL
           && X509_time_adj_ex(X509_getm_notAfter(x), days, 0, &now) != NULL;
}

static int add_exts(X509 *x, X509 *issuer, const csc_ext_t *exts)
{
    X509V3_CTX ctx;
    int i;

    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    for (i = 0; exts[i].nid != NID_undef; i++) {
        X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, &ctx, exts[i].nid,
                                                   exts[i].value);
        int ok = ext != NULL && X509_add_ext(x, ext, -1);

        X509_EXTENSION_free(ext);
        if (!ok) {
            return 0;
        }
    }
    return 1;
}

/* issuer NULL: self-signed CA certificate. */
static apr_status_t build_cert(EVP_PKEY *signer, X509 *issuer,
                               EVP_PKEY *pubkey, const X509_NAME *subject,
                               int days, X509 **out, apr_pool_t *p,
                               const char **errmsg)
{
    X509 *x = X509_new();
    const char *step;

    *out = NULL;
    if (x == NULL) {
        *errmsg = "out of memory";
        return APR_ENOMEM;
    }
    step = "version";
    if (!X509_set_version(x, X509_VERSION_3)) {
        goto fail;
    }
    step = "serial number";
    if (!set_random_serial(x)) {
        goto fail;
    }
    step = "names";
    if (!X509_set_subject_name(x, subject)
        || !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer)
                                           : subject)) {
        goto fail;
    }
    step = "validity";
    if (!set_validity(x, days)) {
        goto fail;
    }
    step = "public key";
    if (!X509_set_pubkey(x, pubkey)) {
        goto fail;
    }
    step = "extensions";
    if (!add_exts(x, issuer, issuer ? ee_exts : ca_exts)) {
        goto fail;
    }
    step = "signature";
    if (X509_sign(x, signer, sign_md(signer)) <= 0) {
        goto fail;
    }
    *out = x;
    return APR_SUCCESS;

fail:
    *errmsg = apr_psprintf(p, "cannot set certificate %s (%s)", step,
                           csc_ossl_last_reason());
    X509_free(x);
    return APR_EGENERAL;
}

static apr_status_t load_ca(const char *key_path, const char *cert_path,
                            EVP_PKEY **key, X509 **cert, apr_pool_t *p,
                            const char **errmsg)
{
    BIO *bio;

    *key = NULL;
    *cert = NULL;
    if (key_path == NULL || cert_path == NULL) {
        *errmsg = "CA key and certificate paths are required";
        return APR_EINVAL;
    }
    if ((bio = BIO_new_file(cert_path, "r")) != NULL) {
        *cert = PEM_read_bio_X509(bio, NULL, csc_ossl_no_passphrase, NULL);
        BIO_free(bio);
    }
    if (*cert == NULL) {
        *errmsg = apr_psprintf(p, "cannot read CA certificate %s (%s)",
                               cert_path, csc_ossl_last_reason());
        return APR_EINVAL;
    }
    if ((bio = BIO_new_file(key_path, "r")) != NULL) {
        *key = PEM_read_bio_PrivateKey(bio, NULL, csc_ossl_no_passphrase, NULL);
        BIO_free(bio);
    }
    if (*key == NULL) {
        *errmsg = apr_psprintf(p, "cannot read CA key %s (%s)", key_path,
                               csc_ossl_last_reason());
        goto fail;
    }
    if (X509_check_ca(*cert) <= 0) {
        *errmsg = apr_psprintf(p, "%s is not a CA certificate", cert_path);
        goto fail;
    }
    if (X509_check_private_key(*cert, *key) != 1) {
        *errmsg = apr_psprintf(p, "CA key %s does not match %s", key_path,
                               cert_path);
        goto fail;
    }
    return APR_SUCCESS;

fail:
    EVP_PKEY_free(*key);
    X509_free(*cert);
    *key = NULL;
    *cert = NULL;
    return APR_EINVAL;
}

static const char *cert_to_pem(X509 *x, apr_pool_t *p)
{
    BIO *bio = BIO_new(BIO_s_mem());
    const char *s = NULL;
    char *data;
    long len;

    if (bio != NULL && PEM_write_bio_X509(bio, x)) {
        len = BIO_get_mem_data(bio, &data);
        s = apr_pstrmemdup(p, data, (apr_size_t)len);
    }
    BIO_free(bio);
    return s;
}

static apr_status_t write_file(const char *path, const char *data,
                               apr_size_t len, int exclusive,
                               apr_fileperms_t perms, apr_pool_t *p,
                               const char **errmsg)
{
    apr_int32_t flags = APR_FOPEN_WRITE | APR_FOPEN_CREATE
                        | APR_FOPEN_BINARY
                        | (exclusive ? APR_FOPEN_EXCL : APR_FOPEN_TRUNCATE);
    apr_file_t *f;
    apr_status_t rv;
    char err[128];

    rv = apr_file_open(&f, path, flags, perms, p);
    if (rv == APR_SUCCESS) {
        rv = apr_file_write_full(f, data, len, NULL);
        if (rv == APR_SUCCESS) {
            rv = apr_file_close(f);
        }
        else {
            apr_file_close(f);
        }
        if (rv != APR_SUCCESS) {
            apr_file_remove(path, p);
        }
    }
    if (rv != APR_SUCCESS) {
        *errmsg = apr_psprintf(p, "cannot write %s: %s", path,
                               apr_strerror(rv, err, sizeof(err)));
    }
    return rv;
}

/* Key material only passes through a cleared-on-free BIO, never the pool. */
static apr_status_t write_key(const char *path, EVP_PKEY *key, apr_pool_t *p,
                              const char **errmsg)
{
    BIO *bio = BIO_new(BIO_s_secmem());
    apr_status_t rv;
    char *data;
    long len;

    if (bio == NULL
        || !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
        BIO_free(bio);
        *errmsg = apr_psprintf(p, "cannot encode CA key (%s)", csc_ossl_last_reason());
        return APR_EGENERAL;
    }
    len = BIO_get_mem_data(bio, &data);
    rv = write_file(path, data, (apr_size_t)len, 1,
                    APR_FPROT_UREAD | APR_FPROT_UWRITE, p, errmsg);
    BIO_free(bio);
    return rv;
}

/* ---- public API ------------------------------------------------------ */

apr_status_t csc_ca_create(const char *subject, int days,
                           const char *key_path, const char *cert_path,
                           apr_pool_t *p, const char **errmsg)
{
    X509_NAME *name = NULL;
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    const char *pem;
    apr_status_t rv;

    *errmsg = NULL;
    ERR_set_mark();
    if (days <= 0) {
        *errmsg = "CA validity days must be positive";
        rv = APR_EINVAL;
        goto leave;
    }
    if ((rv = check_days(days, errmsg)) != APR_SUCCESS
        || (rv = parse_subject(subject, &name, p, errmsg)) != APR_SUCCESS) {
        goto leave;
    }
    if (key_path == NULL || cert_path == NULL) {
        *errmsg = "CA key and certificate paths are required";
        rv = APR_EINVAL;
        goto leave;
    }
    if ((key = EVP_EC_gen("P-256")) == NULL) {
        *errmsg = apr_psprintf(p, "cannot generate CA key (%s)",
                               csc_ossl_last_reason());
        rv = APR_EGENERAL;
        goto leave;
    }
    rv = build_cert(key, NULL, key, name, days, &x, p, errmsg);
    if (rv != APR_SUCCESS) {
        goto leave;
    }
    if ((pem = cert_to_pem(x, p)) == NULL) {
        *errmsg = "cannot encode CA certificate";
        rv = APR_EGENERAL;
        goto leave;
    }
    if ((rv = write_key(key_path, key, p, errmsg)) != APR_SUCCESS) {
        goto leave;
    }
    rv = write_file(cert_path, pem, strlen(pem), 0,
                    APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_GREAD
                    | APR_FPROT_WREAD, p, errmsg);
    if (rv != APR_SUCCESS) {
        /* a key without its certificate would block the next attempt */
        apr_file_remove(key_path, p);
    }

leave:
    X509_free(x);
    EVP_PKEY_free(key);
    X509_NAME_free(name);
    ERR_pop_to_mark();
    return rv;
}

static apr_status_t issue_for(const char *ca_key_path,
                              const char *ca_cert_path, EVP_PKEY *pubkey,
                              const X509_NAME *subject, int days,
                              const char **cert_pem, apr_pool_t *p,
                              const char **errmsg)
{
    EVP_PKEY *ca_key;
    X509 *ca_cert, *x = NULL;
    apr_status_t rv;

    rv = load_ca(ca_key_path, ca_cert_path, &ca_key, &ca_cert, p, errmsg);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = build_cert(ca_key, ca_cert, pubkey, subject, days, &x, p, errmsg);
    if (rv == APR_SUCCESS && (*cert_pem = cert_to_pem(x, p)) == NULL) {
        *errmsg = "cannot encode certificate";
        rv = APR_EGENERAL;
    }
    X509_free(x);
    X509_free(ca_cert);
    EVP_PKEY_free(ca_key);
    return rv;
}

apr_status_t csc_ca_issue(const char *ca_key_path, const char *ca_cert_path,
                          const char *pubkey_pem, const char *subject,
                          int days, const char **cert_pem, apr_pool_t *p,
                          const char **errmsg)
{
    X509_NAME *name = NULL;
    EVP_PKEY *pubkey = NULL;
    BIO *bio = NULL;
    apr_status_t rv;

    *cert_pem = NULL;
    *errmsg = NULL;
    ERR_set_mark();
    if ((rv = check_days(days, errmsg)) != APR_SUCCESS
        || (rv = parse_subject(subject, &name, p, errmsg)) != APR_SUCCESS) {
        goto leave;
    }
    if (pubkey_pem != NULL
        && (bio = BIO_new_mem_buf(pubkey_pem, -1)) != NULL) {
        pubkey = PEM_read_bio_PUBKEY(bio, NULL, csc_ossl_no_passphrase, NULL);
    }
    if (pubkey == NULL) {
        *errmsg = "cannot parse public key PEM";
        rv = APR_EINVAL;
        goto leave;
    }
    rv = issue_for(ca_key_path, ca_cert_path, pubkey, name, days, cert_pem,
                   p, errmsg);

leave:
    BIO_free(bio);
    EVP_PKEY_free(pubkey);
    X509_NAME_free(name);
    ERR_pop_to_mark();
    return rv;
}

apr_status_t csc_ca_make_csr(EVP_PKEY *key, const char *subject,
                             const char **csr_pem, apr_pool_t *p,
                             const char **errmsg)
{
    X509_NAME *name = NULL;
    X509_REQ *req = NULL;
    BIO *bio = NULL;
    apr_status_t rv;
    char *data;
    long len;

    *csr_pem = NULL;
    *errmsg = NULL;
    ERR_set_mark();
    if (key == NULL) {
        *errmsg = "no key given";
        rv = APR_EINVAL;
        goto leave;
    }
    if ((rv = parse_subject(subject, &name, p, errmsg)) != APR_SUCCESS) {
        goto leave;
    }
    rv = APR_EGENERAL;
    if ((req = X509_REQ_new()) == NULL
        || !X509_REQ_set_version(req, X509_REQ_VERSION_1)
        || !X509_REQ_set_subject_name(req, name)
        || !X509_REQ_set_pubkey(req, key)) {
        *errmsg = apr_psprintf(p, "cannot build request (%s)", csc_ossl_last_reason());
        goto leave;
    }
    if (X509_REQ_sign(req, key, sign_md(key)) <= 0) {
        *errmsg = apr_psprintf(p, "cannot sign request (%s)", csc_ossl_last_reason());
        goto leave;
    }
    if ((bio = BIO_new(BIO_s_mem())) == NULL
        || !PEM_write_bio_X509_REQ(bio, req)) {
        *errmsg = "cannot encode request";
        goto leave;
    }
    len = BIO_get_mem_data(bio, &data);
    *csr_pem = apr_pstrmemdup(p, data, (apr_size_t)len);
    rv = APR_SUCCESS;

leave:
    BIO_free(bio);
    X509_REQ_free(req);
    X509_NAME_free(name);
    ERR_pop_to_mark();
    return rv;
}

apr_status_t csc_ca_issue_from_csr(const char *ca_key_path,
                                   const char *ca_cert_path,
                                   const char *csr_pem, int days,
                                   const char **cert_pem, apr_pool_t *p,
                                   const char **errmsg)
{
    X509_REQ *req = NULL;
    EVP_PKEY *pubkey = NULL;
    BIO *bio = NULL;
    apr_status_t rv;

    *cert_pem = NULL;
    *errmsg = NULL;
    ERR_set_mark();
    if ((rv = check_days(days, errmsg)) != APR_SUCCESS) {
        goto leave;
    }
    rv = APR_EINVAL;
    if (csr_pem != NULL && (bio = BIO_new_mem_buf(csr_pem, -1)) != NULL) {
        req = PEM_read_bio_X509_REQ(bio, NULL, csc_ossl_no_passphrase, NULL);
    }
    if (req == NULL || (pubkey = X509_REQ_get0_pubkey(req)) == NULL) {
        *errmsg = "cannot parse certificate request PEM";
        goto leave;
    }
    if (X509_REQ_verify(req, pubkey) != 1) {
        *errmsg = "certificate request signature does not verify";
        goto leave;
    }
    if (X509_NAME_entry_count(X509_REQ_get_subject_name(req)) == 0) {
        *errmsg = "certificate request has an empty subject";
        goto leave;
    }
    rv = issue_for(ca_key_path, ca_cert_path, pubkey,
                   X509_REQ_get_subject_name(req), days, cert_pem, p,
                   errmsg);

leave:
    BIO_free(bio);
    X509_REQ_free(req);
    ERR_pop_to_mark();
    return rv;
}
