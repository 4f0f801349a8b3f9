/* SPDX-License-Identifier: Apache-2.0 */
/* Store administration: init, list, show, enable, disable, unblock,
 * delete. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <apr_strings.h>

#include <jansson.h>

#include "csc_admin.h"
#include "crypto/csc_x509.h"

enum {
    O_OWNER = 0x100, O_JSON, O_DELETE_KEY, O_ID
};

const char *csc_admin_status(const csc_credential_t *c)
{
    return c->blocked ? "blocked" : c->enabled ? "enabled" : "disabled";
}

const char *csc_admin_auth_policy(const csc_credential_t *c, apr_pool_t *p)
{
    const char *pin = NULL, *otp = NULL;

    if (c->pin_hash && *c->pin_hash) {
        pin = apr_psprintf(p, "PIN(%c)", c->pin_format);
    }
    if (c->otp_type) {
        otp = !strcmp(c->otp_type, "totp") ? "TOTP"
              : !strcmp(c->otp_type, "hotp") ? "HOTP" : "online-OTP";
    }
    if (pin && otp) {
        return apr_pstrcat(p, pin, "+", otp, NULL);
    }
    return pin ? pin : otp ? otp : "none";
}

const char *csc_admin_key_type(const csc_credential_t *c, apr_pool_t *p)
{
    csc_key_info_t ki;
    const char *err;

    if (csc_x509_key_info_from_spki_pem(c->pubkey_pem, &ki, &err)
        != APR_SUCCESS) {
        return "?";
    }
    if (ki.type == CSC_KEY_RSA) {
        return apr_psprintf(p, "RSA-%d", ki.bits);
    }
    if (ki.type == CSC_KEY_EC) {
        const csc_curve_t *cv = ki.curve_oid
                                ? csc_algo_curve_by_oid(ki.curve_oid) : NULL;

        return cv ? apr_pstrcat(p, "EC-", cv->nist_name, NULL)
                  : apr_psprintf(p, "EC-%d", ki.bits);
    }
    return "?";
}

static const char *iso_time(apr_int64_t t, apr_pool_t *p)
{
    time_t tt = (time_t)t;
    struct tm tm;
    char buf[32];

    if (!gmtime_r(&tt, &tm)
        || !strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm)) {
        return apr_psprintf(p, "%" APR_INT64_T_FMT, t);
    }
    return apr_pstrdup(p, buf);
}

/* Parses the options of a command taking one credential ID (positional
 * or --id), or none when id is NULL.  Returns -1 to go on, else an exit
 * code. */
static int parse_id_cmd(csc_admin_t *a, int argc, char **argv,
                        const csc_admin_opt_t *opts, const char **id,
                        int *flag, int flag_key, const char **val,
                        int val_key)
{
    csc_admin_getopt_t g;
    const char *named = NULL;
    int opt, n;

    csc_admin_getopt_init(&g, a, argc, argv, opts);
    while ((opt = csc_admin_getopt(&g)) != CSC_ADMIN_GETOPT_END) {
        if (opt == CSC_ADMIN_GETOPT_HELP) {
            return csc_admin_help(a);
        }
        if (opt == CSC_ADMIN_GETOPT_ERROR) {
            return CSC_ADMIN_EXIT_USAGE;
        }
        if (opt == O_ID) {
            named = g.optarg;
        }
        else if (flag && opt == flag_key) {
            *flag = 1;
        }
        else if (val && opt == val_key) {
            *val = g.optarg;
        }
    }
    n = g.positional->nelts;
    if (n > (id && !named ? 1 : 0)) {
        return csc_admin_usage(a, "unexpected argument '%s'",
                               APR_ARRAY_IDX(g.positional, n - 1,
                                             const char *));
    }
    if (id) {
        *id = named ? named : n ? APR_ARRAY_IDX(g.positional, 0,
                                                const char *) : NULL;
        if (!*id || !**id) {
            return csc_admin_usage(a, "which credential? give its ID");
        }
    }
    return -1;
}

/* ---- init --------------------------------------------------------------- */

