/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the API core without any server: JSON limits, the error
 * table, base64, configuration merging, tokens and paging, driven through
 * csc_handle() with a real shared-state file and a real SQLite store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "api/csc_api.h"
#include "base/csc_b64.h"
#include "http/csc_error.h"
#include "authz/csc_grant.h"
#include "http/csc_json.h"
#include "http/csc_json_fast.h"
#include "state/csc_kv.h"
#include "authz/csc_limit.h"
#include "authz/csc_tenant.h"
#include "base/csc_proc.h"
#include "authz/csc_sad.h"
#include "authz/csc_secret.h"
#include "store/csc_store.h"
#include "base/csc_log.h"
#include "config/csc_pin_source.h"
#include "csc/csc_service.h"
#include "kv_twice.h"
#include "tap.h"

static apr_pool_t *pool;
static csc_env_t env;
static csc_cfg_t *cfg;
static const csc_log_t *call_log;   /* req.log of every call() */

/* test_unknown_user_time: how long a known user's check takes, and
 * whether an unknown user is told apart, as httpd's providers do */
static apr_interval_time_t check_time;
static int tell_no_user;

/* The password check a server binding would provide. */
static int check_password(void *baton, const char *user, const char *pw)
{
    int known = !strcmp(user, "alice") || !strcmp(user, "bob");

    (void)baton;
    if (!known && tell_no_user) {
        return CSC_PASSWORD_NO_USER;
    }
    if (known && check_time) {
        apr_sleep(check_time);
    }
    return (!strcmp(user, "alice") && !strcmp(pw, "pw-a"))
        || (!strcmp(user, "bob") && !strcmp(pw, "pw-b"));
}

typedef struct {
    csc_response_t resp;
    json_t *json;
} result_t;

static result_t call(int version, const char *method, const char *http,
                     const char *body, const char *authz)
{
    csc_request_t req;
    result_t res;

    memset(&req, 0, sizeof(req));
    memset(&res, 0, sizeof(res));
    req.pool = pool;
    req.version = version;
    req.method = method;
    req.http_method = http;
    req.body = body ? body : "";
    req.body_len = strlen(req.body);
    req.content_type = "application/json";
    req.authorization = authz;
    req.check_password = check_password;
    req.log = call_log;
    res.resp.headers = apr_table_make(pool, 2);
    csc_handle(&env, &req, &res.resp);
    if (res.resp.body) {
        res.json = json_loads(res.resp.body, 0, NULL);
    }
    return res;
}

static const char *jstr(json_t *j, const char *name)
{
    return json_string_value(json_object_get(j, name));
}

static const char *dump(json_t *j)
{
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    const char *copy = text ? apr_pstrdup(pool, text) : NULL;

    free(text);
    return copy;
}

static const char *bearer(const char *token)
{
    return apr_pstrcat(pool, "Bearer ", token, NULL);
}

static void test_b64(void)
{
    unsigned char *out;
    apr_size_t n;
    const unsigned char bytes[] = {0xfb, 0xff, 0xfe, 0x01};

    is_str(csc_b64_encode((const unsigned char *)"foobar", 6, pool),
           "Zm9vYmFy", "base64 of foobar");
    is_str(csc_b64_encode((const unsigned char *)"fooba", 5, pool),
           "Zm9vYmE=", "base64 with padding");
    is_str(csc_b64url_encode(bytes, 4, pool), "-__-AQ",
           "base64url without padding");
    ok(csc_b64_decode("+//+AQ==", 8, &out, &n, pool) == 0 && n == 4
       && !memcmp(out, bytes, 4), "standard alphabet decodes");
    ok(csc_b64_decode("-__-AQ", 6, &out, &n, pool) == 0 && n == 4
       && !memcmp(out, bytes, 4), "url alphabet without padding decodes "
       "to the same bytes");
    ok(csc_b64_decode("+__-AQ", 6, &out, &n, pool) != 0,
       "mixed alphabets refused");
    ok(csc_b64_decode("Zm9v!mFy", 8, &out, &n, pool) != 0,
       "non-alphabet character refused");
    ok(csc_b64_decode("Zm9vY", 5, &out, &n, pool) != 0,
       "impossible length refused");
    ok(csc_b64_decode("Zm9=", 4, &out, &n, pool) != 0,
       "non-zero trailing bits refused");
    ok(csc_b64_decode("", 0, &out, &n, pool) != 0, "empty refused");
}

static void test_error_table(void)
{
    int i, complete = 1;

    for (i = 0; i < CSC_ERR__COUNT; i++) {
        const csc_err_def_t *d = csc_err_def((csc_err_e)i);
        if (!d->status || !d->error || !d->v1 || !d->v2) {
            complete = 0;
        }
    }
    ok(complete, "every catalogue entry has status, code and both texts");
    is_str(csc_err_def(CSC_ERR_MALFORMED_AUTHZ)->v2,
           "Malformed authorization header", "v2 header text");
    is_str(csc_err_def(CSC_ERR_MALFORMED_AUTHZ_OTP)->v1,
           "Malformed authroization header.", "v1 sendOTP text, sic");
    is_str(csc_err_def(CSC_ERR_HASH_NOT_AUTHORIZED)->v1,
           "Hash is not authorized by the SAD.", "v1 keeps its period");
    is_str(csc_err_def(CSC_ERR_HASH_NOT_AUTHORIZED)->v2,
           "Hash is not authorized by the SAD", "v2 has none");
    is_int(csc_err_def(CSC_ERR_LOGIN_MALFORMED)->status, 401,
           "login without credentials is 401");
    is_int(csc_err_def(CSC_ERR_NOT_IMPLEMENTED)->status, 501,
           "unknown method is 501");
}

/* n objects, each the value of the one before: {"a":{"a":...1}...} */
static const char *nested_objects(char *buf, int n)
{
    char *p = buf;
    int i;

    for (i = 0; i < n; i++) p += sprintf(p, "{\"a\":");
    *p++ = '1';
    for (i = 0; i < n; i++) *p++ = '}';
    *p = '\0';
    return buf;
}

static void test_json_limits(void)
{
    result_t r;
    char deep[128];
    int i;

    is_int(csc_json_depth("[[[]]]", 6), 3, "depth counts nesting");
    is_int(csc_json_depth("{\"a\":\"[[[[\\\"\"}", 15), 1,
           "brackets inside strings do not count");
    for (i = 0; i < 17; i++) deep[i] = '[';
    for (i = 17; i < 34; i++) deep[i] = ']';
    deep[34] = '\0';
    r = call(1, "info", "POST", deep, NULL);
    is_int(r.resp.status, 400, "17 levels refused");
    is_str(jstr(r.json, "error_description"),
           "The request body is nested too deeply", "depth error text");
    json_decref(r.json);
    /* an object the one-pass parser could read, were it not too deep */
    r = call(1, "info", "POST", nested_objects(deep, 17), NULL);
    is_str(jstr(r.json, "error_description"),
           "The request body is nested too deeply", "17 objects refused");
    json_decref(r.json);
    r = call(1, "info", "POST", nested_objects(deep, 16), NULL);
    is_int(r.resp.status, 200, "16 objects accepted");
    json_decref(r.json);
    r = call(1, "info", "POST", "{\"lang\":", NULL);
    is_str(jstr(r.json, "error_description"),
           "The request body is not valid JSON", "truncated JSON");
    json_decref(r.json);
    r = call(1, "info", "POST", "{\"lang\":\"a\",\"lang\":\"b\"}", NULL);
    is_int(r.resp.status, 400, "duplicate members refused");
    json_decref(r.json);
    r = call(1, "info", "POST", "[1,2]", NULL);
    is_str(jstr(r.json, "error_description"),
           "The request body must be a JSON object", "array body refused");
    json_decref(r.json);
    r = call(2, "info", "POST", "  ", NULL);
    is_int(r.resp.status, 200, "an empty body counts as {}");
    json_decref(r.json);
    r = call(1, "credentials/list", "GET", "", NULL);
    is_int(r.resp.status, 405, "GET on a POST method");
    is_str(apr_table_get(r.resp.headers, "Allow"), "POST", "Allow header");
    json_decref(r.json);
    r = call(1, "signatures/frobnicate", "POST", "{}", NULL);
    is_int(r.resp.status, 501, "unknown method");
    is_str(jstr(r.json, "error"), "invalid_request", "501 body is JSON");
    json_decref(r.json);
    r = call(1, "credentials/getChallenge", "POST", "{}", NULL);
    is_int(r.resp.status, 501, "a v2-only method under v1");
    json_decref(r.json);
}

