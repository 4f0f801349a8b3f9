/* SPDX-License-Identifier: Apache-2.0 */
/* Directives, and per-directory configuration create/merge. */
#include <stddef.h>

#include <apr_hash.h>
#include <apr_strings.h>
#include <http_core.h>
#include <mod_auth.h>

#include "authz/csc_grant.h"
#include "config/csc_pin_source.h"
#include "mod_csc.h"

mod_csc_global_cfg mod_csc_global;

void *mod_csc_create_dir_cfg(apr_pool_t *p, char *dir)
{
    mod_csc_dir_cfg *c = apr_pcalloc(p, sizeof(*c));

    (void)dir;
    c->core = csc_cfg_create(p);
    return c;
}

void *mod_csc_merge_dir_cfg(apr_pool_t *p, void *basev, void *addv)
{
    mod_csc_dir_cfg *base = basev, *add = addv;
    mod_csc_dir_cfg *m = apr_pcalloc(p, sizeof(*m));

    m->core = csc_cfg_merge(p, base->core, add->core);
    m->authn_providers = add->authn_providers ? add->authn_providers
                                              : base->authn_providers;
    /* the store follows the spec it was opened for */
    m->store = add->core->store_spec ? add->store : base->store;
    return m;
}

/* Numeric directives: cmd->info says which field and which range. */
typedef struct {
    apr_size_t offset;      /* in csc_cfg_t */
    long min, max;
    int duration;           /* accepts 30s, 5m, 2h, 1d */
} int_directive;

#define INT_DIRECTIVE(var, field, lo, hi, dur) \
    static const int_directive var = {offsetof(csc_cfg_t, field), lo, hi, dur}

INT_DIRECTIVE(d_token_lifetime, token_lifetime, 1, 86400, 1);
INT_DIRECTIVE(d_refresh_lifetime, refresh_lifetime, 60, 366 * 86400, 1);
INT_DIRECTIVE(d_grant_lifetime, grant_lifetime, 1, 3660 * 86400, 1);
INT_DIRECTIVE(d_max_grants, max_grants, 1, CSC_GRANT_USER_MAX, 0);
INT_DIRECTIVE(d_max_tenant_grants, max_tenant_grants, 0, 10000000, 0);
INT_DIRECTIVE(d_login_limit, login_limit, 0, 100000, 0);
INT_DIRECTIVE(d_client_limit, client_limit, 0, 1000000, 0);
INT_DIRECTIVE(d_otp_limit, otp_limit, 0, 100000, 0);
INT_DIRECTIVE(d_sad_lifetime, sad_lifetime, 1, 86400, 1);
INT_DIRECTIVE(d_max_failures, max_failures, 0, 1000, 0);
INT_DIRECTIVE(d_totp_window, totp_window, 0, 10, 0);
INT_DIRECTIVE(d_hotp_lookahead, hotp_lookahead, 0, 100, 0);
INT_DIRECTIVE(d_page_size, page_size, 1, 100, 0);
INT_DIRECTIVE(d_max_body, max_body, 1024, 64 * 1024 * 1024, 0);
INT_DIRECTIVE(d_max_depth, max_depth, 2, 64, 0);

static const char *set_int(cmd_parms *cmd, void *dv, const char *arg)
{
    mod_csc_dir_cfg *d = dv;
    const int_directive *id = cmd->info;
    int *field = (int *)((char *)d->core + id->offset);

    return id->duration
        ? csc_cfg_set_duration(cmd->directive->directive, arg, id->min,
                               id->max, field, cmd->pool)
        : csc_cfg_set_int(cmd->directive->directive, arg, id->min, id->max,
                          field, cmd->pool);
}

/* Free-text service descriptions: cmd->info is the field offset. */
static const char *set_text(cmd_parms *cmd, void *dv, const char *arg)
{
    mod_csc_dir_cfg *d = dv;
    apr_size_t off = (apr_size_t)(uintptr_t)cmd->info;

    if (strlen(arg) > 255) {
        return apr_psprintf(cmd->pool, "%s: at most 255 characters",
                            cmd->directive->directive);
    }
    *(const char **)((char *)d->core + off) = arg;
    return NULL;
}

static const char *set_base_path(cmd_parms *cmd, void *dv, const char *arg)
{
    return csc_cfg_set_base_path(((mod_csc_dir_cfg *)dv)->core, arg,
                                 cmd->pool);
}

static const char *set_region(cmd_parms *cmd, void *dv, const char *arg)
{
    return csc_cfg_set_region(((mod_csc_dir_cfg *)dv)->core, arg, cmd->pool);
}

