/* SPDX-License-Identifier: Apache-2.0 */
/* Key-reference parsing, the per-process key cache and the signing
 * operation itself; the routes (engine, provider, file) only load keys.
 *
 * Locking: one process-wide rwlock.  Every operation holds it for reading
 * while it uses a cached key; whatever frees keys or re-initialises the
 * PKCS#11 engine (reinit, conf change, flush, fork reset) holds it for
 * writing, so no thread can be inside a libp11 call when its context goes
 * away.  It prefers writers so a steady stream of signers cannot starve a
 * recovery.  Under it, table_lock guards the hash table and each entry's
 * mutex serialises the (slow) first load of that key. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/ui.h>
#include <openssl/x509.h>

#include <apr_strings.h>
#include <apr_time.h>

#include "base/csc_log.h"
#include "base/csc_proc.h"
#include "base/csc_ossl.h"
#include "signer/csc_signer_route.h"

#define KEYREF_MAX 4096
#define NBUCKETS 1024
/* A key that never loaded may be a typo in the configuration rather than a
 * sick token; re-initialising the engine for it is rate-limited so one bad
 * credential cannot make every other key reload on each request. */
#define LOAD_REINIT_INTERVAL_SEC 1
/* Tries for one operation: a re-initialisation, then short waits for
 * a token whose files another process is rewriting. */
#define LOAD_ATTEMPTS 4

/* Internal: an operation on a PKCS#11 key failed without a PKCS#11 return
 * value to tell whether the token or the request is at fault; handled like
 * a load failure (retry, rate-limited reinit). */
#define OP_UNCLEAR (CSC_SIGNER_ERRSPACE + 99)

/* Tried in order by prefix. */
static const csc_signer_route_t *const routes[] = {
    &csc_signer_route_engine,
    &csc_signer_route_provider,
    &csc_signer_route_file,
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

typedef struct entry {
    struct entry *next;
    char *keyref;
    const char *target;          /* keyref without the route prefix */
    const csc_signer_route_t *route;
    int hsm;                     /* PKCS#11 behind it */
    pthread_mutex_t lock;
    EVP_PKEY *pkey;
} entry_t;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_rwlock_t state_lock;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static entry_t *table[NBUCKETS];
static atomic_int owner_pid;
static unsigned long hsm_gen;    /* bumped by every engine reinit */
static struct timespec last_reinit;
static csc_signer_conf_t conf;   /* malloc'd copies */
static UI_METHOD *ui_method;
static csc_signer_ctx_t route_ctx;   /* what the routes get: &conf, ui_method */

/* Called by OpenSSL's UI for every PIN prompt of a route; the route runs
 * under our read lock, so conf is stable here. */
static int pin_cb(char *buf, int size, int rwflag, void *u)
{
    size_t n;

    (void)rwflag;
    (void)u;
    if (!conf.pkcs11_pin) {
        return -1;
    }
    n = strlen(conf.pkcs11_pin);
    if (n >= (size_t)size) {
        return -1;
    }
    memcpy(buf, conf.pkcs11_pin, n);
    return (int)n;
}

static void process_check(void);

/* ---- key references ---------------------------------------------------- */

static int prefix(const char *s, const char *pre)
{
    return strncmp(s, pre, strlen(pre)) == 0;
}

typedef struct {
    const csc_signer_route_t *route;
    const char *target;
    int hsm;
} keyref_t;

static apr_status_t keyref_parse(const char *keyref, keyref_t *kr,
                                 apr_pool_t *p, const char **errmsg)
{
    size_t len, i;

    *errmsg = NULL;
    if (!keyref || !(len = strlen(keyref)) || len > KEYREF_MAX) {
        *errmsg = "key reference is empty or too long";
        return APR_EINVAL;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)keyref[i];
        if (c < 0x20 || c == 0x7f) {
            *errmsg = "key reference contains control characters";
            return APR_EINVAL;
        }
    }
    /* A PIN inside the reference would end up in logs (ours, and libp11
     * prints the URI on failure); refusing it anywhere also makes every
     * key reference that passes here safe to echo in messages. */
    if (strcasestr(keyref, "pin-value")) {
        *errmsg = "key reference must not contain pin-value: configure the "
                  "PIN separately";
        return APR_EINVAL;
    }
    for (i = 0; i < NROUTES; i++) {
        if (prefix(keyref, routes[i]->prefix)) {
            kr->route = routes[i];
            kr->target = keyref + strlen(routes[i]->prefix);
            kr->hsm = 0;
            return kr->route->syntax(keyref, kr->target, &kr->hsm, p,
                                     errmsg);
        }
    }
    *errmsg = apr_psprintf(p, "key reference %s: unknown route (expected "
                           "engine:, provider: or file:)", keyref);
    return APR_EINVAL;
}

