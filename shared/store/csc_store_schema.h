/* SPDX-License-Identifier: Apache-2.0 */
/* The credential store schema, the one definition used both by
 * csc_store_create() and by anyone who needs to print it (e.g. to create a
 * PostgreSQL database by hand).  The SQL sticks to types and syntax that
 * SQLite and PostgreSQL both accept (TEXT, INTEGER, BIGINT, CHAR, CHECK), so
 * one text serves both; SQLite maps BIGINT/INTEGER to integer affinity, so
 * numbers are stored as SQL integers even though apr_dbd binds them as text.
 *
 * Keep the string free of SQL comments and of anything after the last ';':
 * apr_dbd_sqlite3 runs a multi-statement string piece by piece and fails on
 * an empty trailing piece.
 *
 * Any change here needs CSC_STORE_SCHEMA_VERSION + 1 and a migration step
 * (csc_store_migrations below); the store refuses to open a database whose
 * version differs from it, and `csc-admin migrate` brings an older one up.
 *
 * Version history: 1 credentials; 2 adds the OAuth 2.0 client registry. */
#ifndef CSC_STORE_SCHEMA_H
#define CSC_STORE_SCHEMA_H

#define CSC_STORE_SCHEMA_VERSION 2

#define CSC_STORE_STR_(x) #x
#define CSC_STORE_STR(x) CSC_STORE_STR_(x)

#define CSC_STORE_CLIENT_TABLE \
    "CREATE TABLE csc_client (\n" \
    "    id            TEXT    NOT NULL PRIMARY KEY,\n" \
    "    name          TEXT    NOT NULL,\n" \
    "    secret_hash   TEXT,\n" \
    "    redirect_uris TEXT    NOT NULL,\n" \
    "    grant_types   TEXT    NOT NULL,\n" \
    "    scopes        TEXT    NOT NULL,\n" \
    "    acts_as       TEXT,\n" \
    "    created       BIGINT  NOT NULL,\n" \
    "    updated       BIGINT  NOT NULL\n" \
    ")"

static const char csc_store_schema_sql[] =
    "CREATE TABLE csc_schema (\n"
    "    version INTEGER NOT NULL\n"
    ");\n"
    "INSERT INTO csc_schema (version) VALUES ("
        CSC_STORE_STR(CSC_STORE_SCHEMA_VERSION) ");\n"
    "CREATE TABLE csc_credential (\n"
    "    id             TEXT    NOT NULL PRIMARY KEY,\n"
    "    owner          TEXT    NOT NULL,\n"
    "    description    TEXT,\n"
    "    key_ref        TEXT    NOT NULL,\n"
    "    pubkey_pem     TEXT    NOT NULL,\n"
    "    cert_chain_pem TEXT,\n"
    "    enabled        INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),\n"
    "    multisign      INTEGER NOT NULL DEFAULT 1 CHECK (multisign >= 1),\n"
    "    scal           INTEGER NOT NULL DEFAULT 1 CHECK (scal IN (1, 2)),\n"
    "    pin_hash       TEXT,\n"
    "    pin_format     CHAR(1) NOT NULL DEFAULT 'N' CHECK (pin_format IN ('N', 'A')),\n"
    "    otp_type       TEXT    CHECK (otp_type IN ('totp', 'hotp', 'online')),\n"
    "    otp_secret     TEXT,\n"
    "    otp_digits     INTEGER NOT NULL DEFAULT 6,\n"
    "    otp_period     INTEGER NOT NULL DEFAULT 30,\n"
    "    otp_hash       TEXT,\n"
    "    hotp_counter   BIGINT  NOT NULL DEFAULT 0,\n"
    "    totp_last_step BIGINT  NOT NULL DEFAULT 0,\n"
    "    fail_count     INTEGER NOT NULL DEFAULT 0 CHECK (fail_count >= 0),\n"
    "    blocked        INTEGER NOT NULL DEFAULT 0 CHECK (blocked IN (0, 1)),\n"
    "    created        BIGINT  NOT NULL,\n"
    "    updated        BIGINT  NOT NULL\n"
    ");\n"
    "CREATE INDEX csc_credential_owner_idx ON csc_credential (owner, id);\n"
    CSC_STORE_CLIENT_TABLE ";";

/* [v]: the statement that takes version v to v + 1, run in one
 * transaction with the version update (csc_store_migrate) */
static const char *const csc_store_migrations[] = {
    NULL,                                   /* no version 0 */
    CSC_STORE_CLIENT_TABLE,                 /* 1 -> 2 */
};

#endif
