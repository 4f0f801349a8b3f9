/* SPDX-License-Identifier: Apache-2.0 */
/* OID tables and RSASSA-PSS-params DER for the CSC API.  The DER reader is
 * our own (rather than d2i_RSA_PSS_PARAMS) because the request comes from
 * the network and we want strict DER: definite minimal lengths, fields in
 * order, nothing trailing, and exact control over which hashes pass. */
#include <string.h>
#include <stdio.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "crypto/csc_algo.h"

#define OID_MGF1 "1.2.840.113549.1.1.8"

/* SHA-1 and SHA-224 are recognised only so they can be refused; the CSC
 * spec says SHA-224 "SHALL NOT be used" and SHA-1 is broken for signing. */
static const csc_hash_t hashes[] = {
    { CSC_HASH_SHA256, CSC_OID_SHA256, "SHA256", 32, EVP_sha256 },
    { CSC_HASH_SHA384, CSC_OID_SHA384, "SHA384", 48, EVP_sha384 },
    { CSC_HASH_SHA512, CSC_OID_SHA512, "SHA512", 64, EVP_sha512 },
    { CSC_HASH_SHA3_256, "2.16.840.1.101.3.4.2.8", "SHA3-256", 32,
      EVP_sha3_256 },
    { CSC_HASH_SHA3_384, "2.16.840.1.101.3.4.2.9", "SHA3-384", 48,
      EVP_sha3_384 },
    { CSC_HASH_SHA3_512, "2.16.840.1.101.3.4.2.10", "SHA3-512", 64,
      EVP_sha3_512 },
};

typedef struct {
    const char *oid;
    csc_scheme_e scheme;
    csc_key_type_e key_type;
    csc_hash_e implied;          /* 0: hash given separately or in params */
} sign_algo_t;

static const sign_algo_t sign_algos[] = {
    { CSC_OID_RSA_ENCRYPTION,  CSC_SCHEME_PKCS1, CSC_KEY_RSA, 0 },
    { CSC_OID_SHA256_WITH_RSA, CSC_SCHEME_PKCS1, CSC_KEY_RSA, CSC_HASH_SHA256 },
    { CSC_OID_SHA384_WITH_RSA, CSC_SCHEME_PKCS1, CSC_KEY_RSA, CSC_HASH_SHA384 },
    { CSC_OID_SHA512_WITH_RSA, CSC_SCHEME_PKCS1, CSC_KEY_RSA, CSC_HASH_SHA512 },
    { CSC_OID_RSASSA_PSS,      CSC_SCHEME_PSS,   CSC_KEY_RSA, 0 },
    { CSC_OID_EC_PUBLIC_KEY,   CSC_SCHEME_ECDSA, CSC_KEY_EC,  0 },
    { CSC_OID_ECDSA_SHA256,    CSC_SCHEME_ECDSA, CSC_KEY_EC,  CSC_HASH_SHA256 },
    { CSC_OID_ECDSA_SHA384,    CSC_SCHEME_ECDSA, CSC_KEY_EC,  CSC_HASH_SHA384 },
    { CSC_OID_ECDSA_SHA512,    CSC_SCHEME_ECDSA, CSC_KEY_EC,  CSC_HASH_SHA512 },
};

static const csc_curve_t curves[] = {
    { "1.2.840.10045.3.1.7", "P-256", "prime256v1", 256 },
    { "1.3.132.0.34",        "P-384", "secp384r1",  384 },
    { "1.3.132.0.35",        "P-521", "secp521r1",  521 },
};

#define NELTS(a) (sizeof(a) / sizeof((a)[0]))

const csc_hash_t *csc_algo_hash_by_oid(const char *oid)
{
    apr_size_t i;

    if (!oid) {
        return NULL;
    }
    for (i = 0; i < NELTS(hashes); i++) {
        if (strcmp(hashes[i].oid, oid) == 0) {
            return &hashes[i];
        }
    }
    return NULL;
}

const csc_hash_t *csc_algo_hash(csc_hash_e id)
{
    apr_size_t i;

    for (i = 0; i < NELTS(hashes); i++) {
        if (hashes[i].id == id) {
            return &hashes[i];
        }
    }
    return NULL;
}

