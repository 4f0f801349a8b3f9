/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_strings.h>

#include "authz/csc_grant.h"
#include "config/csc_cfg.h"

csc_cfg_t *csc_cfg_create(apr_pool_t *p)
{
    csc_cfg_t *c = apr_pcalloc(p, sizeof(*c));

    c->token_lifetime = CSC_UNSET;
    c->refresh_lifetime = CSC_UNSET;
    c->grant_lifetime = CSC_UNSET;
    c->max_grants = CSC_UNSET;
    c->max_tenant_grants = CSC_UNSET;
    c->login_limit = CSC_UNSET;
    c->client_limit = CSC_UNSET;
    c->otp_limit = CSC_UNSET;
    c->sad_lifetime = CSC_UNSET;
    c->max_failures = CSC_UNSET;
    c->totp_window = CSC_UNSET;
    c->hotp_lookahead = CSC_UNSET;
    c->page_size = CSC_UNSET;
    c->max_body = CSC_UNSET;
    c->max_depth = CSC_UNSET;
    return c;
}

#define MERGE_PTR(f) m->f = add->f ? add->f : base->f
#define MERGE_INT(f) m->f = add->f != CSC_UNSET ? add->f : base->f

csc_cfg_t *csc_cfg_merge(apr_pool_t *p, const csc_cfg_t *base,
                         const csc_cfg_t *add)
{
    csc_cfg_t *m = apr_pcalloc(p, sizeof(*m));

    MERGE_PTR(base_path);
    MERGE_PTR(store_spec);
    MERGE_PTR(store_ref);
    MERGE_PTR(name);
    MERGE_PTR(logo);
    MERGE_PTR(region);
    MERGE_PTR(lang);
    MERGE_PTR(description);
    /* a list set in the inner scope replaces the outer one */
    MERGE_PTR(auth_types);
    MERGE_PTR(otp_delivery);
    MERGE_PTR(oauth2_issuer);
    MERGE_PTR(oauth2_templates);
    MERGE_INT(token_lifetime);
    MERGE_INT(refresh_lifetime);
    MERGE_INT(grant_lifetime);
    MERGE_INT(max_grants);
    MERGE_INT(max_tenant_grants);
    MERGE_INT(login_limit);
    MERGE_INT(client_limit);
    MERGE_INT(otp_limit);
    MERGE_INT(sad_lifetime);
    MERGE_INT(max_failures);
    MERGE_INT(totp_window);
    MERGE_INT(hotp_lookahead);
    MERGE_INT(page_size);
    MERGE_INT(max_body);
    MERGE_INT(max_depth);
    return m;
}

const char *csc_cfg_set_int(const char *directive, const char *arg,
                            long min, long max, int *field, apr_pool_t *p)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(arg, &end, 10);
    if (errno || end == arg || *end || v < min || v > max) {
        return apr_psprintf(p, "%s: '%s' is not a whole number from %ld "
                            "to %ld", directive, arg, min, max);
    }
    *field = (int)v;
    return NULL;
}

const char *csc_cfg_set_duration(const char *directive, const char *arg,
                                 long min, long max, int *field,
                                 apr_pool_t *p)
{
    char *end;
    long v, unit = 1;

    errno = 0;
    v = strtol(arg, &end, 10);
    if (!errno && end != arg) {
        if (!strcmp(end, "") || !strcmp(end, "s")) unit = 1;
        else if (!strcmp(end, "m")) unit = 60;
        else if (!strcmp(end, "h")) unit = 3600;
        else if (!strcmp(end, "d")) unit = 86400;
        else unit = 0;
    }
    if (errno || end == arg || unit == 0 || v < 0 || v > max / unit
        || v * unit < min) {
        return apr_psprintf(p, "%s: '%s' is not a duration from %lds to "
                            "%lds (a number with an optional s, m, h or d)",
                            directive, arg, min, max);
    }
    *field = (int)(v * unit);
    return NULL;
}

static const char *set_base_path(csc_cfg_t *cfg, const char *directive,
                                 const char *arg, apr_pool_t *p)
{
    apr_size_t n = strlen(arg);

    if (arg[0] != '/' || strstr(arg, "//") || strchr(arg, '?')
        || strchr(arg, '#')) {
        return apr_psprintf(p, "%s: '%s' must be an absolute URL path "
                            "such as /csc", directive, arg);
    }
    while (n > 1 && arg[n - 1] == '/') {
        n--;
    }
    cfg->base_path = n == 1 ? "" : apr_pstrndup(p, arg, n);
    return NULL;
}

static const char *set_region(csc_cfg_t *cfg, const char *directive,
                              const char *arg, apr_pool_t *p)
{
    if (strlen(arg) != 2 || !isupper((unsigned char)arg[0])
        || !isupper((unsigned char)arg[1])) {
        return apr_psprintf(p, "%s: '%s' is not an ISO 3166-1 alpha-2 "
                            "country code such as BE", directive, arg);
    }
    cfg->region = apr_pstrdup(p, arg);
    return NULL;
}

