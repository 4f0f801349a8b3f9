/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the nginx glue.  It includes nginx's headers and the core's
 * public API (<csc/...>) and nothing else of shared/: its include path
 * holds shared/include only, as mod_csc/'s does. */
#ifndef NGX_HTTP_CSC_MODULE_H
#define NGX_HTTP_CSC_MODULE_H

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <csc/csc.h>

extern ngx_module_t ngx_http_csc_module;

/* http{}: the service of this configuration cycle, made by every reading
 * (a reload makes a new one) in an APR pool that lives as long as the
 * cycle. */
typedef struct {
    apr_pool_t *pool;
    csc_service_t *service;
    ngx_uint_t api_locations;    /* csc_api seen: start the service */
    ngx_array_t prefixes;        /* ngx_http_csc_prefix_t of every API
                                  * location, for errors answered before
                                  * nginx chose a location */
    ngx_flag_t started;
} ngx_http_csc_main_conf_t;

typedef struct {
    void *server;                /* its ngx_http_core_srv_conf_t */
    ngx_str_t path;
} ngx_http_csc_prefix_t;

/* http{}, server{}, location{}: merged like nginx's own settings. */
typedef struct {
    csc_cfg_t *core;             /* CSC semantics, merged in shared/ */
    ngx_flag_t api;              /* csc_api: this location serves the API */
    ngx_str_t user_file;         /* csc_auth_basic_user_file */
    ngx_http_complex_value_t *external_user;   /* csc_external_user */
    ngx_thread_pool_t *thread_pool;
    ngx_str_t thread_pool_name;  /* csc_thread_pool (default "default") */
    ngx_uint_t pool_from;        /* the requests that wait this long
                                  * (csc_wait_e) or longer go to the pool,
                                  * the rest run on the event loop;
                                  * "slow": CSC_WAIT_LONG */
} ngx_http_csc_loc_conf_t;

/* What a request leaves for the log variables ($csc_method, ...), and
 * whether its answer is the core's (else an error nginx answers itself
 * in an API location gets the CSC JSON body). */
typedef struct {
    ngx_str_t method, user, credential, error;
    unsigned ours:1;
    unsigned json_error:1;
    unsigned json_sent:1;
    ngx_str_t json;              /* the replacement error body */
    void *task;                  /* the handler's state (handler.c) */
} ngx_http_csc_ctx_t;

ngx_http_csc_ctx_t *ngx_http_csc_get_ctx(ngx_http_request_t *r);

/* ngx_http_csc_module.c: the core's log level for an nginx log (csc_log
 * numbers levels as syslog does, nginx one higher) */
int ngx_http_csc_log_level(const ngx_log_t *log);

/* ngx_http_csc_handler.c: the content handler of a csc_api location */
ngx_int_t ngx_http_csc_handler(ngx_http_request_t *r);

/* ngx_http_csc_filter.c: JSON bodies for nginx's own errors */
ngx_int_t ngx_http_csc_filter_init(ngx_conf_t *cf);

/* ngx_http_csc_variables.c */
ngx_int_t ngx_http_csc_add_variables(ngx_conf_t *cf);

/* ngx_http_csc_htpasswd.c: auth/login passwords against an htpasswd file
 * (csc_password_check_fn; baton: the NUL-terminated path) */
int ngx_http_csc_check_htpasswd(void *baton, const char *user,
                                const char *password);

#endif