static int init_run(csc_admin_t *a, int argc, char **argv)
{
    const char *err = NULL;
    apr_status_t rv;
    int ex;

    ex = parse_id_cmd(a, argc, argv, NULL, NULL, NULL, 0, NULL, 0);
    if (ex >= 0) {
        return ex;
    }
    if (!a->store_spec || !*a->store_spec) {
        return csc_admin_usage(a, "no credential store: use --store SPEC "
                               "or set CSC_STORE");
    }
    rv = csc_store_create(a->store_spec, a->pool, &err);
    if (rv == APR_EEXIST) {
        return csc_admin_fail(a, "%s already exists; refusing to overwrite "
                              "it", csc_store_spec_display(a->store_spec, a->pool));
    }
    if (rv != APR_SUCCESS) {
        return csc_admin_fail(a, "cannot create %s: %s",
                              csc_store_spec_display(a->store_spec, a->pool),
                              err ? err : "error");
    }
    printf("created credential store %s\n",
           csc_store_spec_display(a->store_spec, a->pool));
    return CSC_ADMIN_EXIT_OK;
}

const csc_admin_cmd_t csc_admin_cmd_init = {
    "init", "create an empty credential store",
    "Usage: csc-admin init --store SPEC\n"
    "Creates the credential store (for sqlite3: the file, mode 0600, and\n"
    "the schema).  An existing store is never overwritten.  Give the httpd\n"
    "user write access to the file and its directory afterwards.\n",
    init_run
};

/* ---- list --------------------------------------------------------------- */

static const csc_admin_opt_t list_opts[] = {
    { "owner", 1, O_OWNER }, { NULL, 0, 0 }
};

static int list_run(csc_admin_t *a, int argc, char **argv)
{
    static const char *head[5] = { "ID", "OWNER", "KEY", "STATUS", "AUTH" };
    const char *owner = NULL;
    apr_array_header_t *all, *rows;
    csc_store_t *st;
    int width[5], i, j, ex;

    ex = parse_id_cmd(a, argc, argv, list_opts, NULL, NULL, 0, &owner,
                      O_OWNER);
    if (ex >= 0) {
        return ex;
    }
    if ((ex = csc_admin_open_store(a, &st)) != CSC_ADMIN_EXIT_OK) {
        return ex;
    }
    if (csc_store_list_all(st, &all, a->pool) != APR_SUCCESS) {
        return csc_admin_fail(a, "cannot read the store");
    }
    rows = apr_array_make(a->pool, all->nelts + 1, sizeof(const char **));
    APR_ARRAY_PUSH(rows, const char **) = head;
    for (i = 0; i < all->nelts; i++) {
        const csc_credential_t *c = APR_ARRAY_IDX(all, i,
                                                  const csc_credential_t *);
        const char **row;

        if (owner && strcmp(owner, c->owner) != 0) {
            continue;
        }
        row = apr_palloc(a->pool, 5 * sizeof(*row));
        row[0] = c->id;
        row[1] = c->owner;
        row[2] = csc_admin_key_type(c, a->pool);
        row[3] = csc_admin_status(c);
        row[4] = csc_admin_auth_policy(c, a->pool);
        APR_ARRAY_PUSH(rows, const char **) = row;
    }
    for (j = 0; j < 5; j++) {
        width[j] = 0;
        for (i = 0; i < rows->nelts; i++) {
            int w = (int)strlen(APR_ARRAY_IDX(rows, i, const char **)[j]);

            width[j] = w > width[j] ? w : width[j];
        }
    }
    for (i = 0; i < rows->nelts; i++) {
        const char **row = APR_ARRAY_IDX(rows, i, const char **);

        printf("%-*s  %-*s  %-*s  %-*s  %s\n", width[0], row[0], width[1],
               row[1], width[2], row[2], width[3], row[3], row[4]);
    }
    return CSC_ADMIN_EXIT_OK;
}

const csc_admin_cmd_t csc_admin_cmd_list = {
    "list", "list credentials",
    "Usage: csc-admin list [--owner USER]\n"
    "Prints one line per credential: id, owner, key type, status\n"
    "(enabled/disabled/blocked) and authorization policy.\n",
    list_run
};

/* ---- show --------------------------------------------------------------- */