static const char *set_otp_delivery(csc_cfg_t *cfg, const char *directive,
                                    const char *arg, apr_pool_t *p)
{
    const char *path = !strncmp(arg, "file:", 5) ? arg + 5
                     : !strncmp(arg, "command:", 8) ? arg + 8 : NULL;

    if (!path || path[0] != '/') {
        return apr_psprintf(p, "%s: '%s' must be file:/absolute/path or "
                            "command:/absolute/path", directive, arg);
    }
    if (!strncmp(arg, "command:", 8) && access(path, X_OK) != 0) {
        return apr_psprintf(p, "%s: %s is not an executable file",
                            directive, path);
    }
    cfg->otp_delivery = apr_pstrdup(p, arg);
    return NULL;
}

static const char *add_auth_type(csc_cfg_t *cfg, const char *directive,
                                 const char *arg, apr_pool_t *p)
{
    static const char *const known[] = {"basic", "external", "TLS",
                                        "oauth2code", "oauth2client", NULL};
    int i;

    for (i = 0; known[i]; i++) {
        if (!strcmp(arg, known[i])) {
            break;
        }
    }
    if (!known[i]) {
        return apr_psprintf(p, "%s: unknown type '%s' (use basic, "
                            "external, TLS, oauth2code or oauth2client)",
                            directive, arg);
    }
    if (!cfg->auth_types) {
        cfg->auth_types = apr_array_make(p, 3, sizeof(const char *));
    }
    APR_ARRAY_PUSH(cfg->auth_types, const char *) = known[i];
    return NULL;
}

/* The issuer is also the base URI the CSC clients append /oauth2/...
 * to, so it must be an https URL (http only to loopback, for tests)
 * without query, fragment or a trailing slash. */
static const char *set_oauth2_issuer(csc_cfg_t *cfg, const char *directive,
                                     const char *arg, apr_pool_t *p)
{
    apr_size_t n = strlen(arg);
    int https = !strncmp(arg, "https://", 8);
    const char *host = arg + (https ? 8 : 7);

    if ((!https && strncmp(arg, "http://", 7) != 0) || !*host
        || *host == '/' || strpbrk(arg, "?# \t") || n > 255
        || arg[n - 1] == '/'
        || (!https && strncmp(host, "127.0.0.1", 9) != 0
            && strncmp(host, "localhost", 9) != 0
            && strncmp(host, "[::1]", 5) != 0)) {
        return apr_psprintf(p, "%s: '%s' must be an https URL without "
                            "query, fragment or trailing slash, such as "
                            "https://sign.example.org/csc", directive, arg);
    }
    cfg->oauth2_issuer = apr_pstrdup(p, arg);
    return NULL;
}

static const char *set_oauth2_templates(csc_cfg_t *cfg,
                                        const char *directive,
                                        const char *arg, apr_pool_t *p)
{
    if (arg[0] != '/' || access(arg, R_OK | X_OK) != 0) {
        return apr_psprintf(p, "%s: '%s' must be a readable directory "
                            "given by its absolute path", directive, arg);
    }
    cfg->oauth2_templates = apr_pstrdup(p, arg);
    return NULL;
}

/* Every setting a binding may set, with its parser and, for numbers, its
 * range: one table, so that httpd and nginx refuse the same values with
 * the same words. */
typedef const char *setter_fn(csc_cfg_t *cfg, const char *directive,
                              const char *arg, apr_pool_t *p);
typedef enum { S_INT, S_DURATION, S_TEXT, S_CALL } setting_kind_e;
typedef struct {
    const char *name;
    setting_kind_e kind;
    apr_size_t offset;      /* S_INT, S_DURATION, S_TEXT: the field */
    long min, max;
    setter_fn *call;        /* S_CALL */
} setting_t;

#define NUM(n, k, lo, hi) {#n, k, offsetof(csc_cfg_t, n), lo, hi, NULL}
#define TXT(n) {#n, S_TEXT, offsetof(csc_cfg_t, n), 0, 0, NULL}
#define FN(n, f) {#n, S_CALL, 0, 0, 0, f}

static const setting_t settings[] = {
    FN(base_path, set_base_path),
    TXT(name),
    TXT(logo),
    FN(region, set_region),
    TXT(lang),
    TXT(description),
    FN(auth_type, add_auth_type),
    FN(otp_delivery, set_otp_delivery),
    FN(oauth2_issuer, set_oauth2_issuer),
    FN(oauth2_templates, set_oauth2_templates),
    NUM(token_lifetime, S_DURATION, 1, 86400),
    NUM(refresh_lifetime, S_DURATION, 60, 366 * 86400),
    NUM(grant_lifetime, S_DURATION, 1, 3660 * 86400),
    NUM(max_grants, S_INT, 1, CSC_GRANT_USER_MAX),
    NUM(max_tenant_grants, S_INT, 0, 10000000),
    NUM(login_limit, S_INT, 0, 100000),
    NUM(client_limit, S_INT, 0, 1000000),
    NUM(otp_limit, S_INT, 0, 100000),
    NUM(sad_lifetime, S_DURATION, 1, 86400),
    NUM(max_failures, S_INT, 0, 1000),
    NUM(totp_window, S_INT, 0, 10),
    NUM(hotp_lookahead, S_INT, 0, 100),
    NUM(page_size, S_INT, 1, 100),
    NUM(max_body, S_INT, 1024, 64 * 1024 * 1024),
    NUM(max_depth, S_INT, 2, 64),
};

