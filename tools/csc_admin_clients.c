/* SPDX-License-Identifier: Apache-2.0 */
/* csc-admin client add|list|show|remove: the OAuth 2.0 clients that the
 * authorization server knows.  A client's secret is drawn here and printed
 * once; the store keeps only its hash. */
#include <stdio.h>
#include <string.h>

#include <apr_strings.h>
#include <jansson.h>

#include "csc_admin.h"
#include "authz/csc_secret.h"
#include "oauth2/csc_client_secret.h"
#include "store/csc_store_schema.h"

enum {
    O_NAME = 0x100, O_PUBLIC, O_REDIRECT, O_GRANTS, O_SCOPES, O_ACTS_AS,
    O_SECRET_FILE, O_JSON
};

static const csc_admin_opt_t client_opts[] = {
    { "name", 1, O_NAME }, { "public", 0, O_PUBLIC },
    { "redirect-uri", 1, O_REDIRECT }, { "grant-types", 1, O_GRANTS },
    { "scopes", 1, O_SCOPES }, { "acts-as", 1, O_ACTS_AS },
    { "secret-file", 1, O_SECRET_FILE }, { "json", 0, O_JSON },
    { NULL, 0, 0 }
};

static json_t *client_json(const csc_client_t *c, const char *secret)
{
    json_t *uris = json_array();
    const char *s = c->redirect_uris;

    while (s && *(s += strspn(s, " "))) {
        apr_size_t n = strcspn(s, " ");

        json_array_append_new(uris, json_stringn(s, n));
        s += n;
    }
    return json_pack("{s:s,s:s,s:s,s:s*,s:o,s:s,s:s,s:s*,s:I}",
                     "client_id", c->id, "name", c->name,
                     "type", c->secret_hash ? "confidential" : "public",
                     "client_secret", secret, "redirect_uris", uris,
                     "grant_types", c->grant_types, "scopes", c->scopes,
                     "acts_as", c->acts_as, "created",
                     (json_int_t)c->created);
}

static int print_json(json_t *j)
{
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);

    json_decref(j);
    if (!text) {
        return CSC_ADMIN_EXIT_FAIL;
    }
    puts(text);
    free(text);
    return CSC_ADMIN_EXIT_OK;
}

static void print_text(const csc_client_t *c)
{
    printf("client_id:     %s\nname:          %s\ntype:          %s\n"
           "redirect_uris: %s\ngrant_types:   %s\nscopes:        %s\n"
           "acts_as:       %s\n", c->id, c->name,
           c->secret_hash ? "confidential" : "public", c->redirect_uris,
           c->grant_types, c->scopes, c->acts_as ? c->acts_as : "-");
}

static int add(csc_admin_t *a, csc_admin_getopt_t *g)
{
    csc_client_t c;
    csc_store_t *st;
    const char *secret = NULL, *secret_file = NULL, *err = NULL, *id;
    int public = 0, json = 0, opt, ex;
    apr_status_t rv;

    memset(&c, 0, sizeof(c));
    c.redirect_uris = "";
    c.grant_types = "authorization_code refresh_token";
    c.scopes = "service";
    while ((opt = csc_admin_getopt(g)) != CSC_ADMIN_GETOPT_END) {
        switch (opt) {
        case CSC_ADMIN_GETOPT_HELP:
            return csc_admin_help(a);
        case CSC_ADMIN_GETOPT_ERROR:
            return CSC_ADMIN_EXIT_USAGE;
        case O_NAME: c.name = g->optarg; break;
        case O_PUBLIC: public = 1; break;
        case O_REDIRECT:
            c.redirect_uris = *c.redirect_uris
                ? apr_pstrcat(a->pool, c.redirect_uris, " ", g->optarg, NULL)
                : g->optarg;
            break;
        case O_GRANTS: c.grant_types = g->optarg; break;
        case O_SCOPES: c.scopes = g->optarg; break;
        case O_ACTS_AS: c.acts_as = g->optarg; break;
        case O_SECRET_FILE: secret_file = g->optarg; break;
        case O_JSON: json = 1; break;
        default: break;
        }
    }
    if (g->positional->nelts != 1) {
        return csc_admin_usage(a, "add takes exactly one CLIENT_ID");
    }
    c.id = id = APR_ARRAY_IDX(g->positional, 0, const char *);
    if (!c.name) {
        c.name = id;
    }
    if (public && secret_file) {
        return csc_admin_usage(a, "a --public client has no secret");
    }
    if (!public) {
        rv = secret_file
            ? csc_admin_read_secret_file(secret_file, &secret, a->pool, &err)
            : ((secret = csc_secret_new(a->pool)) ? APR_SUCCESS
                                                  : APR_EGENERAL);
        if (rv != APR_SUCCESS) {
            return csc_admin_fail(a, "%s", err ? err : "no secret");
        }
        if (strlen(secret) < CSC_CLIENT_SECRET_MIN) {
            return csc_admin_fail(a, "the client secret must have at least "
                                  "%d characters", CSC_CLIENT_SECRET_MIN);
        }
        c.secret_hash = csc_client_secret_hash(secret, a->pool);
        if (!c.secret_hash) {
            return csc_admin_fail(a, "cannot hash the client secret");
        }
    }
    if (csc_client_validate(&c, &err, a->pool) != APR_SUCCESS) {
        return csc_admin_usage(a, "%s", err);
    }
    if ((ex = csc_admin_open_store(a, &st)) != CSC_ADMIN_EXIT_OK) {
        return ex;
    }
    rv = csc_client_insert(st, &c, a->pool);
    if (rv == APR_EEXIST) {
        return csc_admin_fail(a, "client '%s' exists already", id);
    }
    if (rv != APR_SUCCESS) {
        return csc_admin_fail(a, "cannot add client '%s'", id);
    }
    c.created = apr_time_sec(apr_time_now());
    if (json) {
        /* a drawn secret is shown this once; one read from a file the
         * admin has already */
        return print_json(client_json(&c, secret_file ? NULL : secret));
    }
    print_text(&c);
    if (secret && !secret_file) {
        printf("client_secret: %s\n(shown once: the store keeps only its "
               "hash)\n", secret);
    }
    return CSC_ADMIN_EXIT_OK;
}

