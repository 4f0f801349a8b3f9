/* SPDX-License-Identifier: Apache-2.0 */
/* Key objects on a PKCS#11 token: generation and removal.
 *
 * Why raw PKCS#11 instead of libp11: bookworm ships libp11 0.4.12, whose
 * only key generation call (PKCS11_generate_key, deprecated) makes RSA keys;
 * PKCS11_keygen with EC support arrived in 0.4.13.  The module is dlopen()ed
 * and driven through its function list, with p11-kit's pkcs11.h for the
 * types only (nothing is linked from p11-kit).
 *
 * The signer layer (libp11 engine) may load the same module in this process.
 * Both then share one Cryptoki instance, so C_Initialize answering "already
 * initialised" is normal, and we finalize / log out only what we started. */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <p11-kit/pkcs11.h>

#include "csc_admin.h"

#define KEY_ID_LEN 16

/* DER OIDs for CKA_EC_PARAMS (namedCurve). */
static const unsigned char oid_p256[] = {
    0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07
};
static const unsigned char oid_p384[] = {
    0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22
};
static const unsigned char oid_p521[] = {
    0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23
};

static const struct {
    const char *name;           /* as on the command line */
    const char *group;          /* OpenSSL group name */
    const unsigned char *oid;
    apr_size_t oid_len;
} curves[] = {
    { "P-256", "prime256v1", oid_p256, sizeof(oid_p256) },
    { "P-384", "secp384r1", oid_p384, sizeof(oid_p384) },
    { "P-521", "secp521r1", oid_p521, sizeof(oid_p521) },
    { NULL, NULL, NULL, 0 }
};

apr_status_t csc_admin_keyspec_parse(const char *s, csc_admin_keyspec_t *ks)
{
    int i;

    memset(ks, 0, sizeof(*ks));
    if (!strcasecmp(s, "rsa:2048") || !strcasecmp(s, "rsa:3072")
        || !strcasecmp(s, "rsa:4096")) {
        ks->bits = atoi(s + 4);
        return APR_SUCCESS;
    }
    if (strncasecmp(s, "ec:", 3) == 0) {
        for (i = 0; curves[i].name; i++) {
            if (!strcasecmp(s + 3, curves[i].name)) {
                ks->is_ec = 1;
                ks->curve = curves[i].name;
                ks->ec_params = curves[i].oid;
                ks->ec_params_len = curves[i].oid_len;
                return APR_SUCCESS;
            }
        }
    }
    return APR_EINVAL;
}

/* ---- module and session ------------------------------------------------ */

typedef struct {
    void *dl;
    CK_FUNCTION_LIST_PTR f;
    int finalize;               /* we initialised the module */
    CK_SESSION_HANDLE s;
    int have_session;
    int logged_in;              /* we logged in */
} p11_t;

static const char *ckr_text(CK_RV rv, apr_pool_t *p)
{
    switch (rv) {
    case CKR_PIN_INCORRECT:
        return "token PIN incorrect";
    case CKR_PIN_LOCKED:
        return "token PIN locked";
    case CKR_TOKEN_WRITE_PROTECTED:
        return "token is write-protected";
    case CKR_MECHANISM_INVALID:
        return "mechanism not supported by the token";
    case CKR_TEMPLATE_INCONSISTENT:
    case CKR_ATTRIBUTE_VALUE_INVALID:
        return "key parameters refused by the token";
    case CKR_DEVICE_MEMORY:
        return "token memory full";
    case CKR_TOKEN_NOT_PRESENT:
        return "token not present";
    default:
        return apr_psprintf(p, "PKCS#11 error 0x%lx", (unsigned long)rv);
    }
}

static apr_status_t p11_cleanup(void *data)
{
    p11_t *t = data;

    if (t->logged_in) {
        t->f->C_Logout(t->s);
    }
    if (t->have_session) {
        t->f->C_CloseSession(t->s);
    }
    if (t->finalize) {
        t->f->C_Finalize(NULL);
    }
    if (t->dl) {
        dlclose(t->dl);
    }
    return APR_SUCCESS;
}

