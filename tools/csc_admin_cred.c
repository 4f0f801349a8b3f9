/* SPDX-License-Identifier: Apache-2.0 */
/* Enrollment: keys and certificates (create, attach-cert, csr, ca-create). */
#include <stdio.h>
#include <string.h>

#include <apr_strings.h>

#include "csc_admin.h"
#include "enroll/csc_ca.h"
#include "crypto/csc_x509.h"

#define DEFAULT_CA_DAYS 3650
#define DEFAULT_CERT_DAYS 365
#define MAX_DAYS 36500
#define MAX_MULTISIGN 100000

enum {
    O_ID = 0x100, O_OWNER, O_GENERATE, O_TOKEN_LABEL, O_KEY_LABEL, O_KEY_REF,
    O_DESCRIPTION, O_MULTISIGN, O_SCAL, O_SUBJECT, O_CA_KEY, O_CA_CERT,
    O_DAYS, O_CSR_OUT, O_CERT_CHAIN, O_DISABLED, O_OUT
};

/* Rebuilds the chain from its certificates only, so comments or other PEM
 * blocks in the input never reach the store. */
static const char *normalize_chain(apr_array_header_t *certs, apr_pool_t *p)
{
    apr_array_header_t *parts = apr_array_make(p, 8, sizeof(const char *));
    int i;

    for (i = 0; i < certs->nelts; i++) {
        const csc_cert_info_t *ci = APR_ARRAY_IDX(certs, i,
                                                  const csc_cert_info_t *);
        const char *b64 = ci->der_b64;
        apr_size_t len = strlen(b64), off;

        APR_ARRAY_PUSH(parts, const char *) = "-----BEGIN CERTIFICATE-----\n";
        for (off = 0; off < len; off += 64) {
            APR_ARRAY_PUSH(parts, const char *) =
                apr_pstrcat(p, apr_pstrndup(p, b64 + off, 64), "\n", NULL);
        }
        APR_ARRAY_PUSH(parts, const char *) = "-----END CERTIFICATE-----\n";
    }
    return apr_array_pstrcat(p, parts, '\0');
}

apr_status_t csc_admin_check_chain(const char *chain_pem,
                                   const char *pubkey_pem, apr_pool_t *p,
                                   const char **errmsg)
{
    apr_array_header_t *certs;
    apr_status_t rv;

    rv = csc_x509_parse_chain(chain_pem, &certs, p, errmsg);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = csc_x509_matches_key(chain_pem, pubkey_pem);
    if (rv == APR_EMISMATCH) {
        *errmsg = "the first (end-entity) certificate does not carry the "
                  "credential's public key";
        return rv;
    }
    if (rv != APR_SUCCESS) {
        *errmsg = "cannot compare the certificate with the public key";
        return rv;
    }
    return csc_x509_check_chain(chain_pem, errmsg);
}

/* Reads, checks and normalises a chain file for pubkey_pem. */
static apr_status_t load_chain(const char *path, const char *pubkey_pem,
                               const char **chain, apr_pool_t *p,
                               const char **errmsg)
{
    apr_array_header_t *certs;
    const char *text;
    apr_status_t rv;

    rv = csc_admin_read_file(path, &text, p, errmsg);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = csc_admin_check_chain(text, pubkey_pem, p, errmsg);
    if (rv != APR_SUCCESS) {
        *errmsg = apr_psprintf(p, "%s: %s", path, *errmsg);
        return rv;
    }
    rv = csc_x509_parse_chain(text, &certs, p, errmsg);
    if (rv == APR_SUCCESS) {
        *chain = normalize_chain(certs, p);
    }
    return rv;
}

/* Certificate from the local CA for a CSR signed by the credential's key;
 * the chain is the certificate followed by the CA certificate. */