/* The one-pass parser takes the common bodies and builds what jansson
 * builds; everything else it leaves to jansson (NULL). */
static void test_json_fast(void)
{
    static const char *const taken[] = {
        "{}", " \t\r\n{ } \n", "{\"a\":\"\"}", "{\"\":1}",
        "{\"credentialID\":\"ec\",\"SAD\":\"x.y-z_\",\"hash\":[\"3q2+7w==\"],"
        "\"signAlgo\":\"1.2.840.10045.4.3.2\",\"numSignatures\":2}",
        "{\"n\":0,\"m\":-0,\"k\":-17,\"big\":999999999999999999,"
        "\"neg\":-999999999999999999}",
        "{\"t\":true,\"f\":false,\"z\":null,\"a\":[],\"o\":{}}",
        "{\"a\":[1,[2,[3]],{\"b\":[true,null]}] , \"c\" : { \"d\" : \"e\" } }",
        "{\"s\":\" !#$%&'()*+,-./:;<=>?@[]^_`{|}~\"}",
    };
    static const char *const left[] = {
        "", "[]", "\"s\"", "1", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}",
        "{,}", "{\"a\":1 \"b\":2}", "{\"a\":[1,]}", "{\"a\":[1 2]}",
        "{\"a\":1}x", "{\"a\":1}{}", "{\"a\":tru}", "{\"a\":truex}",
        "{\"a\":nul}", "{\"a\":01}", "{\"a\":-}", "{\"a\":1.5}",
        "{\"a\":1e3}", "{\"a\":1E3}", "{\"a\":+1}",
        "{\"a\":1234567890123456789}", "{\"a\":\"\\n\"}", "{\"a\":\"\\u0041\"}",
        "{\"a\":\"\xc3\xa9\"}", "{\"a\":\"\x7f\"}", "{\"a\":\"\t\"}",
        "{\"\xc3\xa9\":1}", "{\"a\":1,\"a\":2}", "{\"o\":{\"a\":1,\"a\":1}}",
        "{a:1}", "{'a':1}", "{\"a\":NaN}", "{\"a\":\"unterminated}",
    };
    json_t *fast, *slow;
    char nul[] = "{\"a\":1}\0";
    size_t i;

    for (i = 0; i < sizeof(taken) / sizeof(taken[0]); i++) {
        fast = csc_json_fast_parse(taken[i], strlen(taken[i]), 16);
        slow = json_loads(taken[i], JSON_REJECT_DUPLICATES, NULL);
        ok(fast && slow && json_equal(fast, slow),
           "one pass builds jansson's tree (taken[%zu])", i);
        json_decref(fast);
        json_decref(slow);
    }
    for (i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
        ok(!csc_json_fast_parse(left[i], strlen(left[i]), 16),
           "left to jansson (left[%zu])", i);
    }
    ok(!csc_json_fast_parse(nul, sizeof(nul) - 1, 16), "a NUL after the object");
    fast = csc_json_fast_parse("{\"a\":1}junk", 7, 16);
    ok(fast && json_integer_value(json_object_get(fast, "a")) == 1,
       "only len bytes are read");
    json_decref(fast);
    fast = csc_json_fast_parse("{\"k\":-999999999999999999}", 25, 16);
    is_int(fast ? (int)(json_integer_value(json_object_get(fast, "k"))
                        % 1000000) : 0, -999999, "18 digits, negative");
    json_decref(fast);
    fast = csc_json_fast_parse("{\"a\":{\"b\":[1]}}", 15, 3);
    ok(fast != NULL, "three deep within a limit of 3");
    json_decref(fast);
    ok(!csc_json_fast_parse("{\"a\":{\"b\":[1]}}", 15, 2),
       "three deep is left to the depth check under a limit of 2");
}

/* The writer makes json_dumps's compact text, or leaves it to jansson. */
static void test_json_fast_dump(void)
{
    static const char *const same[] = {
        "{}", "[]", "{\"signatures\":[\"MEUCIQ+/=\"]}",
        "{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":-42,\"\":[]}}",
        "[{\"k\":\" !#$%&'()*+,-./:;<=>?@[]^_`{|}~\"},[[]],0]",
        "{\"max\":9223372036854775807,\"min\":-9223372036854775807}",
    };
    static const char *const left[] = {
        "{\"a\":1.5}", "{\"a\":\"\\n\"}", "{\"a\":\"q\\\"\"}",
        "{\"a\":\"back\\\\slash\"}", "{\"a\":\"\\u00e9\"}",
        "{\"a\":\"\\u007f\"}", "{\"\\u0001\":1}", "[1e300]",
    };
    apr_size_t len;
    const char *fast;
    json_t *j;
    char *slow;
    size_t i;

    for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        j = json_loads(same[i], 0, NULL);
        fast = j ? csc_json_fast_dump(j, pool, &len) : NULL;
        slow = j ? json_dumps(j, JSON_COMPACT) : NULL;
        ok(fast && slow && !strcmp(fast, slow) && len == strlen(slow),
           "the writer makes json_dumps's text (same[%zu])", i);
        free(slow);
        json_decref(j);
    }
    for (i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
        j = json_loads(left[i], 0, NULL);
        ok(j && !csc_json_fast_dump(j, pool, &len),
           "left to json_dumps (left[%zu])", i);
        json_decref(j);
    }
    j = json_string("top");
    ok(!csc_json_fast_dump(j, pool, &len), "a bare string is jansson's");
    json_decref(j);
}

/* info bodies are cached per process: a different configuration must
 * never get another's document */
static void test_info_cache(void)
{
    result_t r;

    r = call(2, "info", "GET", "", NULL);
    is_str(jstr(r.json, "name"), "mod_csc", "default name");
    json_decref(r.json);
    cfg->name = "Second service";
    r = call(2, "info", "GET", "", NULL);
    is_str(jstr(r.json, "name"), "Second service", "a changed name is served");
    json_decref(r.json);
    r = call(1, "info", "GET", "", NULL);
    is_str(jstr(r.json, "specs"), "1.0.4.0", "v1 is cached apart from v2");
    json_decref(r.json);
    cfg->otp_delivery = "file:/tmp/x";
    r = call(1, "info", "GET", "", NULL);
    ok(r.json && strstr(r.resp.body, "credentials/sendOTP") != NULL,
       "method availability is part of the cache key");
    json_decref(r.json);
    cfg->otp_delivery = NULL;
    r = call(1, "info", "GET", "", NULL);
    ok(r.json && strstr(r.resp.body, "credentials/sendOTP") == NULL,
       "and back");
    json_decref(r.json);
    cfg->name = NULL;
}

