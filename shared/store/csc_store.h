/* SPDX-License-Identifier: Apache-2.0 */
/* Durable credential store: one row per CSC credential, kept in an SQL
 * database reached through apr_dbd, so the backend is chosen by driver name
 * (SQLite 3 or PostgreSQL) without touching callers.
 *
 * Every call sees the latest committed state: a change made by the
 * enrollment tool is seen by the next request of every httpd child.  With
 * SQLite, csc_store_get() keeps decoded records per process and asks SQLite
 * (PRAGMA data_version, one cheap statement) whether anything was committed
 * since; any commit, by any connection or process, invalidates them all.
 *
 * Threads and processes
 * - A csc_store_t may be shared by all threads of a process.  Each call
 *   borrows a private connection from a small per-store list (an apr_dbd
 *   handle is never used by two threads at once) and gives it back.
 * - Connections are per process and opened lazily.  csc_store_open() closes
 *   the connection it used for its checks, so a store opened in httpd's
 *   post_config carries no connection across fork().  If a process did use
 *   the store and then forks, call csc_store_disconnect() before fork(): a
 *   child that finds connections made by another pid abandons them (never
 *   uses or closes them) and opens its own, but SQLite documents that a
 *   connection inherited over fork() can still disturb the parent's locks.
 * - Every counter change is one conditional SQL statement, so concurrent
 *   processes cannot lose updates (auth_succeeded reads first and writes
 *   only when there is something to reset).
 *
 * SQLite deployment notes
 * - The store runs in WAL mode: the httpd user needs write access to the
 *   database file AND to its directory (SQLite creates FILE-wal and
 *   FILE-shm next to it).
 * - Needs SQLite >= 3.35 (UPDATE ... RETURNING, INSERT ... ON CONFLICT).
 * - A relative path is relative to the process's working directory; httpd
 *   callers should resolve it first (ap_server_root_relative).
 * - apr_dbd_sqlite3 serialises every SQLite call of a process on one global
 *   mutex and retries SQLITE_BUSY 16 times with 100 ms sleeps.  The store
 *   therefore sets a short busy_timeout (CSC_STORE_BUSY_TIMEOUT_MS) so that a
 *   writer waiting for another process's lock gives up after about
 *   16 * (timeout + 100 ms), ~5 s (twice that in the worst case, as a failed
 *   statement is retried once on a new connection), and never holds that
 *   mutex for longer than one timeout.  busy_timeout=5000 would instead
 *   allow ~80 s, each 5 s with every store call of the process stalled.
 *
 * Status codes: APR_SUCCESS; APR_NOTFOUND (no such credential);
 * APR_EEXIST (id taken, or a compare-and-set lost); APR_EINVAL (bad
 * argument or record); APR_EGENERAL (database error, logged through
 * csc_log without any secret).
 */
#ifndef CSC_STORE_H
#define CSC_STORE_H

#include "apr_pools.h"
#include "apr_tables.h"

/* Per-attempt SQLite busy wait; see the deployment notes above. */
#define CSC_STORE_BUSY_TIMEOUT_MS 200
/* PostgreSQL: what every connection of the store and of the shared state
 * (csc_kv_pgsql.c) sets first, one statement each.  A server that stops
 * answering must not hold a request, and its thread, for long: one
 * statement takes at most 5 s, one row or advisory lock wait at most 2 s,
 * and a transaction left idle is ended after 5 s. */
#define CSC_STORE_PG_SESSION_SQL \
    "SET statement_timeout = 5000", \
    "SET lock_timeout = 2000", \
    "SET idle_in_transaction_session_timeout = 5000"

typedef struct {
    const char *id;             /* credentialID (opaque, unique, non-empty) */
    const char *owner;          /* user name the credential belongs to */
    const char *description;    /* may be NULL */
    const char *key_ref;        /* signer key reference, e.g.
                                   "engine:pkcs11:token=csc;object=alice-rsa" */
    const char *pubkey_pem;     /* public key (SPKI PEM) of key_ref */
    const char *cert_chain_pem; /* end-entity first; NULL/empty until a certificate is attached */
    int enabled;                /* 1 enabled / 0 disabled (key/status) */
    int multisign;              /* >= 1 */
    int scal;                   /* 1 or 2 */
    const char *pin_hash;       /* NULL: no PIN factor. Encoded PBKDF2 string. */
    char pin_format;            /* 'N' or 'A' */
    const char *otp_type;       /* NULL: no OTP; "totp" | "hotp" | "online" */
    const char *otp_secret;     /* base32, for totp/hotp */
    int otp_digits;             /* 6..8 */
    int otp_period;             /* totp step seconds */
    const char *otp_hash;       /* "sha1" | "sha256" | "sha512" */
    apr_int64_t hotp_counter;   /* next expected HOTP counter */
    apr_int64_t totp_last_step; /* last accepted TOTP step (replay guard) */
    int fail_count;             /* consecutive failed authorizations */
    int blocked;                /* 1 = blocked until an admin unblocks */
    apr_int64_t created, updated; /* unix seconds */
} csc_credential_t;

