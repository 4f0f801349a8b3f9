/* SPDX-License-Identifier: Apache-2.0 */
/* Algorithm identifiers of the CSC API (spec §8): which hash and signature
 * OIDs mod_csc accepts, what a signHash request really asks for, and the
 * RSASSA-PSS parameter encoding.  Pure tables and DER handling: no key, no
 * HSM, so the API layer can validate a request before touching a signer. */
#ifndef CSC_ALGO_H
#define CSC_ALGO_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <openssl/types.h>

typedef enum {
    CSC_HASH_SHA256 = 1,
    CSC_HASH_SHA384,
    CSC_HASH_SHA512,
    CSC_HASH_SHA3_256,
    CSC_HASH_SHA3_384,
    CSC_HASH_SHA3_512
} csc_hash_e;

typedef struct {
    csc_hash_e id;
    const char *oid;              /* dotted OID */
    const char *name;             /* OpenSSL digest name, e.g. "SHA256" */
    apr_size_t len;               /* digest length in bytes */
    const EVP_MD *(*md)(void);    /* e.g. EVP_sha256 */
} csc_hash_t;

typedef enum {
    CSC_SCHEME_PKCS1 = 1,         /* RSASSA-PKCS1-v1_5 */
    CSC_SCHEME_PSS,               /* RSASSA-PSS */
    CSC_SCHEME_ECDSA              /* ECDSA, DER ECDSA-Sig-Value output */
} csc_scheme_e;

typedef enum {
    CSC_KEY_RSA = 1,
    CSC_KEY_EC
} csc_key_type_e;

/* What a key is, as credentials/info reports it. */
typedef struct {
    csc_key_type_e type;
    int bits;                     /* RSA modulus / EC field size */
    const char *curve_oid;        /* EC only (static string), else NULL */
} csc_key_info_t;

typedef struct {
    const char *oid;              /* dotted OID */
    const char *nist_name;        /* "P-256" */
    const char *group_name;       /* OpenSSL group name, "prime256v1" */
    int bits;
} csc_curve_t;

/* Everything a signer needs to produce one signature value. */
typedef struct {
    const char *sign_oid;         /* signAlgo, canonical table string */
    csc_scheme_e scheme;
    csc_key_type_e key_type;
    const csc_hash_t *hash;       /* algorithm of the digests the client sent */
    const csc_hash_t *mgf1_hash;  /* PSS only, else NULL */
    int salt_len;                 /* PSS only, bytes */
} csc_sig_params_t;

/* Why csc_algo_resolve() refused a request; csc_algo_errstr() gives the
 * spec's error_description (all are HTTP 400 invalid_request):
 *   ESIGNALGO        "Invalid parameter signAlgo"
 *   EHASH_MISSING    "Missing (or invalid type) string parameter hashAlgo"
 *                    (v2: ...hashAlgorithmOID)
 *   EHASH            "Invalid parameter hashAlgo" (v2: hashAlgorithmOID)
 *   EPARAMS_MISSING  "Missing (or invalid type) string parameter
 *                    signAlgoParams"
 *   EPARAMS          "Invalid parameter signAlgoParams" */
typedef enum {
    CSC_ALGO_OK = 0,
    CSC_ALGO_ESIGNALGO,
    CSC_ALGO_EHASH_MISSING,
    CSC_ALGO_EHASH,
    CSC_ALGO_EPARAMS_MISSING,
    CSC_ALGO_EPARAMS
} csc_algo_err_e;

#define CSC_OID_RSA_ENCRYPTION   "1.2.840.113549.1.1.1"
#define CSC_OID_RSASSA_PSS       "1.2.840.113549.1.1.10"
#define CSC_OID_SHA256_WITH_RSA  "1.2.840.113549.1.1.11"
#define CSC_OID_SHA384_WITH_RSA  "1.2.840.113549.1.1.12"
#define CSC_OID_SHA512_WITH_RSA  "1.2.840.113549.1.1.13"
#define CSC_OID_EC_PUBLIC_KEY    "1.2.840.10045.2.1"
#define CSC_OID_ECDSA_SHA256     "1.2.840.10045.4.3.2"
#define CSC_OID_ECDSA_SHA384     "1.2.840.10045.4.3.3"
#define CSC_OID_ECDSA_SHA512     "1.2.840.10045.4.3.4"
#define CSC_OID_SHA256           "2.16.840.1.101.3.4.2.1"
#define CSC_OID_SHA384           "2.16.840.1.101.3.4.2.2"
#define CSC_OID_SHA512           "2.16.840.1.101.3.4.2.3"

