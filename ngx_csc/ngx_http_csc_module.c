/* SPDX-License-Identifier: Apache-2.0 */
/* ngx_http_csc_module: the Cloud Signature Consortium API inside nginx.
 * This file holds the module declaration, its directives and its life
 * cycle; the CSC semantics live in shared/, behind <csc/csc.h>, the same
 * core mod_csc runs in httpd. */
#include <apr_general.h>
#include <apr_global_mutex.h>
#include <apr_strings.h>

#include "ngx_http_csc_module.h"

static void *create_main_conf(ngx_conf_t *cf);
static void *create_loc_conf(ngx_conf_t *cf);
static char *merge_loc_conf(ngx_conf_t *cf, void *parent, void *child);
static ngx_int_t postconfiguration(ngx_conf_t *cf);
static ngx_int_t init_module(ngx_cycle_t *cycle);
static ngx_int_t init_process(ngx_cycle_t *cycle);
static char *set_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *set_thread_pool(ngx_conf_t *cf, ngx_command_t *cmd,
                             void *conf);
static char *set_core(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *set_store(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *set_service(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);

/* cmd->post of set_core and set_service: the core's name of the setting */
#define CORE(directive, setting, args)                                    \
    { ngx_string(directive),                                             \
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF | args,   \
      set_core, NGX_HTTP_LOC_CONF_OFFSET, 0, (void *)setting }
#define SERVICE(directive, setting)                                       \
    { ngx_string(directive), NGX_HTTP_MAIN_CONF | NGX_CONF_TAKE1,         \
      set_service, NGX_HTTP_MAIN_CONF_OFFSET, 0, (void *)setting }

/* The same settings, names and defaults as mod_csc's CSC... directives
 * (README, "Directives"): csc_token_lifetime is CSCTokenLifetime. */
static ngx_command_t commands[] = {
    { ngx_string("csc_api"), NGX_HTTP_LOC_CONF | NGX_CONF_NOARGS,
      set_api, NGX_HTTP_LOC_CONF_OFFSET, 0, NULL },
    { ngx_string("csc_credential_store"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
          | NGX_CONF_TAKE1,
      set_store, NGX_HTTP_LOC_CONF_OFFSET, 0, NULL },
    { ngx_string("csc_auth_basic_user_file"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
          | NGX_CONF_TAKE1,
      ngx_conf_set_str_slot, NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_csc_loc_conf_t, user_file), NULL },
    { ngx_string("csc_external_user"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
          | NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot, NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_csc_loc_conf_t, external_user), NULL },
    { ngx_string("csc_thread_pool"),
      NGX_HTTP_MAIN_CONF | NGX_HTTP_SRV_CONF | NGX_HTTP_LOC_CONF
          | NGX_CONF_TAKE12,
      set_thread_pool, NGX_HTTP_LOC_CONF_OFFSET, 0, NULL },
    CORE("csc_base_path", "base_path", NGX_CONF_TAKE1),
    CORE("csc_service_name", "name", NGX_CONF_TAKE1),
    CORE("csc_service_logo", "logo", NGX_CONF_TAKE1),
    CORE("csc_service_region", "region", NGX_CONF_TAKE1),
    CORE("csc_service_lang", "lang", NGX_CONF_TAKE1),
    CORE("csc_service_description", "description", NGX_CONF_TAKE1),
    CORE("csc_auth_type", "auth_type", NGX_CONF_1MORE),
    CORE("csc_oauth2_issuer", "oauth2_issuer", NGX_CONF_TAKE1),
    CORE("csc_oauth2_templates", "oauth2_templates", NGX_CONF_TAKE1),
    CORE("csc_otp_delivery", "otp_delivery", NGX_CONF_TAKE1),
    CORE("csc_token_lifetime", "token_lifetime", NGX_CONF_TAKE1),
    CORE("csc_refresh_token_lifetime", "refresh_lifetime", NGX_CONF_TAKE1),
    CORE("csc_grant_lifetime", "grant_lifetime", NGX_CONF_TAKE1),
    CORE("csc_max_grants_per_user", "max_grants", NGX_CONF_TAKE1),
    CORE("csc_max_grants_per_tenant", "max_tenant_grants", NGX_CONF_TAKE1),
    CORE("csc_login_limit", "login_limit", NGX_CONF_TAKE1),
    CORE("csc_client_limit", "client_limit", NGX_CONF_TAKE1),
    CORE("csc_otp_limit", "otp_limit", NGX_CONF_TAKE1),
    CORE("csc_sad_lifetime", "sad_lifetime", NGX_CONF_TAKE1),
    CORE("csc_max_auth_failures", "max_failures", NGX_CONF_TAKE1),
    CORE("csc_totp_window", "totp_window", NGX_CONF_TAKE1),
    CORE("csc_hotp_lookahead", "hotp_lookahead", NGX_CONF_TAKE1),
    CORE("csc_page_size", "page_size", NGX_CONF_TAKE1),
    CORE("csc_max_request_body", "max_body", NGX_CONF_TAKE1),
    CORE("csc_max_json_depth", "max_depth", NGX_CONF_TAKE1),
    SERVICE("csc_state_file", "state_file"),
    SERVICE("csc_state_slots", "state_slots"),
    SERVICE("csc_state_store", "state_store"),
    SERVICE("csc_pkcs11_module", "pkcs11_module"),
    SERVICE("csc_pkcs11_pin", "pkcs11_pin"),
    ngx_null_command
};

static ngx_http_module_t module_ctx = {
    NULL,                   /* preconfiguration */
    postconfiguration,
    create_main_conf,
    NULL,                   /* init main conf */
    NULL,                   /* create server conf */
    NULL,                   /* merge server conf */
    create_loc_conf,
    merge_loc_conf
};

ngx_module_t ngx_http_csc_module = {
    NGX_MODULE_V1,
    &module_ctx,
    commands,
    NGX_HTTP_MODULE,
    NULL,                   /* init master */
    init_module,
    init_process,
    NULL,                   /* init thread */
    NULL,                   /* exit thread */
    NULL,                   /* exit process */
    NULL,                   /* exit master */
    NGX_MODULE_V1_PADDING
};

/* The main configuration of the reading in progress.  nginx creates the
 * http{} block's location configuration before that block's context is in
 * place, so it cannot be looked up from cf there; a reading is
 * single-threaded, in the master. */
static ngx_http_csc_main_conf_t *reading;

/* Serialises PKCS#11 key loading (token logins) across all workers; made
 * by the master for each cycle, attached by each worker. */
static apr_global_mutex_t *p11_mutex;


/* csc_log numbers levels as syslog does, nginx one higher
 * (NGX_LOG_EMERG is 1). */
int ngx_http_csc_log_level(const ngx_log_t *log)
{
    ngx_uint_t l = log->log_level;

    return (int)(l > NGX_LOG_DEBUG ? NGX_LOG_DEBUG : l) - 1;
}

/* The core's process log (start-up, housekeeping): the error_log of the
 * cycle in force, which moves with every reload. */
static void process_sink(void *baton, const char *file, int line, int level,
                         const char *msg)
{
    (void)baton;
    (void)file;
    (void)line;
    ngx_log_error((ngx_uint_t)level + 1, ngx_cycle->log, 0, "%s", msg);
}

static void cycle_pool_cleanup(void *data)
{
    apr_pool_destroy((apr_pool_t *)data);
}

static void *create_main_conf(ngx_conf_t *cf)
{
    static int apr_ready;
    ngx_http_csc_main_conf_t *mcf;
    ngx_pool_cleanup_t *cln;

    if (!apr_ready) {
        if (apr_initialize() != APR_SUCCESS) {
            return NULL;
        }
        apr_ready = 1;
    }
    mcf = ngx_pcalloc(cf->pool, sizeof(*mcf));
    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (!mcf || !cln || apr_pool_create(&mcf->pool, NULL) != APR_SUCCESS) {
        return NULL;
    }
    /* the APR side of this cycle goes with the cycle: without it every
     * reload would leak a configuration */
    cln->handler = cycle_pool_cleanup;
    cln->data = mcf->pool;
    if (ngx_array_init(&mcf->prefixes, cf->pool, 4,
                       sizeof(ngx_http_csc_prefix_t)) != NGX_OK) {
        return NULL;
    }
    mcf->service = csc_service_create(mcf->pool);
    reading = mcf;
    return mcf;
}

static ngx_http_csc_main_conf_t *main_conf(ngx_conf_t *cf)
{
    (void)cf;
    return reading;
}

static void *create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_csc_loc_conf_t *lcf = ngx_pcalloc(cf->pool, sizeof(*lcf));

    if (!lcf) {
        return NULL;
    }
    lcf->core = csc_cfg_create(main_conf(cf)->pool);
    lcf->api = NGX_CONF_UNSET;
    lcf->external_user = NGX_CONF_UNSET_PTR;
    lcf->pool_from = NGX_CONF_UNSET_UINT;
    return lcf;
}

static char *merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_csc_loc_conf_t *prev = parent, *conf = child;
    conf->core = csc_cfg_merge(main_conf(cf)->pool, prev->core, conf->core);
    /* csc_api is not inherited: a nested location that does not say it
     * is served by whatever else it says */
    if (conf->api == NGX_CONF_UNSET) {
        conf->api = 0;
    }
    ngx_conf_merge_str_value(conf->user_file, prev->user_file, "");
    ngx_conf_merge_ptr_value(conf->external_user, prev->external_user,
                             NULL);
    /* the name and "slow" are one setting: both are set, or both
     * inherited */
    ngx_conf_merge_str_value(conf->thread_pool_name, prev->thread_pool_name,
                             "default");
    ngx_conf_merge_uint_value(conf->pool_from, prev->pool_from,
                              CSC_WAIT_BRIEF);
    if (conf->api) {
        /* ngx_thread_pool_add declares the pool (the "default" one is
         * made on demand; any other needs a thread_pool line) */
        conf->thread_pool = ngx_thread_pool_add(cf, &conf->thread_pool_name);
        if (!conf->thread_pool) {
            return NGX_CONF_ERROR;
        }
    }
    return NGX_CONF_OK;
}

static char *set_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_csc_loc_conf_t *lcf = conf;
    ngx_http_core_loc_conf_t *clcf;
    ngx_http_csc_prefix_t *prefix;

    (void)cmd;
    if (lcf->api != NGX_CONF_UNSET) {
        return "is duplicate";
    }
    lcf->api = 1;
    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_csc_handler;
    main_conf(cf)->api_locations++;
#if (NGX_PCRE)
    if (clcf->regex) {
        return NGX_CONF_OK;
    }
#endif
    prefix = ngx_array_push(&main_conf(cf)->prefixes);
    if (!prefix) {
        return NGX_CONF_ERROR;
    }
    prefix->server = ngx_http_conf_get_module_srv_conf(cf,
                                                       ngx_http_core_module);
    prefix->path = clcf->name;
    return NGX_CONF_OK;
}