static const csc_admin_opt_t show_opts[] = {
    { "id", 1, O_ID }, { "json", 0, O_JSON }, { NULL, 0, 0 }
};

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *show_json(const csc_credential_t *c, apr_array_header_t *certs,
                         apr_pool_t *p)
{
    json_t *o = json_object(), *jc = json_array(), *otp = json_object();
    int i;

    for (i = 0; certs && i < certs->nelts; i++) {
        const csc_cert_info_t *ci = APR_ARRAY_IDX(certs, i,
                                                  const csc_cert_info_t *);

        json_array_append_new(jc, json_pack("{s:s?,s:s?,s:s?,s:s?,s:s?}",
                                            "subject", ci->subject_dn,
                                            "issuer", ci->issuer_dn,
                                            "serial", ci->serial_hex,
                                            "valid_from", ci->valid_from,
                                            "valid_to", ci->valid_to));
    }
    json_object_set_new(otp, "type", jstr(c->otp_type));
    if (c->otp_type) {
        json_object_set_new(otp, "secret", json_string(
            c->otp_secret && *c->otp_secret ? "set" : "not set"));
        json_object_set_new(otp, "digits", json_integer(c->otp_digits));
        if (!strcmp(c->otp_type, "totp")) {
            json_object_set_new(otp, "period", json_integer(c->otp_period));
            json_object_set_new(otp, "last_step",
                                json_integer(c->totp_last_step));
        }
        if (!strcmp(c->otp_type, "hotp")) {
            json_object_set_new(otp, "counter",
                                json_integer(c->hotp_counter));
        }
        json_object_set_new(otp, "hash", jstr(c->otp_hash));
    }
    json_object_set_new(o, "id", json_string(c->id));
    json_object_set_new(o, "owner", json_string(c->owner));
    json_object_set_new(o, "description", jstr(c->description));
    json_object_set_new(o, "status", json_string(csc_admin_status(c)));
    json_object_set_new(o, "enabled", json_boolean(c->enabled));
    json_object_set_new(o, "blocked", json_boolean(c->blocked));
    json_object_set_new(o, "fail_count", json_integer(c->fail_count));
    json_object_set_new(o, "key_ref", json_string(c->key_ref));
    json_object_set_new(o, "key_type",
                        json_string(csc_admin_key_type(c, p)));
    json_object_set_new(o, "pubkey_pem", json_string(c->pubkey_pem));
    json_object_set_new(o, "certificates", jc);
    json_object_set_new(o, "cert_chain_pem", jstr(c->cert_chain_pem));
    json_object_set_new(o, "multisign", json_integer(c->multisign));
    json_object_set_new(o, "scal", json_integer(c->scal));
    json_object_set_new(o, "pin", json_string(c->pin_hash && *c->pin_hash
                                              ? "set" : "not set"));
    json_object_set_new(o, "pin_format",
                        json_stringn(&c->pin_format, 1));
    json_object_set_new(o, "otp", otp);
    json_object_set_new(o, "auth", json_string(csc_admin_auth_policy(c, p)));
    json_object_set_new(o, "created", json_integer(c->created));
    json_object_set_new(o, "updated", json_integer(c->updated));
    return o;
}

static void show_text(const csc_credential_t *c, apr_array_header_t *certs,
                      apr_pool_t *p)
{
    int i;

    printf("id:           %s\n", c->id);
    printf("owner:        %s\n", c->owner);
    printf("description:  %s\n", c->description ? c->description : "");
    printf("status:       %s (enabled %s, blocked %s, failures %d)\n",
           csc_admin_status(c), c->enabled ? "yes" : "no",
           c->blocked ? "yes" : "no", c->fail_count);
    printf("key:          %s\n", csc_admin_key_type(c, p));
    printf("key_ref:      %s\n", c->key_ref);
    printf("multisign:    %d\n", c->multisign);
    printf("scal:         %d\n", c->scal);
    printf("auth:         %s\n", csc_admin_auth_policy(c, p));
    printf("pin:          %s (format %c)\n",
           c->pin_hash && *c->pin_hash ? "set" : "not set", c->pin_format);
    if (c->otp_type) {
        printf("otp:          %s, %d digits", c->otp_type, c->otp_digits);
        if (!strcmp(c->otp_type, "totp")) {
            printf(", %d s, %s, last step %" APR_INT64_T_FMT, c->otp_period,
                   c->otp_hash, c->totp_last_step);
        }
        else if (!strcmp(c->otp_type, "hotp")) {
            printf(", %s, counter %" APR_INT64_T_FMT, c->otp_hash,
                   c->hotp_counter);
        }
        printf("; secret %s\n",
               c->otp_secret && *c->otp_secret ? "set" : "not set");
    }
    else {
        printf("otp:          not set\n");
    }
    printf("created:      %s\n", iso_time(c->created, p));
    printf("updated:      %s\n", iso_time(c->updated, p));
    for (i = 0; certs && i < certs->nelts; i++) {
        const csc_cert_info_t *ci = APR_ARRAY_IDX(certs, i,
                                                  const csc_cert_info_t *);

        printf("certificate %d:\n  subject:    %s\n  issuer:     %s\n"
               "  serial:     %s\n  valid:      %s - %s\n", i,
               ci->subject_dn, ci->issuer_dn, ci->serial_hex,
               ci->valid_from, ci->valid_to);
    }
    if (!certs) {
        printf("certificate:  none\n");
    }
    printf("public key:\n%s", c->pubkey_pem);
    if (c->cert_chain_pem && *c->cert_chain_pem) {
        printf("certificate chain:\n%s", c->cert_chain_pem);
    }
}