apr_size_t csc_algo_digest_len(const char *hash_oid)
{
    const csc_hash_t *h = csc_algo_hash_by_oid(hash_oid);

    return h ? h->len : 0;
}

static const sign_algo_t *sign_lookup(const char *oid)
{
    apr_size_t i;

    if (!oid) {
        return NULL;
    }
    for (i = 0; i < NELTS(sign_algos); i++) {
        if (strcmp(sign_algos[i].oid, oid) == 0) {
            return &sign_algos[i];
        }
    }
    return NULL;
}

apr_status_t csc_algo_sign_info(const char *sign_oid, csc_scheme_e *scheme,
                                csc_key_type_e *key_type,
                                const csc_hash_t **implied_hash)
{
    const sign_algo_t *s = sign_lookup(sign_oid);

    if (!s) {
        return APR_NOTFOUND;
    }
    if (scheme) {
        *scheme = s->scheme;
    }
    if (key_type) {
        *key_type = s->key_type;
    }
    if (implied_hash) {
        *implied_hash = s->implied ? csc_algo_hash(s->implied) : NULL;
    }
    return APR_SUCCESS;
}

const csc_curve_t *csc_algo_curve_by_oid(const char *oid)
{
    apr_size_t i;

    if (!oid) {
        return NULL;
    }
    for (i = 0; i < NELTS(curves); i++) {
        if (strcmp(curves[i].oid, oid) == 0) {
            return &curves[i];
        }
    }
    return NULL;
}

const csc_curve_t *csc_algo_curve_by_name(const char *name)
{
    apr_size_t i;

    if (!name) {
        return NULL;
    }
    for (i = 0; i < NELTS(curves); i++) {
        if (strcmp(curves[i].group_name, name) == 0
            || strcmp(curves[i].nist_name, name) == 0) {
            return &curves[i];
        }
    }
    /* OpenSSL also calls P-256 "secp256r1" in some places */
    if (strcmp(name, "secp256r1") == 0) {
        return &curves[0];
    }
    return NULL;
}

apr_status_t csc_algo_key_algos(csc_key_type_e type, int bits,
                                const char *curve_oid,
                                apr_array_header_t **oids, apr_pool_t *p)
{
    static const char *const rsa[] = {
        CSC_OID_SHA256_WITH_RSA, CSC_OID_SHA384_WITH_RSA,
        CSC_OID_SHA512_WITH_RSA, CSC_OID_RSASSA_PSS, CSC_OID_RSA_ENCRYPTION
    };
    static const char *const ec[] = {
        CSC_OID_ECDSA_SHA256, CSC_OID_ECDSA_SHA384, CSC_OID_ECDSA_SHA512,
        CSC_OID_EC_PUBLIC_KEY
    };
    const char *const *list;
    apr_size_t n, i;

    *oids = NULL;
    if (type == CSC_KEY_RSA) {
        if (bits < 2048) {
            return APR_EINVAL;
        }
        list = rsa;
        n = NELTS(rsa);
    }
    else if (type == CSC_KEY_EC) {
        if (!csc_algo_curve_by_oid(curve_oid)) {
            return APR_ENOTIMPL;
        }
        list = ec;
        n = NELTS(ec);
    }
    else {
        return APR_EINVAL;
    }
    *oids = apr_array_make(p, (int)n, sizeof(const char *));
    for (i = 0; i < n; i++) {
        APR_ARRAY_PUSH(*oids, const char *) = list[i];
    }
    return APR_SUCCESS;
}

/* ---- minimal DER ---------------------------------------------------- */

typedef struct {
    const unsigned char *p;
    apr_size_t len;
} der_t;

/* Takes one TLV with the given single-byte tag off the front of *in. */
static int der_take(der_t *in, unsigned char tag, der_t *content)
{
    apr_size_t len, hdr;

    if (in->len < 2 || in->p[0] != tag) {
        return 0;
    }
    if (in->p[1] < 0x80) {
        len = in->p[1];
        hdr = 2;
    }
    else if (in->p[1] == 0x81) {
        if (in->len < 3 || in->p[2] < 0x80) {
            return 0;            /* non-minimal */
        }
        len = in->p[2];
        hdr = 3;
    }
    else if (in->p[1] == 0x82) {
        if (in->len < 4 || in->p[2] == 0) {
            return 0;
        }
        len = ((apr_size_t)in->p[2] << 8) | in->p[3];
        hdr = 4;
    }
    else {
        return 0;                /* indefinite or absurdly long */
    }
    if (in->len - hdr < len) {
        return 0;
    }
    content->p = in->p + hdr;
    content->len = len;
    in->p += hdr + len;
    in->len -= hdr + len;
    return 1;
}

