/* SPDX-License-Identifier: Apache-2.0 */
/* csc-admin: private declarations shared by the enrollment tool's files.
 *
 * The tool is a thin front end: every rule about what a credential may look
 * like lives in shared/ (store validation, PIN hashing, OTP secrets, X.509
 * checks, key references), so httpd and the tool cannot disagree.  What is
 * here is command-line handling plus the one thing the core does not do:
 * creating and destroying key objects on a PKCS#11 token. */
#ifndef CSC_ADMIN_H
#define CSC_ADMIN_H

#include <apr_pools.h>
#include <apr_errno.h>
#include <apr_tables.h>

#include "store/csc_store.h"

/* Exit codes (documented in the global help). */
#define CSC_ADMIN_EXIT_OK    0
#define CSC_ADMIN_EXIT_FAIL  1
#define CSC_ADMIN_EXIT_USAGE 2

#define CSC_ADMIN_STR_(x) #x
#define CSC_ADMIN_STR(x) CSC_ADMIN_STR_(x)

#define CSC_ADMIN_DEFAULT_MODULE \
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"

/* Bound for every file the tool reads (certificates, CSRs, PIN files). */
#define CSC_ADMIN_MAX_FILE (1024 * 1024)

typedef struct csc_admin_cmd_t csc_admin_cmd_t;

typedef struct {
    apr_pool_t *pool;
    const csc_admin_cmd_t *cmd;     /* the subcommand being run */
    const char *store_spec;         /* --store or $CSC_STORE */
    const char *pkcs11_module;      /* --pkcs11-module */
    const char *pkcs11_pin_file;    /* --pkcs11-pin-file */
    const char *pkcs11_pin;         /* loaded on demand; scrubbed at exit */
    int pkcs11_pin_loaded;
    int signer_configured;
} csc_admin_t;

typedef int csc_admin_run_fn(csc_admin_t *a, int argc, char **argv);

struct csc_admin_cmd_t {
    const char *name;
    const char *summary;            /* one line for the global help */
    const char *help;               /* full text for CMD --help */
    csc_admin_run_fn *run;
};

/* ---- option parsing (csc_admin_util.c) --------------------------------
 * Each subcommand lists its own long options; the global ones (--store,
 * --pkcs11-module, --pkcs11-pin-file) and --help/-h are appended and
 * handled here, so they may appear anywhere on the line.  Non-option words
 * are collected as positional arguments, independent of POSIXLY_CORRECT. */
typedef struct {
    const char *name;
    int has_arg;                    /* 0 or 1 */
    int key;                        /* > 255, returned by csc_admin_getopt */
} csc_admin_opt_t;

#define CSC_ADMIN_GETOPT_END   (-1)
#define CSC_ADMIN_GETOPT_HELP  (-2)    /* --help seen: print help, exit 0 */
#define CSC_ADMIN_GETOPT_ERROR (-3)    /* message printed: exit 2 */

typedef struct {
    csc_admin_t *a;
    int argc;
    char **argv;
    const csc_admin_opt_t *opts;
    void *longopts;                 /* struct option[], built once */
    apr_array_header_t *positional; /* const char * */
    const char *optarg;
    int started;
} csc_admin_getopt_t;

void csc_admin_getopt_init(csc_admin_getopt_t *g, csc_admin_t *a, int argc,
                           char **argv, const csc_admin_opt_t *opts);
int csc_admin_getopt(csc_admin_getopt_t *g);

/* Messages: "csc-admin CMD: ..." on stderr.  Each returns its exit code so
 * callers can write `return csc_admin_fail(a, ...)`. */
