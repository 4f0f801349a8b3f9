/* SPDX-License-Identifier: Apache-2.0 */
/* Credential store: round trips, paging, counters, and the concurrency
 * guarantees httpd relies on (forked children and threads sharing one
 * SQLite file). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apr_dbd.h"
#include "apr_file_info.h"
#include "apr_file_io.h"
#include "apr_general.h"
#include "apr_strings.h"
#include "apr_thread_proc.h"
#include "apr_time.h"

#include "base/csc_log.h"
#include "store/csc_store.h"
#include "store/csc_store_cache.h"
#include "store/csc_store_internal.h"
#include "store/csc_store_driver.h"
#include "store/csc_store_schema.h"
#include "tap.h"

static apr_pool_t *pool;
static char tmpdir[] = "/tmp/csc_store_test_XXXXXX";
/* CSC_TEST_PGSQL: a libpq conninfo; the portable tests then run on
 * PostgreSQL (tools/test.sh's pgsql stage) */
static const char *pg;

/* ---- log capture ---- */
static int log_warnings;
static char log_last[1024];

static void sink(void *baton, const char *file, int line, int level,
                 const char *msg)
{
    (void)baton; (void)file; (void)line;
    if (level <= CSC_LOG_WARNING) {
        log_warnings++;
        apr_cpystrn(log_last, msg, sizeof(log_last));
    }
}

/* ---- helpers ---- */
static const char *db_path(const char *name)
{
    return apr_pstrcat(pool, tmpdir, "/", name, NULL);
}

static const char *db_spec(const char *name)
{
    return apr_pstrcat(pool, "sqlite3:", db_path(name), NULL);
}

static int contains(const char *hay, const char *needle)
{
    return hay && needle && strstr(hay, needle) != NULL;
}

/* Runs SQL on a private raw apr_dbd handle (what another tool would do). */
static int raw_exec(const char *name, const char *sql)
{
    const apr_dbd_driver_t *drv;
    apr_dbd_t *h;
    int nrows, rv;

    if (apr_dbd_get_driver(pool, "sqlite3", &drv) != APR_SUCCESS
        || apr_dbd_open(drv, pool, db_path(name), &h) != APR_SUCCESS) {
        return -1;
    }
    rv = apr_dbd_query(drv, h, &nrows, sql);
    apr_dbd_close(drv, h);
    return rv;
}

static const char *raw_value(const char *name, const char *sql)
{
    const apr_dbd_driver_t *drv;
    apr_dbd_t *h;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    const char *v = NULL;

    if (apr_dbd_get_driver(pool, "sqlite3", &drv) != APR_SUCCESS
        || apr_dbd_open(drv, pool, db_path(name), &h) != APR_SUCCESS) {
        return NULL;
    }
    if (apr_dbd_select(drv, pool, h, &res, sql, 1) == 0) {
        while (apr_dbd_get_row(drv, pool, res, &row, -1) == 0) {
            if (!v) {
                v = apr_pstrdup(pool, apr_dbd_get_entry(drv, row, 0));
            }
        }
    }
    apr_dbd_close(drv, h);
    return v;
}

static void remove_tree(const char *dir)
{
    apr_dir_t *d;
    apr_finfo_t fi;

    if (apr_dir_open(&d, dir, pool) == APR_SUCCESS) {
        while (apr_dir_read(&fi, APR_FINFO_NAME, d) == APR_SUCCESS) {
            if (strcmp(fi.name, ".") && strcmp(fi.name, "..")) {
                apr_file_remove(apr_pstrcat(pool, dir, "/", fi.name, NULL),
                                pool);
            }
        }
        apr_dir_close(d);
    }
    apr_dir_remove(dir, pool);
}

static csc_credential_t *make_cred_p(apr_pool_t *p, const char *id,
                                     const char *owner)
{
    csc_credential_t *c = apr_pcalloc(p, sizeof(*c));

    c->id = id;
    c->owner = owner;
    c->key_ref = apr_pstrcat(p, "engine:pkcs11:token=csc;object=", id, NULL);
    c->pubkey_pem = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n";
    c->enabled = 1;
    c->multisign = 1;
    c->scal = 1;
    c->pin_format = 'N';
    return c;
}

static csc_credential_t *make_cred(const char *id, const char *owner)
{
    return make_cred_p(pool, id, owner);
}

static int str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void is_field(const char *got, const char *want, const char *what)
{
    ok(str_eq(got, want), "%s round-trips (%s)", what,
       want ? (strlen(want) > 20 ? "long string" : want) : "NULL");
    if (!str_eq(got, want)) {
        printf("#   got %s%s%s\n", got ? "'" : "", got ? got : "NULL",
               got ? "'" : "");
    }
}

/* ---- tests ---- */

static void test_open_errors(void)
{
    csc_store_t *st = NULL;
    const char *err = NULL;
    apr_finfo_t fi;
    apr_file_t *f;
    apr_size_t n;
    apr_status_t rv;

    rv = csc_store_open(&st, "no-colon-here", pool, &err);
    is_int(rv, APR_EINVAL, "spec without driver: APR_EINVAL");
    ok(contains(err, "<driver>:<params>"), "message explains the spec");

    rv = csc_store_open(&st, "nosuchdriver:/x", pool, &err);
    ok(rv != APR_SUCCESS && st == NULL, "unknown driver refused");
    ok(contains(err, "nosuchdriver"), "message names the driver: %s", err);

    rv = csc_store_open(&st, db_spec("missing.db"), pool, &err);
    is_int(rv, APR_ENOENT, "missing file: APR_ENOENT");
    ok(contains(err, db_path("missing.db")), "message names the path: %s",
       err);
    ok(apr_stat(&fi, db_path("missing.db"), APR_FINFO_TYPE, pool)
       != APR_SUCCESS, "open did not create the missing file");

    /* A zero-length file is a valid, empty SQLite database. */
    apr_file_open(&f, db_path("empty.db"), APR_FOPEN_WRITE | APR_FOPEN_CREATE,
                  APR_FPROT_OS_DEFAULT, pool);
    apr_file_close(f);
    err = NULL;
    rv = csc_store_open(&st, db_spec("empty.db"), pool, &err);
    ok(rv != APR_SUCCESS && st == NULL, "file without schema refused");
    ok(contains(err, db_path("empty.db")) && contains(err, "no mod_csc schema"),
       "message names the path and the missing schema: %s", err);
    ok(apr_stat(&fi, db_path("empty.db"), APR_FINFO_SIZE, pool) == APR_SUCCESS
       && fi.size == 0, "file without schema left untouched");

    apr_file_open(&f, db_path("garbage.db"),
                  APR_FOPEN_WRITE | APR_FOPEN_CREATE, APR_FPROT_OS_DEFAULT,
                  pool);
    n = 4096;
    {
        char junk[4096];
        memset(junk, 'x', sizeof(junk));
        apr_file_write(f, junk, &n);
    }
    apr_file_close(f);
    err = NULL;
    rv = csc_store_open(&st, db_spec("garbage.db"), pool, &err);
    ok(rv != APR_SUCCESS && contains(err, db_path("garbage.db")),
       "non-database file refused with the path: %s", err);

    rv = csc_store_open(&st, apr_pstrcat(pool, "sqlite3:", tmpdir, NULL), pool,
                        &err);
    is_int(rv, APR_EINVAL, "a directory is refused");
}