/* csc_thread_pool NAME [slow] */
static char *set_thread_pool(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_csc_loc_conf_t *lcf = conf;
    ngx_str_t *value = cf->args->elts;

    (void)cmd;
    if (lcf->thread_pool_name.data) {
        return "is duplicate";
    }
    lcf->thread_pool_name = value[1];
    lcf->pool_from = CSC_WAIT_BRIEF;
    if (cf->args->nelts == 3) {
        if (value[2].len != 4 || ngx_strncmp(value[2].data, "slow", 4)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "csc_thread_pool: "
                               "\"%V\" is not \"slow\"", &value[2]);
            return NGX_CONF_ERROR;
        }
        lcf->pool_from = CSC_WAIT_LONG;
    }
    return NGX_CONF_OK;
}

/* The core's message starts with the directive's name; nginx adds the
 * file and line. */
static char *conf_error(ngx_conf_t *cf, const char *err)
{
    if (!err) {
        return NGX_CONF_OK;
    }
    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "%s", err);
    return NGX_CONF_ERROR;
}

static char *set_core(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_csc_loc_conf_t *lcf = conf;
    ngx_str_t *args = cf->args->elts;
    ngx_uint_t i;

    /* words from nginx's parser are NUL-terminated */
    for (i = 1; i < cf->args->nelts; i++) {
        const char *err = csc_cfg_set(lcf->core, cmd->post,
                                      (const char *)cmd->name.data,
                                      (const char *)args[i].data,
                                      main_conf(cf)->pool);
        if (err) {
            return conf_error(cf, err);
        }
    }
    return NGX_CONF_OK;
}

