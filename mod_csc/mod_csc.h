/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the httpd glue. */
#ifndef MOD_CSC_H
#define MOD_CSC_H

#include <httpd.h>
#include <http_config.h>
#include <http_log.h>
#include <ap_provider.h>

#include "api/csc_api.h"
#include "config/csc_cfg.h"
#include "state/csc_kv.h"
#include "store/csc_store.h"

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
    csc_store_t *store;                  /* opened for core->store_spec */
} mod_csc_dir_cfg;

/* Process-wide settings (global-only directives); reset by every reading
 * of the configuration. */
typedef struct {
    const char *state_file;              /* CSCStateFile */
    int state_slots;                     /* CSCStateSlots */
    const char *pkcs11_module;           /* CSCPKCS11Module */
    const char *pkcs11_pin_source;       /* CSCPKCS11PIN */
    const char *pkcs11_pin;              /* resolved at start-up */
} mod_csc_global_cfg;

extern mod_csc_global_cfg mod_csc_global;
extern csc_kv_t *mod_csc_kv;

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
/* Finds the API locations in the configuration tree (post_config). */
void mod_csc_find_api_locations(apr_pool_t *pconf, server_rec *s);

/* Opens (once per configuration reading) the store named by spec. */
const char *mod_csc_store_for(const char *spec, csc_store_t **st,
                              apr_pool_t *p);

#endif