static void test_create(void)
{
    csc_store_t *st = NULL;
    const char *err = NULL;
    apr_finfo_t fi;
    apr_status_t rv;

    rv = csc_store_create(db_spec("csc.db"), pool, &err);
    is_int(rv, APR_SUCCESS, "create: %s", err ? err : "ok");
    ok(apr_stat(&fi, db_path("csc.db"), APR_FINFO_PROT, pool) == APR_SUCCESS
       && (fi.protection & (APR_FPROT_GREAD | APR_FPROT_WREAD)) == 0,
       "store file is private (0600)");
    is_str(raw_value("csc.db", "PRAGMA journal_mode"), "wal",
           "store is in WAL mode");
    is_str(raw_value("csc.db", "SELECT version FROM csc_schema"),
           CSC_STORE_STR(CSC_STORE_SCHEMA_VERSION), "schema version row");

    rv = csc_store_create(db_spec("csc.db"), pool, &err);
    is_int(rv, APR_EEXIST, "create over an existing file: APR_EEXIST");
    ok(contains(err, db_path("csc.db")), "message names the path: %s", err);

    rv = csc_store_create(db_spec("nodir/x.db"), pool, &err);
    ok(rv != APR_SUCCESS && contains(err, "nodir/x.db"),
       "create in a missing directory fails with the path: %s", err);

    rv = csc_store_open(&st, db_spec("csc.db"), pool, &err);
    is_int(rv, APR_SUCCESS, "open after create: %s", err ? err : "ok");

    /* Schema versions other than ours are refused. */
    csc_store_create(db_spec("v99.db"), pool, NULL);
    raw_exec("v99.db", "UPDATE csc_schema SET version = 99");
    rv = csc_store_open(&st, db_spec("v99.db"), pool, &err);
    ok(rv != APR_SUCCESS && contains(err, "newer")
       && contains(err, db_path("v99.db")),
       "newer schema version refused: %s", err);
    raw_exec("v99.db", "UPDATE csc_schema SET version = 0");
    rv = csc_store_open(&st, db_spec("v99.db"), pool, &err);
    ok(rv != APR_SUCCESS && contains(err, "migration"),
       "older schema version refused: %s", err);
}

static csc_store_t *open_store(const char *name)
{
    csc_store_t *st = NULL;
    const char *err = NULL;

    if (csc_store_open(&st, db_spec(name), pool, &err) != APR_SUCCESS) {
        printf("# open %s: %s\n", name, err);
        exit(1);
    }
    return st;
}

static void test_round_trip(csc_store_t *st)
{
    csc_credential_t *c = make_cred("cred-full", "alice");
    csc_credential_t *n = make_cred("cred-nulls", "bob");
    csc_credential_t *g = NULL;
    apr_status_t rv;

    c->description = "Alice's signing key \xc3\xa9 'quoted' %s";
    c->cert_chain_pem = "-----BEGIN CERTIFICATE-----\nEE\n-----END CERTIFICATE-----\n"
                        "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";
    c->enabled = 0;
    c->multisign = 25;
    c->scal = 2;
    c->pin_hash = "$pbkdf2-sha256$i=600000$c2FsdA$aGFzaA";
    c->pin_format = 'A';
    c->otp_type = "totp";
    c->otp_secret = "JBSWY3DPEHPK3PXP";
    c->otp_digits = 8;
    c->otp_period = 60;
    c->otp_hash = "sha512";
    c->hotp_counter = APR_INT64_C(9007199254740993);   /* > 2^53 */
    c->totp_last_step = APR_INT64_C(58000000);
    c->fail_count = 2;
    c->blocked = 1;
    c->created = APR_INT64_C(1700000000);
    c->updated = APR_INT64_C(1700000500);

    rv = csc_store_insert(st, c, pool);
    is_int(rv, APR_SUCCESS, "insert full record");
    rv = csc_store_get(st, "cred-full", &g, pool);
    is_int(rv, APR_SUCCESS, "get full record");
    if (!g) {
        return;
    }
    is_field(g->id, c->id, "id");
    is_field(g->owner, c->owner, "owner");
    is_field(g->description, c->description, "description");
    is_field(g->key_ref, c->key_ref, "key_ref");
    is_field(g->pubkey_pem, c->pubkey_pem, "pubkey_pem");
    is_field(g->cert_chain_pem, c->cert_chain_pem, "cert_chain_pem");
    is_int(g->enabled, 0, "enabled");
    is_int(g->multisign, 25, "multisign");
    is_int(g->scal, 2, "scal");
    is_field(g->pin_hash, c->pin_hash, "pin_hash");
    is_int(g->pin_format, 'A', "pin_format");
    is_field(g->otp_type, "totp", "otp_type");
    is_field(g->otp_secret, c->otp_secret, "otp_secret");
    is_int(g->otp_digits, 8, "otp_digits");
    is_int(g->otp_period, 60, "otp_period");
    is_field(g->otp_hash, "sha512", "otp_hash");
    ok(g->hotp_counter == APR_INT64_C(9007199254740993),
       "hotp_counter keeps all 64 bits");
    ok(g->totp_last_step == APR_INT64_C(58000000), "totp_last_step");
    is_int(g->fail_count, 2, "fail_count");
    is_int(g->blocked, 1, "blocked");
    ok(g->created == APR_INT64_C(1700000000), "created");
    ok(g->updated == APR_INT64_C(1700000500), "updated");

    /* Optional fields: NULL stays NULL, "" stays "". */
    n->description = "";
    rv = csc_store_insert(st, n, pool);
    is_int(rv, APR_SUCCESS, "insert record with NULL optionals");
    g = NULL;
    rv = csc_store_get(st, "cred-nulls", &g, pool);
    is_int(rv, APR_SUCCESS, "get record with NULL optionals");
    if (g) {
        is_field(g->description, "", "empty description");
        is_field(g->cert_chain_pem, NULL, "NULL cert_chain_pem");
        is_field(g->pin_hash, NULL, "NULL pin_hash");
        is_field(g->otp_type, NULL, "NULL otp_type");
        is_field(g->otp_secret, NULL, "NULL otp_secret");
        is_field(g->otp_hash, NULL, "NULL otp_hash");
        is_int(g->pin_format, 'N', "default pin_format");
        ok(g->created > APR_INT64_C(1700000000) && g->updated == g->created,
           "created/updated default to now");
    }

    if (!pg) {
        is_str(raw_value("csc.db", "SELECT typeof(hotp_counter) || "
                         "typeof(enabled) || typeof(fail_count) || "
                         "typeof(created) FROM csc_credential WHERE id = "
                         "'cred-full'"), "integerintegerintegerinteger",
               "numbers are stored as SQL integers");
    }

    g = (csc_credential_t *)1;
    rv = csc_store_get(st, "no-such-id", &g, pool);
    ok(rv == APR_NOTFOUND && g == NULL, "get unknown id: APR_NOTFOUND");

    n = make_cred("cred-full", "mallory");
    rv = csc_store_insert(st, n, pool);
    is_int(rv, APR_EEXIST, "duplicate insert: APR_EEXIST");
    csc_store_get(st, "cred-full", &g, pool);
    is_field(g ? g->owner : NULL, "alice", "duplicate did not overwrite");

    n = make_cred("bad", "alice");
    n->scal = 3;
    is_int(csc_store_insert(st, n, pool), APR_EINVAL, "scal 3: APR_EINVAL");
    n->scal = 1;
    n->otp_type = "sms";
    is_int(csc_store_insert(st, n, pool), APR_EINVAL, "otp_type sms: EINVAL");
    n->otp_type = "hotp";
    n->otp_digits = 6;
    n->otp_hash = "sha1";
    is_int(csc_store_insert(st, n, pool), APR_EINVAL,
           "hotp without secret: EINVAL");
    n->otp_type = NULL;
    n->id = "";
    is_int(csc_store_insert(st, n, pool), APR_EINVAL, "empty id: EINVAL");
    is_int(csc_store_get(st, "bad", &g, pool), APR_NOTFOUND,
           "rejected records were not stored");
    {
        const char *err = NULL;
        n->id = "bad";
        n->multisign = 0;
        csc_store_validate(n, &err, pool);
        ok(contains(err, "multisign") && contains(err, "bad"),
           "validate names id and field: %s", err);
    }
}