static apr_status_t issue_local(csc_admin_t *a, const char *ref,
                                const char *pubkey_pem, const char *subject,
                                const char *ca_key, const char *ca_cert,
                                int days, const char **chain,
                                const char **errmsg)
{
    const char *csr, *cert, *ca_pem, *full;
    apr_array_header_t *certs;
    apr_status_t rv;

    rv = csc_admin_key_csr(a, ref, pubkey_pem, subject, &csr, errmsg);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = csc_ca_issue_from_csr(ca_key, ca_cert, csr, days, &cert, a->pool,
                               errmsg);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    rv = csc_admin_read_file(ca_cert, &ca_pem, a->pool, errmsg);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    full = apr_pstrcat(a->pool, cert, ca_pem, NULL);
    rv = csc_admin_check_chain(full, pubkey_pem, a->pool, errmsg);
    if (rv == APR_SUCCESS) {
        rv = csc_x509_parse_chain(full, &certs, a->pool, errmsg);
    }
    if (rv == APR_SUCCESS) {
        *chain = normalize_chain(certs, a->pool);
    }
    return rv;
}

/* ---- create ------------------------------------------------------------ */

typedef struct {
    const char *id, *owner, *generate, *token_label, *key_label, *key_ref;
    const char *description, *subject, *ca_key, *ca_cert, *csr_out;
    const char *cert_chain;
    int multisign, scal, days, disabled;
} create_args_t;

static const csc_admin_opt_t create_opts[] = {
    { "id", 1, O_ID }, { "owner", 1, O_OWNER },
    { "generate", 1, O_GENERATE }, { "token-label", 1, O_TOKEN_LABEL },
    { "key-label", 1, O_KEY_LABEL }, { "key-ref", 1, O_KEY_REF },
    { "description", 1, O_DESCRIPTION }, { "multisign", 1, O_MULTISIGN },
    { "scal", 1, O_SCAL }, { "subject", 1, O_SUBJECT },
    { "ca-key", 1, O_CA_KEY }, { "ca-cert", 1, O_CA_CERT },
    { "days", 1, O_DAYS }, { "csr-out", 1, O_CSR_OUT },
    { "cert-chain", 1, O_CERT_CHAIN }, { "disabled", 0, O_DISABLED },
    { NULL, 0, 0 }
};

static int create_check_args(csc_admin_t *a, const create_args_t *x,
                             csc_admin_keyspec_t *ks)
{
    if (!x->id || !*x->id || !x->owner || !*x->owner) {
        return csc_admin_usage(a, "--id and --owner are required");
    }
    if (!x->generate == !x->key_ref) {
        return csc_admin_usage(a, "give exactly one of --generate and "
                               "--key-ref");
    }
    if (x->generate) {
        if (csc_admin_keyspec_parse(x->generate, ks) != APR_SUCCESS) {
            return csc_admin_usage(a, "--generate takes rsa:2048, rsa:3072, "
                                   "rsa:4096, ec:P-256, ec:P-384 or "
                                   "ec:P-521");
        }
        if (!x->token_label || !*x->token_label) {
            return csc_admin_usage(a, "--generate needs --token-label");
        }
        if (x->cert_chain) {
            return csc_admin_usage(a, "a new key has no certificate yet: "
                                   "use --subject, or attach-cert later");
        }
    }
    else if (x->token_label || x->key_label) {
        return csc_admin_usage(a, "--token-label and --key-label go with "
                               "--generate");
    }
    if (x->subject) {
        if (x->cert_chain) {
            return csc_admin_usage(a, "--subject and --cert-chain exclude "
                                   "each other");
        }
        if (!x->csr_out == !(x->ca_key || x->ca_cert)) {
            return csc_admin_usage(a, "--subject needs either --ca-key and "
                                   "--ca-cert, or --csr-out");
        }
        if (x->ca_key && !x->ca_cert) {
            return csc_admin_usage(a, "--ca-key needs --ca-cert");
        }
        if (x->ca_cert && !x->ca_key) {
            return csc_admin_usage(a, "--ca-cert needs --ca-key");
        }
    }
    else if (x->ca_key || x->ca_cert || x->csr_out) {
        return csc_admin_usage(a, "--ca-key, --ca-cert and --csr-out need "
                               "--subject");
    }
    if (x->days && !x->ca_key) {
        return csc_admin_usage(a, "--days goes with --ca-key/--ca-cert");
    }
    return CSC_ADMIN_EXIT_OK;
}