const char *csc_cfg_set(csc_cfg_t *cfg, const char *setting,
                        const char *directive, const char *arg,
                        apr_pool_t *p)
{
    apr_size_t i;

    for (i = 0; i < sizeof(settings) / sizeof(settings[0]); i++) {
        const setting_t *s = &settings[i];
        void *field = (char *)cfg + s->offset;

        if (strcmp(s->name, setting) != 0) {
            continue;
        }
        switch (s->kind) {
        case S_INT:
            return csc_cfg_set_int(directive, arg, s->min, s->max, field, p);
        case S_DURATION:
            return csc_cfg_set_duration(directive, arg, s->min, s->max,
                                        field, p);
        case S_TEXT:
            /* free text reported by info */
            if (strlen(arg) > 255) {
                return apr_psprintf(p, "%s: at most 255 characters",
                                    directive);
            }
            *(const char **)field = apr_pstrdup(p, arg);
            return NULL;
        case S_CALL:
            return s->call(cfg, directive, arg, p);
        }
    }
    /* a binding asking for a name that is not here is a programming
     * error; say so rather than ignore the value */
    return apr_psprintf(p, "%s: no such setting '%s' in this build",
                        directive, setting);
}

#define DEF_STR(fn, field, def) \
    const char *fn(const csc_cfg_t *c) { return c->field ? c->field : def; }
#define DEF_INT(fn, field, def) \
    int fn(const csc_cfg_t *c) \
    { return c->field != CSC_UNSET ? c->field : def; }

DEF_STR(csc_cfg_base_path, base_path, "/csc")
DEF_STR(csc_cfg_name, name, "mod_csc")
DEF_STR(csc_cfg_logo, logo, "")
DEF_STR(csc_cfg_region, region, "EU")
DEF_STR(csc_cfg_lang, lang, "en-US")
DEF_STR(csc_cfg_description, description,
        "Remote signature service (Cloud Signature Consortium API)")
DEF_STR(csc_cfg_oauth2_issuer, oauth2_issuer, NULL)
DEF_STR(csc_cfg_oauth2_templates, oauth2_templates, NULL)
DEF_INT(csc_cfg_token_lifetime, token_lifetime, 3600)
DEF_INT(csc_cfg_refresh_lifetime, refresh_lifetime, 7 * 86400)
DEF_INT(csc_cfg_grant_lifetime, grant_lifetime, 30 * 86400)
DEF_INT(csc_cfg_max_grants, max_grants, 8)
DEF_INT(csc_cfg_max_tenant_grants, max_tenant_grants, 0)
DEF_INT(csc_cfg_login_limit, login_limit, 10)
DEF_INT(csc_cfg_client_limit, client_limit, 300)
DEF_INT(csc_cfg_otp_limit, otp_limit, 5)
DEF_INT(csc_cfg_sad_lifetime, sad_lifetime, 300)
DEF_INT(csc_cfg_max_failures, max_failures, 5)
DEF_INT(csc_cfg_totp_window, totp_window, 1)
DEF_INT(csc_cfg_hotp_lookahead, hotp_lookahead, 10)
DEF_INT(csc_cfg_page_size, page_size, 10)
DEF_INT(csc_cfg_max_body, max_body, 256 * 1024)
DEF_INT(csc_cfg_max_depth, max_depth, 16)

struct csc_store_t *csc_cfg_store(const csc_cfg_t *c)
{
    return c->store_ref ? c->store_ref->store : NULL;
}

const apr_array_header_t *csc_cfg_auth_types(const csc_cfg_t *c,
                                             apr_pool_t *p)
{
    apr_array_header_t *def;

    if (c->auth_types) {
        return c->auth_types;
    }
    def = apr_array_make(p, 1, sizeof(const char *));
    APR_ARRAY_PUSH(def, const char *) = "basic";
    return def;
}

int csc_cfg_auth_type_enabled(const csc_cfg_t *c, const char *type)
{
    int i;

    if (!c->auth_types) {
        return !strcmp(type, "basic");
    }
    for (i = 0; i < c->auth_types->nelts; i++) {
        if (!strcmp(APR_ARRAY_IDX(c->auth_types, i, const char *), type)) {
            return 1;
        }
    }
    return 0;
}