static void test_list(csc_store_t *st)
{
    static const char *const alice[] = { "d", "b", "e", "a", "c" };
    apr_array_header_t *ids;
    csc_credential_t *c;
    size_t i;
    int more = -1;
    apr_status_t rv;

    for (i = 0; i < 5; i++) {
        c = make_cred(alice[i], "alice-l");
        csc_store_insert(st, c, pool);
    }
    csc_store_insert(st, make_cred("x", "bob-l"), pool);

    rv = csc_store_list(st, "alice-l", NULL, 2, &ids, &more, pool);
    ok(rv == APR_SUCCESS && ids->nelts == 2
       && !strcmp(APR_ARRAY_IDX(ids, 0, const char *), "a")
       && !strcmp(APR_ARRAY_IDX(ids, 1, const char *), "b") && more == 1,
       "alice limit 2: a,b more=1");
    rv = csc_store_list(st, "alice-l", "b", 2, &ids, &more, pool);
    ok(rv == APR_SUCCESS && ids->nelts == 2
       && !strcmp(APR_ARRAY_IDX(ids, 0, const char *), "c")
       && !strcmp(APR_ARRAY_IDX(ids, 1, const char *), "d") && more == 1,
       "alice after b: c,d more=1");
    rv = csc_store_list(st, "alice-l", "d", 2, &ids, &more, pool);
    ok(rv == APR_SUCCESS && ids->nelts == 1
       && !strcmp(APR_ARRAY_IDX(ids, 0, const char *), "e") && more == 0,
       "alice after d: e more=0");
    rv = csc_store_list(st, "alice-l", NULL, 5, &ids, &more, pool);
    ok(rv == APR_SUCCESS && ids->nelts == 5 && more == 0,
       "alice limit 5 (exactly all): 5 ids, more=0");
    rv = csc_store_list(st, "bob-l", NULL, 10, &ids, &more, pool);
    ok(rv == APR_SUCCESS && ids->nelts == 1
       && !strcmp(APR_ARRAY_IDX(ids, 0, const char *), "x") && more == 0,
       "bob sees only x");
    rv = csc_store_list(st, "nobody", NULL, 10, &ids, &more, pool);
    ok(rv == APR_SUCCESS && ids->nelts == 0 && more == 0,
       "unknown owner: empty list");
    rv = csc_store_list(st, "alice-l", NULL, 0, &ids, &more, pool);
    is_int(rv, APR_EINVAL, "limit 0: APR_EINVAL");

    rv = csc_store_list_all(st, &ids, pool);
    ok(rv == APR_SUCCESS && ids->nelts == 8, "list_all returns 8 records");
    if (rv == APR_SUCCESS && ids->nelts == 8) {
        const csc_credential_t *first = APR_ARRAY_IDX(ids, 0,
                                                      csc_credential_t *);
        const csc_credential_t *last = APR_ARRAY_IDX(ids, 7,
                                                     csc_credential_t *);
        ok(!strcmp(first->id, "a") && !strcmp(last->id, "x")
           && !strcmp(last->owner, "bob-l"),
           "list_all ordered by id with full records");
    }
}

/* One wrong authorization as csc_factors does it: counted, then judged. */
static apr_status_t fail_once(csc_store_t *st, const char *id, int max,
                              int *fc, int *bl, apr_pool_t *p)
{
    apr_status_t rv = csc_store_attempt_begin(st, id, max, p);

    return rv != APR_SUCCESS ? rv
        : csc_store_auth_failed(st, id, max, fc, bl, p);
}

static void test_update_delete(csc_store_t *st)
{
    csc_credential_t *c = make_cred("upd", "carol");
    csc_credential_t *g = NULL;
    int fc = -1, bl = -1;
    apr_status_t rv;

    c->created = 1000;
    c->updated = 1000;
    csc_store_insert(st, c, pool);
    fail_once(st, "upd", 0, &fc, &bl, pool);
    csc_store_totp_accept(st, "upd", 77, pool);

    c->owner = "carol2";
    c->description = "renewed";
    c->cert_chain_pem = "-----BEGIN CERTIFICATE-----\nNEW\n-----END CERTIFICATE-----\n";
    c->enabled = 0;
    c->otp_type = "hotp";
    c->otp_secret = "GEZDGNBVGY3TQOJQ";
    c->otp_digits = 6;
    c->otp_hash = "sha256";
    c->fail_count = 0;          /* must not be written */
    c->totp_last_step = 0;      /* must not be written */
    c->updated = 0;             /* becomes now */
    rv = csc_store_update(st, c, pool);
    is_int(rv, APR_SUCCESS, "update");
    csc_store_get(st, "upd", &g, pool);
    ok(g && !strcmp(g->owner, "carol2") && !strcmp(g->description, "renewed")
       && contains(g->cert_chain_pem, "NEW") && g->enabled == 0
       && !strcmp(g->otp_type, "hotp") && !strcmp(g->otp_hash, "sha256"),
       "update rewrote the configuration fields");
    ok(g && g->fail_count == 1 && g->totp_last_step == 77,
       "update left fail_count and totp_last_step alone");
    ok(g && g->created == 1000 && g->updated > 1000,
       "update kept created and set updated to now");

    c->id = "nope";
    is_int(csc_store_update(st, c, pool), APR_NOTFOUND,
           "update unknown id: APR_NOTFOUND");

    is_int(csc_store_delete(st, "upd", pool), APR_SUCCESS, "delete");
    is_int(csc_store_get(st, "upd", &g, pool), APR_NOTFOUND,
           "deleted record is gone");
    is_int(csc_store_delete(st, "upd", pool), APR_NOTFOUND,
           "delete again: APR_NOTFOUND");
}