/* Removes a key generated by this run after a later step failed. */
static void create_rollback(csc_admin_t *a, const create_args_t *x,
                            const csc_admin_p11_key_t *k)
{
    const char *pin, *err = NULL;
    int count = 0;

    if (csc_admin_pkcs11_pin(a, &pin, &err) != APR_SUCCESS
        || csc_admin_p11_delete(a->pkcs11_module, x->token_label, pin, k->id,
                                k->id_len, &count, a->pool, &err)
           != APR_SUCCESS) {
        csc_admin_note(a, "could not remove the generated key %s: %s",
                       k->key_ref, err ? err : "error");
    }
    else {
        csc_admin_note(a, "removed the generated key again (%d objects)",
                       count);
    }
}

static int create_run(csc_admin_t *a, int argc, char **argv)
{
    csc_admin_getopt_t g;
    create_args_t x;
    csc_admin_keyspec_t ks;
    csc_admin_p11_key_t key;
    csc_credential_t c, *old;
    csc_store_t *st;
    const char *err = NULL, *pin, *pub = NULL, *chain = NULL, *csr;
    apr_status_t rv;
    int opt, ex, generated = 0;

    memset(&x, 0, sizeof(x));
    memset(&key, 0, sizeof(key));
    x.multisign = 1;
    x.scal = 1;
    csc_admin_getopt_init(&g, a, argc, argv, create_opts);
    while ((opt = csc_admin_getopt(&g)) != CSC_ADMIN_GETOPT_END) {
        switch (opt) {
        case CSC_ADMIN_GETOPT_HELP:
            return csc_admin_help(a);
        case CSC_ADMIN_GETOPT_ERROR:
            return CSC_ADMIN_EXIT_USAGE;
        case O_ID: x.id = g.optarg; break;
        case O_OWNER: x.owner = g.optarg; break;
        case O_GENERATE: x.generate = g.optarg; break;
        case O_TOKEN_LABEL: x.token_label = g.optarg; break;
        case O_KEY_LABEL: x.key_label = g.optarg; break;
        case O_KEY_REF: x.key_ref = g.optarg; break;
        case O_DESCRIPTION: x.description = g.optarg; break;
        case O_SUBJECT: x.subject = g.optarg; break;
        case O_CA_KEY: x.ca_key = g.optarg; break;
        case O_CA_CERT: x.ca_cert = g.optarg; break;
        case O_CSR_OUT: x.csr_out = g.optarg; break;
        case O_CERT_CHAIN: x.cert_chain = g.optarg; break;
        case O_DISABLED: x.disabled = 1; break;
        case O_MULTISIGN:
            if (!csc_admin_parse_int(g.optarg, 1, MAX_MULTISIGN,
                                     &x.multisign)) {
                return csc_admin_usage(a, "--multisign takes a number from "
                                       "1 to %d", MAX_MULTISIGN);
            }
            break;
        case O_SCAL:
            if (!csc_admin_parse_int(g.optarg, 1, 2, &x.scal)) {
                return csc_admin_usage(a, "--scal takes 1 or 2");
            }
            break;
        case O_DAYS:
            /* negative: an already expired certificate, for tests */
            if (!csc_admin_parse_int(g.optarg, -MAX_DAYS, MAX_DAYS, &x.days)
                || x.days == 0) {
                return csc_admin_usage(a, "--days takes a number from 1 to "
                                       "%d", MAX_DAYS);
            }
            break;
        }
    }
    if (g.positional->nelts) {
        return csc_admin_usage(a, "unexpected argument '%s'",
                               APR_ARRAY_IDX(g.positional, 0, const char *));
    }
    if ((ex = create_check_args(a, &x, &ks)) != CSC_ADMIN_EXIT_OK) {
        return ex;
    }
    if ((ex = csc_admin_open_store(a, &st)) != CSC_ADMIN_EXIT_OK) {
        return ex;
    }
    /* Everything that can be checked before touching the token is. */
    rv = csc_store_get(st, x.id, &old, a->pool);
    if (rv == APR_SUCCESS) {
        return csc_admin_fail(a, "credential '%s' already exists", x.id);
    }
    if (rv != APR_NOTFOUND) {
        return csc_admin_fail(a, "cannot read the store");
    }

    if (x.generate) {
        if (csc_admin_pkcs11_pin(a, &pin, &err) != APR_SUCCESS) {
            return csc_admin_fail(a, "%s", err);
        }
        rv = csc_admin_p11_keygen(a->pkcs11_module, x.token_label, pin, &ks,
                                  x.key_label ? x.key_label : x.id, &key,
                                  a->pool, &err);
        if (rv != APR_SUCCESS) {
            return csc_admin_fail(a, "%s", err);
        }
        generated = 1;
        x.key_ref = key.key_ref;
    }
    rv = csc_admin_key_public_pem(a, x.key_ref, &pub, &err);
    if (rv != APR_SUCCESS) {
        err = apr_psprintf(a->pool, "key reference %s does not work: %s",
                           x.key_ref, err ? err : "error");
        goto failed;
    }
    if (generated && strcmp(pub, key.pubkey_pem) != 0) {
        err = "the signer resolved the new key reference to another key";
        rv = APR_EGENERAL;
        goto failed;
    }

    if (x.subject && x.ca_key) {
        rv = issue_local(a, x.key_ref, pub, x.subject, x.ca_key, x.ca_cert,
                         x.days ? x.days : DEFAULT_CERT_DAYS, &chain, &err);
    }
    else if (x.subject) {
        rv = csc_admin_key_csr(a, x.key_ref, pub, x.subject, &csr, &err);
        if (rv == APR_SUCCESS) {
            rv = csc_admin_write_file(x.csr_out, csr, a->pool, &err);
        }
    }
    else if (x.cert_chain) {
        rv = load_chain(x.cert_chain, pub, &chain, a->pool, &err);
    }
    if (rv != APR_SUCCESS) {
        goto failed;
    }

    memset(&c, 0, sizeof(c));
    c.id = x.id;
    c.owner = x.owner;
    c.description = x.description;
    c.key_ref = x.key_ref;
    c.pubkey_pem = pub;
    c.cert_chain_pem = chain;
    c.enabled = chain && !x.disabled;
    c.multisign = x.multisign;
    c.scal = x.scal;
    c.pin_format = 'N';
    c.otp_digits = 6;
    c.otp_period = 30;
    rv = csc_store_validate(&c, &err, a->pool);
    if (rv == APR_SUCCESS) {
        rv = csc_store_insert(st, &c, a->pool);
        if (rv == APR_EEXIST) {
            err = "the id was taken meanwhile";
        }
        else if (rv != APR_SUCCESS) {
            err = "cannot write to the store";
        }
    }
    if (rv != APR_SUCCESS) {
        goto failed;
    }
    printf("created credential %s (owner %s, %s)\n  key: %s\n", c.id,
           c.owner, c.enabled ? "enabled" : "disabled", c.key_ref);
    if (!chain) {
        printf("  no certificate yet: it stays disabled until "
               "'attach-cert' and 'enable'\n");
    }
    if (x.csr_out) {
        printf("  certificate request written to %s\n", x.csr_out);
    }
    return CSC_ADMIN_EXIT_OK;

failed:
    if (generated) {
        create_rollback(a, &x, &key);
    }
    return csc_admin_fail(a, "%s", err ? err : "failed");
}