int csc_admin_usage(csc_admin_t *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int csc_admin_fail(csc_admin_t *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void csc_admin_note(csc_admin_t *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int csc_admin_help(csc_admin_t *a);
void csc_admin_print_global_opts(void);

/* Parses a whole decimal number within [min, max]. */
int csc_admin_parse_int(const char *s, long min, long max, int *out);

/* Text of a (small) file, NUL-terminated, refused if it holds a NUL byte. */
apr_status_t csc_admin_read_file(const char *path, const char **text,
                                 apr_pool_t *p, const char **errmsg);
/* Writes data to path (mode 0644, replacing it), or to stdout for "-". */
apr_status_t csc_admin_write_file(const char *path, const char *data,
                                  apr_pool_t *p, const char **errmsg);

/* Secrets.  A line read from a file or stdin, without the line end; the
 * buffer is scrubbed when p is cleaned up.  csc_admin_read_secret_stdin
 * turns echo off and asks twice when stdin is a terminal. */
apr_status_t csc_admin_read_secret_file(const char *path, const char **secret,
                                        apr_pool_t *p, const char **errmsg);
apr_status_t csc_admin_read_secret_stdin(const char *prompt,
                                         const char **secret, apr_pool_t *p,
                                         const char **errmsg);
/* Scrubs buf when p is cleaned up. */
void csc_admin_scrub_on_cleanup(apr_pool_t *p, char *buf, apr_size_t len);

/* The token user PIN from --pkcs11-pin-file or $CSC_PKCS11_PIN; NULL with
 * *errmsg set if neither is given. */
apr_status_t csc_admin_pkcs11_pin(csc_admin_t *a, const char **pin,
                                  const char **errmsg);

/* Opens the store named by --store / $CSC_STORE.  Returns an exit code:
 * 2 when no store is named, 1 when it does not open. */
int csc_admin_open_store(csc_admin_t *a, csc_store_t **st);

/* Reads credential id; prints the error and returns the exit code. */
int csc_admin_get_cred(csc_admin_t *a, csc_store_t *st, const char *id,
                       csc_credential_t **c);

/* ---- key references and the signer layer (csc_admin_signer.c) --------- */

/* Checks ref through the signer layer, loads its public key and returns it
 * as SPKI PEM. */
apr_status_t csc_admin_key_public_pem(csc_admin_t *a, const char *ref,
                                      const char **pem, const char **errmsg);
/* A PKCS#10 request for subject, signed with the key behind ref through
 * csc_signer_sign() (so an HSM key proves possession), PEM.  pubkey_pem is
 * the key's public half, as stored. */
apr_status_t csc_admin_key_csr(csc_admin_t *a, const char *ref,
                               const char *pubkey_pem, const char *subject,
                               const char **csr_pem, const char **errmsg);

/* ---- PKCS#11 token objects (csc_admin_p11.c) --------------------------- */

typedef struct {
    int is_ec;
    int bits;                       /* RSA modulus size */
    const char *curve;              /* EC: "P-256", "P-384", "P-521" */
    const unsigned char *ec_params; /* DER OID of the curve */
    apr_size_t ec_params_len;
} csc_admin_keyspec_t;

/* "rsa:2048|3072|4096" or "ec:P-256|P-384|P-521" (case-insensitive). */
apr_status_t csc_admin_keyspec_parse(const char *s, csc_admin_keyspec_t *ks);

/* A key pair generated on the token. */
typedef struct {
    unsigned char *id;              /* CKA_ID of both objects */
    apr_size_t id_len;
    const char *key_ref;            /* see csc_admin_p11_make_ref() */
    const char *pubkey_pem;         /* read from the token's public object */
} csc_admin_p11_key_t;

apr_status_t csc_admin_p11_keygen(const char *module, const char *token_label,
                                  const char *pin,
                                  const csc_admin_keyspec_t *ks,
                                  const char *key_label,
                                  csc_admin_p11_key_t *out, apr_pool_t *p,
                                  const char **errmsg);

/* Destroys every object with CKA_ID id on the token (private and public
 * key, certificate); *count tells how many there were. */
apr_status_t csc_admin_p11_delete(const char *module, const char *token_label,
                                  const char *pin, const unsigned char *id,
                                  apr_size_t id_len, int *count,
                                  apr_pool_t *p, const char **errmsg);

/* ---- key references for token keys (csc_admin_keyref.c) -------------- */

/* "engine:pkcs11:token=<label>;id=<%xx...>;type=private", with the label
 * percent-encoded where needed. */
const char *csc_admin_p11_make_ref(const char *token,
                                   const unsigned char *id,
                                   apr_size_t id_len, apr_pool_t *p);

/* Splits an "engine:pkcs11:..." key reference into its token label and
 * CKA_ID (percent-decoded).  APR_ENOTIMPL for other references or ones
 * without both attributes. */
apr_status_t csc_admin_p11_parse_ref(const char *ref, const char **token,
                                     unsigned char **id, apr_size_t *id_len,
                                     apr_pool_t *p);

/* ---- subcommands ------------------------------------------------------- */

/* csc_admin_manage.c */
extern const csc_admin_cmd_t csc_admin_cmd_init, csc_admin_cmd_list,
    csc_admin_cmd_show, csc_admin_cmd_enable, csc_admin_cmd_disable,
    csc_admin_cmd_unblock, csc_admin_cmd_delete;
/* csc_admin_clients.c */
extern const csc_admin_cmd_t csc_admin_cmd_client, csc_admin_cmd_migrate;
/* csc_admin_cred.c */
extern const csc_admin_cmd_t csc_admin_cmd_ca_create, csc_admin_cmd_create,
    csc_admin_cmd_attach_cert, csc_admin_cmd_csr;
/* csc_admin_auth.c */
extern const csc_admin_cmd_t csc_admin_cmd_set_pin, csc_admin_cmd_set_otp;
/* csc_admin_logins.c */
extern const csc_admin_cmd_t csc_admin_cmd_revoke_logins;

/* Short description of the authorization policy, e.g. "PIN(N)+TOTP". */
const char *csc_admin_auth_policy(const csc_credential_t *c, apr_pool_t *p);
/* "enabled", "disabled" or "blocked". */
const char *csc_admin_status(const csc_credential_t *c);
/* "RSA-2048", "EC-P-256", ... or "?" from the stored public key. */
const char *csc_admin_key_type(const csc_credential_t *c, apr_pool_t *p);

/* Checks a PEM chain for a credential: the end-entity certificate must
 * carry pubkey_pem and each certificate must be issued by the next one. */
apr_status_t csc_admin_check_chain(const char *chain_pem,
                                   const char *pubkey_pem, apr_pool_t *p,
                                   const char **errmsg);

#endif
