/* SPDX-License-Identifier: Apache-2.0 */
/* Errors that httpd answers itself inside an API location (an encoded
 * slash in the path, a malformed chunk, an invalid Content-Length, a
 * failing authn module) get a JSON body in the CSC shape instead of
 * httpd's HTML page, so that a client's JSON parser always gets JSON.
 *
 * Some of these errors happen before the <Location> walk, while the
 * request still carries only the virtual host's configuration, so the
 * API locations are also found once, at start-up, in the configuration
 * tree: every <Location> or <LocationMatch> that sets the csc-api
 * handler, with the virtual host it belongs to. */
#include <string.h>

#include <apr_strings.h>
#include <http_core.h>
#include <http_protocol.h>
#include <http_request.h>
#include <util_filter.h>

#include "mod_csc.h"

typedef struct {
    server_rec *server;         /* NULL: the main server (every vhost) */
    const char *path;
    ap_regex_t *regex;          /* <LocationMatch>, <Location ~ ...> */
} api_location;

static apr_array_header_t *api_locations;
static ap_filter_rec_t *json_error_filter_handle;

static const char *section_arg(apr_pool_t *p, const char *args, int *regex)
{
    char *a = apr_pstrdup(p, args ? args : ""), *end;

    end = strrchr(a, '>');
    if (end) {
        *end = '\0';
    }
    if (a[0] == '~' && (a[1] == ' ' || a[1] == '\t')) {
        *regex = 1;
        a += 2;
        while (*a == ' ' || *a == '\t') {
            a++;
        }
    }
    return ap_getword_conf(p, (const char **)&a);
}

static server_rec *vhost_of(server_rec *s, const ap_directive_t *d)
{
    for (; s; s = s->next) {
        if (s->is_virtual && s->defn_name && d->filename
            && d->line_num >= 0
            && s->defn_line_number == (unsigned)d->line_num
            && !strcmp(s->defn_name, d->filename)) {
            return s;
        }
    }
    return NULL;
}

static int sets_api_handler(apr_pool_t *p, const ap_directive_t *d)
{
    const char *args = d->args;

    return !strcasecmp(d->directive, "SetHandler")
        && !strcasecmp(ap_getword_conf(p, &args), CSC_HANDLER);
}

static void walk(apr_pool_t *p, server_rec *main_s, const ap_directive_t *d,
                 server_rec *vhost)
{
    for (; d; d = d->next) {
        if (!strcasecmp(d->directive, "<VirtualHost")) {
            walk(p, main_s, d->first_child, vhost_of(main_s, d));
        }
        else if (!strcasecmp(d->directive, "<Location")
                 || !strcasecmp(d->directive, "<LocationMatch")) {
            const ap_directive_t *c;
            int regex = !strcasecmp(d->directive, "<LocationMatch");
            const char *path = section_arg(p, d->args, &regex);
            api_location *l;

            for (c = d->first_child; c && !sets_api_handler(p, c);
                 c = c->next) {
            }
            if (!c) {
                continue;
            }
            l = apr_array_push(api_locations);
            l->server = vhost;
            l->path = path;
            l->regex = regex ? ap_pregcomp(p, path, AP_REG_EXTENDED) : NULL;
            if (regex && !l->regex) {
                api_locations->nelts--;
            }
        }
        else if (d->first_child) {
            /* <IfModule>, <IfDefine>, <If>...: look inside */
            walk(p, main_s, d->first_child, vhost);
        }
    }
}

void mod_csc_find_api_locations(apr_pool_t *pconf, server_rec *s)
{
    api_locations = apr_array_make(pconf, 4, sizeof(api_location));
    walk(pconf, s, ap_conftree, NULL);
}

/* httpd's own rule: a <Location> path matches on a segment boundary. */
static int path_matches(const char *loc, const char *uri)
{
    apr_size_t n = strlen(loc);

    return n > 0 && !strncmp(loc, uri, n)
        && (loc[n - 1] == '/' || uri[n] == '/' || uri[n] == '\0');
}

int mod_csc_api_path(request_rec *r, const char *path)
{
    int i;

    for (i = 0; api_locations && i < api_locations->nelts; i++) {
        const api_location *l = &APR_ARRAY_IDX(api_locations, i,
                                               api_location);

        if (l->server && l->server != r->server) {
            continue;
        }
        if (l->regex ? !ap_regexec(l->regex, path, 0, NULL, 0)
                     : path_matches(l->path, path)) {
            return 1;
        }
    }
    return 0;
}

static int in_api_location(request_rec *r)
{
    if (mod_csc_location_is_api(r)) {
        return 1;
    }
    return r->uri && mod_csc_api_path(r, r->uri);
}

static void csc_insert_error_filter(request_rec *r)
{
    int version = r->uri && strstr(r->uri, "/v1/") ? 1 : 2;

    if (r->status < 400 || !in_api_location(r)) {
        return;
    }
    ap_custom_response(r, r->status,
                       csc_error_json_for_status(r->status, version,
                                                 r->pool));
    ap_add_output_filter_handle(json_error_filter_handle, NULL, r,
                                r->connection);
}

/* Runs on the error body httpd writes: it set text/html just before. */
static apr_status_t json_error_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    ap_set_content_type(f->r, "application/json;charset=UTF-8");
    apr_table_setn(f->r->headers_out, "Cache-Control", "no-store");
    ap_remove_output_filter(f);
    return ap_pass_brigade(f->next, bb);
}

void mod_csc_register_error_hooks(void)
{
    json_error_filter_handle = ap_register_output_filter(
        "CSC_JSON_ERROR", json_error_filter, NULL, AP_FTYPE_CONTENT_SET);
    ap_hook_insert_error_filter(csc_insert_error_filter, NULL, NULL,
                                APR_HOOK_MIDDLE);
}