static void test_cfg_merge(void)
{
    csc_cfg_t *base = csc_cfg_create(pool), *add = csc_cfg_create(pool);
    csc_cfg_t *m;
    int field = 0;

    ok(csc_cfg_set_duration("CSCTokenLifetime", "10m", 1, 86400,
                            &base->token_lifetime, pool) == NULL,
       "10m parses");
    is_int(base->token_lifetime, 600, "10m is 600 s");
    ok(csc_cfg_set_duration("CSCTokenLifetime", "3600", 1, 86400,
                            &add->token_lifetime, pool) == NULL,
       "3600 parses");
    m = csc_cfg_merge(pool, base, add);
    is_int(csc_cfg_token_lifetime(m), 3600,
           "an inner value equal to the default still overrides");
    m = csc_cfg_merge(pool, base, csc_cfg_create(pool));
    is_int(csc_cfg_token_lifetime(m), 600, "unset inherits");
    is_int(csc_cfg_token_lifetime(csc_cfg_create(pool)), 3600, "default");
    csc_cfg_set(base, "auth_type", "CSCAuthType", "basic", pool);
    csc_cfg_set(add, "auth_type", "CSCAuthType", "external", pool);
    m = csc_cfg_merge(pool, base, add);
    ok(!csc_cfg_auth_type_enabled(m, "basic")
       && csc_cfg_auth_type_enabled(m, "external"),
       "an inner list replaces the outer one");
    ok(csc_cfg_set(add, "auth_type", "CSCAuthType", "kerberos", pool) != NULL,
       "unknown auth type refused");
    ok(csc_cfg_set_int("CSCPageSize", "0", 1, 100, &field, pool) != NULL,
       "out of range refused");
    ok(csc_cfg_set_duration("CSCTokenLifetime", "5 min", 1, 86400, &field,
                            pool) != NULL, "bad duration refused");
}

/* Where a binding with an event loop may run each request: only what
 * the configuration answers waits for nothing, only signatures and
 * store or state reads wait briefly, and every password, PIN, OTP and
 * OAuth 2.0 request counts as long. */
static void test_request_wait(void)
{
    static const struct {
        const char *path;
        csc_wait_e wait;
    } cases[] = {
        {"/csc/v3/info", CSC_WAIT_NONE},
        {"/csc/v1/info", CSC_WAIT_NONE},
        {"/csc/v2/info", CSC_WAIT_NONE},
        {"/csc/v1/no/such/method", CSC_WAIT_NONE},
        {"/csc/.well-known/oauth-authorization-server", CSC_WAIT_NONE},
        {"/csc/oauth2/nothing", CSC_WAIT_NONE},
        {"/csc/v1/signatures/signHash", CSC_WAIT_BRIEF},
        {"/csc/v2/signatures/signHash", CSC_WAIT_BRIEF},
        {"/csc/v1/credentials/list", CSC_WAIT_BRIEF},
        {"/csc/v2/credentials/info", CSC_WAIT_BRIEF},
        {"/csc/v1/credentials/extendTransaction", CSC_WAIT_BRIEF},
        {"/csc/v2/auth/revoke", CSC_WAIT_BRIEF},
        {"/csc/v1/auth/login", CSC_WAIT_LONG},
        {"/csc/v2/auth/login", CSC_WAIT_LONG},
        {"/csc/v1/credentials/authorize", CSC_WAIT_LONG},
        {"/csc/v2/credentials/authorize", CSC_WAIT_LONG},
        {"/csc/v1/credentials/sendOTP", CSC_WAIT_LONG},
        {"/csc/v2/credentials/getChallenge", CSC_WAIT_LONG},
        {"/csc/oauth2/authorize", CSC_WAIT_LONG},
        {"/csc/oauth2/pushed_authorize", CSC_WAIT_LONG},
        {"/csc/oauth2/token", CSC_WAIT_LONG},
        {"/csc/oauth2/login", CSC_WAIT_LONG},
        {"/csc/oauth2/consent", CSC_WAIT_LONG},
        {"/csc/oauth2/revoke", CSC_WAIT_LONG},
        {"/csc/revoke", CSC_WAIT_LONG},
    };
    csc_cfg_t *c = csc_cfg_create(pool);
    csc_request_t req;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&req, 0, sizeof(req));
        req.pool = pool;
        csc_request_route(c, cases[i].path, &req);
        is_int(csc_request_wait(&req), cases[i].wait, "%s", cases[i].path);
    }
    csc_request_route(c, "/csc/v1/signatures/signHash", &req);
    req.body_too_large = 1;
    is_int(csc_request_wait(&req), CSC_WAIT_NONE,
           "signHash with a body over the limit waits for nothing");
    req.body_too_large = 0;
    req.body_unreadable = 1;
    is_int(csc_request_wait(&req), CSC_WAIT_NONE,
           "signHash with an unreadable body waits for nothing");
    csc_request_route(c, "/csc/oauth2/token", &req);
    req.body_unreadable = 0;
    req.body_too_large = 1;
    is_int(csc_request_wait(&req), CSC_WAIT_LONG,
           "a token request over the limit still counts as long");
}

/* What csc_serve answers before the methods run: the same for every
 * binding, so none has to word these errors itself. */
static void test_serve_edges(void)
{
    csc_cfg_t *c = csc_cfg_create(pool);
    csc_request_t req;
    csc_response_t resp;

    memset(&req, 0, sizeof(req));
    req.pool = pool;
    req.http_method = "POST";
    req.body = "";
    is_int(csc_request_route(c, "/csc/v3/info", &req), -1,
           "/csc/v3/ is not an API path");
    csc_serve(NULL, c, &req, &resp);
    is_int(resp.status, 404, "an unrouted path: 404");
    ok(resp.body && strstr(resp.body, "\"error\""), "with a JSON body");
    is_int(csc_request_route(c, "/csc/v2/credentials/list", &req), 0,
           "a v2 path routes");
    ok(req.version == 2 && !strcmp(req.method, "credentials/list"),
       "to version 2, credentials/list");
    req.body_unreadable = 1;
    csc_serve(NULL, c, &req, &resp);
    is_int(resp.status, 400, "an unreadable body: 400");
    req.body_unreadable = 0;
    csc_serve(NULL, c, &req, &resp);
    is_int(resp.status, 503, "no started service (no state): 503");
    ok(resp.headers != NULL, "the headers table is made by csc_serve");
}

/* The one table every binding sets through: the range and the words are
 * the core's, the directive's name is the binding's. */
static void test_cfg_set(void)
{
    csc_cfg_t *c = csc_cfg_create(pool);
    const char *err;

    ok(csc_cfg_set(c, "token_lifetime", "csc_token_lifetime", "2h", pool)
       == NULL && csc_cfg_token_lifetime(c) == 7200, "a duration: 2h");
    err = csc_cfg_set(c, "max_grants", "csc_max_grants_per_user", "65", pool);
    is_str(err, "csc_max_grants_per_user: '65' is not a whole number from "
           "1 to 64", "the range is the core's, the name the binding's");
    ok(csc_cfg_set(c, "max_grants", "X", "64", pool) == NULL
       && csc_cfg_max_grants(c) == 64, "the top of the range is allowed");
    err = csc_cfg_set(c, "region", "csc_service_region", "be", pool);
    is_str(err, "csc_service_region: 'be' is not an ISO 3166-1 alpha-2 "
           "country code such as BE", "a parser's message names the "
           "binding's directive");
    ok(csc_cfg_set(c, "name", "N", "Signing", pool) == NULL
       && !strcmp(csc_cfg_name(c), "Signing"), "a text setting");
    err = csc_cfg_set(c, "name", "N", apr_psprintf(pool, "%0256d", 0), pool);
    is_str(err, "N: at most 255 characters", "a text over 255 refused");
    is_str(csc_cfg_name(c), "Signing", "and the old value kept");
    err = csc_cfg_set(c, "no_such", "D", "1", pool);
    is_str(err, "D: no such setting 'no_such' in this build",
           "an unknown setting is an error, not ignored");
    ok(csc_cfg_set(c, "base_path", "B", "/sign/", pool) == NULL,
       "a base path");
    is_str(csc_cfg_base_path(c), "/sign", "its trailing slash dropped");
}