static void test_counters(csc_store_t *st)
{
    csc_credential_t *g = NULL;
    int fc = -1, bl = -1;
    int i;

    csc_store_insert(st, make_cred("cnt", "dave"), pool);

    fail_once(st, "cnt", 3, &fc, &bl, pool);
    ok(fc == 1 && bl == 0, "failure 1 of 3: fail_count 1, not blocked");
    fail_once(st, "cnt", 3, &fc, &bl, pool);
    ok(fc == 2 && bl == 0, "failure 2 of 3: fail_count 2, not blocked");
    fail_once(st, "cnt", 3, &fc, &bl, pool);
    ok(fc == 3 && bl == 1, "failure 3 of 3: fail_count 3, blocked");
    is_int(csc_store_attempt_begin(st, "cnt", 3, pool), APR_EACCES,
           "no attempt on a blocked credential");
    is_int(csc_store_auth_succeeded(st, "cnt", pool), APR_EACCES,
           "success while blocked: APR_EACCES");
    csc_store_get(st, "cnt", &g, pool);
    ok(g && g->fail_count == 3 && g->blocked == 1,
       "success while blocked did not reset");

    is_int(csc_store_set_blocked(st, "cnt", 0, pool), APR_SUCCESS, "unblock");
    csc_store_get(st, "cnt", &g, pool);
    ok(g && g->fail_count == 0 && g->blocked == 0,
       "unblock reset fail_count and blocked");

    /* attempts in flight count against the limit before they are judged */
    for (i = 0; i < 3; i++) {
        is_int(csc_store_attempt_begin(st, "cnt", 3, pool), APR_SUCCESS,
               "attempt %d of 3 counted", i + 1);
    }
    is_int(csc_store_attempt_begin(st, "cnt", 3, pool), APR_EACCES,
           "a fourth attempt while three are in flight: refused");
    is_int(csc_store_attempt_release(st, "cnt", pool), APR_SUCCESS,
           "an attempt that could not be judged is released");
    is_int(csc_store_attempt_begin(st, "cnt", 3, pool), APR_SUCCESS,
           "which makes room for one more");
    is_int(csc_store_auth_succeeded(st, "cnt", pool), APR_SUCCESS,
           "success with attempts in flight");
    csc_store_get(st, "cnt", &g, pool);
    is_int(g ? g->fail_count : -1, 0, "success reset fail_count");
    csc_store_attempt_release(st, "cnt", pool);
    csc_store_get(st, "cnt", &g, pool);
    is_int(g ? g->fail_count : -1, 0, "a release never goes below zero");

    fail_once(st, "cnt", 3, &fc, &bl, pool);
    fail_once(st, "cnt", 3, &fc, &bl, pool);
    csc_store_attempt_begin(st, "cnt", 3, pool);
    is_int(csc_store_auth_succeeded(st, "cnt", pool), APR_SUCCESS,
           "success after 2 failures");
    csc_store_get(st, "cnt", &g, pool);
    is_int(g ? g->fail_count : -1, 0, "success reset fail_count");
    is_int(csc_store_auth_succeeded(st, "cnt", pool), APR_SUCCESS,
           "success with fail_count already 0");

    fail_once(st, "cnt", 3, &fc, &bl, pool);
    is_int(csc_store_set_blocked(st, "cnt", 1, pool), APR_SUCCESS,
           "admin block");
    csc_store_get(st, "cnt", &g, pool);
    ok(g && g->blocked == 1 && g->fail_count == 1,
       "block keeps fail_count");
    csc_store_set_blocked(st, "cnt", 0, pool);

    for (i = 0; i < 5; i++) {
        fail_once(st, "cnt", 0, &fc, &bl, pool);
    }
    ok(fc == 5 && bl == 0, "max_failures 0 never blocks (5 failures)");
    fail_once(st, "cnt", -1, &fc, &bl, pool);
    ok(fc == 6 && bl == 0, "max_failures -1 never blocks");
    is_int(csc_store_attempt_begin(st, "cnt", 6, pool), APR_EACCES,
           "a limit lowered below fail_count: no attempt");
    csc_store_auth_failed(st, "cnt", 6, &fc, &bl, pool);
    ok(fc == 6 && bl == 1, "and the next judgement blocks");
    csc_store_set_blocked(st, "cnt", 0, pool);

    is_int(csc_store_totp_accept(st, "cnt", 100, pool), APR_SUCCESS,
           "totp step 100 accepted");
    is_int(csc_store_totp_accept(st, "cnt", 100, pool), APR_EEXIST,
           "totp step 100 replay: APR_EEXIST");
    is_int(csc_store_totp_accept(st, "cnt", 99, pool), APR_EEXIST,
           "totp older step 99: APR_EEXIST");
    is_int(csc_store_totp_accept(st, "cnt", 101, pool), APR_SUCCESS,
           "totp step 101 accepted");
    is_int(csc_store_totp_accept(st, "cnt", APR_INT64_C(5000000000), pool),
           APR_SUCCESS, "totp step beyond 32 bits accepted");
    is_int(csc_store_totp_accept(st, "cnt", APR_INT64_C(4999999999), pool),
           APR_EEXIST, "totp step compared as 64-bit integer, not text");

    is_int(csc_store_hotp_advance(st, "cnt", 0, 1, pool), APR_SUCCESS,
           "hotp 0 -> 1");
    is_int(csc_store_hotp_advance(st, "cnt", 0, 1, pool), APR_EEXIST,
           "hotp stale expected 0: APR_EEXIST");
    is_int(csc_store_hotp_advance(st, "cnt", 1, 10, pool), APR_SUCCESS,
           "hotp 1 -> 10 (resync jump)");
    csc_store_get(st, "cnt", &g, pool);
    ok(g && g->hotp_counter == 10
       && g->totp_last_step == APR_INT64_C(5000000000),
       "counters stored: hotp 10, totp step 5000000000");

    is_int(csc_store_auth_failed(st, "ghost", 3, &fc, &bl, pool),
           APR_NOTFOUND, "auth_failed unknown id: APR_NOTFOUND");
    is_int(csc_store_attempt_begin(st, "ghost", 3, pool), APR_NOTFOUND,
           "attempt_begin unknown id: APR_NOTFOUND");
    is_int(csc_store_auth_succeeded(st, "ghost", pool), APR_NOTFOUND,
           "auth_succeeded unknown id: APR_NOTFOUND");
    is_int(csc_store_set_blocked(st, "ghost", 1, pool), APR_NOTFOUND,
           "set_blocked unknown id: APR_NOTFOUND");
    is_int(csc_store_totp_accept(st, "ghost", 5, pool), APR_NOTFOUND,
           "totp_accept unknown id: APR_NOTFOUND");
    is_int(csc_store_hotp_advance(st, "ghost", 0, 1, pool), APR_NOTFOUND,
           "hotp_advance unknown id: APR_NOTFOUND");
}

/* What the enrollment tool does with its own handle is visible to httpd's
 * handle at once; a second store file stays separate. */
/* The per-process record cache must never serve a row older than the last
 * commit, whoever made it: this handle, another handle, a raw SQL client,
 * another process, or a process that changed it while this one was forked
 * off with the old copy in memory. */