static int client_run(csc_admin_t *a, int argc, char **argv)
{
    csc_admin_getopt_t g;
    csc_store_t *st;
    csc_client_t *c;
    apr_array_header_t *all;
    const char *verb, *id = NULL;
    int ex, json = 0, opt, i;
    apr_status_t rv;

    if (argc < 2 || argv[1][0] == '-') {
        if (argc >= 2 && (!strcmp(argv[1], "--help")
                          || !strcmp(argv[1], "-h"))) {
            return csc_admin_help(a);
        }
        return csc_admin_usage(a, "name an action: add, list, show or "
                               "remove");
    }
    verb = argv[1];
    csc_admin_getopt_init(&g, a, argc - 1, argv + 1, client_opts);
    if (strcmp(verb, "add") && strcmp(verb, "list") && strcmp(verb, "show")
        && strcmp(verb, "remove")) {
        return csc_admin_usage(a, "unknown action '%s' (add, list, show, "
                               "remove)", verb);
    }
    if (!strcmp(verb, "add")) {
        return add(a, &g);
    }
    while ((opt = csc_admin_getopt(&g)) != CSC_ADMIN_GETOPT_END) {
        if (opt == CSC_ADMIN_GETOPT_HELP) {
            return csc_admin_help(a);
        }
        if (opt == CSC_ADMIN_GETOPT_ERROR) {
            return CSC_ADMIN_EXIT_USAGE;
        }
        if (opt == O_JSON) {
            json = 1;
        }
        else {
            return csc_admin_usage(a, "%s takes only --json", verb);
        }
    }
    if (strcmp(verb, "list") != 0) {
        if (g.positional->nelts != 1) {
            return csc_admin_usage(a, "%s takes exactly one CLIENT_ID", verb);
        }
        id = APR_ARRAY_IDX(g.positional, 0, const char *);
    }
    else if (g.positional->nelts != 0) {
        return csc_admin_usage(a, "list takes no CLIENT_ID");
    }
    if ((ex = csc_admin_open_store(a, &st)) != CSC_ADMIN_EXIT_OK) {
        return ex;
    }
    if (!strcmp(verb, "list")) {
        json_t *arr = json_array();

        if (csc_client_list(st, &all, a->pool) != APR_SUCCESS) {
            json_decref(arr);
            return csc_admin_fail(a, "cannot read the clients");
        }
        for (i = 0; i < all->nelts; i++) {
            c = APR_ARRAY_IDX(all, i, csc_client_t *);
            if (json) {
                json_array_append_new(arr, client_json(c, NULL));
            }
            else {
                printf("%-24s %-12s %s\n", c->id,
                       c->secret_hash ? "confidential" : "public", c->name);
            }
        }
        if (json) {
            return print_json(arr);
        }
        json_decref(arr);
        return CSC_ADMIN_EXIT_OK;
    }
    if (!strcmp(verb, "remove")) {
        rv = csc_client_delete(st, id, a->pool);
        if (rv == APR_NOTFOUND) {
            return csc_admin_fail(a, "no client '%s' in the store", id);
        }
        if (rv != APR_SUCCESS) {
            return csc_admin_fail(a, "cannot remove client '%s'", id);
        }
        printf("removed client %s\n", id);
        return CSC_ADMIN_EXIT_OK;
    }
    rv = csc_client_get(st, id, &c, a->pool);
    if (rv == APR_NOTFOUND) {
        return csc_admin_fail(a, "no client '%s' in the store", id);
    }
    if (rv != APR_SUCCESS) {
        return csc_admin_fail(a, "cannot read client '%s'", id);
    }
    if (json) {
        return print_json(client_json(c, NULL));
    }
    print_text(c);
    return CSC_ADMIN_EXIT_OK;
}