static int show_run(csc_admin_t *a, int argc, char **argv)
{
    const char *id = NULL, *err;
    apr_array_header_t *certs = NULL;
    csc_credential_t *c;
    csc_store_t *st;
    int json = 0, ex;

    ex = parse_id_cmd(a, argc, argv, show_opts, &id, &json, O_JSON, NULL, 0);
    if (ex >= 0) {
        return ex;
    }
    if ((ex = csc_admin_open_store(a, &st)) != CSC_ADMIN_EXIT_OK
        || (ex = csc_admin_get_cred(a, st, id, &c)) != CSC_ADMIN_EXIT_OK) {
        return ex;
    }
    if (c->cert_chain_pem && *c->cert_chain_pem
        && csc_x509_parse_chain(c->cert_chain_pem, &certs, a->pool, &err)
           != APR_SUCCESS) {
        csc_admin_note(a, "stored certificate chain: %s", err);
        certs = NULL;
    }
    if (json) {
        json_t *o = show_json(c, certs, a->pool);
        char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

        json_decref(o);
        if (!text) {
            return csc_admin_fail(a, "cannot encode JSON");
        }
        puts(text);
        free(text);
    }
    else {
        show_text(c, certs, a->pool);
    }
    return CSC_ADMIN_EXIT_OK;
}

const csc_admin_cmd_t csc_admin_cmd_show = {
    "show", "show one credential (without secrets)",
    "Usage: csc-admin show ID [--json]\n"
    "Prints everything about credential ID except secrets: the PIN hash\n"
    "and the OTP secret appear only as \"set\" or \"not set\".\n",
    show_run
};

/* ---- enable / disable / unblock ----------------------------------------- */

static const csc_admin_opt_t id_opts[] = {
    { "id", 1, O_ID }, { NULL, 0, 0 }
};

static int set_enabled(csc_admin_t *a, int argc, char **argv, int on)
{
    const char *id = NULL;
    csc_credential_t *c;
    csc_store_t *st;
    int ex;

    ex = parse_id_cmd(a, argc, argv, id_opts, &id, NULL, 0, NULL, 0);
    if (ex >= 0) {
        return ex;
    }
    if ((ex = csc_admin_open_store(a, &st)) != CSC_ADMIN_EXIT_OK
        || (ex = csc_admin_get_cred(a, st, id, &c)) != CSC_ADMIN_EXIT_OK) {
        return ex;
    }
    if (on && !(c->cert_chain_pem && *c->cert_chain_pem)) {
        return csc_admin_fail(a, "credential '%s' has no certificate: "
                              "attach one first (attach-cert)", id);
    }
    if (c->enabled != on) {
        c->enabled = on;
        c->updated = 0;
        if (csc_store_update(st, c, a->pool) != APR_SUCCESS) {
            return csc_admin_fail(a, "cannot update credential '%s'", id);
        }
    }
    printf("%s is %s%s\n", id, on ? "enabled" : "disabled",
           c->blocked ? " (but blocked: see unblock)" : "");
    return CSC_ADMIN_EXIT_OK;
}

static int enable_run(csc_admin_t *a, int argc, char **argv)
{
    return set_enabled(a, argc, argv, 1);
}

static int disable_run(csc_admin_t *a, int argc, char **argv)
{
    return set_enabled(a, argc, argv, 0);
}

const csc_admin_cmd_t csc_admin_cmd_enable = {
    "enable", "enable a credential",
    "Usage: csc-admin enable ID\n"
    "Enables credential ID; it must have a certificate.\n",
    enable_run
};

const csc_admin_cmd_t csc_admin_cmd_disable = {
    "disable", "disable a credential",
    "Usage: csc-admin disable ID\n"
    "Disables credential ID: it is listed as disabled and cannot sign.\n",
    disable_run
};