/* Label fields are blank-padded, not NUL-terminated. */
static int label_equals(const unsigned char *field, apr_size_t size,
                        const char *label)
{
    apr_size_t n = size, len = strlen(label);

    while (n > 0 && field[n - 1] == ' ') {
        n--;
    }
    return n == len && memcmp(field, label, len) == 0;
}

/* Loads module, finds the one token labelled label, opens a read-write
 * session and logs in as user.  Everything is undone when p is cleaned. */
static apr_status_t p11_open(p11_t **out, const char *module,
                             const char *label, const char *pin,
                             apr_pool_t *p, const char **errmsg)
{
    p11_t *t = apr_pcalloc(p, sizeof(*t));
    CK_C_GetFunctionList getlist;
    CK_C_INITIALIZE_ARGS args;
    CK_SLOT_ID *slots, slot = 0;
    CK_ULONG n = 0, i;
    CK_RV rv;
    int found = 0;

    apr_pool_cleanup_register(p, t, p11_cleanup, apr_pool_cleanup_null);
    t->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
    if (!t->dl) {
        *errmsg = apr_psprintf(p, "cannot load PKCS#11 module %s: %s",
                               module, dlerror());
        return APR_EGENERAL;
    }
    *(void **)&getlist = dlsym(t->dl, "C_GetFunctionList");
    if (!getlist || getlist(&t->f) != CKR_OK || !t->f) {
        *errmsg = apr_psprintf(p, "%s is not a PKCS#11 module", module);
        return APR_EGENERAL;
    }
    memset(&args, 0, sizeof(args));
    args.flags = CKF_OS_LOCKING_OK;
    rv = t->f->C_Initialize(&args);
    if (rv == CKR_OK) {
        t->finalize = 1;
    }
    else if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        *errmsg = apr_psprintf(p, "cannot initialise %s: %s", module,
                               ckr_text(rv, p));
        return APR_EGENERAL;
    }
    rv = t->f->C_GetSlotList(CK_TRUE, NULL, &n);
    if (rv != CKR_OK) {
        *errmsg = apr_psprintf(p, "cannot list slots: %s", ckr_text(rv, p));
        return APR_EGENERAL;
    }
    slots = apr_pcalloc(p, sizeof(*slots) * (n + 1));
    rv = t->f->C_GetSlotList(CK_TRUE, slots, &n);
    if (rv != CKR_OK) {
        *errmsg = apr_psprintf(p, "cannot list slots: %s", ckr_text(rv, p));
        return APR_EGENERAL;
    }
    for (i = 0; i < n; i++) {
        CK_TOKEN_INFO ti;

        if (t->f->C_GetTokenInfo(slots[i], &ti) == CKR_OK
            && label_equals(ti.label, sizeof(ti.label), label)) {
            slot = slots[i];
            found++;
        }
    }
    if (found != 1) {
        *errmsg = found ? apr_psprintf(p, "%d tokens are labelled '%s'",
                                       found, label)
                        : apr_psprintf(p, "no token labelled '%s' in %s",
                                       label, module);
        return APR_NOTFOUND;
    }
    rv = t->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
                             NULL, NULL, &t->s);
    if (rv != CKR_OK) {
        *errmsg = apr_psprintf(p, "cannot open a session on token '%s': %s",
                               label, ckr_text(rv, p));
        return APR_EGENERAL;
    }
    t->have_session = 1;
    rv = t->f->C_Login(t->s, CKU_USER, (CK_UTF8CHAR_PTR)pin,
                       (CK_ULONG)strlen(pin));
    if (rv == CKR_OK) {
        t->logged_in = 1;
    }
    else if (rv != CKR_USER_ALREADY_LOGGED_IN) {
        *errmsg = apr_psprintf(p, "cannot log in to token '%s': %s", label,
                               ckr_text(rv, p));
        return APR_EACCES;
    }
    *out = t;
    return APR_SUCCESS;
}