const csc_admin_cmd_t csc_admin_cmd_create = {
    "create", "enroll a credential (new token key or existing key)",
    "Usage: csc-admin create --id ID --owner USER\n"
    "           (--generate SPEC --token-label LABEL [--key-label L]\n"
    "            | --key-ref REF)\n"
    "           [--description TEXT] [--multisign N] [--scal 1|2]\n"
    "           [--subject DN (--ca-key F --ca-cert F [--days N]\n"
    "                          | --csr-out F)]\n"
    "           [--cert-chain F] [--disabled]\n"
    "Creates credential ID owned by USER.\n"
    "  --generate SPEC     new key pair on the PKCS#11 token: rsa:2048,\n"
    "                      rsa:3072, rsa:4096, ec:P-256, ec:P-384, ec:P-521\n"
    "  --token-label LABEL token to create it on\n"
    "  --key-label L       object label (default: ID)\n"
    "  --key-ref REF       use an existing key: engine:pkcs11:<URI>,\n"
    "                      provider:<URI> or file:/path/key.pem\n"
    "  --subject DN        certificate subject, e.g. \"CN=Alice,O=Example\"\n"
    "  --ca-key/--ca-cert  issue the certificate with this local CA (the\n"
    "                      request is signed by the credential's key)\n"
    "  --days N            certificate validity (default 365); a negative\n"
    "                      N issues one that expired N days ago (tests)\n"
    "  --csr-out F         write a certificate request for an external CA\n"
    "  --cert-chain F      PEM chain (end-entity first) issued elsewhere\n"
    "  --multisign N       signatures per authorization (default 1)\n"
    "  --scal 1|2          sole control assurance level (default 1)\n"
    "  --disabled          store it disabled\n"
    "A credential without a certificate is stored disabled.\n",
    create_run
};

