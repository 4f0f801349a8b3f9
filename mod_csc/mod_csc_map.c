/* SPDX-License-Identifier: Apache-2.0 */
/* A csc-api location names no file, so its requests skip httpd's mapping
 * of the URI under DocumentRoot and the <Directory> walk that follows:
 * that walk stats every component of a path that does not exist, on every
 * request, and merges <Directory> sections that cannot apply.  mod_proxy
 * treats its URLs the same way.  Access control for the API belongs in
 * <Location> (and is still applied: the location walk runs after this). */
#include <string.h>

#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>

#include "mod_csc.h"

#define CSC_FILENAME_PREFIX "csc-api:"

/* The location walk ran before translate_name, so SetHandler from a
 * <Location> (the documented way to enable the API) is visible here. */
int mod_csc_location_is_api(request_rec *r)
{
    core_dir_config *d;
    const char *h, *err = NULL;

    if (!r->per_dir_config) {
        return 0;
    }
    d = ap_get_core_module_config(r->per_dir_config);
    if (!d || !d->expr_handler) {
        return 0;
    }
    h = ap_expr_str_exec(r, d->expr_handler, &err);
    return h && !err && !strcasecmp(h, CSC_HANDLER);
}

static int csc_translate_name(request_rec *r)
{
    if (!r->uri || r->uri[0] != '/' || !mod_csc_location_is_api(r)) {
        return DECLINED;
    }
    r->filename = apr_pstrcat(r->pool, CSC_FILENAME_PREFIX, r->uri, NULL);
    return OK;
}

static int csc_map_to_storage(request_rec *r)
{
    if (r->filename && !strncmp(r->filename, CSC_FILENAME_PREFIX,
                                sizeof(CSC_FILENAME_PREFIX) - 1)) {
        return OK;
    }
    return DECLINED;
}

/* RFC 8414 3: the metadata of issuer https://host/csc is at
 * https://host/.well-known/oauth-authorization-server/csc, outside the
 * API's <Location>.  Such a request is taken to the API location's own
 * <base>/.well-known/oauth-authorization-server before httpd maps it, so
 * that the location's settings (its issuer among them) answer. */
#define AS_METADATA "/.well-known/oauth-authorization-server"

static int csc_metadata_uri(request_rec *r)
{
    const char *rest;

    if (!r->uri || strncmp(r->uri, AS_METADATA "/",
                           sizeof(AS_METADATA)) != 0) {
        return DECLINED;
    }
    rest = r->uri + sizeof(AS_METADATA) - 1;
    if (!mod_csc_api_path(r, rest)) {
        return DECLINED;
    }
    r->uri = apr_pstrcat(r->pool, rest, AS_METADATA, NULL);
    r->parsed_uri.path = r->uri;
    return DECLINED;
}

void mod_csc_register_map_hooks(void)
{
    ap_hook_post_read_request(csc_metadata_uri, NULL, NULL, APR_HOOK_MIDDLE);
    /* after mod_rewrite and mod_alias, which may still claim the URI */
    ap_hook_translate_name(csc_translate_name, NULL, NULL, APR_HOOK_LAST);
    ap_hook_map_to_storage(csc_map_to_storage, NULL, NULL, APR_HOOK_FIRST);
}