const csc_admin_cmd_t csc_admin_cmd_client = {
    "client", "OAuth 2.0 clients: add, list, show, remove",
    "Usage: csc-admin client add CLIENT_ID [--name TEXT] [--public]\n"
    "           [--redirect-uri URI]... [--grant-types \"G...\"]\n"
    "           [--scopes \"S...\"] [--acts-as USER] [--secret-file PATH]\n"
    "           [--json]\n"
    "       csc-admin client list [--json]\n"
    "       csc-admin client show CLIENT_ID [--json]\n"
    "       csc-admin client remove CLIENT_ID\n"
    "The clients of the OAuth 2.0 authorization server (CSCAuthType\n"
    "oauth2code / oauth2client).  Changes apply on the next request.\n"
    "  --public            a public client (an app that cannot keep a\n"
    "                      secret): no secret, PKCE S256 required\n"
    "  --redirect-uri URI  a registered redirect URI, matched exactly;\n"
    "                      repeat for more.  https, http to localhost /\n"
    "                      127.0.0.1 / [::1], or a private-use scheme\n"
    "  --grant-types G     of authorization_code refresh_token\n"
    "                      client_credentials (default\n"
    "                      \"authorization_code refresh_token\")\n"
    "  --scopes S          of service credential (default service)\n"
    "  --acts-as USER      whose credentials a client_credentials token\n"
    "                      uses (required for that grant)\n"
    "  --secret-file PATH  the secret (at least 32 characters) from a file;\n"
    "                      otherwise one is drawn and printed once\n"
    "  --json              machine-readable output\n",
    client_run
};

/* csc-admin migrate: brings a store made by an older mod_csc up to the
 * schema this one reads. */
static int migrate_run(csc_admin_t *a, int argc, char **argv)
{
    csc_admin_getopt_t g;
    const char *err = NULL;
    int opt, from = -1;

    csc_admin_getopt_init(&g, a, argc, argv, NULL);
    while ((opt = csc_admin_getopt(&g)) != CSC_ADMIN_GETOPT_END) {
        if (opt == CSC_ADMIN_GETOPT_HELP) {
            return csc_admin_help(a);
        }
        return CSC_ADMIN_EXIT_USAGE;
    }
    if (g.positional->nelts) {
        return csc_admin_usage(a, "migrate takes no arguments");
    }
    if (!a->store_spec || !*a->store_spec) {
        return csc_admin_usage(a, "no credential store: use --store SPEC "
                               "or set CSC_STORE");
    }
    if (csc_store_migrate(a->store_spec, &from, a->pool, &err)
        != APR_SUCCESS) {
        return csc_admin_fail(a, "%s", err ? err : "migration failed");
    }
    if (from == CSC_STORE_SCHEMA_VERSION) {
        printf("store is at schema version %d already\n", from);
    }
    else {
        printf("migrated the store from schema version %d to %d\n", from,
               CSC_STORE_SCHEMA_VERSION);
    }
    return CSC_ADMIN_EXIT_OK;
}

const csc_admin_cmd_t csc_admin_cmd_migrate = {
    "migrate", "bring a store up to this version's schema",
    "Usage: csc-admin migrate --store SPEC\n"
    "Upgrades a credential store made by an earlier mod_csc, one step per\n"
    "transaction; httpd refuses to start on a store that needs it.  Stop\n"
    "the server or run it in a quiet moment; a current store is left as\n"
    "it is.\n",
    migrate_run
};