static char *set_store(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_csc_loc_conf_t *lcf = conf;
    ngx_http_csc_main_conf_t *mcf = main_conf(cf);
    ngx_str_t *args = cf->args->elts;

    return conf_error(cf, csc_service_set_store(
        mcf->service, lcf->core, (const char *)cmd->name.data,
        (const char *)args[1].data, mcf->pool));
}

static char *set_service(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_csc_main_conf_t *mcf = conf;
    ngx_str_t *args = cf->args->elts;

    return conf_error(cf, csc_service_set(
        mcf->service, cmd->post, (const char *)cmd->name.data,
        (const char *)args[1].data, mcf->pool));
}

static ngx_int_t postconfiguration(ngx_conf_t *cf)
{
    if (ngx_http_csc_add_variables(cf) != NGX_OK) {
        return NGX_ERROR;
    }
    return ngx_http_csc_filter_init(cf);
}

/* Where the state file goes by default: beside the pid file, as httpd's
 * DefaultRuntimeDir holds its pid file (Debian: /run). */
static const char *runtime_dir(ngx_cycle_t *cycle, apr_pool_t *p)
{
    ngx_core_conf_t *ccf =
        (ngx_core_conf_t *)ngx_get_conf(cycle->conf_ctx, ngx_core_module);
    char *pid, *slash;

    if (!ccf || !ccf->pid.len) {
        return NULL;
    }
    pid = apr_pstrmemdup(p, (const char *)ccf->pid.data, ccf->pid.len);
    slash = strrchr(pid, '/');
    if (!slash) {
        return NULL;
    }
    *(slash == pid ? slash + 1 : slash) = '\0';
    return pid;
}

