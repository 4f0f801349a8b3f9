/* SPDX-License-Identifier: Apache-2.0 */
/* csc_handle(), the whole request path of every method, against a real
 * SQLite credential store with file keys and an in-memory state that is
 * emptied for every input.
 *
 * Input: byte 0 picks the method and version (table below); byte 1 holds
 * flags (what to do first, and how to send the request); the rest is the
 * request body.  "@TOKEN@", "@SAD@" and "@REFRESH@" in the body are replaced
 * with a live access token, SAD and refresh token obtained first, so that
 * signHash, extendTransaction, revoke and refresh are reached past their
 * authorization checks.
 *
 * Invariants checked on every answer: a status between 200 and 599; a body
 * (when there is one) that is JSON, with error and error_description on
 * every error; neither the password nor a PIN echoed back. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_base64.h>
#include <apr_strings.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "api/csc_api.h"
#include "enroll/csc_ca.h"
#include "authz/csc_pin.h"
#include "signer/csc_signer.h"
#include "store/csc_store.h"
#include "fuzz.h"
#include "testkeys.h"

#define PASSWORD "pw-Fz7q-alice"
#define PIN      "Zq9-pin-W"
#define HASH     "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

static apr_pool_t *root;
static csc_env_t env;
static char dir[] = "/tmp/csc-fuzz-handle-XXXXXX";

static const struct {
    int version;
    const char *method;
} methods[] = {
    {1, "info"}, {2, "info"},
    {1, "auth/login"}, {2, "auth/login"},
    {1, "auth/revoke"}, {2, "auth/revoke"},
    {1, "credentials/list"}, {2, "credentials/list"},
    {1, "credentials/info"}, {2, "credentials/info"},
    {1, "credentials/authorize"}, {2, "credentials/authorize"},
    {1, "credentials/sendOTP"}, {2, "credentials/getChallenge"},
    {1, "credentials/extendTransaction"}, {2, "credentials/extendTransaction"},
    {1, "signatures/signHash"}, {2, "signatures/signHash"},
    {2, "signatures/signDoc"}, {2, "credentials/nosuch"}
};
#define NMETHODS (sizeof(methods) / sizeof(methods[0]))

enum {
    F_LOGIN = 1,        /* log in first, send the token as Bearer */
    F_SAD = 2,          /* authorize fz-ec first (@SAD@) */
    F_GET = 4,          /* HTTP GET instead of POST */
    F_TEXT = 8,         /* Content-Type text/plain */
    F_BASIC = 16,       /* Authorization: Basic with alice's password */
    F_REMEMBER = 32,    /* log in with rememberMe (@REFRESH@) */
    F_BOUND = 64,       /* the SAD is fz-rsa's, bound to one hash */
    F_BOB = 128         /* the token is bob's */
};

static int check_password(void *baton, const char *user, const char *pw)
{
    (void)baton;
    return (!strcmp(user, "alice") && !strcmp(pw, PASSWORD))
        || (!strcmp(user, "bob") && !strcmp(pw, "pw-bob"));
}

static void remove_dir(void)
{
    char cmd[64];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", dir);
    }
}

static const char *write_key(const char *name, EVP_PKEY *k, const char **pub)
{
    const char *path = apr_pstrcat(root, dir, "/", name, ".pem", NULL);
    FILE *f = fopen(path, "w");
    BIO *b = BIO_new(BIO_s_mem());
    char *data;
    long n;

    FUZZ_ASSERT(f && k && b);
    FUZZ_ASSERT(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) == 1);
    fclose(f);
    PEM_write_bio_PUBKEY(b, k);
    n = BIO_get_mem_data(b, &data);
    *pub = apr_pstrmemdup(root, data, (apr_size_t)n);
    BIO_free(b);
    EVP_PKEY_free(k);
    return path;
}

