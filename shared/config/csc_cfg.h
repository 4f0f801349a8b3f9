/* SPDX-License-Identifier: Apache-2.0 */
/* Per-location configuration of the CSC service, shared by every server
 * binding.  Every field starts UNSET (-1 or NULL) so that merging can tell
 * "not configured here" from "configured to the default"; defaults are
 * applied only when a value is read, through the getters. */
#ifndef CSC_CFG_H
#define CSC_CFG_H

#include <apr_pools.h>
#include <apr_tables.h>

#include "csc/csc_config.h"

#define CSC_UNSET (-1)

/* A credential store named by one or more locations: recorded while the
 * configuration is read, opened and checked by csc_service_check(). */
typedef struct csc_store_ref_t {
    const char *spec;
    const char *directive;          /* how the binding named the setting */
    struct csc_store_t *store;
} csc_store_ref_t;

struct csc_cfg_t {
    const char *base_path;          /* CSCBasePath */
    const char *store_spec;         /* CSCCredentialStore */
    csc_store_ref_t *store_ref;     /* its store (set with store_spec) */
    const char *name;               /* CSCServiceName */
    const char *logo;               /* CSCServiceLogo */
    const char *region;             /* CSCServiceRegion */
    const char *lang;               /* CSCServiceLang */
    const char *description;        /* CSCServiceDescription */
    apr_array_header_t *auth_types; /* CSCAuthType: basic external TLS */
    const char *otp_delivery;       /* CSCOTPDelivery file:PATH | command:PATH */
    const char *oauth2_issuer;      /* CSCOAuth2Issuer */
    const char *oauth2_templates;   /* CSCOAuth2Templates (a directory) */
    int token_lifetime;             /* CSCTokenLifetime (s) */
    int refresh_lifetime;           /* CSCRefreshTokenLifetime (s) */
    int grant_lifetime;             /* CSCGrantLifetime (s) */
    int max_grants;                 /* CSCMaxGrantsPerUser */
    int max_tenant_grants;          /* CSCMaxGrantsPerTenant */
    int login_limit;                /* CSCLoginLimit (per minute) */
    int client_limit;               /* CSCClientLimit (per minute) */
    int otp_limit;                  /* CSCOTPLimit (per minute) */
    int sad_lifetime;               /* CSCSADLifetime (s) */
    int max_failures;               /* CSCMaxAuthFailures */
    int totp_window;                /* CSCTOTPWindow (steps) */
    int hotp_lookahead;             /* CSCHOTPLookahead */
    int page_size;                  /* CSCPageSize */
    int max_body;                   /* CSCMaxRequestBody (bytes) */
    int max_depth;                  /* CSCMaxJSONDepth */
};

/* The value parsers behind csc_cfg_set().  Each returns NULL or an error
 * text naming the directive. */
const char *csc_cfg_set_int(const char *directive, const char *arg,
                            long min, long max, int *field, apr_pool_t *p);
const char *csc_cfg_set_duration(const char *directive, const char *arg,
                                 long min, long max, int *field,
                                 apr_pool_t *p);
/* Getters applying the documented defaults. */
struct csc_store_t *csc_cfg_store(const csc_cfg_t *c);   /* NULL: none */
const char *csc_cfg_name(const csc_cfg_t *c);
const char *csc_cfg_logo(const csc_cfg_t *c);
const char *csc_cfg_region(const csc_cfg_t *c);
const char *csc_cfg_lang(const csc_cfg_t *c);
const char *csc_cfg_description(const csc_cfg_t *c);
int csc_cfg_auth_type_enabled(const csc_cfg_t *c, const char *type);
const char *csc_cfg_oauth2_issuer(const csc_cfg_t *c);      /* NULL: unset */
const char *csc_cfg_oauth2_templates(const csc_cfg_t *c);   /* NULL: built-in */
const apr_array_header_t *csc_cfg_auth_types(const csc_cfg_t *c,
                                             apr_pool_t *p);
int csc_cfg_token_lifetime(const csc_cfg_t *c);
int csc_cfg_refresh_lifetime(const csc_cfg_t *c);
int csc_cfg_grant_lifetime(const csc_cfg_t *c);
int csc_cfg_max_grants(const csc_cfg_t *c);
int csc_cfg_max_tenant_grants(const csc_cfg_t *c);
int csc_cfg_login_limit(const csc_cfg_t *c);
int csc_cfg_client_limit(const csc_cfg_t *c);
int csc_cfg_otp_limit(const csc_cfg_t *c);
int csc_cfg_sad_lifetime(const csc_cfg_t *c);
int csc_cfg_max_failures(const csc_cfg_t *c);
int csc_cfg_totp_window(const csc_cfg_t *c);
int csc_cfg_hotp_lookahead(const csc_cfg_t *c);
int csc_cfg_page_size(const csc_cfg_t *c);
int csc_cfg_max_depth(const csc_cfg_t *c);

#endif
