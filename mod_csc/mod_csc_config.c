/* SPDX-License-Identifier: Apache-2.0 */
/* Directives, and per-directory configuration create/merge. */
#include <apr_hash.h>
#include <apr_strings.h>
#include <http_core.h>
#include <mod_auth.h>

#include "mod_csc.h"

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
    return m;
}

/* Every CSC setting of a location: cmd->info names it, the core parses
 * it, keeps its range and words the error. */
static const char *set_core(cmd_parms *cmd, void *dv, const char *arg)
{
    return csc_cfg_set(((mod_csc_dir_cfg *)dv)->core, cmd->info,
                       cmd->directive->directive, arg, cmd->pool);
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

static const char *set_store(cmd_parms *cmd, void *dv, const char *arg)
{
    mod_csc_dir_cfg *d = dv;

    return csc_service_set_store(mod_csc_service, d->core,
                                 cmd->directive->directive, arg, cmd->pool);
}

/* Process-wide settings: cmd->info names the service setting. */
static const char *set_service(cmd_parms *cmd, void *dv, const char *arg)
{
    const char *err = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    (void)dv;
    return err ? err : csc_service_set(mod_csc_service, cmd->info,
                                       cmd->directive->directive, arg,
                                       cmd->pool);
}

#define DIR_CTX (RSRC_CONF | ACCESS_CONF)

/* clang-format off */
const command_rec mod_csc_cmds[] = {
    AP_INIT_TAKE1("CSCBasePath", set_core, "base_path", DIR_CTX,
        "URL path under which /v1/ and /v2/ are served (default /csc)"),
    AP_INIT_TAKE1("CSCCredentialStore", set_store, NULL, DIR_CTX,
        "credential store as driver:parameters, e.g. sqlite3:/var/lib/csc/csc.db"),
    AP_INIT_TAKE1("CSCServiceName", set_core, "name", DIR_CTX,
        "service name reported by info (at most 255 characters)"),
    AP_INIT_TAKE1("CSCServiceLogo", set_core, "logo", DIR_CTX,
        "URI of the service logo reported by info"),
    AP_INIT_TAKE1("CSCServiceRegion", set_core, "region", DIR_CTX,
        "ISO 3166-1 alpha-2 country code reported by info (default EU)"),
    AP_INIT_TAKE1("CSCServiceLang", set_core, "lang", DIR_CTX,
        "RFC 5646 language tag of the service (default en-US)"),
    AP_INIT_TAKE1("CSCServiceDescription", set_core, "description", DIR_CTX,
        "service description reported by info (at most 255 characters)"),
    AP_INIT_ITERATE("CSCAuthType", set_core, "auth_type", DIR_CTX,
        "service authentication: one or more of basic, external, TLS, oauth2code, oauth2client (default basic)"),
    AP_INIT_TAKE1("CSCOAuth2Issuer", set_core, "oauth2_issuer", DIR_CTX,
        "issuer and base URI of the OAuth 2.0 authorization server, e.g. https://sign.example.org/csc (default: the request's scheme, host and CSCBasePath)"),
    AP_INIT_TAKE1("CSCOAuth2Templates", set_core, "oauth2_templates", DIR_CTX,
        "directory of sign-in page templates (login.html, consent.html, error.html, login.de.html...) replacing the built-in ones"),
    AP_INIT_ITERATE("CSCAuthnProvider", add_authn_provider, NULL, DIR_CTX,
        "httpd authn providers that check auth/login passwords (default file)"),
    AP_INIT_TAKE1("CSCOTPDelivery", set_core, "otp_delivery", DIR_CTX,
        "where online OTP codes go: file:/path (development) or command:/path (gets user and credential as arguments, the code on stdin)"),
    AP_INIT_TAKE1("CSCTokenLifetime", set_core, "token_lifetime", DIR_CTX,
        "access token lifetime, e.g. 3600, 60m or 1h (default 1h)"),
    AP_INIT_TAKE1("CSCRefreshTokenLifetime", set_core, "refresh_lifetime", DIR_CTX,
        "refresh token lifetime for rememberMe logins (default 7d)"),
    AP_INIT_TAKE1("CSCGrantLifetime", set_core, "grant_lifetime", DIR_CTX,
        "absolute lifetime of a login and its refresh tokens, not extended by rotation (default 30d)"),
    AP_INIT_TAKE1("CSCMaxGrantsPerUser", set_core, "max_grants", DIR_CTX,
        "logins a user may hold at once; a new one ends the oldest (default 8, at most 64)"),
    AP_INIT_TAKE1("CSCMaxGrantsPerTenant", set_core, "max_tenant_grants", DIR_CTX,
        "logins all users of this credential store may hold at once; beyond it auth/login answers 429; 0 for no limit (default 0)"),
    AP_INIT_TAKE1("CSCLoginLimit", set_core, "login_limit", DIR_CTX,
        "wrong passwords per user name and minute before auth/login answers 429; 0 for no limit (default 10)"),
    AP_INIT_TAKE1("CSCClientLimit", set_core, "client_limit", DIR_CTX,
        "auth/login and sendOTP calls per client address and minute; 0 for no limit (default 300)"),
    AP_INIT_TAKE1("CSCOTPLimit", set_core, "otp_limit", DIR_CTX,
        "online OTPs sent per user and minute; 0 for no limit (default 5)"),
    AP_INIT_TAKE1("CSCSADLifetime", set_core, "sad_lifetime", DIR_CTX,
        "lifetime of Signature Activation Data (default 5m)"),
    AP_INIT_TAKE1("CSCMaxAuthFailures", set_core, "max_failures", DIR_CTX,
        "consecutive wrong PINs/OTPs that block a credential; 0 never blocks (default 5)"),
    AP_INIT_TAKE1("CSCTOTPWindow", set_core, "totp_window", DIR_CTX,
        "TOTP steps accepted either side of now (default 1)"),
    AP_INIT_TAKE1("CSCHOTPLookahead", set_core, "hotp_lookahead", DIR_CTX,
        "HOTP counter values looked ahead to resynchronise (default 10)"),
    AP_INIT_TAKE1("CSCPageSize", set_core, "page_size", DIR_CTX,
        "credentials/list page size when maxResults is absent or larger (default 10)"),
    AP_INIT_TAKE1("CSCMaxRequestBody", set_core, "max_body", DIR_CTX,
        "largest accepted request body in bytes (default 262144)"),
    AP_INIT_TAKE1("CSCMaxJSONDepth", set_core, "max_depth", DIR_CTX,
        "deepest accepted JSON nesting (default 16)"),
    AP_INIT_TAKE1("CSCStateFile", set_service, "state_file", RSRC_CONF,
        "file holding the shared state of all children (default csc-state in DefaultRuntimeDir)"),
    AP_INIT_TAKE1("CSCStateSlots", set_service, "state_slots", RSRC_CONF,
        "number of 4 KiB entries in the shared state (default 8192)"),
    AP_INIT_TAKE1("CSCStateStore", set_service, "state_store", RSRC_CONF,
        "pgsql:<libpq connection string>: the shared state in PostgreSQL, for several hosts (instead of CSCStateFile)"),
    AP_INIT_TAKE1("CSCPKCS11Module", set_service, "pkcs11_module", RSRC_CONF,
        "PKCS#11 module used by engine: key references (default: the engine's own)"),
    AP_INIT_TAKE1("CSCPKCS11PIN", set_service, "pkcs11_pin", RSRC_CONF,
        "token user PIN for PKCS#11 keys: file:/path or env:VARIABLE"),
    { .name = NULL }
};
/* clang-format on */