static const char *login(const char *user, const char *pw)
{
    const char *basic = apr_pstrcat(pool, user, ":", pw, NULL);
    result_t r = call(1, "auth/login", "POST", "{}",
                      apr_pstrcat(pool, "Basic ",
                                  csc_b64_encode((const unsigned char *)basic,
                                                 strlen(basic), pool), NULL));
    const char *tok = r.json ? apr_pstrdup(pool, jstr(r.json,
                                                      "access_token"))
                             : NULL;

    json_decref(r.json);
    return tok;
}

static void test_tokens(void)
{
    result_t r;
    const char *tok, *other;

    tok = login("alice", "pw-a");
    ok(tok && strlen(tok) == 60 && tok[16] == '.',
       "a grant id and 256 random bits");
    r = call(1, "credentials/list", "POST", "{}", bearer(tok));
    is_int(r.resp.status, 200, "the token is accepted");
    json_decref(r.json);
    r = call(1, "credentials/list", "POST", "{}", bearer("forged"));
    is_str(jstr(r.json, "error"), "invalid_token", "forged token");
    is_int(r.resp.status, 401, "401");
    json_decref(r.json);
    r = call(1, "credentials/list", "POST", "{}", "Basic eDp5");
    is_int(r.resp.status, 400, "non-Bearer header is 400");
    json_decref(r.json);
    r = call(1, "credentials/list", "POST", "{}", NULL);
    is_int(r.resp.status, 401, "missing token is 401");
    json_decref(r.json);
    ok(login("alice", "wrong") == NULL, "wrong password gives no token");

    /* a token from another store (tenant) is unknown here */
    other = tok;
    cfg->store_spec = "sqlite3:/elsewhere.db";
    r = call(1, "credentials/list", "POST", "{}", bearer(other));
    is_int(r.resp.status, 401, "token bound to its store");
    json_decref(r.json);
    cfg->store_spec = NULL;

    /* expiry */
    cfg->token_lifetime = 1;
    tok = login("bob", "pw-b");
    cfg->token_lifetime = CSC_UNSET;
    usleep(1200 * 1000);
    r = call(2, "credentials/list", "POST", "{}", bearer(tok));
    is_str(jstr(r.json, "error"), "expired_token", "expired token");
    json_decref(r.json);

    /* revocation */
    tok = login("alice", "pw-a");
    r = call(1, "auth/revoke", "POST",
             apr_pstrcat(pool, "{\"token\":\"", tok, "\"}", NULL),
             bearer(tok));
    is_int(r.resp.status, 204, "revoked");
    json_decref(r.json);
    r = call(1, "credentials/list", "POST", "{}", bearer(tok));
    is_str(jstr(r.json, "error"), "invalid_token", "revoked token refused");
    json_decref(r.json);
}

static const char *pubkey_pem(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    BIO *b = BIO_new(BIO_s_mem());
    char *data;
    long n;
    const char *pem;

    PEM_write_bio_PUBKEY(b, k);
    n = BIO_get_mem_data(b, &data);
    pem = apr_pstrmemdup(pool, data, (apr_size_t)n);
    BIO_free(b);
    EVP_PKEY_free(k);
    return pem;
}

static void add_cred(const char *id, const char *owner, const char *pem)
{
    csc_credential_t c;
    apr_status_t rv;

    memset(&c, 0, sizeof(c));
    c.id = id;
    c.owner = owner;
    c.key_ref = "file:/nonexistent.pem";
    c.pubkey_pem = pem;
    c.enabled = 0;
    c.multisign = 1;
    c.scal = 1;
    c.otp_digits = 6;
    c.otp_period = 30;
    c.otp_hash = "sha1";
    c.pin_format = 'N';
    rv = csc_store_insert(env.store, &c, pool);
    if (rv != APR_SUCCESS) {
        printf("# insert %s failed: %d\n", id, rv);
    }
}

static void test_paging(const char *dir)
{
    const char *spec = apr_pstrcat(pool, "sqlite3:", dir, "/store.db", NULL);
    const char *err = NULL, *tok, *next, *pem = pubkey_pem();
    result_t r;

    ok(csc_store_create(spec, pool, &err) == APR_SUCCESS, "store created");
    ok(csc_store_open(&env.store, spec, pool, &err) == APR_SUCCESS,
       "store opened");
    cfg->store_spec = spec;
    add_cred("a", "alice", pem);
    add_cred("b", "alice", pem);
    add_cred("c", "alice", pem);
    add_cred("d", "alice", pem);
    add_cred("e", "alice", pem);
    add_cred("x", "bob", pem);
    tok = login("alice", "pw-a");
    r = call(1, "credentials/list", "POST", "{\"maxResults\":2}",
             bearer(tok));
    is_str(dump(json_object_get(r.json, "credentialIDs")), "[\"a\",\"b\"]", "page 1");
    next = apr_pstrdup(pool, jstr(r.json, "nextPageToken"));
    ok(next != NULL, "a next page token");
    json_decref(r.json);
    r = call(1, "credentials/list", "POST",
             apr_psprintf(pool, "{\"maxResults\":2,\"pageToken\":\"%s\"}",
                          next), bearer(tok));
    is_str(dump(json_object_get(r.json, "credentialIDs")), "[\"c\",\"d\"]", "page 2");
    next = apr_pstrdup(pool, jstr(r.json, "nextPageToken"));
    json_decref(r.json);
    r = call(1, "credentials/list", "POST",
             apr_psprintf(pool, "{\"maxResults\":2,\"pageToken\":\"%s\"}",
                          next), bearer(tok));
    is_str(dump(json_object_get(r.json, "credentialIDs")), "[\"e\"]", "last page");
    ok(json_object_get(r.json, "nextPageToken") == NULL,
       "no token after the last page");
    json_decref(r.json);
    r = call(1, "credentials/list", "POST", "{\"pageToken\":\"%%%\"}",
             bearer(tok));
    is_str(jstr(r.json, "error_description"), "Invalid parameter pageToken",
           "bad page token");
    json_decref(r.json);
    r = call(1, "credentials/list", "POST", "{\"maxResults\":0}",
             bearer(tok));
    is_str(jstr(r.json, "error_description"), "Invalid parameter maxResults",
           "maxResults 0");
    json_decref(r.json);
    r = call(1, "credentials/list", "POST", "{\"userID\":\"bob\"}",
             bearer(tok));
    is_str(jstr(r.json, "error_description"), "userID parameter MUST be null",
           "userID with a user-specific login");
    json_decref(r.json);
    r = call(1, "credentials/list", "POST", "{}", bearer(login("bob",
                                                               "pw-b")));
    is_str(dump(json_object_get(r.json, "credentialIDs")), "[\"x\"]", "bob sees only his own");
    json_decref(r.json);
    r = call(1, "credentials/info", "POST", "{\"credentialID\":\"x\"}",
             bearer(tok));
    is_str(jstr(r.json, "error_description"), "Invalid parameter credentialID",
           "alice cannot inspect bob's credential");
    json_decref(r.json);
}

/* Exit status of a forked child: 0 when csc_proc_id() names the child
 * even though the parent had it cached before fork(); and the same one
 * level further down. */
static int proc_child(pid_t parent, int depth)
{
    pid_t me = csc_proc_id();

    if (me != getpid() || me == parent) {
        return 1;
    }
    if (depth > 0) {
        int st = 0;
        pid_t c = fork();

        if (c == 0) {
            _exit(proc_child(me, depth - 1));
        }
        if (c < 0 || waitpid(c, &st, 0) != c || !WIFEXITED(st)
            || WEXITSTATUS(st) != 0) {
            return 2;
        }
        if (csc_proc_id() != me) {
            return 3;
        }
    }
    return 0;
}

