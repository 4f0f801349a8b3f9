/* SPDX-License-Identifier: Apache-2.0 */
/* $csc_method, $csc_user, $csc_credential, $csc_error for log_format:
 * what mod_csc puts in httpd's request notes.  Never a secret: the core
 * fills them with the method, the user, an existing credential ID (cut to
 * CSC_NOTE_MAX) and the error code. */
#include "ngx_http_csc_module.h"

static ngx_int_t get(ngx_http_request_t *r, ngx_http_variable_value_t *v,
                     uintptr_t offset)
{
    ngx_http_csc_ctx_t *ctx = ngx_http_get_module_ctx(r, ngx_http_csc_module);
    ngx_str_t *s = ctx ? (ngx_str_t *)((char *)ctx + offset) : NULL;

    if (!s || !s->len) {
        v->not_found = 1;
        return NGX_OK;
    }
    v->data = s->data;
    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    return NGX_OK;
}

static ngx_http_variable_t variables[] = {
    { ngx_string("csc_method"), NULL, get,
      offsetof(ngx_http_csc_ctx_t, method), NGX_HTTP_VAR_NOCACHEABLE, 0 },
    { ngx_string("csc_user"), NULL, get,
      offsetof(ngx_http_csc_ctx_t, user), NGX_HTTP_VAR_NOCACHEABLE, 0 },
    { ngx_string("csc_credential"), NULL, get,
      offsetof(ngx_http_csc_ctx_t, credential), NGX_HTTP_VAR_NOCACHEABLE, 0 },
    { ngx_string("csc_error"), NULL, get,
      offsetof(ngx_http_csc_ctx_t, error), NGX_HTTP_VAR_NOCACHEABLE, 0 },
    ngx_http_null_variable
};

ngx_int_t ngx_http_csc_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t *v, *var;

    for (v = variables; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (!var) {
            return NGX_ERROR;
        }
        var->get_handler = v->get_handler;
        var->data = v->data;
    }
    return NGX_OK;
}