static const char *add_auth_type(cmd_parms *cmd, void *dv, const char *arg)
{
    return csc_cfg_add_auth_type(((mod_csc_dir_cfg *)dv)->core, arg,
                                 cmd->pool);
}

static const char *add_authn_provider(cmd_parms *cmd, void *dv,
                                      const char *arg)
{
    mod_csc_dir_cfg *d = dv;

    /* Providers register when their module loads, so a LoadModule line
     * below this directive is the usual cause of a miss. */
    if (!ap_lookup_provider(AUTHN_PROVIDER_GROUP, arg,
                            AUTHN_PROVIDER_VERSION)) {
        return apr_psprintf(cmd->pool, "CSCAuthnProvider: unknown "
                            "authentication provider '%s' (load "
                            "mod_authn_%s before this line)", arg, arg);
    }
    if (!d->authn_providers) {
        d->authn_providers = apr_array_make(cmd->pool, 2,
                                            sizeof(const char *));
    }
    APR_ARRAY_PUSH(d->authn_providers, const char *) = arg;
    return NULL;
}

static const char *set_otp_delivery(cmd_parms *cmd, void *dv,
                                    const char *arg)
{
    return csc_cfg_set_otp_delivery(((mod_csc_dir_cfg *)dv)->core, arg,
                                    cmd->pool);
}

static const char *set_store(cmd_parms *cmd, void *dv, const char *arg)
{
    mod_csc_dir_cfg *d = dv;
    const char *err = mod_csc_store_for(arg, &d->store, cmd->pool);

    if (err) {
        return apr_psprintf(cmd->pool, "CSCCredentialStore %s: %s", arg, err);
    }
    d->core->store_spec = arg;
    return NULL;
}

static const char *set_global(cmd_parms *cmd, void *dv, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);
    const char *name = cmd->directive->directive;

    (void)dv;
    if (err) {
        return err;
    }
    if (!strcasecmp(name, "CSCStateFile")) {
        mod_csc_global.state_file = ap_runtime_dir_relative(cmd->pool, arg);
    }
    else if (!strcasecmp(name, "CSCStateSlots")) {
        return csc_cfg_set_int(name, arg, 64, 1 << 22,
                               &mod_csc_global.state_slots, cmd->pool);
    }
    else if (!strcasecmp(name, "CSCPKCS11Module")) {
        const char *path = ap_server_root_relative(cmd->pool, arg);
        apr_finfo_t fi;
        if (!path || apr_stat(&fi, path, APR_FINFO_TYPE, cmd->pool)
                     != APR_SUCCESS || fi.filetype != APR_REG) {
            return apr_psprintf(cmd->pool, "CSCPKCS11Module: '%s' is not a "
                                "readable file", arg);
        }
        mod_csc_global.pkcs11_module = path;
    }
    else if (!strcasecmp(name, "CSCPKCS11PIN")) {
        if ((err = csc_pin_source_check("CSCPKCS11PIN", arg,
                                        cmd->pool)) != NULL) {
            return err;
        }
        mod_csc_global.pkcs11_pin_source = arg;
    }
    return NULL;
}

#define TEXT(f) ((void *)offsetof(csc_cfg_t, f))
#define DIR_CTX (RSRC_CONF | ACCESS_CONF)

