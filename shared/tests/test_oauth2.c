/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the authorization server's parts without a server: the
 * form codec, client secrets, the client rules, and the single-use
 * records in a real shared-state file, across processes. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "oauth2/csc_client_secret.h"
#include "oauth2/csc_oauth2_internal.h"
#include "state/csc_kv.h"
#include "kv_twice.h"
#include "tap.h"

static apr_pool_t *pool;

static void test_form(void)
{
    const char *why;
    apr_table_t *t;
    const char *s = "a=1&b=x+y%2Bz&c=&d&e=%C3%A9";

    t = oauth2_form_parse(s, strlen(s), pool, &why);
    ok(t != NULL, "a form parses");
    is_str(oauth2_param(t, "a"), "1", "plain value");
    is_str(oauth2_param(t, "b"), "x y+z", "+ is a space, %%2B a plus");
    ok(oauth2_param(t, "c") == NULL && oauth2_param(t, "d") == NULL,
       "empty values count as absent");
    is_str(oauth2_param(t, "e"), "\xc3\xa9", "UTF-8 percent-decoded");
    s = "a=1&c=&a=2";
    ok(oauth2_form_parse(s, strlen(s), pool, &why) == NULL
       && !strcmp(why, "parameter a given twice"), "a repeated name: %s", why);
    s = "c=&c=";
    ok(oauth2_form_parse(s, strlen(s), pool, &why) == NULL,
       "a repeated empty name too");
    s = "a=%zz";
    ok(oauth2_form_parse(s, strlen(s), pool, &why) == NULL,
       "bad escape: %s", why);
    s = "a=%2";
    ok(oauth2_form_parse(s, strlen(s), pool, &why) == NULL,
       "a cut escape");
    s = "a=%00";
    ok(oauth2_form_parse(s, strlen(s), pool, &why) == NULL,
       "an encoded NUL");
    ok(oauth2_form_parse("a=\0b", 4, pool, &why) == NULL, "a raw NUL");
    t = oauth2_form_parse("", 0, pool, &why);
    ok(t && apr_is_empty_table(t), "an empty form");
    is_str(oauth2_url_encode("a b/c:d~e", pool), "a%20b%2Fc%3Ad~e",
           "encoding keeps only unreserved characters");
    is_str(oauth2_uri_add("https://x/cb?k=v", pool, "code", "A&B", "state",
                          NULL, "iss", "https://i", NULL),
           "https://x/cb?k=v&code=A%26B&iss=https%3A%2F%2Fi",
           "parameters added to a URI with a query; NULL skipped");
    is_str(oauth2_uri_add("app:/cb", pool, "error", "x", NULL),
           "app:/cb?error=x", "and to one without");
    is_str(oauth2_cookie("a=1; csc_oauth2=XYZ; b=2", "csc_oauth2", pool),
           "XYZ", "the cookie among others");
    ok(oauth2_cookie("xcsc_oauth2=1", "csc_oauth2", pool) == NULL,
       "not a cookie whose name ends the same");
    ok(oauth2_cookie(NULL, "csc_oauth2", pool) == NULL, "no Cookie header");
}

static void test_secret(void)
{
    const char *secret = "0123456789abcdef0123456789abcdef-x";
    const char *h = csc_client_secret_hash(secret, pool);
    const char *h2 = csc_client_secret_hash(secret, pool);

    ok(h && !strncmp(h, "sha256$", 7), "hash format: %s", h ? h : "NULL");
    ok(h && h2 && strcmp(h, h2) != 0, "salted: two hashes differ");
    ok(h && !strstr(h, secret), "the secret is not in its hash");
    is_int(csc_client_secret_verify(secret, h), 1, "the secret matches");
    is_int(csc_client_secret_verify("0123456789abcdef0123456789abcdef-y",
                                    h), 0, "another does not");
    is_int(csc_client_secret_verify(NULL, h), 0, "no secret does not");
    is_int(csc_client_secret_verify(secret, "sha256$AAAA$BBBB"), -1,
           "a malformed hash is told");
    is_int(csc_client_secret_verify(secret, "md5$x$y"), -1,
           "an unknown scheme is told");
    ok(csc_client_secret_hash("short", pool) == NULL,
       "a secret under 32 characters is refused");
}

static void test_client_rules(void)
{
    csc_client_t c;
    const char *err;

    memset(&c, 0, sizeof(c));
    c.id = "web";
    c.name = "Web";
    c.secret_hash = "sha256$x$y";
    c.grant_types = "authorization_code refresh_token";
    c.scopes = "service";
    c.redirect_uris = "https://a.example/cb http://localhost:8080/cb "
                      "http://[::1]/cb com.example.app:/cb";
    is_int(csc_client_validate(&c, &err, pool), APR_SUCCESS,
           "https, loopback http, private-use scheme");
#define REFUSED(field, value, what) do { \
        csc_client_t d = c; d.field = value; \
        ok(csc_client_validate(&d, &err, pool) == APR_EINVAL, \
           what ": %s", err ? err : "accepted"); } while (0)
    REFUSED(redirect_uris, "http://evil.example/cb", "http off loopback");
    REFUSED(redirect_uris, "http://localhost.evil.example/cb",
            "a host that only starts with localhost");
    REFUSED(redirect_uris, "https://a.example/cb#f", "a fragment");
    REFUSED(redirect_uris, "javascript:alert(1)", "a scheme without a dot");
    REFUSED(redirect_uris, "", "authorization_code without a redirect URI");
    REFUSED(id, "a b", "a space in the client_id");
    REFUSED(grant_types, "implicit", "the implicit grant");
    REFUSED(grant_types, "refresh_token", "refresh without code");
    REFUSED(scopes, "openid", "an unknown scope");
    REFUSED(grant_types, "client_credentials", "client_credentials without "
            "acts_as");
    c.acts_as = "frank";
    c.grant_types = "client_credentials";
    c.redirect_uris = "";
    is_int(csc_client_validate(&c, &err, pool), APR_SUCCESS,
           "client_credentials acting as a user, no redirect URI");
    REFUSED(secret_hash, NULL, "client_credentials for a public client");