apr_status_t csc_keyref_check_for(const char *keyref,
                                  const csc_signer_conf_t *settings,
                                  apr_pool_t *p, const char **errmsg)
{
    keyref_t kr;
    csc_signer_ctx_t ctx;
    apr_status_t rv;

    rv = keyref_parse(keyref, &kr, p, errmsg);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    process_check();
    pthread_rwlock_rdlock(&state_lock);     /* the checks read conf */
    ctx = route_ctx;
    if (settings) {
        ctx.conf = settings;
    }
    rv = kr.route->check(&ctx, kr.target, p, errmsg);
    pthread_rwlock_unlock(&state_lock);
    return rv;
}

apr_status_t csc_keyref_check(const char *keyref, apr_pool_t *p,
                              const char **errmsg)
{
    return csc_keyref_check_for(keyref, NULL, p, errmsg);
}

/* ---- process state ------------------------------------------------------ */

static void state_init(void)
{
    pthread_rwlockattr_t attr;

    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr,
                                  PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&state_lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    ui_method = UI_UTIL_wrap_read_pem_callback(pin_cb, 0);
    route_ctx.conf = &conf;
    route_ctx.ui = ui_method;
}

static void entry_free(entry_t *e, int abandon_hsm_key)
{
    if (e->pkey && !(abandon_hsm_key && e->hsm)) {
        EVP_PKEY_free(e->pkey);
    }
    pthread_mutex_destroy(&e->lock);
    free(e->keyref);
    free(e);
}

/* Caller holds the write lock. */
static void table_clear(int abandon_hsm_keys)
{
    size_t i;

    for (i = 0; i < NBUCKETS; i++) {
        while (table[i]) {
            entry_t *e = table[i];
            table[i] = e->next;
            entry_free(e, abandon_hsm_keys);
        }
    }
}

/* Caller holds the write lock: frees every PKCS#11 backed key so that the
 * engine can be re-initialised underneath. */
static void drop_hsm_keys(void)
{
    size_t i;
    entry_t *e;

    for (i = 0; i < NBUCKETS; i++) {
        for (e = table[i]; e; e = e->next) {
            if (e->hsm && e->pkey) {
                EVP_PKEY_free(e->pkey);
                e->pkey = NULL;
            }
        }
    }
}

static void process_check(void)
{
    int me = (int)csc_proc_id();

    pthread_once(&init_once, state_init);
    if (atomic_load(&owner_pid) == me) {
        return;
    }
    pthread_rwlock_wrlock(&state_lock);
    if (atomic_load(&owner_pid) != me) {
        if (atomic_load(&owner_pid) != 0) {
            /* A forked child: the parent's PKCS#11 objects are abandoned
             * (freeing them could call into the module on the parent's
             * behalf); software keys are plain memory and freed. */
            table_clear(1);
            hsm_gen++;
            memset(&last_reinit, 0, sizeof(last_reinit));
        }
        atomic_store(&owner_pid, me);
    }
    pthread_rwlock_unlock(&state_lock);
}

static unsigned long hash_str(const char *s)
{
    unsigned long h = 2166136261UL;

    while (*s) {
        h = (h ^ (unsigned char)*s++) * 16777619UL;
    }
    return h;
}

/* Caller holds table_lock. */
static entry_t *bucket_find(unsigned long b, const char *keyref)
{
    entry_t *e;

    for (e = table[b]; e; e = e->next) {
        if (strcmp(e->keyref, keyref) == 0) {
            break;
        }
    }
    return e;
}