static int der_peek(const der_t *in, unsigned char tag)
{
    return in->len > 0 && in->p[0] == tag;
}

/* OID content octets -> dotted text; rejects non-minimal subidentifiers. */
static int oid_to_text(const der_t *c, char *buf, apr_size_t size)
{
    apr_size_t i, used = 0;
    uint64_t v = 0;
    int first = 1, n;

    if (c->len == 0 || (c->p[c->len - 1] & 0x80)) {
        return 0;
    }
    for (i = 0; i < c->len; i++) {
        if (v == 0 && c->p[i] == 0x80) {
            return 0;
        }
        if (v > (UINT64_MAX >> 8)) {
            return 0;
        }
        v = (v << 7) | (c->p[i] & 0x7f);
        if (c->p[i] & 0x80) {
            continue;
        }
        if (first) {
            unsigned a = v < 40 ? 0 : v < 80 ? 1 : 2;
            n = snprintf(buf + used, size - used, "%u.%llu", a,
                         (unsigned long long)(v - 40 * a));
            first = 0;
        }
        else {
            n = snprintf(buf + used, size - used, ".%llu",
                         (unsigned long long)v);
        }
        if (n < 0 || (apr_size_t)n >= size - used) {
            return 0;
        }
        used += (apr_size_t)n;
        v = 0;
    }
    return 1;
}

/* Dotted text -> OID content octets. */
static apr_size_t oid_from_text(const char *text, unsigned char *out,
                                apr_size_t size)
{
    uint64_t arcs[32];
    apr_size_t narcs = 0, used = 0, i;
    const char *s = text;

    while (*s) {
        uint64_t v = 0;
        if (*s < '0' || *s > '9' || narcs == NELTS(arcs)) {
            return 0;
        }
        while (*s >= '0' && *s <= '9') {
            if (v > (UINT64_MAX - 9) / 10) {
                return 0;
            }
            v = v * 10 + (uint64_t)(*s++ - '0');
        }
        arcs[narcs++] = v;
        if (*s == '.') {
            s++;
            if (!*s) {
                return 0;
            }
        }
        else if (*s) {
            return 0;
        }
    }
    if (narcs < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40)
        || arcs[1] > UINT64_MAX - 80) {
        return 0;
    }
    arcs[1] += arcs[0] * 40;
    for (i = 1; i < narcs; i++) {
        unsigned char tmp[10];
        apr_size_t n = 0;
        uint64_t v = arcs[i];
        do {
            tmp[n++] = (unsigned char)(v & 0x7f);
            v >>= 7;
        } while (v);
        if (used + n > size) {
            return 0;
        }
        while (n > 1) {
            out[used++] = tmp[--n] | 0x80;
        }
        out[used++] = tmp[0];
    }
    return used;
}

/* Hash AlgorithmIdentifier with absent or NULL parameters; yields its OID
 * as text (any OID: the caller decides which hashes are acceptable). */
static int parse_hash_algid(der_t *in, const char **oid_out, char *buf,
                            apr_size_t size)
{
    der_t seq, oid, null;

    if (!der_take(in, 0x30, &seq) || !der_take(&seq, 0x06, &oid)
        || !oid_to_text(&oid, buf, size)) {
        return 0;
    }
    if (seq.len) {
        if (!der_take(&seq, 0x05, &null) || null.len != 0 || seq.len) {
            return 0;
        }
    }
    *oid_out = buf;
    return 1;
}

static int parse_small_uint(const der_t *c, int *out)
{
    apr_size_t i;
    int v = 0;

    if (c->len == 0 || c->len > 3 || (c->p[0] & 0x80)) {
        return 0;
    }
    if (c->len > 1 && c->p[0] == 0 && !(c->p[1] & 0x80)) {
        return 0;                /* non-minimal */
    }
    for (i = 0; i < c->len; i++) {
        v = (v << 8) | c->p[i];
    }
    if (v > 0xffff) {
        return 0;
    }
    *out = v;
    return 1;
}

