/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the httpd glue. */
#ifndef MOD_CSC_H
#define MOD_CSC_H

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <ap_provider.h>

/* the core's public API, and nothing else of shared/ (the include path
 * holds shared/include only) */
#include <csc/csc.h>

/* mod_csc.c declares the module, which declares the log index itself */
#ifndef MOD_CSC_DECLARES_MODULE
APLOG_USE_MODULE(csc);
#endif

extern module AP_MODULE_DECLARE_DATA csc_module;

#define CSC_HANDLER "csc-api"

/* Per-directory (and per-server default) configuration. */
typedef struct {
    csc_cfg_t *core;                     /* CSC semantics, merged in shared/ */
    apr_array_header_t *authn_providers; /* CSCAuthnProvider (NULL: unset) */
} mod_csc_dir_cfg;

/* The service of the configuration being read or run: made anew by every
 * reading (pre_config), started in post_config. */
extern csc_service_t *mod_csc_service;

extern const command_rec mod_csc_cmds[];
void *mod_csc_create_dir_cfg(apr_pool_t *p, char *dir);
void *mod_csc_merge_dir_cfg(apr_pool_t *p, void *base, void *add);

int mod_csc_handler(request_rec *r);

/* translate_name/map_to_storage: API locations are not files. */
void mod_csc_register_map_hooks(void);
/* Whether the <Location> walk gave this request the csc-api handler. */
int mod_csc_location_is_api(request_rec *r);

/* JSON bodies for the errors httpd answers itself in API locations. */
void mod_csc_register_error_hooks(void);
/* Whether path lies in an API location of r's virtual host. */
int mod_csc_api_path(request_rec *r, const char *path);
/* Finds the API locations in the configuration tree (post_config). */
void mod_csc_find_api_locations(apr_pool_t *pconf, server_rec *s);

#endif