/* Caller holds the read lock. */
static apr_status_t entry_find(const char *keyref, entry_t **out,
                               apr_pool_t *p, const char **errmsg)
{
    keyref_t kr;
    apr_status_t rv;
    unsigned long b = hash_str(keyref) % NBUCKETS;
    entry_t *e;

    /* only references that parsed are ever in the table */
    pthread_mutex_lock(&table_lock);
    e = bucket_find(b, keyref);
    pthread_mutex_unlock(&table_lock);
    if (e) {
        *out = e;
        return APR_SUCCESS;
    }
    rv = keyref_parse(keyref, &kr, p, errmsg);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    pthread_mutex_lock(&table_lock);
    e = bucket_find(b, keyref);
    if (!e) {
        e = calloc(1, sizeof(*e));
        if (e && !(e->keyref = strdup(keyref))) {
            free(e);
            e = NULL;
        }
        if (e) {
            e->target = e->keyref + (kr.target - keyref);
            e->route = kr.route;
            e->hsm = kr.hsm;
            pthread_mutex_init(&e->lock, NULL);
            e->next = table[b];
            table[b] = e;
        }
    }
    pthread_mutex_unlock(&table_lock);
    if (!e) {
        *errmsg = "out of memory";
        return APR_ENOMEM;
    }
    *out = e;
    return APR_SUCCESS;
}

/* Caller holds the read lock.  *pkey gets its own reference: another
 * thread may drop the cached one meanwhile. */
static apr_status_t entry_key(entry_t *e, EVP_PKEY **pkey, apr_pool_t *p,
                              const char **errmsg)
{
    apr_status_t rv = APR_SUCCESS;

    pthread_mutex_lock(&e->lock);
    if (!e->pkey) {
        int locked = e->hsm && conf.load_lock;

        if (locked) {
            conf.load_lock(conf.lock_baton);
        }
        ERR_clear_error();
        rv = e->route->load(&route_ctx, e->target, &e->pkey, p, errmsg);
        if (locked) {
            conf.load_unlock(conf.lock_baton);
        }
    }
    if (rv == APR_SUCCESS && e->pkey) {
        EVP_PKEY_up_ref(e->pkey);
        *pkey = e->pkey;
    }
    else if (rv == APR_SUCCESS) {
        rv = APR_EGENERAL;
    }
    pthread_mutex_unlock(&e->lock);
    return rv;
}

static void entry_drop(entry_t *e, EVP_PKEY *failed)
{
    pthread_mutex_lock(&e->lock);
    if (e->pkey && (!failed || e->pkey == failed)) {
        EVP_PKEY_free(e->pkey);
        e->pkey = NULL;
    }
    pthread_mutex_unlock(&e->lock);
}

/* Whole seconds elapsed, counted from the exact instant: comparing only
 * tv_sec would call 5.99 s and 6.01 s a second apart. */
static int seconds_since(const struct timespec *then,
                         const struct timespec *now)
{
    long long ms;

    if (then->tv_sec == 0 && then->tv_nsec == 0) {
        return 1 << 30;
    }
    ms = (long long)(now->tv_sec - then->tv_sec) * 1000
         + (now->tv_nsec - then->tv_nsec) / 1000000;
    return (int)(ms / 1000);
}