static void test_cache_coherence(csc_store_t *st)
{
    csc_credential_t *c = make_cred("coh", "gina");
    csc_credential_t *g = NULL, *g2 = NULL;
    csc_store_t *tool = open_store("csc.db");
    int fc = 0, bl = 0, status = 0, pfd[2];
    char byte = 0;
    pid_t pid;

    c->description = "one";
    is_int(csc_store_insert(tool, c, pool), APR_SUCCESS, "cache: insert");
    csc_store_get(st, "coh", &g, pool);
    csc_store_get(st, "coh", &g2, pool);
    ok(g && g2 && g != g2 && g->owner != g2->owner
       && str_eq(g2->description, "one") && str_eq(g2->pubkey_pem,
                                                   c->pubkey_pem),
       "two reads give equal, separate copies");
    g2->description = "scribbled";
    ((char *)g2->owner)[0] = 'X';
    csc_store_get(st, "coh", &g, pool);
    ok(g && str_eq(g->owner, "gina") && str_eq(g->description, "one"),
       "changing a returned copy does not change the cached record");

    ok(raw_exec("csc.db", "UPDATE csc_credential SET description = 'two' "
                "WHERE id = 'coh'") == 0, "a raw SQL client changes it");
    csc_store_get(st, "coh", &g, pool);
    is_field(g ? g->description : NULL, "two", "raw change seen at once");

    c->description = "three";
    csc_store_update(tool, c, pool);
    csc_store_get(st, "coh", &g, pool);
    is_field(g ? g->description : NULL, "three",
             "change through another handle seen at once");

    fail_once(st, "coh", 5, &fc, &bl, pool);
    csc_store_get(st, "coh", &g, pool);
    ok(g && g->fail_count == 1 && fc == 1,
       "this handle's own write seen by its next read (own commits do not "
       "move data_version)");
    csc_store_set_blocked(st, "coh", 1, pool);
    csc_store_get(st, "coh", &g, pool);
    is_int(g ? g->blocked : -1, 1, "own block seen");
    csc_store_delete(tool, "coh", pool);
    is_int(csc_store_get(st, "coh", &g, pool), APR_NOTFOUND,
           "deleted elsewhere: gone at once");

    /* a child forked with a cached copy, changed meanwhile by the parent */
    c->description = "before-fork";
    csc_store_insert(tool, c, pool);
    csc_store_get(st, "coh", &g, pool);
    csc_store_disconnect(st);
    if (pipe(pfd) != 0) {
        ok(0, "pipe");
        return;
    }
    pid = fork();
    if (pid == 0) {
        apr_pool_t *cp;
        csc_credential_t *cg = NULL;

        apr_pool_create(&cp, NULL);
        close(pfd[1]);
        if (read(pfd[0], &byte, 1) != 1) {
            _exit(3);
        }
        if (csc_store_get(st, "coh", &cg, cp) != APR_SUCCESS) {
            _exit(2);
        }
        _exit(str_eq(cg->description, "after-fork") ? 0 : 1);
    }
    close(pfd[0]);
    c->description = "after-fork";
    csc_store_update(tool, c, pool);
    if (write(pfd[1], "g", 1) != 1) {
        ok(0, "write to the child");
    }
    close(pfd[1]);
    waitpid(pid, &status, 0);
    ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
       "a forked child does not serve the copy it inherited (exit %d)",
       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    csc_store_delete(tool, "coh", pool);
    csc_store_disconnect(tool);
}

/* Another connection (a raw SQL client) changes id's description; st's
 * next read must see it. */
static void seen_at_once(csc_store_t *st, const char *id, const char *desc,
                         const char *what)
{
    csc_credential_t *g = NULL;

    raw_exec("csc.db", apr_psprintf(pool, "UPDATE csc_credential SET "
                                    "description = '%s' WHERE id = '%s'",
                                    desc, id));
    csc_store_get(st, id, &g, pool);
    is_field(g ? g->description : NULL, desc, what);
}

/* The WAL-index watch (csc_store_walhdr.c) lets a read skip PRAGMA
 * data_version while the header is as before.  Its premise: the header
 * moves with every commit of anyone, also across a checkpoint that
 * restarts the WAL; and through the store, a change made by another
 * process between two reads served by the watch is seen by the next. */
static void test_wal_watch(csc_store_t *st)
{
    csc_credential_t *c = make_cred("walw", "hana");
    csc_credential_t *g = NULL;
    csc_store_t *obs = open_store("csc.db");   /* the watching connection */
    csc_store_conn_t *conn = NULL;
    const store_walhdr_t *w;
    unsigned char h1[STORE_WALHDR_LEN], h2[STORE_WALHDR_LEN];
    int i, seen = 0, moved = 0, status;
    pid_t pid;

    is_int(csc_store_insert(st, c, pool), APR_SUCCESS, "watch: insert");
    csc_store_get(obs, "walw", &g, pool);       /* its first query */
    ok(store_conn_acquire(obs, 0, &conn, pool) == APR_SUCCESS,
       "watch: borrow the connection");
    if (!conn) {
        return;
    }
    w = &conn->wal;
    ok(w->hdr && store_walhdr_read(w, h1) && store_walhdr_read(w, h2)
       && !memcmp(h1, h2, sizeof(h1)),
       "the header reads consistent, and stays put without a commit");
    {
        /* a relative name: SQLite's own mapping, so watched as well */
        csc_store_t *rel = NULL;
        csc_store_conn_t *rc = NULL;
        char *cwd = getcwd(NULL, 0);
        const char *err = NULL;

        ok(cwd && chdir(tmpdir) == 0, "into the store's directory");
        ok(csc_store_open(&rel, "sqlite3:csc.db", pool, &err)
           == APR_SUCCESS, "a store opened by a relative name");
        if (rel) {
            csc_store_get(rel, "walw", &g, pool);
            ok(store_conn_acquire(rel, 0, &rc, pool) == APR_SUCCESS
               && rc->wal.hdr && store_walhdr_read(&rc->wal, h2)
               && !memcmp(h1, h2, sizeof(h1)),
               "a relative store name is watched, the same header");
            if (rc) {
                store_conn_release(rel, rc);
            }
            seen_at_once(rel, "walw", "rel",
                         "relative name: a change is seen at once");
            csc_store_disconnect(rel);
        }
        if (cwd && chdir(cwd) != 0) {
            ok(0, "back to the working directory");
        }
        free(cwd);
    }
    for (i = 0; i < 40; i++) {
        char *sql = apr_psprintf(pool, "UPDATE csc_credential SET "
                                 "description = 'v%d' WHERE id = 'walw'", i);
        /* reads with no commit between them: the watch serves */
        csc_store_get(st, "walw", &g, pool);
        csc_store_get(st, "walw", &g, pool);
        csc_store_get(st, "walw", &g, pool);
        store_walhdr_read(w, h1);
        if (i % 8 == 7) {
            /* another process checkpoints: the next write restarts the
             * WAL with new salts */
            raw_exec("csc.db", "PRAGMA wal_checkpoint(TRUNCATE)");
        }
        pid = fork();
        if (pid == 0) {
            _exit(raw_exec("csc.db", sql) == 0 ? 0 : 1);
        }
        waitpid(pid, &status, 0);
        moved += store_walhdr_read(w, h2) && memcmp(h1, h2, sizeof(h1));
        csc_store_get(st, "walw", &g, pool);
        seen += g && !strcmp(g->description, apr_psprintf(pool, "v%d", i));
    }
    is_int(moved, 40, "every commit by another process moved the header");
    is_int(seen, 40, "every change by another process was seen by the "
           "next read after reads the watch served");

    /* opened through a symbolic link beside a stale -shm that looks
     * valid and never changes: the watch must follow SQLite to the real
     * file's -shm, or the change below would go unseen */
    {
        unsigned char fake[2 * STORE_WALHDR_LEN];
        csc_store_t *via;
        FILE *fp;

        memset(fake, 0x5a, sizeof(fake));
        fake[12] = fake[STORE_WALHDR_LEN + 12] = 1;
        ok(symlink(db_path("csc.db"), db_path("link.db")) == 0
           && (fp = fopen(db_path("link.db-shm"), "wb")) != NULL
           && fwrite(fake, 1, sizeof(fake), fp) == sizeof(fake)
           && fclose(fp) == 0, "a link and a stale -shm beside it");
        via = open_store("link.db");
        for (i = 0; i < 3; i++) {
            csc_store_get(via, "walw", &g, pool);
        }
        seen_at_once(via, "walw", "via-link",
                     "through a link: the change is seen at once");
        csc_store_disconnect(via);
        unlink(db_path("link.db-shm"));
        unlink(db_path("link.db"));
    }
    csc_store_delete(st, "walw", pool);
    store_conn_release(obs, conn);
    csc_store_disconnect(obs);
}