/* ---- attach-cert -------------------------------------------------------- */

static const csc_admin_opt_t attach_opts[] = {
    { "id", 1, O_ID }, { "cert-chain", 1, O_CERT_CHAIN }, { NULL, 0, 0 }
};

static int attach_run(csc_admin_t *a, int argc, char **argv)
{
    csc_admin_getopt_t g;
    csc_credential_t *c;
    csc_store_t *st;
    const char *id = NULL, *file = NULL, *chain, *err = NULL;
    int opt, ex;

    csc_admin_getopt_init(&g, a, argc, argv, attach_opts);
    while ((opt = csc_admin_getopt(&g)) != CSC_ADMIN_GETOPT_END) {
        switch (opt) {
        case CSC_ADMIN_GETOPT_HELP:
            return csc_admin_help(a);
        case CSC_ADMIN_GETOPT_ERROR:
            return CSC_ADMIN_EXIT_USAGE;
        case O_ID: id = g.optarg; break;
        case O_CERT_CHAIN: file = g.optarg; break;
        }
    }
    if (g.positional->nelts || !id || !file) {
        return csc_admin_usage(a, "--id and --cert-chain are required");
    }
    if ((ex = csc_admin_open_store(a, &st)) != CSC_ADMIN_EXIT_OK
        || (ex = csc_admin_get_cred(a, st, id, &c)) != CSC_ADMIN_EXIT_OK) {
        return ex;
    }
    if (load_chain(file, c->pubkey_pem, &chain, a->pool, &err)
        != APR_SUCCESS) {
        return csc_admin_fail(a, "%s", err);
    }
    c->cert_chain_pem = chain;
    c->updated = 0;
    if (csc_store_update(st, c, a->pool) != APR_SUCCESS) {
        return csc_admin_fail(a, "cannot update credential '%s'", id);
    }
    printf("attached the certificate chain to %s\n", id);
    if (!c->enabled) {
        printf("  the credential is disabled: 'csc-admin enable %s' "
               "turns it on\n", id);
    }
    return CSC_ADMIN_EXIT_OK;
}

const csc_admin_cmd_t csc_admin_cmd_attach_cert = {
    "attach-cert", "attach a certificate chain to a credential",
    "Usage: csc-admin attach-cert --id ID --cert-chain FILE\n"
    "Stores the PEM chain in FILE (end-entity certificate first) for\n"
    "credential ID, after checking that the end-entity certificate carries\n"
    "the credential's public key and that each certificate is issued by\n"
    "the next.  The enabled/disabled state is not changed.\n",
    attach_run
};

/* ---- csr ---------------------------------------------------------------- */

static const csc_admin_opt_t csr_opts[] = {
    { "id", 1, O_ID }, { "subject", 1, O_SUBJECT }, { "out", 1, O_OUT },
    { NULL, 0, 0 }
};