/* After a failure on a PKCS#11 backed key (read lock already released). */
static void hsm_recover(const csc_signer_route_t *route, unsigned long gen,
                        int was_working, const char *keyref, const char *why)
{
    struct timespec now;

    if (!route->reset) {
        return;                  /* the route recovers by itself */
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    pthread_rwlock_wrlock(&state_lock);
    if (hsm_gen == gen
        && (was_working
            || seconds_since(&last_reinit, &now) >= LOAD_REINIT_INTERVAL_SEC)) {
        csc_log(CSC_LOG_MARK, CSC_LOG_WARNING,
                "signer: %s failed (%s); re-initialising the PKCS#11 engine",
                keyref, why);
        drop_hsm_keys();
        route->reset(&route_ctx);
        hsm_gen++;
        last_reinit = now;
    }
    pthread_rwlock_unlock(&state_lock);
}

/* ---- one operation with retry ----------------------------------------- */

typedef apr_status_t op_fn(EVP_PKEY *pkey, void *baton, apr_pool_t *p,
                           const char **errmsg);

/* Runs op on the key.  Route failures on PKCS#11 keys (load failure, or op
 * returning APR_EGENERAL / OP_UNCLEAR) get one recovery and retry, then
 * CSC_SIGNER_EUNAVAIL; request errors (wrong key type, bad params, a
 * mechanism the token refuses) are returned as they are. */
static apr_status_t with_key(const char *keyref, op_fn *op, void *baton,
                             apr_pool_t *p, const char **errmsg)
{
    apr_status_t rv = APR_SUCCESS;
    const char *why = NULL;
    int attempt;

    process_check();
    for (attempt = 0; attempt < LOAD_ATTEMPTS; attempt++) {
        entry_t *e;
        EVP_PKEY *k = NULL;
        unsigned long gen;
        int loaded, hsm;
        const csc_signer_route_t *route;

        pthread_rwlock_rdlock(&state_lock);
        gen = hsm_gen;
        rv = entry_find(keyref, &e, p, errmsg);
        if (rv != APR_SUCCESS) {
            pthread_rwlock_unlock(&state_lock);
            return rv;
        }
        hsm = e->hsm;
        route = e->route;
        rv = entry_key(e, &k, p, errmsg);
        loaded = (rv == APR_SUCCESS);
        if (loaded) {
            ERR_clear_error();
            rv = op(k, baton, p, errmsg);
            if (rv == APR_EGENERAL || rv == OP_UNCLEAR) {
                entry_drop(e, k);
            }
            EVP_PKEY_free(k);
        }
        pthread_rwlock_unlock(&state_lock);

        if (!hsm && rv == OP_UNCLEAR) {
            rv = APR_EGENERAL;
        }
        if (!hsm || rv == APR_SUCCESS
            || (loaded && rv != APR_EGENERAL && rv != OP_UNCLEAR)) {
            return rv;
        }
        if (!loaded && (rv == APR_EINVAL || rv == APR_ENOTIMPL)) {
            return rv;           /* configuration, not the token */
        }
        why = *errmsg ? *errmsg : "unknown error";
        if (attempt == 0) {
            /* A loaded key that fails with a PKCS#11 error (request errors
             * are filtered out already) points at the token or the session,
             * not at the configuration: re-initialise at once. */
            hsm_recover(route, gen, loaded && rv == APR_EGENERAL, keyref,
                        why);
        }
        else if (!loaded && attempt + 1 < LOAD_ATTEMPTS) {
            /* SoftHSM rewrites its token files when a process logs in, and
             * a child starting at the same moment can miss the key; such a
             * miss is gone a few milliseconds later. */
            apr_sleep(apr_time_from_msec(10 * attempt * attempt));
        }
    }
    *errmsg = apr_psprintf(p, "PKCS#11 key %s unavailable (token missing, "
                           "session lost or PIN refused?): %s", keyref, why);
    csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "signer: %s", *errmsg);
    return CSC_SIGNER_EUNAVAIL;
}

/* ---- signing ------------------------------------------------------------ */

typedef struct {
    const csc_sig_params_t *sp;
    const unsigned char *digest;
    apr_size_t dlen;
    unsigned char *sig;
    apr_size_t siglen;
} sign_baton_t;

static apr_status_t key_fits(EVP_PKEY *k, const csc_sig_params_t *sp,
                             apr_pool_t *p, const char **errmsg)
{
    if (sp->scheme == CSC_SCHEME_ECDSA) {
        if (!EVP_PKEY_is_a(k, "EC")) {
            *errmsg = "ECDSA needs an EC key";
            return CSC_SIGNER_EKEYTYPE;
        }
        return APR_SUCCESS;
    }
    if (!EVP_PKEY_is_a(k, "RSA")
        && !(sp->scheme == CSC_SCHEME_PSS && EVP_PKEY_is_a(k, "RSA-PSS"))) {
        *errmsg = "RSA signature algorithm needs an RSA key";
        return CSC_SIGNER_EKEYTYPE;
    }
    if (sp->scheme == CSC_SCHEME_PSS) {
        /* RFC 8017 9.1.1: emLen >= hLen + sLen + 2, where
         * emLen = ceil((modBits - 1) / 8) */
        int em_len = (EVP_PKEY_get_bits(k) - 1 + 7) / 8;
        if (sp->salt_len > em_len - (int)sp->hash->len - 2) {
            *errmsg = apr_psprintf(p, "PSS salt length %d too long for a "
                                   "%d-bit key", sp->salt_len,
                                   EVP_PKEY_get_bits(k));
            return CSC_SIGNER_EPARAMS;
        }
    }
    return APR_SUCCESS;
}

/* PKCS#11 return values that blame the request (mechanism, parameters,
 * data) rather than the token; they must not trigger a re-initialisation
 * that a client could otherwise provoke at will. */