/* SQLite's POSIX locks on the -shm file belong to the process, and closing
 * any descriptor of that file drops them all (https://sqlite.org/
 * howtocorrupt.html, 2.2).  So closing one connection must leave the
 * others' locks alone; without its "dead man switch" lock another process
 * would take the -shm for abandoned and rebuild it under the live ones. */
#define SHM_DMS_BYTE 128            /* os_unix.c: UNIX_SHM_DMS */

static int shm_dms_held_by_parent(const char *name)
{
    int status = 0;
    pid_t pid = fork();

    if (pid == 0) {
        struct flock fl;
        int fd = open(db_path(apr_pstrcat(pool, name, "-shm", NULL)),
                      O_RDWR);

        memset(&fl, 0, sizeof(fl));
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        fl.l_start = SHM_DMS_BYTE;
        fl.l_len = 1;
        if (fd < 0 || fcntl(fd, F_GETLK, &fl) != 0) {
            _exit(2);
        }
        _exit(fl.l_type == F_RDLCK && fl.l_pid == getppid() ? 0 : 1);
    }
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_shm_locks(void)
{
    csc_credential_t *c = make_cred("locks", "ines");
    csc_credential_t *g = NULL;
    csc_store_t *a, *b;
    int i;

    is_int(csc_store_create(db_spec("locks.db"), pool, NULL), APR_SUCCESS,
           "locks: a store of its own");
    a = open_store("locks.db");
    b = open_store("locks.db");
    is_int(csc_store_insert(a, c, pool), APR_SUCCESS, "locks: insert");
    for (i = 0; i < 3; i++) {
        csc_store_get(a, "locks", &g, pool);
        csc_store_get(b, "locks", &g, pool);
    }
    is_int(shm_dms_held_by_parent("locks.db"), 0,
           "two open connections: the process holds the -shm's DMS lock");
    csc_store_disconnect(b);
    is_int(shm_dms_held_by_parent("locks.db"), 0,
           "one of them closed: the other's DMS lock is still held");
    csc_store_get(a, "locks", &g, pool);
    is_field(g ? g->owner : NULL, "ines", "the open one still reads");
    csc_store_disconnect(a);
}

/* The cache's own rules, below the store. */
static void test_cache_unit(void)
{
    csc_store_cache_t *cc = csc_store_cache_create(4, pool);
    csc_credential_t *a = make_cred("a", "ann"), *b = NULL, *got;
    apr_uint64_t e0, e1;
    int i;

    e0 = csc_store_cache_epoch(cc);
    ok(e0 != 0, "epoch 0 is never current");
    ok(csc_store_cache_get(cc, "a", e0, pool) == NULL, "empty: miss");
    csc_store_cache_put(cc, a, e0);
    got = csc_store_cache_get(cc, "a", e0, pool);
    ok(got && str_eq(got->owner, "ann") && str_eq(got->key_ref, a->key_ref)
       && got->description == NULL && got->multisign == 1,
       "put then get: same values, NULLs kept");
    ok(csc_store_cache_get(cc, "b", e0, pool) == NULL, "other id: miss");
    csc_store_cache_advance(cc);
    e1 = csc_store_cache_epoch(cc);
    ok(e1 != e0 && csc_store_cache_get(cc, "a", e1, pool) == NULL
       && csc_store_cache_get(cc, "a", e0, pool) == NULL,
       "after advance: the old entry is stale under either epoch");
    csc_store_cache_put(cc, a, e0);
    ok(csc_store_cache_get(cc, "a", e1, pool) == NULL,
       "a row read under an old epoch is not stored");
    /* more ids than slots: every get is a hit with the right id or a miss */
    for (i = 0; i < 12; i++) {
        b = make_cred(apr_psprintf(pool, "id%d", i), "bo");
        csc_store_cache_put(cc, b, e1);
    }
    got = csc_store_cache_get(cc, "id11", e1, pool);
    ok(got && str_eq(got->id, "id11"), "last put is found");
    for (i = 0; i < 12; i++) {
        const char *id = apr_psprintf(pool, "id%d", i);
        got = csc_store_cache_get(cc, id, e1, pool);
        if (got && !str_eq(got->id, id)) {
            break;
        }
    }
    is_int(i, 12, "colliding ids never return another record");
}

static void test_visibility(csc_store_t *st)
{
    csc_store_t *tool = open_store("csc.db");
    csc_store_t *other;
    csc_credential_t *c = make_cred("fresh", "erin");
    csc_credential_t *g = NULL;
    apr_status_t rv;

    is_int(csc_store_get(st, "fresh", &g, pool), APR_NOTFOUND,
           "not there before the tool adds it");
    csc_store_insert(tool, c, pool);
    is_int(csc_store_get(st, "fresh", &g, pool), APR_SUCCESS,
           "tool insert visible through the other handle");
    c->enabled = 0;
    csc_store_update(tool, c, pool);
    csc_store_get(st, "fresh", &g, pool);
    is_int(g ? g->enabled : -1, 0, "tool update visible at once");
    csc_store_disconnect(tool);

    rv = csc_store_create(db_spec("vhost2.db"), pool, NULL);
    other = open_store("vhost2.db");
    ok(rv == APR_SUCCESS
       && csc_store_get(other, "fresh", &g, pool) == APR_NOTFOUND,
       "a second store in the same process is separate");
    csc_store_insert(other, make_cred("fresh", "zed"), pool);
    csc_store_get(st, "fresh", &g, pool);
    is_field(g ? g->owner : NULL, "erin", "stores do not mix");
    csc_store_disconnect(other);
}

/* A schema change behind the back of prepared statements: the legacy
 * sqlite3_prepare() used by the driver cannot recover; the store must. */
static void test_schema_change(csc_store_t *st)
{
    csc_credential_t *g = NULL;
    int before = log_warnings;
    apr_status_t rv;

    csc_store_get(st, "cnt", &g, pool);  /* connection with statements */
    ok(raw_exec("csc.db", "CREATE INDEX csc_test_idx ON csc_credential "
                "(key_ref)") == 0, "another process changes the schema");
    rv = csc_store_get(st, "cnt", &g, pool);
    ok(rv == APR_SUCCESS && g && !strcmp(g->id, "cnt"),
       "get still works after a schema change");
    printf("# schema change: %d warning(s) logged%s%s\n",
           log_warnings - before, log_warnings > before ? ": " : "",
           log_warnings > before ? log_last : "");
    raw_exec("csc.db", "DROP INDEX csc_test_idx");
    rv = csc_store_get(st, "cnt", &g, pool);
    is_int(rv, APR_SUCCESS, "and after it is undone");
}

/* ---- multi-process ---- */

typedef int child_fn(csc_store_t *st, int n);

/* Forks n children that start together (released by closing a pipe) and
 * returns how many exited with each code 0..3 in counts[]. */
static void run_children(csc_store_t *st, int n, child_fn *fn, int counts[4])
{
    int gate[2];
    pid_t pids[16];
    int i, status;

    memset(counts, 0, 4 * sizeof(int));
    if (pipe(gate) != 0) {
        counts[3] = n;
        return;
    }
    fflush(stdout);
    for (i = 0; i < n; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            char b;
            close(gate[1]);
            if (read(gate[0], &b, 1) < 0) {
                _exit(3);
            }
            _exit(fn(st, i));
        }
    }
    close(gate[0]);
    close(gate[1]);
    for (i = 0; i < n; i++) {
        if (waitpid(pids[i], &status, 0) == pids[i] && WIFEXITED(status)
            && WEXITSTATUS(status) < 4) {
            counts[WEXITSTATUS(status)]++;
        }
        else {
            counts[3]++;
        }
    }
}