/* Handles of up to max objects with CKA_ID id (any class). */
static apr_status_t p11_find_id(p11_t *t, const unsigned char *id,
                                apr_size_t id_len, CK_OBJECT_HANDLE *objs,
                                CK_ULONG max, CK_ULONG *count)
{
    CK_ATTRIBUTE tmpl[] = {
        { CKA_ID, (void *)id, (CK_ULONG)id_len }
    };
    CK_RV rv;

    *count = 0;
    rv = t->f->C_FindObjectsInit(t->s, tmpl, 1);
    if (rv != CKR_OK) {
        return APR_EGENERAL;
    }
    rv = t->f->C_FindObjects(t->s, objs, max, count);
    t->f->C_FindObjectsFinal(t->s);
    return rv == CKR_OK ? APR_SUCCESS : APR_EGENERAL;
}

/* ---- public key of a generated pair ------------------------------------ */

static apr_status_t p11_attr(p11_t *t, CK_OBJECT_HANDLE o,
                             CK_ATTRIBUTE_TYPE type, unsigned char **val,
                             CK_ULONG *len, apr_pool_t *p)
{
    CK_ATTRIBUTE a = { type, NULL, 0 };

    if (t->f->C_GetAttributeValue(t->s, o, &a, 1) != CKR_OK
        || a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen == 0) {
        return APR_EGENERAL;
    }
    a.pValue = apr_palloc(p, a.ulValueLen);
    if (t->f->C_GetAttributeValue(t->s, o, &a, 1) != CKR_OK) {
        return APR_EGENERAL;
    }
    *val = a.pValue;
    *len = a.ulValueLen;
    return APR_SUCCESS;
}

static const char *pkey_to_pem(EVP_PKEY *k, apr_pool_t *p)
{
    BIO *b = BIO_new(BIO_s_mem());
    const char *pem = NULL;
    char *data;
    long len;

    if (b && PEM_write_bio_PUBKEY(b, k)) {
        len = BIO_get_mem_data(b, &data);
        pem = apr_pstrmemdup(p, data, (apr_size_t)len);
    }
    BIO_free(b);
    return pem;
}

/* SPKI PEM built from the token's public key object, so the stored public
 * key is known to belong to the pair just generated, whatever the signer
 * layer later resolves the reference to. */
static apr_status_t p11_public_pem(p11_t *t, CK_OBJECT_HANDLE pub,
                                   const csc_admin_keyspec_t *ks,
                                   const char **pem, apr_pool_t *p)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *k = NULL;
    BIGNUM *n = NULL, *e = NULL;
    ASN1_OCTET_STRING *os = NULL;
    unsigned char *v1, *v2;
    CK_ULONG l1, l2;
    apr_status_t rv = APR_EGENERAL;
    int ok = 0;

    if (!bld) {
        return APR_ENOMEM;
    }
    if (!ks->is_ec) {
        if (p11_attr(t, pub, CKA_MODULUS, &v1, &l1, p) == APR_SUCCESS
            && p11_attr(t, pub, CKA_PUBLIC_EXPONENT, &v2, &l2, p)
               == APR_SUCCESS
            && (n = BN_bin2bn(v1, (int)l1, NULL))
            && (e = BN_bin2bn(v2, (int)l2, NULL))
            && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n)
            && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e)) {
            ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
            ok = 1;
        }
    }
    else if (p11_attr(t, pub, CKA_EC_POINT, &v1, &l1, p) == APR_SUCCESS) {
        const unsigned char *q = v1;
        const unsigned char *point = v1;
        apr_size_t plen = l1;
        int i;

        /* PKCS#11 2.20+ wraps the point in a DER OCTET STRING; some
         * modules return it bare. */
        os = d2i_ASN1_OCTET_STRING(NULL, &q, (long)l1);
        if (os && q == v1 + l1) {
            point = ASN1_STRING_get0_data(os);
            plen = (apr_size_t)ASN1_STRING_length(os);
        }
        for (i = 0; curves[i].name; i++) {
            if (!strcmp(curves[i].name, ks->curve)) {
                break;
            }
        }
        if (curves[i].name
            && OSSL_PARAM_BLD_push_utf8_string(bld,
                                               OSSL_PKEY_PARAM_GROUP_NAME,
                                               curves[i].group, 0)
            && OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
                                                point, plen)) {
            ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
            ok = 1;
        }
    }
    if (ok && ctx && (params = OSSL_PARAM_BLD_to_param(bld))
        && EVP_PKEY_fromdata_init(ctx) > 0
        && EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) > 0
        && (*pem = pkey_to_pem(k, p)) != NULL) {
        rv = APR_SUCCESS;
    }
    EVP_PKEY_free(k);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    ASN1_OCTET_STRING_free(os);
    ERR_clear_error();
    return rv;
}