/* Accepted hashes only: SHA-1 and SHA-224 (and anything unknown) give NULL. */
const csc_hash_t *csc_algo_hash_by_oid(const char *oid);
const csc_hash_t *csc_algo_hash(csc_hash_e id);

/* Digest length for a hash OID, 0 if the OID is not an accepted hash.  For
 * the "Invalid digest value length" check use params->hash->len instead once
 * csc_algo_resolve() has run. */
apr_size_t csc_algo_digest_len(const char *hash_oid);

/* Known signAlgo OID: fills scheme/key type and the implied hash (NULL for
 * rsaEncryption, id-ecPublicKey and RSASSA-PSS).  APR_NOTFOUND otherwise. */
apr_status_t csc_algo_sign_info(const char *sign_oid, csc_scheme_e *scheme,
                                csc_key_type_e *key_type,
                                const csc_hash_t **implied_hash);

const csc_curve_t *csc_algo_curve_by_oid(const char *oid);
/* Accepts the OpenSSL group name ("prime256v1", "secp384r1") or the NIST
 * name ("P-256"). */
const csc_curve_t *csc_algo_curve_by_name(const char *name);

/* The signAlgo OIDs (const char *) a key supports, for credentials/info
 * key/algo.  Order matters to naive clients that take the first entry, so
 * the OIDs that name their hash come first:
 *   RSA: sha256/384/512WithRSAEncryption, RSASSA-PSS, rsaEncryption
 *   EC:  ecdsa-with-SHA256/384/512, id-ecPublicKey
 * id-ecPublicKey is listed (last) on purpose: it is the EC twin of
 * rsaEncryption ("hash given separately"), the EUDI QTSP advertises it and
 * EUDI-style v2 clients send it with hashAlgorithmOID; since signHash only
 * accepts a signAlgo from key/algo, leaving it out would turn those clients
 * away, while listing it last keeps algo[0] self-describing.
 * RSA: bits must be >= 2048 (APR_EINVAL otherwise).  EC: curve_oid must be
 * P-256, P-384 or P-521 (APR_ENOTIMPL otherwise). */
apr_status_t csc_algo_key_algos(csc_key_type_e type, int bits,
                                const char *curve_oid,
                                apr_array_header_t **oids, apr_pool_t *p);

/* The decision for one signHash request.  sign_oid is signAlgo, hash_oid the
 * hashAlgo / hashAlgorithmOID member or NULL, params the decoded
 * signAlgoParams or NULL/0.  Rules:
 *  - unknown or unsupported signAlgo (incl. sha224WithRSA)   -> ESIGNALGO
 *  - hash_oid given but unknown, SHA-1 or SHA-224            -> EHASH
 *  - hash fixed by signAlgo or by the PSS params, and a
 *    different hash_oid given                                -> EHASH
 *  - rsaEncryption / id-ecPublicKey without hash_oid         -> EHASH_MISSING
 *  - RSASSA-PSS without params                               -> EPARAMS_MISSING
 *  - params that do not parse, use SHA-1/SHA-224 (also by
 *    default), trailerField != 1, or params (other than an
 *    ASN.1 NULL) sent with a non-PSS signAlgo                -> EPARAMS
 * Returns APR_SUCCESS and fills *sp, or APR_EINVAL and sets *err. */
apr_status_t csc_algo_resolve(const char *sign_oid, const char *hash_oid,
                              const unsigned char *params,
                              apr_size_t params_len, csc_sig_params_t *sp,
                              csc_algo_err_e *err);

/* Parses DER RSASSA-PSS-params (RFC 8017 A.2.3).  Hash AlgorithmIdentifiers
 * may carry NULL or absent parameters (RFC 4055 allows both).  APR_EINVAL on
 * bad DER, weak hashes (the SHA-1 defaults included), an MGF other than
 * MGF1 or trailerField != 1. */
apr_status_t csc_algo_pss_params_parse(const unsigned char *der,
                                       apr_size_t len,
                                       const csc_hash_t **hash,
                                       const csc_hash_t **mgf1_hash,
                                       int *salt_len);

/* DER RSASSA-PSS-params for the given values, in the RFC 4055 form (hash
 * AlgorithmIdentifiers with NULL parameters, saltLength omitted when 20,
 * trailerField omitted). */
apr_status_t csc_algo_pss_params_encode(const csc_hash_t *hash,
                                        const csc_hash_t *mgf1_hash,
                                        int salt_len, unsigned char **der,
                                        apr_size_t *len, apr_pool_t *p);

/* error_description text for err; api_major 1 or 2 (the hash member is
 * called hashAlgo in v1 and hashAlgorithmOID in v2). */
const char *csc_algo_errstr(csc_algo_err_e err, int api_major);

#endif