static void test_proc_id(void)
{
    pid_t parent = csc_proc_id();
    pid_t c;
    int st = 0;

    is_int(parent, getpid(), "csc_proc_id is getpid()");
    is_int(csc_proc_id(), parent, "and stays so without a fork");
    c = fork();
    if (c == 0) {
        _exit(proc_child(parent, 1));
    }
    ok(c > 0 && waitpid(c, &st, 0) == c && WIFEXITED(st),
       "forked child ran");
    is_int(WEXITSTATUS(st), 0,
           "a child and a grandchild each see their own id, not the one "
           "cached before fork()");
    is_int(csc_proc_id(), getpid(), "the parent's own id is unchanged");
}

/* extendTransaction when the state has no room for the successor: the
 * refusal must leave the presented SAD with its whole budget. */
static void test_extend_full(const char *dir)
{
    csc_env_t small = env;
    csc_sad_grant_t g = {"alice", NULL, "cred-x", 2, NULL, NULL, 60};
    const char *err = NULL, *sad = NULL, *next = NULL;
    apr_array_header_t *one = apr_array_make(pool, 1, sizeof(csc_digest_t));
    csc_digest_t *d = apr_array_push(one);
    char key[16];
    int i;

    d->data = (const unsigned char *)"0123456789abcdef0123456789abcdef";
    d->len = 32;
    ok(csc_kv_shm_open(&small.kv, apr_pstrcat(pool, dir, "/small", NULL), 4,
                       CSC_KV_SHM_FRESH, pool, &err) == APR_SUCCESS,
       "a state with 4 slots");
    is_int(csc_sad_issue(&small, &g, &sad, pool), APR_SUCCESS, "SAD issued");
    for (i = 0; i < 8; i++) {
        snprintf(key, sizeof(key), "filler-%d", i);
        csc_kv_put(small.kv, key, strlen(key), "x", 1, 0);
    }
    is_int(csc_kv_put(small.kv, "one-more", 8, "x", 1, 0), APR_ENOSPC,
           "the state is full");
    is_int(csc_sad_extend(&small, sad, "alice", NULL, "cred-x", NULL, NULL, 60,
                          &next, pool), CSC_SAD_STATE_ERROR,
           "extension without room for the successor is refused");
    ok(next == NULL, "and hands out no SAD");
    is_int(csc_sad_consume(&small, sad, "alice", NULL, "cred-x", NULL, one),
           CSC_SAD_OK, "the old SAD still signs");
    is_int(csc_sad_consume(&small, sad, "alice", NULL, "cred-x", NULL, one),
           CSC_SAD_OK, "with its whole budget of two");
    is_int(csc_sad_consume(&small, sad, "alice", NULL, "cred-x", NULL, one),
           CSC_SAD_INVALID, "and no more");
    csc_kv_close(small.kv);
}

/* The state holds a SAD record cut to the hashes it is bound to, and a
 * record of any other length is a SAD that does not exist. */
static void test_sad_compact(void)
{
    csc_sad_grant_t g = {"alice", NULL, "cred-c", 2, NULL, NULL, 60};
    const char *free_sad = NULL, *bound = NULL;
    apr_array_header_t *two = apr_array_make(pool, 2, sizeof(csc_digest_t));
    apr_array_header_t *one = apr_array_make(pool, 1, sizeof(csc_digest_t));
    unsigned char k0[CSC_SECRET_KEY_LEN], k2[CSC_SECRET_KEY_LEN];
    unsigned char buf[CSC_KV_RECORD_MAX];
    apr_size_t len0 = 0, len2 = 0, len = 0;
    csc_digest_t *d;

    d = apr_array_push(two);
    d->data = (const unsigned char *)"0123456789abcdef0123456789abcdef";
    d->len = 32;
    d = apr_array_push(two);
    d->data = (const unsigned char *)"fedcba9876543210fedcba9876543210";
    d->len = 32;
    *(csc_digest_t *)apr_array_push(one) = APR_ARRAY_IDX(two, 1, csc_digest_t);

    is_int(csc_sad_issue(&env, &g, &free_sad, pool), APR_SUCCESS,
           "compact: an unbound SAD");
    g.hashes = two;
    g.hash_oid = "2.16.840.1.101.3.4.2.1";
    is_int(csc_sad_issue(&env, &g, &bound, pool), APR_SUCCESS,
           "compact: a SAD bound to two hashes");
    csc_secret_state_key(&env, 's', free_sad, k0);
    csc_secret_state_key(&env, 's', bound, k2);
    csc_kv_get(env.kv, k0, sizeof(k0), buf, sizeof(buf), &len0, NULL);
    csc_kv_get(env.kv, k2, sizeof(k2), buf, sizeof(buf), &len2, NULL);
    ok(len0 > 0 && len0 < 1024,
       "an unbound SAD's record is small (%lu bytes, not 3.9 KB)",
       (unsigned long)len0);
    is_int((int)(len2 - len0), 2 * 33,
           "each bound hash adds its fingerprint and its used flag");
    is_int(csc_sad_consume(&env, bound, "alice", NULL, "cred-c",
                           "2.16.840.1.101.3.4.2.1", one),
           CSC_SAD_OK, "compact: the second bound hash signs");
    csc_kv_get(env.kv, k2, sizeof(k2), buf, sizeof(buf), &len, NULL);
    is_int((int)len, (int)len2, "and the record keeps its length");
    is_int(csc_sad_consume(&env, bound, "alice", NULL, "cred-c",
                           "2.16.840.1.101.3.4.2.1", one),
           CSC_SAD_HASH_NOT_BOUND, "compact: not twice");
    one->nelts = 0;
    *(csc_digest_t *)apr_array_push(one) = APR_ARRAY_IDX(two, 0, csc_digest_t);
    /* one byte short, then one byte long: neither is a SAD */
    csc_kv_put(env.kv, k2, sizeof(k2), buf, len2 - 1, 0);
    is_int(csc_sad_consume(&env, bound, "alice", NULL, "cred-c",
                           "2.16.840.1.101.3.4.2.1", one),
           CSC_SAD_INVALID, "a record one byte short is no SAD");
    buf[len2] = 0;
    csc_kv_put(env.kv, k2, sizeof(k2), buf, len2 + 1, 0);
    is_int(csc_sad_consume(&env, bound, "alice", NULL, "cred-c",
                           "2.16.840.1.101.3.4.2.1", one),
           CSC_SAD_INVALID, "nor one a byte long");
    csc_kv_put(env.kv, k2, sizeof(k2), buf, len2, 0);
    is_int(csc_sad_consume(&env, bound, "alice", NULL, "cred-c",
                           "2.16.840.1.101.3.4.2.1", one),
           CSC_SAD_OK, "the record as it was: the first hash signs");
}

/* A login's grant record is kept cut to the entries it holds, and a
 * record of any other length is no grant. */