static int child_failures(csc_store_t *st, int n)
{
    apr_pool_t *p;
    int i, fc, bl;

    (void)n;
    apr_pool_create(&p, NULL);
    for (i = 0; i < 200; i++) {
        if (fail_once(st, "race", 0, &fc, &bl, p) != APR_SUCCESS) {
            return 2;
        }
        apr_pool_clear(p);
    }
    return 0;
}

/* One guess against a limit of 5: 0 counted, 1 refused, 2 error. */
static int child_attempt(csc_store_t *st, int n)
{
    apr_pool_t *p;
    apr_status_t rv;

    (void)n;
    apr_pool_create(&p, NULL);
    rv = csc_store_attempt_begin(st, "race", 5, p);
    return rv == APR_SUCCESS ? 0 : rv == APR_EACCES ? 1 : 2;
}

static int child_totp(csc_store_t *st, int n)
{
    apr_pool_t *p;
    apr_status_t rv;

    (void)n;
    apr_pool_create(&p, NULL);
    rv = csc_store_totp_accept(st, "race", 55555555, p);
    return rv == APR_SUCCESS ? 0 : rv == APR_EEXIST ? 1 : 2;
}

static int child_hotp(csc_store_t *st, int n)
{
    apr_pool_t *p;
    apr_status_t rv;

    apr_pool_create(&p, NULL);
    rv = csc_store_hotp_advance(st, "race", 5, 6 + n, p);
    return rv == APR_SUCCESS ? 0 : rv == APR_EEXIST ? 1 : 2;
}

static int child_inherited(csc_store_t *st, int n)
{
    apr_pool_t *p;
    csc_credential_t *g;

    (void)n;
    apr_pool_create(&p, NULL);
    log_warnings = 0;
    if (csc_store_get(st, "race", &g, p) != APR_SUCCESS) {
        return 2;
    }
    return log_warnings == 1 && contains(log_last, "fork") ? 0 : 1;
}

/* Holds the write lock for 1 s from a separate process. */
static int child_lock_holder(const char *name, int ready_fd)
{
    const apr_dbd_driver_t *drv;
    apr_dbd_t *h;
    int nrows;

    if (apr_dbd_get_driver(pool, "sqlite3", &drv) != APR_SUCCESS
        || apr_dbd_open(drv, pool, db_path(name), &h) != APR_SUCCESS
        || apr_dbd_query(drv, h, &nrows, "BEGIN IMMEDIATE") != 0) {
        return 2;
    }
    if (write(ready_fd, "x", 1) != 1) {
        return 2;
    }
    apr_sleep(apr_time_from_sec(1));
    apr_dbd_query(drv, h, &nrows, "COMMIT");
    apr_dbd_close(drv, h);
    return 0;
}

static void test_processes(csc_store_t *st)
{
    csc_credential_t *g = NULL;
    csc_credential_t *c = make_cred("race", "frank");
    int counts[4];
    apr_time_t t0;
    int ready[2], status, fc = -1, bl = -1;
    pid_t pid;
    char b;
    apr_status_t rv;

    c->hotp_counter = 5;
    csc_store_insert(st, c, pool);
    csc_store_disconnect(st);

    t0 = apr_time_now();
    run_children(st, 8, child_failures, counts);
    printf("# 8 x 200 auth_failed in %.2f s\n",
           (double)(apr_time_now() - t0) / APR_USEC_PER_SEC);
    is_int(counts[0], 8, "8 processes x 200 auth_failed all succeeded");
    csc_store_get(st, "race", &g, pool);
    is_int(g ? g->fail_count : -1, 1600, "fail_count is exactly 1600");
    csc_store_set_blocked(st, "race", 0, pool);
    csc_store_disconnect(st);

    run_children(st, 16, child_attempt, counts);
    ok(counts[0] == 5 && counts[1] == 11,
       "16 processes begin an attempt against a limit of 5: exactly 5 are "
       "counted (%d counted, %d refused, %d error)", counts[0], counts[1],
       counts[2] + counts[3]);
    csc_store_set_blocked(st, "race", 0, pool);
    csc_store_disconnect(st);

    run_children(st, 8, child_totp, counts);
    ok(counts[0] == 1 && counts[1] == 7,
       "8 processes racing totp_accept(same step): exactly one success "
       "(%d ok, %d replay, %d error)", counts[0], counts[1],
       counts[2] + counts[3]);

    run_children(st, 8, child_hotp, counts);
    ok(counts[0] == 1 && counts[1] == 7,
       "8 processes racing hotp_advance(5 -> n): exactly one success "
       "(%d ok, %d lost, %d error)", counts[0], counts[1],
       counts[2] + counts[3]);
    csc_store_get(st, "race", &g, pool);
    ok(g && g->hotp_counter >= 6 && g->hotp_counter <= 13
       && g->totp_last_step == 55555555,
       "winner's hotp counter and the totp step are stored");

    /* A writer waiting on another process's lock for 1 s gets through:
     * SQLite's busy wait plus the driver's retries cover it. */
    csc_store_disconnect(st);
    if (!pg && pipe(ready) == 0) {
        fflush(stdout);
        pid = fork();
        if (pid == 0) {
            close(ready[0]);
            _exit(child_lock_holder("csc.db", ready[1]));
        }
        close(ready[1]);
        if (read(ready[0], &b, 1) == 1) {
            t0 = apr_time_now();
            rv = fail_once(st, "race", 0, &fc, &bl, pool);
            printf("# write waited %.2f s for a 1 s lock\n",
                   (double)(apr_time_now() - t0) / APR_USEC_PER_SEC);
            ok(rv == APR_SUCCESS && fc == 1,
               "write behind a 1 s lock from another process succeeds");
            ok(apr_time_now() - t0 > apr_time_from_msec(800),
               "... and really waited for it");
        }
        close(ready[0]);
        waitpid(pid, &status, 0);
    }

    /* The store was used above, so its connections are idle in this
     * process: a child must not use them. */
    csc_store_get(st, "race", &g, pool);
    run_children(st, 1, child_inherited, counts);
    is_int(counts[0], 1, "child abandons inherited connections (warning "
           "logged) and opens its own");
    csc_store_disconnect(st);
}

/* ---- threads ---- */

typedef struct {
    csc_store_t *st;
    apr_pool_t *p;
    int n;
    int errors;
} thread_arg_t;

#define THREAD_ITER 250