/* Runs in the master for every configuration reading, and also for
 * `nginx -t` (Debian's ExecStartPre), which must check the stores and key
 * references but must not touch the live state of a running server. */
static ngx_int_t init_module(ngx_cycle_t *cycle)
{
    ngx_http_csc_main_conf_t *mcf;
    csc_service_start_t how = {0, csc_global_mutex_lock,
                               csc_global_mutex_unlock, &p11_mutex};
    apr_pool_t *ptemp;
    const char *err;

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_csc_module);
    if (!mcf || !mcf->api_locations) {
        return NGX_OK;
    }
    csc_log_set_sink(process_sink, NULL, ngx_http_csc_log_level(cycle->log));
    if (apr_pool_create(&ptemp, mcf->pool) != APR_SUCCESS) {
        return NGX_ERROR;
    }
    csc_service_set_dirs(mcf->service,
                         apr_pstrmemdup(ptemp, (const char *)cycle->prefix.data,
                                        cycle->prefix.len),
                         runtime_dir(cycle, ptemp));
    err = csc_service_check(mcf->service, ptemp);
    apr_pool_destroy(ptemp);
    if (err) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0, "%s", err);
        return NGX_ERROR;
    }
    if (ngx_test_config) {
        return NGX_OK;
    }
    /* No worker of an earlier master can hold the state lock on a first
     * start; on a reload old workers still may, and during a binary
     * upgrade (USR2) the old master's workers do. */
    how.fresh = ngx_is_init_cycle(cycle->old_cycle) && !ngx_inherited;
    if (apr_global_mutex_create(&p11_mutex, NULL, APR_LOCK_DEFAULT,
                                mcf->pool) != APR_SUCCESS) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0, "cannot create the "
                      "PKCS#11 load lock");
        return NGX_ERROR;
    }
    err = csc_service_start(mcf->service, &how);
    if (err) {
        ngx_log_error(NGX_LOG_EMERG, cycle->log, 0, "%s", err);
        return NGX_ERROR;
    }
    mcf->started = 1;
    ngx_log_error(NGX_LOG_DEBUG, cycle->log, 0, "csc: shared state %s",
                  csc_service_state_describe(mcf->service, mcf->pool));
    return NGX_OK;
}

static ngx_int_t init_process(ngx_cycle_t *cycle)
{
    ngx_http_csc_main_conf_t *mcf;
    apr_pool_t *pchild;

    mcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_http_csc_module);
    if (!mcf || !mcf->started) {
        return NGX_OK;
    }
    if (apr_pool_create(&pchild, mcf->pool) != APR_SUCCESS) {
        return NGX_ERROR;
    }
    if (p11_mutex
        && apr_global_mutex_child_init(&p11_mutex, NULL, pchild)
           != APR_SUCCESS) {
        ngx_log_error(NGX_LOG_ERR, cycle->log, 0, "csc: cannot attach the "
                      "PKCS#11 load lock: key loads are not serialised in "
                      "this worker");
        p11_mutex = NULL;
    }
    csc_service_child_init(mcf->service, pchild);
    /* A worker inherits the master's SIGCHLD handler, which reaps every
     * child of the process; the OTP delivery command (command:) must be
     * waited for by the thread that started it.  Workers start no other
     * children. */
    signal(SIGCHLD, SIG_DFL);
    return NGX_OK;
}