static int csr_run(csc_admin_t *a, int argc, char **argv)
{
    csc_admin_getopt_t g;
    csc_credential_t *c;
    csc_store_t *st;
    const char *id = NULL, *subject = NULL, *out = "-", *csr, *err = NULL;
    int opt, ex;

    csc_admin_getopt_init(&g, a, argc, argv, csr_opts);
    while ((opt = csc_admin_getopt(&g)) != CSC_ADMIN_GETOPT_END) {
        switch (opt) {
        case CSC_ADMIN_GETOPT_HELP:
            return csc_admin_help(a);
        case CSC_ADMIN_GETOPT_ERROR:
            return CSC_ADMIN_EXIT_USAGE;
        case O_ID: id = g.optarg; break;
        case O_SUBJECT: subject = g.optarg; break;
        case O_OUT: out = g.optarg; break;
        }
    }
    if (g.positional->nelts || !id || !subject) {
        return csc_admin_usage(a, "--id and --subject are required");
    }
    if ((ex = csc_admin_open_store(a, &st)) != CSC_ADMIN_EXIT_OK
        || (ex = csc_admin_get_cred(a, st, id, &c)) != CSC_ADMIN_EXIT_OK) {
        return ex;
    }
    if (csc_admin_key_csr(a, c->key_ref, c->pubkey_pem, subject, &csr, &err)
        != APR_SUCCESS
        || csc_admin_write_file(out, csr, a->pool, &err) != APR_SUCCESS) {
        return csc_admin_fail(a, "%s", err ? err : "failed");
    }
    return CSC_ADMIN_EXIT_OK;
}

const csc_admin_cmd_t csc_admin_cmd_csr = {
    "csr", "write a certificate request for a credential's key",
    "Usage: csc-admin csr --id ID --subject DN [--out FILE]\n"
    "Writes a PKCS#10 request (PEM) for the key of credential ID, signed\n"
    "with that key, to FILE (default: standard output).\n",
    csr_run
};

/* ---- ca-create ---------------------------------------------------------- */

static const csc_admin_opt_t ca_opts[] = {
    { "ca-key", 1, O_CA_KEY }, { "ca-cert", 1, O_CA_CERT },
    { "subject", 1, O_SUBJECT }, { "days", 1, O_DAYS }, { NULL, 0, 0 }
};

static int ca_create_run(csc_admin_t *a, int argc, char **argv)
{
    csc_admin_getopt_t g;
    const char *key = NULL, *cert = NULL, *subject = NULL, *err = NULL;
    int opt, days = DEFAULT_CA_DAYS;

    csc_admin_getopt_init(&g, a, argc, argv, ca_opts);
    while ((opt = csc_admin_getopt(&g)) != CSC_ADMIN_GETOPT_END) {
        switch (opt) {
        case CSC_ADMIN_GETOPT_HELP:
            return csc_admin_help(a);
        case CSC_ADMIN_GETOPT_ERROR:
            return CSC_ADMIN_EXIT_USAGE;
        case O_CA_KEY: key = g.optarg; break;
        case O_CA_CERT: cert = g.optarg; break;
        case O_SUBJECT: subject = g.optarg; break;
        case O_DAYS:
            if (!csc_admin_parse_int(g.optarg, 1, MAX_DAYS, &days)) {
                return csc_admin_usage(a, "--days takes a number from 1 to "
                                       "%d", MAX_DAYS);
            }
            break;
        }
    }
    if (g.positional->nelts || !key || !cert || !subject) {
        return csc_admin_usage(a, "--ca-key, --ca-cert and --subject are "
                               "required");
    }
    if (csc_ca_create(subject, days, key, cert, a->pool, &err)
        != APR_SUCCESS) {
        return csc_admin_fail(a, "%s", err ? err : "failed");
    }
    printf("created CA %s\n  key: %s\n  certificate: %s\n", subject, key,
           cert);
    return CSC_ADMIN_EXIT_OK;
}

const csc_admin_cmd_t csc_admin_cmd_ca_create = {
    "ca-create", "create a local CA (tests and demos)",
    "Usage: csc-admin ca-create --ca-key FILE --ca-cert FILE --subject DN\n"
    "           [--days N]\n"
    "Creates a self-signed CA with a new software EC P-256 key, for tests\n"
    "and demos, not for production.  The key file (mode 0600, unencrypted)\n"
    "must not exist yet.  --days defaults to 3650.\n",
    ca_create_run
};