static void add(const char *id, const char *owner, const char *key,
                const char *pub, int scal, int enabled, const char *otp)
{
    const char *ca_key = apr_pstrcat(root, dir, "/ca.key", NULL);
    const char *ca_pem = apr_pstrcat(root, dir, "/ca.pem", NULL);
    const char *err = NULL, *cert, *hash;
    csc_credential_t c;

    FUZZ_ASSERT(csc_ca_issue(ca_key, ca_pem, pub, "CN=Fuzz,O=mod_csc", 30,
                             &cert, root, &err) == APR_SUCCESS);
    FUZZ_ASSERT(csc_pin_hash(PIN, CSC_PIN_MIN_ITERATIONS, root, &hash)
                == APR_SUCCESS);
    memset(&c, 0, sizeof(c));
    c.id = id;
    c.owner = owner;
    c.key_ref = apr_pstrcat(root, "file:", key, NULL);
    c.pubkey_pem = pub;
    c.cert_chain_pem = cert;
    c.enabled = enabled;
    c.multisign = 5;
    c.scal = scal;
    c.pin_hash = otp ? NULL : hash;
    c.pin_format = 'A';
    c.otp_type = otp;
    c.otp_secret = otp ? "JBSWY3DPEHPK3PXP" : NULL;
    c.otp_digits = 6;
    c.otp_period = 30;
    c.otp_hash = "sha1";
    FUZZ_ASSERT(csc_store_insert(env.store, &c, root) == APR_SUCCESS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    csc_signer_conf_t sconf = { .pkcs11_module = NULL };
    const char *err = NULL, *spec, *ec_pub, *rsa_pub, *ec, *rsa;
    csc_cfg_t *cfg;

    (void)argc;
    (void)argv;
    root = fuzz_init();
    FUZZ_ASSERT(mkdtemp(dir) != NULL);
    atexit(remove_dir);
    FUZZ_ASSERT(csc_signer_global_conf(&sconf) == APR_SUCCESS);
    FUZZ_ASSERT(csc_ca_create("CN=Fuzz CA", 30,
                              apr_pstrcat(root, dir, "/ca.key", NULL),
                              apr_pstrcat(root, dir, "/ca.pem", NULL), root,
                              &err) == APR_SUCCESS);
    /* CSC_TEST_KEYS spares valgrind runs the RSA prime search */
    ec = write_key("ec", test_key("fuzz-p256", 0, "P-256", 0), &ec_pub);
    rsa = write_key("rsa", test_key("fuzz-rsa2048", 2048, NULL, 0), &rsa_pub);
    spec = apr_pstrcat(root, "sqlite3:", dir, "/store.db", NULL);
    FUZZ_ASSERT(csc_store_create(spec, root, &err) == APR_SUCCESS);
    FUZZ_ASSERT(csc_store_open(&env.store, spec, root, &err) == APR_SUCCESS);
    add("fz-ec", "alice", ec, ec_pub, 1, 1, NULL);
    add("fz-rsa", "alice", rsa, rsa_pub, 2, 1, NULL);
    add("fz-totp", "alice", ec, ec_pub, 1, 1, "totp");
    add("fz-off", "alice", ec, ec_pub, 1, 0, NULL);
    add("fz-bob", "bob", ec, ec_pub, 1, 1, NULL);
    cfg = csc_cfg_create(root);
    cfg->store_spec = spec;
    csc_cfg_set(cfg, "auth_type", "CSCAuthType", "basic", root);
    /* the counters live in the store across inputs: no input may block a
     * credential for the ones after it */
    cfg->max_failures = 1000000000;
    env.cfg = cfg;
    env.kv = fuzz_memkv_create(root);
    return 0;
}

typedef struct {
    csc_response_t resp;
    json_t *json;
} answer_t;

static void check_answer(const answer_t *a)
{
    const csc_response_t *r = &a->resp;

    FUZZ_ASSERT(r->status >= 200 && r->status <= 599);
    if (r->body) {
        FUZZ_ASSERT(r->content_type != NULL);
        FUZZ_ASSERT(a->json != NULL);
        FUZZ_ASSERT(!memmem(r->body, r->body_len, PIN, strlen(PIN)));
        FUZZ_ASSERT(!memmem(r->body, r->body_len, PASSWORD, strlen(PASSWORD)));
    }
    if (r->status >= 400) {
        FUZZ_ASSERT(a->json
                    && json_is_string(json_object_get(a->json, "error"))
                    && json_is_string(json_object_get(a->json,
                                                      "error_description")));
    }
}

static answer_t call(int version, const char *method, const char *http,
                     const char *ctype, const char *body, apr_size_t len,
                     const char *authz, apr_pool_t *p)
{
    csc_request_t req;
    answer_t a;

    memset(&req, 0, sizeof(req));
    memset(&a, 0, sizeof(a));
    req.pool = p;
    req.version = version;
    req.method = method;
    req.http_method = http;
    req.content_type = ctype;
    req.authorization = authz;
    req.body = body;
    req.body_len = len;
    req.client_ip = "127.0.0.1";
    req.check_password = check_password;
    a.resp.headers = apr_table_make(p, 4);
    csc_handle(&env, &req, &a.resp);
    if (a.resp.body) {
        a.json = json_loadb(a.resp.body, a.resp.body_len, 0, NULL);
    }
    if (getenv("CSC_FUZZ_DEBUG")) {
        fprintf(stderr, "v%d %s -> %d %.*s\n", version, method, a.resp.status,
                a.resp.body ? (int)a.resp.body_len : 0,
                a.resp.body ? a.resp.body : "");
    }
    check_answer(&a);
    return a;
}

static const char *member(answer_t a, const char *name, apr_pool_t *p)
{
    const char *v = json_string_value(json_object_get(a.json, name));

    v = v ? apr_pstrdup(p, v) : NULL;
    json_decref(a.json);
    return v;
}

static const char *basic(const char *user, const char *pw, apr_pool_t *p)
{
    const char *up = apr_pstrcat(p, user, ":", pw, NULL);
    char *enc = apr_palloc(p, apr_base64_encode_len((int)strlen(up)));

    apr_base64_encode(enc, up, (int)strlen(up));
    return apr_pstrcat(p, "Basic ", enc, NULL);
}

static const char *replace(const char *text, const char *marker,
                           const char *value, apr_pool_t *p)
{
    const char *at;

    if (!value) {
        return text;
    }
    while ((at = strstr(text, marker)) != NULL) {
        text = apr_pstrcat(p, apr_pstrmemdup(p, text, (apr_size_t)(at - text)),
                           value, at + strlen(marker), NULL);
    }
    return text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    const char *token = NULL, *sad = NULL, *refresh = NULL, *body, *authz;
    const char *json = "application/json";
    int version, flags;
    const char *method;
    apr_size_t len;
    answer_t a;

    if (size < 2) {
        return 0;
    }
    apr_pool_create(&p, root);
    fuzz_memkv_reset(env.kv);
    version = methods[data[0] % NMETHODS].version;
    method = methods[data[0] % NMETHODS].method;
    flags = data[1];
    if (flags & (F_LOGIN | F_SAD | F_REMEMBER | F_BOUND)) {
        const char *who = (flags & F_BOB) ? "bob" : "alice";
        const char *lb = (flags & F_REMEMBER) ? "{\"rememberMe\":true}" : "{}";

        a = call(version, "auth/login", "POST", json, lb, strlen(lb),
                 basic(who, (flags & F_BOB) ? "pw-bob" : PASSWORD, p), p);
        refresh = json_string_value(json_object_get(a.json, "refresh_token"));
        refresh = refresh ? apr_pstrdup(p, refresh) : NULL;
        token = member(a, "access_token", p);
    }
    if (token && (flags & (F_SAD | F_BOUND))) {
        /* v1 sends the PIN as a member, v2 in authData */
        const char *pin = version == 1 ? "\"PIN\":\"" PIN "\""
            : "\"authData\":[{\"id\":\"PIN\",\"value\":\"" PIN "\"}]";
        const char *ab = (flags & F_BOUND)
            ? apr_pstrcat(p, "{\"credentialID\":\"fz-rsa\",\"numSignatures\":1,",
                          pin, ",\"hash\":[\"" HASH "\"],\"hashes\":[\"" HASH
                          "\"],\"hashAlgorithmOID\":\"2.16.840.1.101.3.4.2.1\"}",
                          NULL)
            : apr_pstrcat(p, "{\"credentialID\":\"fz-ec\",\"numSignatures\":3,",
                          pin, "}", NULL);

        a = call(version, "credentials/authorize", "POST", json, ab,
                 strlen(ab), apr_pstrcat(p, "Bearer ", token, NULL), p);
        sad = member(a, "SAD", p);
    }
    body = apr_pstrmemdup(p, (const char *)data + 2, size - 2);
    len = size - 2;
    if (strchr(body, '@')) {
        /* the markers make it text; otherwise the raw bytes go in with
         * their length, a NUL inside them too, as the bindings pass it */
        body = replace(body, "@TOKEN@", token, p);
        body = replace(body, "@SAD@", sad, p);
        body = replace(body, "@REFRESH@", refresh, p);
        len = strlen(body);
    }
    authz = (flags & F_BASIC) ? basic("alice", PASSWORD, p)
          : token ? apr_pstrcat(p, "Bearer ", token, NULL) : NULL;
    a = call(version, method, (flags & F_GET) ? "GET" : "POST",
             (flags & F_TEXT) ? "text/plain" : json, body, len, authz, p);
    json_decref(a.json);
    apr_pool_destroy(p);
    return 0;
}