static int ckr_is_request_error(long ckr)
{
    switch (ckr) {
    case 0x07:                   /* CKR_ARGUMENTS_BAD */
    case 0x20:                   /* CKR_DATA_INVALID */
    case 0x21:                   /* CKR_DATA_LEN_RANGE */
    case 0x62:                   /* CKR_KEY_SIZE_RANGE */
    case 0x63:                   /* CKR_KEY_TYPE_INCONSISTENT */
    case 0x68:                   /* CKR_KEY_FUNCTION_NOT_PERMITTED */
    case 0x70:                   /* CKR_MECHANISM_INVALID */
    case 0x71:                   /* CKR_MECHANISM_PARAM_INVALID */
        return 1;
    }
    return 0;
}

static apr_status_t sign_op(EVP_PKEY *k, void *baton, apr_pool_t *p,
                            const char **errmsg)
{
    sign_baton_t *b = baton;
    const csc_sig_params_t *sp = b->sp;
    EVP_PKEY_CTX *ctx;
    size_t len = 0;
    apr_status_t rv;
    int ok;

    rv = key_fits(k, sp, p, errmsg);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    ctx = EVP_PKEY_CTX_new(k, NULL);
    ok = ctx && EVP_PKEY_sign_init(ctx) > 0;
    if (ok && sp->scheme == CSC_SCHEME_PKCS1) {
        ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0;
    }
    else if (ok && sp->scheme == CSC_SCHEME_PSS) {
        ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PSS_PADDING) > 0
             && EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, sp->mgf1_hash->md()) > 0
             && EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, sp->salt_len) > 0;
    }
    /* The md makes PKCS#1 wrap the digest in a DigestInfo and lets every
     * scheme check the digest length once more. */
    ok = ok && EVP_PKEY_CTX_set_signature_md(ctx, sp->hash->md()) > 0
         && EVP_PKEY_sign(ctx, NULL, &len, b->digest, b->dlen) > 0;
    if (ok) {
        b->sig = apr_palloc(p, len);
        ok = EVP_PKEY_sign(ctx, b->sig, &len, b->digest, b->dlen) > 0;
    }
    EVP_PKEY_CTX_free(ctx);
    if (!ok) {
        long ckr;
        const char *detail = csc_ossl_errors(p, &ckr);

        if (ckr_is_request_error(ckr)) {
            *errmsg = apr_psprintf(p, "the token refused this signature "
                                   "algorithm or its parameters: %s", detail);
            return sp->scheme == CSC_SCHEME_PSS ? CSC_SIGNER_EPARAMS
                                                : CSC_SIGNER_EKEYTYPE;
        }
        *errmsg = apr_psprintf(p, "signing failed: %s", detail);
        return ckr >= 0 ? APR_EGENERAL : OP_UNCLEAR;
    }
    b->siglen = len;
    return APR_SUCCESS;
}

apr_status_t csc_signer_sign(const char *keyref, const csc_sig_params_t *sp,
                             const unsigned char *digest, apr_size_t dlen,
                             unsigned char **sig, apr_size_t *siglen,
                             apr_pool_t *p, const char **errmsg)
{
    sign_baton_t b;
    apr_status_t rv;

    *sig = NULL;
    *siglen = 0;
    *errmsg = NULL;
    if (!sp || !sp->hash || !digest
        || (sp->scheme == CSC_SCHEME_PSS && !sp->mgf1_hash)) {
        *errmsg = "incomplete signature parameters";
        return APR_EINVAL;
    }
    if (dlen != sp->hash->len) {
        *errmsg = apr_psprintf(p, "digest is %" APR_SIZE_T_FMT " bytes, %s "
                               "needs %" APR_SIZE_T_FMT, dlen, sp->hash->name,
                               sp->hash->len);
        return CSC_SIGNER_EDIGESTLEN;
    }
    memset(&b, 0, sizeof(b));
    b.sp = sp;
    b.digest = digest;
    b.dlen = dlen;
    rv = with_key(keyref, sign_op, &b, p, errmsg);
    if (rv == APR_SUCCESS) {
        *sig = b.sig;
        *siglen = b.siglen;
    }
    return rv;
}

/* ---- public key and probe ---------------------------------------------- */

typedef struct {
    unsigned char *der;
    apr_size_t len;
    csc_key_info_t *info;
} pub_baton_t;