#undef REFUSED
    ok(csc_client_list_has("a bb c", "bb") && !csc_client_list_has("a bb",
                                                                   "b"),
       "list membership is by word");
}

/* One forked child per attempt, all at once: how many redeemed. */
static int race_redeem(const csc_env_t *env, const char *code, int n)
{
    int i, wins = 0, status;
    pid_t pids[16];

    for (i = 0; i < n; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            oauth2_flow_t f;
            apr_status_t rv;

            _exit(oauth2_code_redeem(env, code, &f, &rv) == CODE_REDEEMED);
        }
    }
    for (i = 0; i < n; i++) {
        waitpid(pids[i], &status, 0);
        wins += WIFEXITED(status) && WEXITSTATUS(status) == 1;
    }
    return wins;
}

static void test_flows(const char *dir)
{
    csc_cfg_t *cfg = csc_cfg_create(pool);
    csc_env_t env;
    static kv_twice_t twice;
    csc_kv_t *real = NULL;
    oauth2_flow_t f, out;
    const char *secret, *code, *err = NULL;
    apr_status_t rv;

    memset(&env, 0, sizeof(env));
    env.cfg = cfg;
    ok(csc_kv_shm_open(&real, apr_pstrcat(pool, dir, "/state", NULL), 64,
                       CSC_KV_SHM_FRESH, pool, &err) == APR_SUCCESS,
       "a state file");
    if (!real) {
        return;
    }
    /* each flow's callback runs twice, as a retry would run it */
    env.kv = kv_twice_wrap(&twice, real);
    memset(&f, 0, sizeof(f));
    strcpy(f.client_id, "web");
    strcpy(f.user, "alice");
    is_int(oauth2_flow_put(&env, FLOW_PAR, &f, 90, &secret, pool),
           APR_SUCCESS, "a pushed request filed");
    ok(secret && strlen(secret) == 43, "under a 256-bit secret");
    is_int(oauth2_flow_get(&env, FLOW_SIGNIN, secret, &out), APR_NOTFOUND,
           "a record of one kind is not found as another");
    is_int(oauth2_flow_take(&env, FLOW_PAR, secret, &out), APR_SUCCESS,
           "taken");
    is_str(out.client_id, "web", "with its content");
    is_int(oauth2_flow_take(&env, FLOW_PAR, secret, &out), APR_NOTFOUND,
           "taken once only");
    is_int(oauth2_flow_set(&env, FLOW_PAR, secret, &f), APR_NOTFOUND,
           "a gone record cannot be set");

    is_int(oauth2_flow_put(&env, FLOW_CODE, &f, 60, &code, pool),
           APR_SUCCESS, "a code filed");
    is_int(race_redeem(&env, code, 8), 1,
           "of 8 processes redeeming one code at once, one wins");
    is_int(oauth2_code_redeem(&env, code, &out, &rv), CODE_REPLAYED,
           "a later redemption is a replay");
    is_int(oauth2_code_bind(&env, code, "grant-1"), 1,
           "binding after a replay says so (the grant must go)");
    is_int(oauth2_code_redeem(&env, code, &out, &rv), CODE_REPLAYED,
           "still a replay");
    is_str(out.grant, "grant-1", "carrying the grant to revoke");
    is_int(oauth2_code_redeem(&env, "unknown-code", &out, &rv),
           CODE_UNKNOWN, "an unknown code");
    is_int(rv, APR_SUCCESS, "is not a state error");

    is_int(oauth2_flow_put(&env, FLOW_CODE, &f, 1, &code, pool),
           APR_SUCCESS, "a code of one second");
    apr_sleep(apr_time_from_msec(1100));
    is_int(oauth2_code_redeem(&env, code, &out, &rv), CODE_UNKNOWN,
           "expired");
    ok(twice.reruns >= 10 && twice.stale >= 5, "those flows ran %lu "
       "callbacks twice, %lu first on an older record", twice.reruns,
       twice.stale);
    csc_kv_close(env.kv);
}

int main(void)
{
    char dir[] = "/tmp/csc-test-oauth2-XXXXXX";

    apr_initialize();
    apr_pool_create(&pool, NULL);
    if (!mkdtemp(dir)) {
        return 2;
    }
    test_form();
    test_secret();
    test_client_rules();
    test_flows(dir);
    if (system(apr_pstrcat(pool, "rm -rf ", dir, NULL)) != 0) {
        printf("# could not remove %s\n", dir);
    }
    apr_terminate();
    return tap_done();
}