static void *APR_THREAD_FUNC thread_main(apr_thread_t *t, void *data)
{
    thread_arg_t *a = data;
    const char *own = apr_psprintf(a->p, "thr-%d", a->n);
    csc_credential_t *g;
    apr_array_header_t *ids;
    apr_pool_t *it;
    int i, more, fc, bl;

    apr_pool_create(&it, a->p);
    if (csc_store_insert(a->st, make_cred_p(it, own, "threads"), it)
        != APR_SUCCESS) {
        a->errors++;
    }
    for (i = 0; i < THREAD_ITER; i++) {
        if (csc_store_get(a->st, "shared", &g, it) != APR_SUCCESS
            || strcmp(g->id, "shared") != 0) {
            a->errors++;
        }
        if (fail_once(a->st, "shared", 0, &fc, &bl, it)
            != APR_SUCCESS) {
            a->errors++;
        }
        if (csc_store_totp_accept(a->st, own, i + 1, it) != APR_SUCCESS) {
            a->errors++;
        }
        if (csc_store_list(a->st, "threads", NULL, 10, &ids, &more, it)
            != APR_SUCCESS || ids->nelts < 2) {
            a->errors++;
        }
        if (csc_store_get(a->st, own, &g, it) != APR_SUCCESS
            || g->totp_last_step != i + 1) {
            a->errors++;
        }
        apr_pool_clear(it);
    }
    /* Plain return: apr_thread_exit()'s pthread_exit() unwinding upsets
     * AddressSanitizer's stack bookkeeping. */
    (void)t;
    return NULL;
}

static void test_threads(csc_store_t *st)
{
    apr_thread_t *th[4];
    thread_arg_t args[4];
    csc_credential_t *g = NULL;
    apr_status_t trv;
    apr_time_t t0;
    int i, errors = 0;

    csc_store_insert(st, make_cred("shared", "threads"), pool);
    t0 = apr_time_now();
    for (i = 0; i < 4; i++) {
        args[i].st = st;
        args[i].n = i;
        args[i].errors = 0;
        apr_pool_create(&args[i].p, NULL);
        apr_thread_create(&th[i], NULL, thread_main, &args[i], pool);
    }
    for (i = 0; i < 4; i++) {
        apr_thread_join(&trv, th[i]);
        errors += args[i].errors;
        apr_pool_destroy(args[i].p);
    }
    printf("# 4 threads x %d iterations (5 calls each) in %.2f s\n",
           THREAD_ITER, (double)(apr_time_now() - t0) / APR_USEC_PER_SEC);
    is_int(errors, 0, "4 threads reading and writing: no errors");
    csc_store_get(st, "shared", &g, pool);
    is_int(g ? g->fail_count : -1, 4 * THREAD_ITER,
           "shared fail_count counts every thread's failures");
}

static void test_rate(csc_store_t *st)
{
    apr_pool_t *it;
    csc_credential_t *g;
    apr_time_t t0, dt;
    int i, n = 20000, bad = 0;

    apr_pool_create(&it, pool);
    t0 = apr_time_now();
    for (i = 0; i < n; i++) {
        if (csc_store_get(st, "cred-full", &g, it) != APR_SUCCESS) {
            bad++;
        }
        apr_pool_clear(it);
    }
    dt = apr_time_now() - t0;
    is_int(bad, 0, "%d gets", n);
    printf("# get() rate: %.0f/s (single process, single thread, %d gets)\n",
           (double)n * APR_USEC_PER_SEC / (double)(dt ? dt : 1), n);

    t0 = apr_time_now();
    for (i = 0; i < 500; i++) {
        csc_store_totp_accept(st, "cred-nulls", i + 1, it);
        apr_pool_clear(it);
    }
    dt = apr_time_now() - t0;
    printf("# totp_accept() rate: %.0f/s (500 committed writes)\n",
           500.0 * APR_USEC_PER_SEC / (double)(dt ? dt : 1));
    apr_pool_destroy(it);
}

/* The seam a second database plugs into: SQLite's specifics are one
 * driver; any other apr_dbd driver gets the portable SQL alone. */
static void test_drivers(void)
{
    const csc_store_driver_t *d = csc_store_driver_for("sqlite3");

    ok(d && !strcmp(d->name, "sqlite3"), "sqlite3 has its driver");
    ok(d->change_sql && !strcmp(d->change_sql, "PRAGMA data_version"),
       "whose change token (PRAGMA data_version) enables the cache");
    ok(d->setup && d->before_open && d->create && d->create_undo
       && d->params_are_path, "and its file, WAL and creation hooks");
    d = csc_store_driver_for("pgsql");
    ok(d && !strcmp(d->name, "pgsql") && !d->change_sql && !d->setup
       && !d->before_open && !d->create && !d->params_are_path
       && d->connect_sql && strstr(d->connect_sql[0], "statement_timeout"),
       "pgsql has its driver: timeouts, no cache, no file hooks");
    d = csc_store_driver_for("odbc");
    ok(d && !strcmp(d->name, "") && !d->change_sql && !d->setup
       && !d->before_open && !d->create && !d->connect_sql,
       "another driver gets the neutral one: no hooks");
    ok(csc_store_driver_for(NULL) == d, "so does no name");
}

/* PostgreSQL: the stage hands over an empty database */
static void test_pg_create(const char *spec)
{
    const char *pw = strstr(pg, "password=");
    const char *pwval = pw ? apr_pstrndup(pool, pw + 9, strcspn(pw + 9, " "))
                           : NULL;
    const char *err = NULL;
    apr_status_t rv = csc_store_create(spec, pool, &err);

    ok(rv == APR_SUCCESS, "pgsql: schema created in the empty database: %s",
       err ? err : "ok");
    err = NULL;
    rv = csc_store_create(spec, pool, &err);
    ok(rv != APR_SUCCESS && err && strstr(err, "already exists") && pwval
       && !strstr(err, pwval) && strstr(err, "password=***"),
       "pgsql: a second create fails, the password masked: %s",
       err ? err : "?");
}

int main(void)
{
    csc_store_t *st;

    apr_initialize();
    atexit(apr_terminate);
    apr_pool_create(&pool, NULL);
    csc_log_set_sink(sink, NULL, CSC_LOG_DEBUG);
    if (!mkdtemp(tmpdir)) {
        printf("Bail out! mkdtemp failed\n");
        return 1;
    }

    pg = getenv("CSC_TEST_PGSQL");
    if (pg && !*pg) {
        pg = NULL;
    }
    if (pg) {
        const char *spec = apr_pstrcat(pool, "pgsql:", pg, NULL);
        const char *err = NULL;

        test_pg_create(spec);
        if (csc_store_open(&st, spec, pool, &err) != APR_SUCCESS) {
            printf("Bail out! pgsql: %s\n", err);
            return 1;
        }
    }
    else {
        test_drivers();
        test_open_errors();
        test_create();
        st = open_store("csc.db");
    }
    test_round_trip(st);
    test_list(st);
    test_update_delete(st);
    test_counters(st);
    if (!pg) {
        /* SQLite's own: files, the record cache, schema changes */
        test_visibility(st);
        test_cache_unit();
        test_cache_coherence(st);
        test_wal_watch(st);
        test_shm_locks();
        test_schema_change(st);
    }
    test_processes(st);
    test_threads(st);
    test_rate(st);

    apr_pool_destroy(pool);
    apr_pool_create(&pool, NULL);
    remove_tree(tmpdir);
    return tap_done();
}