typedef struct csc_store_t csc_store_t;

/* NULL when spec has the shape "<driver>:<params>", else the message.
 * Nothing is loaded or opened: a configuration can check the shape where
 * the directive stands. */
const char *csc_store_spec_error(const char *spec, apr_pool_t *p);
/* spec as messages may show it: a password in the parameters (libpq's
 * password=..., or user:pass@ in a URI) replaced by "***". */
const char *csc_store_spec_display(const char *spec, apr_pool_t *p);

/* Opens the store named by spec "<driver>:<params>", e.g.
 * "sqlite3:/var/lib/csc/csc.db" or "pgsql:host=db dbname=csc user=csc".
 * Checks that the database exists (sqlite3: the file must exist; it is never
 * created here), that it carries the mod_csc schema at exactly
 * CSC_STORE_SCHEMA_VERSION (a newer or older one is refused) and that every
 * statement prepares.  On failure *errmsg (from p) names the database.
 * The store lives until p is destroyed.  Calls apr_dbd_init() (idempotent). */
apr_status_t csc_store_open(csc_store_t **st, const char *spec, apr_pool_t *p,
                            const char **errmsg);

/* Creates a new store with the schema (enrollment tool).  sqlite3: the file
 * must not exist yet; it is created with mode 0600 (chown it to the httpd
 * user), put in WAL mode and removed again if the schema fails.  Other
 * drivers: the database must exist and the schema is added to it.
 * APR_EEXIST if the file exists. */
apr_status_t csc_store_create(const char *spec, apr_pool_t *p,
                              const char **errmsg);

/* Closes the calling process's idle connections (they reopen on demand).
 * Call it before fork() when the forking process has used the store, and
 * only while no other thread is inside a store call. */
void csc_store_disconnect(csc_store_t *st);

/* Checks a record as insert/update would: APR_EINVAL with *errmsg naming
 * the first bad field.  Rules: id, owner, key_ref, pubkey_pem non-empty;
 * enabled and blocked 0/1; multisign >= 1; scal 1/2; pin_format 'N'/'A';
 * otp_type NULL or totp/hotp/online; with an otp_type, otp_digits 6..8;
 * totp/hotp also need otp_secret and otp_hash sha1/sha256/sha512, totp an
 * otp_period > 0; fail_count >= 0. */
apr_status_t csc_store_validate(const csc_credential_t *c, const char **errmsg,
                                apr_pool_t *p);

/* Reads one credential; strings are allocated from p.  APR_NOTFOUND. */
apr_status_t csc_store_get(csc_store_t *st, const char *id,
                           csc_credential_t **c, apr_pool_t *p);

/* owner's credential ids (const char *) ordered by id, only ids > after
 * (after may be NULL for the first page), at most limit (>= 1) of them;
 * *more is set to 1 when further ids follow, else 0. */
apr_status_t csc_store_list(csc_store_t *st, const char *owner,
                            const char *after, int limit,
                            apr_array_header_t **ids, int *more,
                            apr_pool_t *p);

/* Every record, ordered by id, as an array of csc_credential_t * (tool). */
apr_status_t csc_store_list_all(csc_store_t *st, apr_array_header_t **creds,
                                apr_pool_t *p);

/* Adds a record (all fields stored as given; created/updated <= 0 become
 * the current time).  APR_EEXIST if the id is taken, APR_EINVAL if
 * csc_store_validate() refuses it. */
apr_status_t csc_store_insert(csc_store_t *st, const csc_credential_t *c,
                              apr_pool_t *p);

/* Rewrites the configuration fields of record c->id: owner, description,
 * key_ref, pubkey_pem, cert_chain_pem, enabled, multisign, scal, pin_hash,
 * pin_format, otp_type, otp_secret, otp_digits, otp_period, otp_hash, and
 * updated (c->updated, or now when <= 0).  It deliberately leaves
 * fail_count, blocked, hotp_counter, totp_last_step and created alone: a
 * read-modify-write by the tool must not roll back a replay guard or a
 * failure count advanced meanwhile by httpd.  Change those with the
 * functions below.  APR_NOTFOUND, APR_EINVAL. */
apr_status_t csc_store_update(csc_store_t *st, const csc_credential_t *c,
                              apr_pool_t *p);

/* APR_NOTFOUND if there was no such record. */
apr_status_t csc_store_delete(csc_store_t *st, const char *id, apr_pool_t *p);