apr_status_t csc_algo_pss_params_parse(const unsigned char *der,
                                       apr_size_t len,
                                       const csc_hash_t **hash,
                                       const csc_hash_t **mgf1_hash,
                                       int *salt_len)
{
    der_t in, seq, field, mgf_oid;
    char hbuf[64], mbuf[64], obuf[64];
    const char *hash_oid = "1.3.14.3.2.26";    /* RFC 8017 default: SHA-1 */
    const char *mgf_hash_oid = "1.3.14.3.2.26";
    int salt = 20, trailer = 1;

    if (!der || !len) {
        return APR_EINVAL;
    }
    in.p = der;
    in.len = len;
    if (!der_take(&in, 0x30, &seq) || in.len) {
        return APR_EINVAL;
    }
    if (der_peek(&seq, 0xa0)) {
        if (!der_take(&seq, 0xa0, &field)
            || !parse_hash_algid(&field, &hash_oid, hbuf, sizeof(hbuf))
            || field.len) {
            return APR_EINVAL;
        }
    }
    if (der_peek(&seq, 0xa1)) {
        der_t mseq;
        if (!der_take(&seq, 0xa1, &field) || !der_take(&field, 0x30, &mseq)
            || field.len || !der_take(&mseq, 0x06, &mgf_oid)
            || !oid_to_text(&mgf_oid, obuf, sizeof(obuf))
            || strcmp(obuf, OID_MGF1) != 0
            || !parse_hash_algid(&mseq, &mgf_hash_oid, mbuf, sizeof(mbuf))
            || mseq.len) {
            return APR_EINVAL;
        }
    }
    if (der_peek(&seq, 0xa2)) {
        der_t i;
        if (!der_take(&seq, 0xa2, &field) || !der_take(&field, 0x02, &i)
            || field.len || !parse_small_uint(&i, &salt)) {
            return APR_EINVAL;
        }
    }
    if (der_peek(&seq, 0xa3)) {
        der_t i;
        if (!der_take(&seq, 0xa3, &field) || !der_take(&field, 0x02, &i)
            || field.len || !parse_small_uint(&i, &trailer)) {
            return APR_EINVAL;
        }
    }
    if (seq.len || trailer != 1) {
        return APR_EINVAL;
    }
    *hash = csc_algo_hash_by_oid(hash_oid);
    *mgf1_hash = csc_algo_hash_by_oid(mgf_hash_oid);
    if (!*hash || !*mgf1_hash) {
        return APR_EINVAL;
    }
    *salt_len = salt;
    return APR_SUCCESS;
}

/* Writes tag+length+content at out (which has room); returns bytes. */
static apr_size_t der_put(unsigned char *out, unsigned char tag,
                          const unsigned char *c, apr_size_t clen)
{
    apr_size_t n = 0;

    out[n++] = tag;
    if (clen < 0x80) {
        out[n++] = (unsigned char)clen;
    }
    else {
        out[n++] = 0x81;
        out[n++] = (unsigned char)clen;
    }
    memmove(out + n, c, clen);
    return n + clen;
}

static apr_size_t put_hash_algid(unsigned char *out, const csc_hash_t *h)
{
    unsigned char oid[32], body[48];
    apr_size_t olen = oid_from_text(h->oid, oid, sizeof(oid)), blen;

    blen = der_put(body, 0x06, oid, olen);
    body[blen++] = 0x05;
    body[blen++] = 0x00;
    return der_put(out, 0x30, body, blen);
}