/* ---- operations ------------------------------------------------------- */

apr_status_t csc_admin_p11_keygen(const char *module, const char *token_label,
                                  const char *pin,
                                  const csc_admin_keyspec_t *ks,
                                  const char *key_label,
                                  csc_admin_p11_key_t *out, apr_pool_t *p,
                                  const char **errmsg)
{
    apr_pool_t *sp;
    p11_t *t;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_OBJECT_CLASS pub_class = CKO_PUBLIC_KEY, priv_class = CKO_PRIVATE_KEY;
    CK_KEY_TYPE ktype = ks->is_ec ? CKK_EC : CKK_RSA;
    CK_ULONG bits = (CK_ULONG)ks->bits, label_len = strlen(key_label);
    CK_BYTE exponent[] = { 0x01, 0x00, 0x01 };
    CK_MECHANISM mech = {
        ks->is_ec ? CKM_EC_KEY_PAIR_GEN : CKM_RSA_PKCS_KEY_PAIR_GEN, NULL, 0
    };
    CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE, priv = CK_INVALID_HANDLE;
    CK_OBJECT_HANDLE seen[1];
    CK_ULONG nseen, npub;
    unsigned char *id = apr_palloc(p, KEY_ID_LEN);
    apr_status_t rv;
    CK_RV crv;
    int tries;

    rv = apr_pool_create(&sp, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = p11_open(&t, module, token_label, pin, sp, errmsg);
    if (rv != APR_SUCCESS) {
        *errmsg = apr_pstrdup(p, *errmsg);
        apr_pool_destroy(sp);
        return rv;
    }
    /* A fresh random CKA_ID names the pair unambiguously in the key
     * reference, whatever labels the token already holds. */
    for (tries = 0; tries < 8; tries++) {
        if (RAND_bytes(id, KEY_ID_LEN) != 1
            || p11_find_id(t, id, KEY_ID_LEN, seen, 1, &nseen)
               != APR_SUCCESS) {
            *errmsg = "cannot choose a key id";
            apr_pool_destroy(sp);
            return APR_EGENERAL;
        }
        if (nseen == 0) {
            break;
        }
    }
    if (nseen != 0) {
        *errmsg = "cannot choose an unused key id";
        apr_pool_destroy(sp);
        return APR_EGENERAL;
    }
    {
        CK_ATTRIBUTE pub_t[] = {
            { CKA_CLASS, &pub_class, sizeof(pub_class) },
            { CKA_KEY_TYPE, &ktype, sizeof(ktype) },
            { CKA_TOKEN, &yes, sizeof(yes) },
            { CKA_PRIVATE, &no, sizeof(no) },
            { CKA_VERIFY, &yes, sizeof(yes) },
            { CKA_ENCRYPT, &no, sizeof(no) },
            { CKA_WRAP, &no, sizeof(no) },
            { CKA_ID, id, KEY_ID_LEN },
            { CKA_LABEL, (void *)key_label, label_len },
            /* the last two differ between RSA and EC */
            { CKA_MODULUS_BITS, &bits, sizeof(bits) },
            { CKA_PUBLIC_EXPONENT, exponent, sizeof(exponent) }
        };
        /* Signing only, never extractable: the key must not be usable to
         * decrypt or unwrap, nor leave the token. */
        CK_ATTRIBUTE priv_t[] = {
            { CKA_CLASS, &priv_class, sizeof(priv_class) },
            { CKA_KEY_TYPE, &ktype, sizeof(ktype) },
            { CKA_TOKEN, &yes, sizeof(yes) },
            { CKA_PRIVATE, &yes, sizeof(yes) },
            { CKA_SENSITIVE, &yes, sizeof(yes) },
            { CKA_EXTRACTABLE, &no, sizeof(no) },
            { CKA_SIGN, &yes, sizeof(yes) },
            { CKA_DECRYPT, &no, sizeof(no) },
            { CKA_UNWRAP, &no, sizeof(no) },
            { CKA_DERIVE, &no, sizeof(no) },
            { CKA_ID, id, KEY_ID_LEN },
            { CKA_LABEL, (void *)key_label, label_len }
        };

        npub = sizeof(pub_t) / sizeof(pub_t[0]);
        if (ks->is_ec) {
            pub_t[npub - 2].type = CKA_EC_PARAMS;
            pub_t[npub - 2].pValue = (void *)ks->ec_params;
            pub_t[npub - 2].ulValueLen = ks->ec_params_len;
            npub--;
        }
        crv = t->f->C_GenerateKeyPair(t->s, &mech, pub_t, npub, priv_t,
                                      sizeof(priv_t) / sizeof(priv_t[0]),
                                      &pub, &priv);
    }
    if (crv != CKR_OK) {
        *errmsg = apr_psprintf(p, "key generation on token '%s' failed: %s",
                               token_label, ckr_text(crv, p));
        apr_pool_destroy(sp);
        return APR_EGENERAL;
    }
    rv = p11_public_pem(t, pub, ks, &out->pubkey_pem, p);
    if (rv != APR_SUCCESS) {
        t->f->C_DestroyObject(t->s, priv);
        t->f->C_DestroyObject(t->s, pub);
        *errmsg = "cannot read the public key of the generated pair "
                  "(the pair was removed again)";
        apr_pool_destroy(sp);
        return rv;
    }
    out->id = id;
    out->id_len = KEY_ID_LEN;
    out->key_ref = csc_admin_p11_make_ref(token_label, id, KEY_ID_LEN, p);
    apr_pool_destroy(sp);
    return APR_SUCCESS;
}

apr_status_t csc_admin_p11_delete(const char *module, const char *token_label,
                                  const char *pin, const unsigned char *id,
                                  apr_size_t id_len, int *count,
                                  apr_pool_t *p, const char **errmsg)
{
    apr_pool_t *sp;
    p11_t *t;
    CK_OBJECT_HANDLE objs[16];
    CK_ULONG n, i;
    apr_status_t rv;

    *count = 0;
    rv = apr_pool_create(&sp, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = p11_open(&t, module, token_label, pin, sp, errmsg);
    if (rv != APR_SUCCESS) {
        *errmsg = apr_pstrdup(p, *errmsg);
        apr_pool_destroy(sp);
        return rv;
    }
    /* Find first, destroy afterwards: destroying inside an active search
     * is undefined in PKCS#11. */
    rv = p11_find_id(t, id, id_len, objs, sizeof(objs) / sizeof(objs[0]),
                     &n);
    if (rv != APR_SUCCESS) {
        *errmsg = apr_psprintf(p, "cannot search token '%s'", token_label);
        n = 0;
    }
    for (i = 0; i < n; i++) {
        CK_RV crv = t->f->C_DestroyObject(t->s, objs[i]);

        if (crv != CKR_OK) {
            *errmsg = apr_psprintf(p, "cannot remove a key object from "
                                   "token '%s': %s", token_label,
                                   ckr_text(crv, p));
            rv = APR_EGENERAL;
        }
        else {
            (*count)++;
        }
    }
    apr_pool_destroy(sp);
    return rv;
}