static void test_grant_compact(void)
{
    const char *acc = NULL, *ref = NULL, *acc2 = NULL, *ref2 = NULL;
    const char *user = NULL, *sad = NULL, *id;
    unsigned char key[CSC_SECRET_KEY_LEN];
    unsigned char buf[CSC_KV_RECORD_MAX];
    apr_size_t len1 = 0, len2 = 0, len3 = 0;
    csc_sad_grant_t sg = {"gina", NULL, "cred-g", 1, NULL, NULL, 60};
    csc_token_t t;
    int exp;

    is_int(csc_grant_login(&env, "gina", &acc, &ref, &exp, pool),
           CSC_GRANT_OK, "compact: a login with a refresh token");
    if (!acc || !ref) {
        return;
    }
    id = apr_pstrndup(pool, acc, strcspn(acc, "."));
    csc_secret_state_key(&env, 'g', id, key);
    csc_kv_get(env.kv, key, sizeof(key), buf, sizeof(buf), &len1, NULL);
    ok(len1 > 0 && len1 < 1024,
       "a fresh grant's record is small (%lu bytes, not 1.9 KB)",
       (unsigned long)len1);
    sg.grant = id;
    is_int(csc_sad_issue(&env, &sg, &sad, pool), APR_SUCCESS,
           "compact: a SAD filed under the grant");
    csc_kv_get(env.kv, key, sizeof(key), buf, sizeof(buf), &len2, NULL);
    is_int((int)(len2 - len1), CSC_SECRET_KEY_LEN + 6 + 8,
           "the SAD adds one entry to the grant's record");
    is_int(csc_grant_refresh(&env, ref, &user, &acc2, &ref2, &exp, pool),
           CSC_GRANT_OK, "compact: a refresh");
    csc_kv_get(env.kv, key, sizeof(key), buf, sizeof(buf), &len3, NULL);
    ok(len3 > len2, "the refresh adds its access token and spent digest "
       "(%lu -> %lu bytes)", (unsigned long)len2, (unsigned long)len3);
    is_int(csc_grant_lookup(&env, acc2, &t, pool), APR_SUCCESS,
           "compact: the new access token is the login's");
    ok(t.user && !strcmp(t.user, "gina"), "and names its user");
    is_int(csc_grant_refresh(&env, ref, &user, &acc2, &ref2, &exp, pool),
           CSC_GRANT_REPLAYED, "the spent refresh token is still known");
    /* the replay ended the grant; put the record back as it was, then
     * one byte short and one byte long */
    csc_kv_put(env.kv, key, sizeof(key), buf, len3 - 1, 0);
    is_int(csc_grant_lookup(&env, acc, &t, pool), APR_NOTFOUND,
           "a grant record one byte short is no grant");
    buf[len3] = 0;
    csc_kv_put(env.kv, key, sizeof(key), buf, len3 + 1, 0);
    is_int(csc_grant_lookup(&env, acc, &t, pool), APR_NOTFOUND,
           "nor one a byte long");
    csc_kv_put(env.kv, key, sizeof(key), buf, len3, 0);
    is_int(csc_grant_lookup(&env, acc, &t, pool), APR_SUCCESS,
           "the record as it was: the first access token works");
    csc_grant_revoke(&env, id);
}

/* One user logging in without end holds CSCMaxGrantsPerUser logins: the
 * oldest go, and a state far smaller than the flood keeps room for others. */
/* A state backend whose update fails with a small errno-like status, as a
 * networked one may: a SAD verdict must never be read out of it. */
static csc_kv_ops_t failing_ops;

/* What the failing backend answers every update with. */
static apr_status_t failing_status = 3;

static apr_status_t failing_update(csc_kv_t *kv, const void *key,
                                   apr_size_t klen, csc_kv_update_fn *fn,
                                   void *baton)
{
    (void)kv;
    (void)key;
    (void)klen;
    (void)fn;
    (void)baton;
    return failing_status;
}

static void test_sad_verdicts(void)
{
    csc_sad_grant_t g = {"alice", NULL, "cred-v", 2, NULL, NULL, 60};
    csc_kv_t failing;
    csc_env_t broken = env;
    const char *sad = NULL, *user, *acc;
    apr_array_header_t *three = apr_array_make(pool, 3, sizeof(csc_digest_t));
    int i, exp;

    for (i = 0; i < 3; i++) {
        csc_digest_t *d = apr_array_push(three);
        d->data = (const unsigned char *)"0123456789abcdef0123456789abcdef";
        d->len = 32;
    }
    is_int(csc_sad_issue(&env, &g, &sad, pool), APR_SUCCESS,
           "verdicts: SAD for 2 signatures");
    is_int(csc_sad_consume(&env, sad, "alice", NULL, "cred-v", NULL, three),
           CSC_SAD_TOO_MANY, "verdicts: 3 hashes on a budget of 2");
    failing_ops = *env.kv->ops;
    failing_ops.update = failing_update;
    failing.ops = &failing_ops;
    failing.impl = env.kv->impl;
    failing.value_max = env.kv->value_max;
    broken.kv = &failing;
    failing_status = 3;   /* ESRCH; CSC_SAD_TOO_MANY's value under the old pun */
    is_int(csc_sad_consume(&broken, sad, "alice", NULL, "cred-v", NULL, three),
           CSC_SAD_STATE_ERROR,
           "verdicts: a backend's status 3 is a state error, not a verdict");
    three->nelts = 2;
    is_int(csc_sad_consume(&env, sad, "alice", NULL, "cred-v", NULL, three),
           CSC_SAD_OK, "verdicts: the whole budget of 2 is left after both");
    three->nelts = 1;
    is_int(csc_sad_consume(&env, sad, "alice", NULL, "cred-v", NULL, three),
           CSC_SAD_INVALID, "verdicts: and nothing more");
    /* the grant, tenant and throttle verdicts once were the statuses
     * APR_OS_START_USERERR + 41 and APR_EAGAIN: a backend answering
     * those is still a broken state, not a replay or a refusal */
    failing_status = APR_OS_START_USERERR + 41;
    is_int(csc_grant_refresh(&broken, "AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAA"
                             "AAAAAAAAAAAAAAAAAAAAAAA", &user, &acc, NULL,
                             &exp, pool), CSC_GRANT_STATE_ERROR,
           "verdicts: the old replay status from a backend is a state error");
    failing_status = APR_EAGAIN;
    is_int(csc_limit_take(&broken, CSC_LIMIT_LOGIN_FAIL, "alice", 10, &exp),
           CSC_LIMIT_ERROR, "verdicts: the old throttle status from a "
           "backend is a state error, not a refusal");
    is_int(csc_grant_login(&broken, "alice", &acc, NULL, &exp, pool),
           CSC_GRANT_STATE_ERROR, "verdicts: so is the old tenant-full one");
    failing_status = 3;
}

/* CSCPKCS11PIN's file: and env: sources, read by the core for every
 * binding. */
static void test_pin_source(const char *dir)
{
    const char *path = apr_pstrcat(pool, dir, "/token.pin", NULL);
    const char *empty = apr_pstrcat(pool, dir, "/empty.pin", NULL);
    const char *pin = "x", *err;
    FILE *f;

    err = csc_pin_source_check("CSCPKCS11PIN", "1234", pool);
    ok(err != NULL
       && !strcmp(err, "CSCPKCS11PIN: use file:/path/to/pin-file or "
                  "env:VARIABLE (the PIN itself never goes in the "
                  "configuration)"),
       "pin source: a bare PIN is refused (%s)", err ? err : "accepted");
    ok(csc_pin_source_check("csc_pkcs11_pin", "env:X", pool) == NULL
       && csc_pin_source_check("csc_pkcs11_pin", "file:/x", pool) == NULL,
       "pin source: env: and file: are accepted");
    if (!(f = fopen(path, "w")) || fputs("246810\n", f) < 0 || fclose(f)
        || !(f = fopen(empty, "w")) || fputs("\n", f) < 0 || fclose(f)) {
        ok(0, "pin source: cannot write the PIN files in %s", dir);
        return;
    }
    err = csc_pin_source_read("CSCPKCS11PIN", apr_pstrcat(pool, "file:", path,
                                                          NULL), &pin, pool);
    ok(!err && pin && !strcmp(pin, "246810"),
       "pin source: file: gives the PIN without its newline");
    err = csc_pin_source_read("CSCPKCS11PIN", apr_pstrcat(pool, "file:", empty,
                                                          NULL), &pin, pool);
    ok(err && strstr(err, "is empty") && !pin,
       "pin source: an empty file is an error (%s)", err ? err : "none");
    err = csc_pin_source_read("CSCPKCS11PIN", "file:/nonexistent/pin", &pin,
                              pool);
    ok(err && !strcmp(err, "CSCPKCS11PIN: cannot read /nonexistent/pin"),
       "pin source: a missing file names itself (%s)", err ? err : "none");
    setenv("CSC_TEST_PIN_SOURCE", "135790", 1);
    err = csc_pin_source_read("CSCPKCS11PIN", "env:CSC_TEST_PIN_SOURCE", &pin,
                              pool);
    ok(!err && pin && !strcmp(pin, "135790"), "pin source: env: reads it");
    err = csc_pin_source_read("CSCPKCS11PIN", "env:CSC_TEST_NO_SUCH_VAR", &pin,
                              pool);
    ok(err && strstr(err, "CSC_TEST_NO_SUCH_VAR is not set") && !pin,
       "pin source: an unset variable is an error");
    ok(csc_pin_source_read("CSCPKCS11PIN", NULL, &pin, pool) == NULL && !pin,
       "pin source: none configured, no PIN and no error");
}