static apr_status_t pub_op(EVP_PKEY *k, void *baton, apr_pool_t *p,
                           const char **errmsg)
{
    pub_baton_t *b = baton;
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(k, &der);

    if (n <= 0) {
        *errmsg = apr_psprintf(p, "cannot encode the public key: %s",
                               csc_ossl_errors(p, NULL));
        return OP_UNCLEAR;
    }
    b->der = apr_pmemdup(p, der, (apr_size_t)n);
    b->len = (apr_size_t)n;
    OPENSSL_free(der);
    return APR_SUCCESS;
}

apr_status_t csc_signer_public_key(const char *keyref,
                                   unsigned char **spki_der, apr_size_t *len,
                                   apr_pool_t *p, const char **errmsg)
{
    pub_baton_t b;
    apr_status_t rv;

    *errmsg = NULL;
    memset(&b, 0, sizeof(b));
    rv = with_key(keyref, pub_op, &b, p, errmsg);
    *spki_der = b.der;
    *len = b.len;
    return rv;
}

static apr_status_t probe_op(EVP_PKEY *k, void *baton, apr_pool_t *p,
                             const char **errmsg)
{
    pub_baton_t *b = baton;
    csc_key_info_t *info = b->info;
    apr_status_t rv;

    /* The public half re-imported is an ordinary provider key, so its
     * group name is readable even when k lives in an engine. */
    rv = pub_op(k, baton, p, errmsg);
    if (rv != APR_SUCCESS || !info) {
        return rv;
    }
    memset(info, 0, sizeof(*info));
    info->bits = EVP_PKEY_get_bits(k);
    if (EVP_PKEY_is_a(k, "RSA") || EVP_PKEY_is_a(k, "RSA-PSS")) {
        info->type = CSC_KEY_RSA;
    }
    else if (EVP_PKEY_is_a(k, "EC")) {
        const unsigned char *q = b->der;
        EVP_PKEY *pub = d2i_PUBKEY(NULL, &q, (long)b->len);
        char group[64];
        size_t glen = 0;
        const csc_curve_t *c;

        info->type = CSC_KEY_EC;
        if (pub && EVP_PKEY_get_group_name(pub, group, sizeof(group), &glen)
            && (c = csc_algo_curve_by_name(group)) != NULL) {
            info->curve_oid = c->oid;
        }
        EVP_PKEY_free(pub);
        ERR_clear_error();
    }
    else {
        *errmsg = "key is neither RSA nor EC";
        return APR_ENOTIMPL;
    }
    return APR_SUCCESS;
}

apr_status_t csc_signer_probe(const char *keyref, csc_key_info_t *info,
                              apr_pool_t *p, const char **errmsg)
{
    pub_baton_t b;

    *errmsg = NULL;
    memset(&b, 0, sizeof(b));
    b.info = info;
    return with_key(keyref, probe_op, &b, p, errmsg);
}

/* ---- configuration ------------------------------------------------------ */

static void pin_free(char *pin)
{
    if (pin) {
        OPENSSL_cleanse(pin, strlen(pin));
        free(pin);
    }
}

apr_status_t csc_signer_global_conf(const csc_signer_conf_t *c)
{
    char *module = NULL, *pin = NULL;
    size_t i;

    process_check();
    if ((c->pkcs11_module && !(module = strdup(c->pkcs11_module)))
        || (c->pkcs11_pin && !(pin = strdup(c->pkcs11_pin)))) {
        free(module);
        pin_free(pin);
        return APR_ENOMEM;
    }
    pthread_rwlock_wrlock(&state_lock);
    free((char *)conf.pkcs11_module);
    pin_free((char *)conf.pkcs11_pin);
    conf.pkcs11_module = module;
    conf.pkcs11_pin = pin;
    conf.load_lock = c->load_lock && c->load_unlock ? c->load_lock : NULL;
    conf.load_unlock = c->load_unlock;
    conf.lock_baton = c->lock_baton;
    /* Always, not only on change: after a graceful restart this file's
     * statics are fresh but the engine in libcrypto kept the old settings. */
    drop_hsm_keys();
    for (i = 0; i < NROUTES; i++) {
        if (routes[i]->reset) {
            routes[i]->reset(&route_ctx);
        }
    }
    hsm_gen++;
    pthread_rwlock_unlock(&state_lock);
    return APR_SUCCESS;
}

void csc_signer_flush(void)
{
    process_check();
    pthread_rwlock_wrlock(&state_lock);
    table_clear(0);
    pthread_rwlock_unlock(&state_lock);
}