/* Authorization attempts are counted before their factors are checked,
 * so that concurrent guesses cannot overrun the limit: fail_count holds
 * the failures since the last success plus the attempts in flight.
 *
 * attempt_begin: fail_count + 1 if the credential is not blocked and
 * fail_count is below max_failures (max_failures <= 0: no limit); one
 * statement.  APR_EACCES when blocked or when max_failures attempts are
 * already counted: the factors must then not be evaluated.  APR_NOTFOUND.
 * Then exactly one of: */

/* the factors were wrong: the attempt stays counted, and blocked = 1 once
 * fail_count has reached max_failures (max_failures <= 0: never block);
 * one statement.  Returns the values through fail_count/blocked (either
 * may be NULL). */
apr_status_t csc_store_attempt_begin(csc_store_t *st, const char *id,
                                     int max_failures, apr_pool_t *p);
apr_status_t csc_store_auth_failed(csc_store_t *st, const char *id,
                                   int max_failures, int *fail_count,
                                   int *blocked, apr_pool_t *p);

/* the factors were right: fail_count = 0 unless blocked.  APR_EACCES if
 * the credential is blocked (possibly just now, by concurrent failures):
 * callers must then refuse the authorization.  APR_NOTFOUND. */
apr_status_t csc_store_auth_succeeded(csc_store_t *st, const char *id,
                                      apr_pool_t *p);

/* the check could not be made (store, state or settings error): the
 * attempt is not counted after all (fail_count - 1, never below 0). */
apr_status_t csc_store_attempt_release(csc_store_t *st, const char *id,
                                       apr_pool_t *p);

/* blocked = 1, or blocked = 0 together with fail_count = 0; also sets
 * updated = now.  APR_NOTFOUND. */
apr_status_t csc_store_set_blocked(csc_store_t *st, const char *id,
                                   int blocked, apr_pool_t *p);

/* totp_last_step = step if the stored value is smaller (one statement).
 * APR_SUCCESS if it advanced, APR_EEXIST if not (replay, or another process
 * accepted that step first), APR_NOTFOUND. */
apr_status_t csc_store_totp_accept(csc_store_t *st, const char *id,
                                   apr_int64_t step, apr_pool_t *p);

/* hotp_counter = new_counter if it still equals expected_counter (one
 * statement).  APR_EEXIST if it no longer does, APR_NOTFOUND. */
apr_status_t csc_store_hotp_advance(csc_store_t *st, const char *id,
                                    apr_int64_t expected_counter,
                                    apr_int64_t new_counter, apr_pool_t *p);

/* Brings the store named by spec to CSC_STORE_SCHEMA_VERSION, each step
 * in one transaction.  *from (may be NULL) is the version found.  A store
 * already current is left alone (APR_SUCCESS); a newer one is refused. */
apr_status_t csc_store_migrate(const char *spec, int *from, apr_pool_t *p,
                               const char **errmsg);

/* ---- the OAuth 2.0 client registry (schema version 2) ----
 * Read on every request that names a client, so that csc-admin's changes
 * apply at once on every process, like credential changes. */
typedef struct {
    const char *id;             /* client_id: 1-128 of [A-Za-z0-9._~-] */
    const char *name;           /* shown on the consent page */
    const char *secret_hash;    /* NULL: a public client (PKCE, no secret);
                                   else csc_client_secret_hash() */
    const char *redirect_uris;  /* absolute URIs, separated by spaces */
    const char *grant_types;    /* of authorization_code refresh_token
                                   client_credentials, space separated */
    const char *scopes;         /* of service credential, space separated */
    const char *acts_as;        /* client_credentials tokens act as this
                                   user; NULL: the grant is not allowed */
    apr_int64_t created, updated;
} csc_client_t;

/* APR_EINVAL with *errmsg naming the first bad field: id shape, empty
 * name, a redirect URI that is not absolute (https, or http on a
 * loopback host, or a private-use scheme for native apps; no fragment),
 * an unknown grant type or scope, client_credentials for a public client
 * or without acts_as, refresh_token without authorization_code. */
apr_status_t csc_client_validate(const csc_client_t *c, const char **errmsg,
                                 apr_pool_t *p);
/* APR_NOTFOUND */
apr_status_t csc_client_get(csc_store_t *st, const char *id,
                            csc_client_t **c, apr_pool_t *p);
/* every client, ordered by id */
apr_status_t csc_client_list(csc_store_t *st, apr_array_header_t **clients,
                             apr_pool_t *p);
/* APR_EEXIST when the id is taken, APR_EINVAL (csc_client_validate). */
apr_status_t csc_client_insert(csc_store_t *st, const csc_client_t *c,
                               apr_pool_t *p);
/* APR_NOTFOUND */
apr_status_t csc_client_delete(csc_store_t *st, const char *id,
                               apr_pool_t *p);
/* Whether the space-separated list has word. */
int csc_client_list_has(const char *list, const char *word);

#endif