static void test_grant_limits(const char *dir)
{
    csc_env_t small = env;
    csc_cfg_t *c = csc_cfg_create(pool);
    const char *err = NULL, *first = NULL, *acc, *ref, *user, *next;
    const char *refs[3];
    csc_token_t t;
    int i, failed = 0, n = -1, exp;

    c->max_grants = 4;
    small.cfg = c;
    ok(csc_kv_shm_open(&small.kv, apr_pstrcat(pool, dir, "/grants", NULL),
                       32, CSC_KV_SHM_FRESH, pool, &err) == APR_SUCCESS,
       "a state with 32 slots");
    for (i = 0; i < 1000; i++) {
        if (csc_grant_login(&small, "mallory", &acc, &ref, &exp, pool)
            != CSC_GRANT_OK) {
            failed++;
        }
        if (i == 0) {
            first = acc;
        }
    }
    is_int(failed, 0, "1000 logins of one user in 32 slots all succeed");
    is_int(csc_grant_lookup(&small, first, &t, pool), APR_NOTFOUND,
           "the oldest logins are gone");
    is_int(csc_grant_lookup(&small, acc, &t, pool), APR_SUCCESS,
           "the newest works");
    is_int(exp, 3600, "expires_in is the token lifetime");
    is_int(csc_grant_login(&small, "trent", &acc, NULL, &exp, pool),
           CSC_GRANT_OK, "another user still logs in");
    is_int(csc_grant_revoke_user(&small, "mallory", &n), APR_SUCCESS,
           "all of a user's logins revoked");
    is_int(n, 4, "the four that were left");
    is_int(csc_grant_lookup(&small, acc, &t, pool), APR_SUCCESS,
           "another user's login is untouched");

    /* rotation, and a replay of the spent token */
    ok(csc_grant_login(&small, "peggy", &acc, &refs[0], &exp, pool)
       == CSC_GRANT_OK, "a remembered login");
    is_int(csc_grant_refresh(&small, refs[0], &user, &acc, &refs[1], &exp,
                             pool), CSC_GRANT_OK, "rotation");
    is_str(user, "peggy", "of the right user");
    is_int(csc_grant_refresh(&small, refs[1], &user, &acc, &refs[2], &exp,
                             pool), CSC_GRANT_OK, "and again");
    is_int(csc_grant_refresh(&small, refs[0], &user, &next, NULL, &exp,
                             pool), CSC_GRANT_REPLAYED,
           "a token spent two rotations ago is a replay");
    is_int(csc_grant_refresh(&small, refs[2], &user, &next, NULL, &exp,
                             pool), CSC_GRANT_UNKNOWN,
           "which ended the current refresh token");
    is_int(csc_grant_lookup(&small, acc, &t, pool), APR_NOTFOUND,
           "and the access tokens");
    csc_kv_close(small.kv);
}

/* CSCMaxGrantsPerTenant: the tenant's logins of all users are counted,
 * a rotation moves its login rather than adding one, a revoked login
 * makes room. */
static void test_tenant_quota(const char *dir)
{
    csc_env_t t = env;
    csc_cfg_t *c = csc_cfg_create(pool);
    const char *err = NULL, *acc, *ref, *next, *user, *first = NULL;
    char name[16];
    csc_token_t info;
    int i, okays = 0, exp;

    c->store_spec = "tenant-quota-test";
    c->max_tenant_grants = 5;
    t.cfg = c;
    ok(csc_kv_shm_open(&t.kv, apr_pstrcat(pool, dir, "/tenant", NULL), 64,
                       CSC_KV_SHM_FRESH, pool, &err) == APR_SUCCESS,
       "a state for the tenant");
    for (i = 0; i < 5; i++) {
        snprintf(name, sizeof(name), "user%d", i);
        okays += csc_grant_login(&t, name, &acc, &ref, &exp, pool)
                 == CSC_GRANT_OK;
        if (i == 0) {
            first = ref;
        }
    }
    is_int(okays, 5, "five users log in");
    is_int(csc_tenant_count(&t), 5, "the tenant counts five logins");
    is_int(csc_grant_login(&t, "user5", &acc, NULL, &exp, pool),
           CSC_GRANT_TENANT_FULL, "a sixth is refused");
    is_int(csc_grant_refresh(&t, first, &user, &acc, &next, &exp, pool),
           CSC_GRANT_OK, "a rotation within a full tenant");
    is_int(csc_tenant_count(&t), 5, "moves its login, adds none");
    ok(csc_grant_lookup(&t, acc, &info, pool) == APR_SUCCESS
       && csc_grant_revoke(&t, info.grant) == APR_SUCCESS,
       "one login revoked");
    is_int(csc_tenant_count(&t), 4, "the count follows");
    is_int(csc_grant_login(&t, "user5", &acc, NULL, &exp, pool),
           CSC_GRANT_OK, "and the sixth user gets in");
    is_int(csc_grant_revoke_user(&t, "user1", NULL), APR_SUCCESS,
           "revoke-logins of a user");
    is_int(csc_tenant_count(&t), 4, "the count follows that too");
    c->max_tenant_grants = 0;
    for (i = 0; i < 10; i++) {
        csc_grant_login(&t, "many", &acc, NULL, &exp, pool);
    }
    is_int(csc_tenant_count(&t), 12, "without a quota logins are counted, "
           "and the per-user bound still holds (8 of 10)");
    is_int(csc_tenant_hour(apr_time_from_sec(7200), apr_time_from_sec(10)),
           2, "a grant ending at 2:00 counts in hour 2");
    is_int(csc_tenant_hour(apr_time_from_sec(86400 * 400), 0), 719,
           "one longer than the ring counts in its last hour");
    csc_kv_close(t.kv);
}

/* 3 a minute: a burst of 3, then one every 20 s; a give-back makes room
 * for one more; another rate keeps its own count. */
typedef struct {
    int n;
    int level;
    char last[256];
} capture_t;

static void capture(void *baton, const char *file, int line, int level,
                    const char *msg)
{
    capture_t *c = baton;

    (void)file;
    (void)line;
    c->n++;
    c->level = level;
    snprintf(c->last, sizeof(c->last), "%s", msg);
}

/* A message about a request goes to the request's log context, at the
 * request's level; everything else to the process log. */