static int unblock_run(csc_admin_t *a, int argc, char **argv)
{
    const char *id = NULL;
    csc_store_t *st;
    apr_status_t rv;
    int ex;

    ex = parse_id_cmd(a, argc, argv, id_opts, &id, NULL, 0, NULL, 0);
    if (ex >= 0) {
        return ex;
    }
    if ((ex = csc_admin_open_store(a, &st)) != CSC_ADMIN_EXIT_OK) {
        return ex;
    }
    rv = csc_store_set_blocked(st, id, 0, a->pool);
    if (rv == APR_NOTFOUND) {
        return csc_admin_fail(a, "no credential '%s' in the store", id);
    }
    if (rv != APR_SUCCESS) {
        return csc_admin_fail(a, "cannot update credential '%s'", id);
    }
    printf("%s is unblocked (failure count cleared)\n", id);
    return CSC_ADMIN_EXIT_OK;
}

const csc_admin_cmd_t csc_admin_cmd_unblock = {
    "unblock", "unblock a credential after failed authorizations",
    "Usage: csc-admin unblock ID\n"
    "Clears the block and the failed-authorization count of credential ID.\n",
    unblock_run
};

/* ---- delete ------------------------------------------------------------- */

static const csc_admin_opt_t delete_opts[] = {
    { "id", 1, O_ID }, { "delete-key", 0, O_DELETE_KEY }, { NULL, 0, 0 }
};

static int delete_run(csc_admin_t *a, int argc, char **argv)
{
    const char *id = NULL, *token = NULL, *pin = NULL, *err = NULL;
    unsigned char *kid = NULL;
    apr_size_t kid_len = 0;
    apr_array_header_t *all;
    csc_credential_t *c;
    csc_store_t *st;
    apr_status_t rv;
    int delete_key = 0, ex, i, count;

    ex = parse_id_cmd(a, argc, argv, delete_opts, &id, &delete_key,
                      O_DELETE_KEY, NULL, 0);
    if (ex >= 0) {
        return ex;
    }
    if ((ex = csc_admin_open_store(a, &st)) != CSC_ADMIN_EXIT_OK
        || (ex = csc_admin_get_cred(a, st, id, &c)) != CSC_ADMIN_EXIT_OK) {
        return ex;
    }
    /* Everything --delete-key needs is checked before the record goes, so
     * a refusal leaves both record and key in place. */
    if (delete_key) {
        rv = csc_admin_p11_parse_ref(c->key_ref, &token, &kid, &kid_len,
                                     a->pool);
        if (rv != APR_SUCCESS) {
            return csc_admin_fail(a, "--delete-key handles only "
                                  "engine:pkcs11: references with token= "
                                  "and id= (this is %s)", c->key_ref);
        }
        if (csc_store_list_all(st, &all, a->pool) != APR_SUCCESS) {
            return csc_admin_fail(a, "cannot read the store");
        }
        for (i = 0; i < all->nelts; i++) {
            const csc_credential_t *o =
                APR_ARRAY_IDX(all, i, const csc_credential_t *);

            if (strcmp(o->id, c->id) && !strcmp(o->key_ref, c->key_ref)) {
                return csc_admin_fail(a, "credential '%s' uses the same key; "
                                      "not deleting anything", o->id);
            }
        }
        if (csc_admin_pkcs11_pin(a, &pin, &err) != APR_SUCCESS) {
            return csc_admin_fail(a, "%s", err);
        }
    }
    rv = csc_store_delete(st, id, a->pool);
    if (rv != APR_SUCCESS) {
        return csc_admin_fail(a, "cannot delete credential '%s'", id);
    }
    printf("deleted credential %s\n", id);
    if (delete_key) {
        rv = csc_admin_p11_delete(a->pkcs11_module, token, pin, kid, kid_len,
                                  &count, a->pool, &err);
        if (rv != APR_SUCCESS) {
            return csc_admin_fail(a, "the credential is deleted but its key "
                                  "is not: %s", err);
        }
        if (count == 0) {
            return csc_admin_fail(a, "the credential is deleted but no key "
                                  "object was found for %s", c->key_ref);
        }
        printf("deleted %d key object%s from token '%s'\n", count,
               count == 1 ? "" : "s", token);
    }
    return CSC_ADMIN_EXIT_OK;
}

const csc_admin_cmd_t csc_admin_cmd_delete = {
    "delete", "delete a credential (and optionally its token key)",
    "Usage: csc-admin delete ID [--delete-key]\n"
    "Removes credential ID from the store.  With --delete-key the key\n"
    "objects on the token (engine:pkcs11: references with token= and id=)\n"
    "are destroyed as well, unless another credential uses the same key.\n",
    delete_run
};