/* clang-format off */
const command_rec mod_csc_cmds[] = {
    AP_INIT_TAKE1("CSCBasePath", set_base_path, NULL, DIR_CTX,
        "URL path under which /v1/ and /v2/ are served (default /csc)"),
    AP_INIT_TAKE1("CSCCredentialStore", set_store, NULL, DIR_CTX,
        "credential store as driver:parameters, e.g. sqlite3:/var/lib/csc/csc.db"),
    AP_INIT_TAKE1("CSCServiceName", set_text, TEXT(name), DIR_CTX,
        "service name reported by info (at most 255 characters)"),
    AP_INIT_TAKE1("CSCServiceLogo", set_text, TEXT(logo), DIR_CTX,
        "URI of the service logo reported by info"),
    AP_INIT_TAKE1("CSCServiceRegion", set_region, NULL, DIR_CTX,
        "ISO 3166-1 alpha-2 country code reported by info (default EU)"),
    AP_INIT_TAKE1("CSCServiceLang", set_text, TEXT(lang), DIR_CTX,
        "RFC 5646 language tag of the service (default en-US)"),
    AP_INIT_TAKE1("CSCServiceDescription", set_text, TEXT(description), DIR_CTX,
        "service description reported by info (at most 255 characters)"),
    AP_INIT_ITERATE("CSCAuthType", add_auth_type, NULL, DIR_CTX,
        "service authentication: one or more of basic, external, TLS (default basic)"),
    AP_INIT_ITERATE("CSCAuthnProvider", add_authn_provider, NULL, DIR_CTX,
        "httpd authn providers that check auth/login passwords (default file)"),
    AP_INIT_TAKE1("CSCOTPDelivery", set_otp_delivery, NULL, DIR_CTX,
        "where online OTP codes go: file:/path (development) or command:/path (gets user and credential as arguments, the code on stdin)"),
    AP_INIT_TAKE1("CSCTokenLifetime", set_int, (void *)&d_token_lifetime, DIR_CTX,
        "access token lifetime, e.g. 3600, 60m or 1h (default 1h)"),
    AP_INIT_TAKE1("CSCRefreshTokenLifetime", set_int, (void *)&d_refresh_lifetime, DIR_CTX,
        "refresh token lifetime for rememberMe logins (default 7d)"),
    AP_INIT_TAKE1("CSCGrantLifetime", set_int, (void *)&d_grant_lifetime, DIR_CTX,
        "absolute lifetime of a login and its refresh tokens, not extended by rotation (default 30d)"),
    AP_INIT_TAKE1("CSCMaxGrantsPerUser", set_int, (void *)&d_max_grants, DIR_CTX,
        "logins a user may hold at once; a new one ends the oldest (default 8, at most 64)"),
    AP_INIT_TAKE1("CSCMaxGrantsPerTenant", set_int, (void *)&d_max_tenant_grants, DIR_CTX,
        "logins all users of this credential store may hold at once; beyond it auth/login answers 429; 0 for no limit (default 0)"),
    AP_INIT_TAKE1("CSCLoginLimit", set_int, (void *)&d_login_limit, DIR_CTX,
        "wrong passwords per user name and minute before auth/login answers 429; 0 for no limit (default 10)"),
    AP_INIT_TAKE1("CSCClientLimit", set_int, (void *)&d_client_limit, DIR_CTX,
        "auth/login and sendOTP calls per client address and minute; 0 for no limit (default 300)"),
    AP_INIT_TAKE1("CSCOTPLimit", set_int, (void *)&d_otp_limit, DIR_CTX,
        "online OTPs sent per user and minute; 0 for no limit (default 5)"),
    AP_INIT_TAKE1("CSCSADLifetime", set_int, (void *)&d_sad_lifetime, DIR_CTX,
        "lifetime of Signature Activation Data (default 5m)"),
    AP_INIT_TAKE1("CSCMaxAuthFailures", set_int, (void *)&d_max_failures, DIR_CTX,
        "consecutive wrong PINs/OTPs that block a credential; 0 never blocks (default 5)"),
    AP_INIT_TAKE1("CSCTOTPWindow", set_int, (void *)&d_totp_window, DIR_CTX,
        "TOTP steps accepted either side of now (default 1)"),
    AP_INIT_TAKE1("CSCHOTPLookahead", set_int, (void *)&d_hotp_lookahead, DIR_CTX,
        "HOTP counter values looked ahead to resynchronise (default 10)"),
    AP_INIT_TAKE1("CSCPageSize", set_int, (void *)&d_page_size, DIR_CTX,
        "credentials/list page size when maxResults is absent or larger (default 10)"),
    AP_INIT_TAKE1("CSCMaxRequestBody", set_int, (void *)&d_max_body, DIR_CTX,
        "largest accepted request body in bytes (default 262144)"),
    AP_INIT_TAKE1("CSCMaxJSONDepth", set_int, (void *)&d_max_depth, DIR_CTX,
        "deepest accepted JSON nesting (default 16)"),
    AP_INIT_TAKE1("CSCStateFile", set_global, NULL, RSRC_CONF,
        "file holding the shared state of all children (default csc-state in DefaultRuntimeDir)"),
    AP_INIT_TAKE1("CSCStateSlots", set_global, NULL, RSRC_CONF,
        "number of 4 KiB entries in the shared state (default 8192)"),
    AP_INIT_TAKE1("CSCPKCS11Module", set_global, NULL, RSRC_CONF,
        "PKCS#11 module used by engine: key references (default: the engine's own)"),
    AP_INIT_TAKE1("CSCPKCS11PIN", set_global, NULL, RSRC_CONF,
        "token user PIN for PKCS#11 keys: file:/path or env:VARIABLE"),
    { .name = NULL }
};
/* clang-format on */