static void test_log_context(void)
{
    capture_t proc, rq;
    csc_log_t rl = {capture, &rq, CSC_LOG_INFO};

    memset(&proc, 0, sizeof(proc));
    memset(&rq, 0, sizeof(rq));
    csc_log_set_sink(capture, &proc, CSC_LOG_DEBUG);
    call_log = &rl;
    ok(login("carol", "nope") == NULL, "log: a wrong password fails");
    ok(rq.n == 1 && rq.level == CSC_LOG_INFO
       && !strcmp(rq.last, "auth/login: authentication failed for user "
                  "'carol'"),
       "log: the request's context gets the message (%d: %s)", rq.n,
       rq.last);
    ok(proc.n == 0, "log: the process log does not (%d)", proc.n);
    rl.level = CSC_LOG_NOTICE;
    rq.n = 0;
    ok(login("carol", "nope") == NULL && rq.n == 0 && proc.n == 0,
       "log: the request's level drops an INFO message (%d, %d)", rq.n,
       proc.n);
    call_log = NULL;
    ok(login("carol", "nope") == NULL && proc.n == 1
       && strstr(proc.last, "'carol'") != NULL,
       "log: without a request context the process log gets it (%d)",
       proc.n);
    csc_log(CSC_LOG_MARK, CSC_LOG_NOTICE, "outside %d", 1);
    ok(proc.n == 2 && !strcmp(proc.last, "outside 1"),
       "log: outside a request the process log gets it (%s)", proc.last);
    csc_log_set_sink(capture, &proc, CSC_LOG_WARNING);
    csc_log(CSC_LOG_MARK, CSC_LOG_INFO, "dropped");
    ok(proc.n == 2, "log: a message above the level never reaches the sink");
    csc_log(CSC_LOG_MARK, CSC_LOG_WARNING, "kept");
    ok(proc.n == 3 && !strcmp(proc.last, "kept"),
       "log: one at the level does (%s)", proc.last);
    csc_log_set_sink(NULL, NULL, 0);
}

static void test_limits(void)
{
    int i, retry = 0, okays = 0;

    for (i = 0; i < 3; i++) {
        okays += csc_limit_take(&env, CSC_LIMIT_LOGIN_FAIL, "zed", 3, &retry)
                 == CSC_LIMIT_OK;
    }
    is_int(okays, 3, "a burst of the limit passes");
    is_int(csc_limit_take(&env, CSC_LIMIT_LOGIN_FAIL, "zed", 3, &retry),
           CSC_LIMIT_DENIED, "one more is denied");
    ok(retry >= 19 && retry <= 20, "retry after one share of the minute "
       "(%d s)", retry);
    is_int(csc_limit_take(&env, CSC_LIMIT_LOGIN_FAIL, "yan", 3, &retry),
           CSC_LIMIT_OK, "another subject has its own count");
    is_int(csc_limit_take(&env, CSC_LIMIT_OTP, "zed", 3, &retry),
           CSC_LIMIT_OK, "and so has another throttle");
    is_int(csc_limit_take(&env, CSC_LIMIT_LOGIN_FAIL, "zed", 10, &retry),
           CSC_LIMIT_OK, "and another rate");
    csc_limit_give(&env, CSC_LIMIT_LOGIN_FAIL, "zed", 3);
    is_int(csc_limit_take(&env, CSC_LIMIT_LOGIN_FAIL, "zed", 3, &retry),
           CSC_LIMIT_OK, "a give-back makes room for one");
    is_int(csc_limit_take(&env, CSC_LIMIT_LOGIN_FAIL, "zed", 3, &retry),
           CSC_LIMIT_DENIED, "and only one");
    is_int(csc_limit_take(&env, CSC_LIMIT_LOGIN_FAIL, "zed", 0, &retry),
           CSC_LIMIT_OK, "0 is no limit");
}

/* A state whose every update takes longer: PostgreSQL committing on a
 * busy disk. */
static csc_kv_t *slow_real;
static apr_interval_time_t slow_extra;

static apr_status_t kv_slow_update(csc_kv_t *kv, const void *key,
                                   apr_size_t klen, csc_kv_update_fn *fn,
                                   void *baton)
{
    apr_status_t rv = slow_real->ops->update(slow_real, key, klen, fn, baton);

    (void)kv;
    apr_sleep(slow_extra);
    return rv;
}

static apr_interval_time_t login_time(const char *user)
{
    apr_time_t t0 = apr_time_now();
    const char *tok = login(user, "wrong");

    ok(!tok, "%s: a wrong password, no token", user);
    return apr_time_now() - t0;
}

static int by_time(const void *a, const void *b)
{
    apr_interval_time_t x = *(const apr_interval_time_t *)a,
                        y = *(const apr_interval_time_t *)b;

    return x < y ? -1 : x > y;
}

/* An unknown user name is answered after the running average of password
 * checks, and must still cost what a wrong password does when the state's
 * write of that average is slow: the wait is what the check did not take,
 * not what the check and the write together did not. */
static void test_unknown_user_time(void)
{
    static csc_kv_ops_t ops;
    static csc_kv_t slow;
    apr_interval_time_t wrong[5], unknown[5];
    int i;

    slow_real = env.kv;
    ops = *env.kv->ops;
    ops.update = kv_slow_update;
    slow = *env.kv;
    slow.ops = &ops;
    env.kv = &slow;
    check_time = apr_time_from_msec(10);
    slow_extra = apr_time_from_msec(15);
    tell_no_user = 1;
    ok(!csc_cfg_set(cfg, "login_limit", "T", "0", pool), "no throttle");
    /* the average follows 1/8 of each new check: let it settle */
    for (i = 0; i < 24; i++) {
        login("alice", "warm-up");
    }
    for (i = 0; i < 5; i++) {
        wrong[i] = login_time("alice");
        unknown[i] = login_time("nobody-of-that-name");
    }
    qsort(wrong, 5, sizeof(wrong[0]), by_time);
    qsort(unknown, 5, sizeof(unknown[0]), by_time);
    ok(unknown[2] >= wrong[2] * 85 / 100, "with a slow state, an unknown "
       "user (%" APR_INT64_T_FMT " us) takes what a wrong password takes "
       "(%" APR_INT64_T_FMT " us)", (apr_int64_t)unknown[2],
       (apr_int64_t)wrong[2]);
    ok(unknown[2] <= wrong[2] * 3 / 2, "and not much longer");
    env.kv = slow_real;
    check_time = 0;
    tell_no_user = 0;
}

int main(void)
{
    char dir[] = "/tmp/csc-test-core-XXXXXX";
    const char *err = NULL;
    static kv_twice_t twice;
    csc_kv_t *real;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    if (!mkdtemp(dir)) {
        return 2;
    }
    cfg = csc_cfg_create(pool);
    env.cfg = cfg;
    if (csc_kv_shm_open(&real, apr_pstrcat(pool, dir, "/state", NULL), 256,
                        CSC_KV_SHM_FRESH, pool, &err) != APR_SUCCESS) {
        printf("# kv: %s\n", err);
        return 2;
    }
    /* every flow below runs its state callbacks twice, as a retry would */
    env.kv = kv_twice_wrap(&twice, real);
    test_b64();
    test_proc_id();
    test_error_table();
    test_json_limits();
    test_json_fast();
    test_json_fast_dump();
    test_info_cache();
    test_cfg_merge();
    test_cfg_set();
    test_serve_edges();
    test_request_wait();
    test_tokens();
    test_paging(dir);
    test_extend_full(dir);
    test_grant_limits(dir);
    test_limits();
    test_log_context();
    test_sad_verdicts();
    test_sad_compact();
    test_grant_compact();
    test_pin_source(dir);
    test_tenant_quota(dir);
    test_unknown_user_time();
    ok(twice.reruns >= 50 && twice.stale >= 20,
       "the flows above ran %lu state callbacks twice, %lu first on an "
       "older record", twice.reruns, twice.stale);
    csc_kv_close(env.kv);
    if (system(apr_pstrcat(pool, "rm -rf ", dir, NULL)) != 0) {
        printf("# could not remove %s\n", dir);
    }
    apr_terminate();
    return tap_done();
}