apr_status_t csc_algo_pss_params_encode(const csc_hash_t *hash,
                                        const csc_hash_t *mgf1_hash,
                                        int salt_len, unsigned char **der,
                                        apr_size_t *len, apr_pool_t *p)
{
    unsigned char body[160], tmp[80], mgf[80], oid[16];
    apr_size_t blen = 0, n, m;

    if (!hash || !mgf1_hash || salt_len < 0 || salt_len > 0xffff
        || csc_algo_hash(hash->id) != hash
        || csc_algo_hash(mgf1_hash->id) != mgf1_hash) {
        return APR_EINVAL;
    }
    n = put_hash_algid(tmp, hash);
    blen += der_put(body + blen, 0xa0, tmp, n);

    m = der_put(mgf, 0x06, oid, oid_from_text(OID_MGF1, oid, sizeof(oid)));
    m += put_hash_algid(mgf + m, mgf1_hash);
    n = der_put(tmp, 0x30, mgf, m);
    blen += der_put(body + blen, 0xa1, tmp, n);

    if (salt_len != 20) {
        unsigned char ibuf[3];
        apr_size_t il = 0;
        /* minimal big-endian, plus a zero byte when the top bit is set so
         * the INTEGER stays positive */
        if (salt_len > 0xff) {
            ibuf[il++] = (unsigned char)(salt_len >> 8);
        }
        ibuf[il++] = (unsigned char)(salt_len & 0xff);
        if (ibuf[0] & 0x80) {
            memmove(ibuf + 1, ibuf, il);
            ibuf[0] = 0;
            il++;
        }
        n = der_put(tmp, 0x02, ibuf, il);
        blen += der_put(body + blen, 0xa2, tmp, n);
    }
    *der = apr_palloc(p, blen + 3);
    *len = der_put(*der, 0x30, body, blen);
    return APR_SUCCESS;
}

apr_status_t csc_algo_resolve(const char *sign_oid, const char *hash_oid,
                              const unsigned char *params,
                              apr_size_t params_len, csc_sig_params_t *sp,
                              csc_algo_err_e *err)
{
    const sign_algo_t *s = sign_lookup(sign_oid);
    const csc_hash_t *given = NULL;

    memset(sp, 0, sizeof(*sp));
    *err = CSC_ALGO_OK;
    if (!s) {
        *err = CSC_ALGO_ESIGNALGO;
        return APR_EINVAL;
    }
    if (hash_oid) {
        given = csc_algo_hash_by_oid(hash_oid);
        if (!given) {
            *err = CSC_ALGO_EHASH;
            return APR_EINVAL;
        }
    }
    sp->sign_oid = s->oid;
    sp->scheme = s->scheme;
    sp->key_type = s->key_type;

    if (s->scheme == CSC_SCHEME_PSS) {
        if (!params || !params_len) {
            *err = CSC_ALGO_EPARAMS_MISSING;
            return APR_EINVAL;
        }
        if (csc_algo_pss_params_parse(params, params_len, &sp->hash,
                                      &sp->mgf1_hash, &sp->salt_len)) {
            *err = CSC_ALGO_EPARAMS;
            return APR_EINVAL;
        }
        if (given && given != sp->hash) {
            *err = CSC_ALGO_EHASH;
            return APR_EINVAL;
        }
        return APR_SUCCESS;
    }

    /* An ASN.1 NULL is what some clients send for "no parameters". */
    if (params && params_len
        && !(params_len == 2 && params[0] == 0x05 && params[1] == 0x00)) {
        *err = CSC_ALGO_EPARAMS;
        return APR_EINVAL;
    }
    if (s->implied) {
        sp->hash = csc_algo_hash(s->implied);
        if (given && given != sp->hash) {
            *err = CSC_ALGO_EHASH;
            return APR_EINVAL;
        }
    }
    else {
        if (!given) {
            *err = CSC_ALGO_EHASH_MISSING;
            return APR_EINVAL;
        }
        sp->hash = given;
    }
    return APR_SUCCESS;
}

const char *csc_algo_errstr(csc_algo_err_e err, int api_major)
{
    int v2 = api_major >= 2;

    switch (err) {
    case CSC_ALGO_OK:
        return NULL;
    case CSC_ALGO_ESIGNALGO:
        return "Invalid parameter signAlgo";
    case CSC_ALGO_EHASH_MISSING:
        return v2
            ? "Missing (or invalid type) string parameter hashAlgorithmOID"
            : "Missing (or invalid type) string parameter hashAlgo";
    case CSC_ALGO_EHASH:
        return v2 ? "Invalid parameter hashAlgorithmOID"
                  : "Invalid parameter hashAlgo";
    case CSC_ALGO_EPARAMS_MISSING:
        return "Missing (or invalid type) string parameter signAlgoParams";
    case CSC_ALGO_EPARAMS:
        return "Invalid parameter signAlgoParams";
    }
    return "Invalid parameter signAlgo";
}
