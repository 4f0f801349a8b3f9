/* SPDX-License-Identifier: Apache-2.0 */
/* Private to the authorization server (shared/oauth2/):
 *   csc_oauth2.c            dispatch, the issuer, AS metadata
 *   csc_oauth2_form.c       form and query codecs
 *   csc_oauth2_flow.c       the single-use records in the shared state
 *                           (pushed requests, sign-in transactions, codes)
 *   csc_oauth2_client.c     client authentication
 *   csc_oauth2_request.c    checking an authorization request
 *   csc_oauth2_authorize.c  authorize, pushed_authorize, the sign-in and
 *                           consent steps
 *   csc_oauth2_pages.c      the HTML pages and their templates
 *   csc_oauth2_token.c      token and revoke */
#ifndef CSC_OAUTH2_INTERNAL_H
#define CSC_OAUTH2_INTERNAL_H

#include <apr_tables.h>
#include <jansson.h>

#include "api/csc_api_internal.h"
#include "authz/csc_grant.h"
#include "authz/csc_secret.h"
#include "oauth2/csc_oauth2.h"
#include "store/csc_store.h"

#define OAUTH2_CODE_TTL     60      /* s: an authorization code */
#define OAUTH2_PAR_TTL      90      /* s: a pushed request's request_uri */
#define OAUTH2_FLOW_TTL     600     /* s: a sign-in in the browser */
#define OAUTH2_STATE_MAX    512     /* bytes of state echoed back */
#define OAUTH2_URI_MAX      1024    /* bytes of a redirect URI */
#define OAUTH2_PAR_PREFIX   "urn:ietf:params:oauth:request_uri:"
#define OAUTH2_COOKIE       "csc_oauth2"

/* ---- csc_oauth2_form.c ---- */

/* Parses application/x-www-form-urlencoded text (a body or a query).
 * NULL with *why set for bad percent-encoding, a NUL byte, or a name
 * given twice (RFC 6749 3.1: parameters MUST NOT repeat).  Empty values
 * count as absent. */
apr_table_t *oauth2_form_parse(const char *s, apr_size_t len, apr_pool_t *p,
                               const char **why);
/* A parameter's value; NULL when absent or empty. */
const char *oauth2_param(apr_table_t *t, const char *name);
/* 43 characters of base64url: the shape of a csc_secret_new() value
 * (codes, request_uri, sign-in ids, cookies) and of an S256 challenge. */
int oauth2_b64url43(const char *s);
/* Percent-encodes everything but unreserved characters. */
const char *oauth2_url_encode(const char *s, apr_pool_t *p);
/* uri + ('?' or '&') + name=value pairs (NULL-terminated, NULL values
 * skipped). */
const char *oauth2_uri_add(const char *uri, apr_pool_t *p, ...);
/* The value of cookie name in a Cookie header, or NULL. */
const char *oauth2_cookie(const char *header, const char *name,
                          apr_pool_t *p);

/* ---- answers ---- */

/* {"error", "error_description"} with no-store. */
void oauth2_error(csc_call_t *call, int status, const char *error,
                  const char *description);
void oauth2_json(csc_call_t *call, int status, json_t *obj);

/* ---- csc_oauth2_flow.c: what a flow leaves in the shared state ---- */

typedef enum {
    FLOW_PAR = 'R',         /* a pushed authorization request */
    FLOW_SIGNIN = 'W',      /* a browser between authorize and the code */
    FLOW_CODE = 'C'         /* an authorization code */
} oauth2_flow_kind_e;

/* A checked authorization request, and where its flow stands. */
typedef struct {
    char client_id[CSC_GRANT_CLIENT_MAX + 1];
    char redirect_uri[OAUTH2_URI_MAX + 1];
    char state[OAUTH2_STATE_MAX + 1];
    char code_challenge[129];
    char scope[16];
    char lang[36];
    char user[256];             /* signed in (FLOW_SIGNIN), or the code's */
    char grant[32];             /* FLOW_CODE: the grant it gave */
    unsigned char csrf[32];     /* FLOW_SIGNIN: digests of the form's ... */
    unsigned char browser[32];  /* ... and the cookie's secret */
    apr_int32_t prompt_login;
    apr_int32_t has_state;
    apr_int32_t used;           /* FLOW_CODE: redeemed once */
    apr_int32_t replayed;       /* FLOW_CODE: presented again since */
} oauth2_flow_t;

/* Files f under a new random secret; *secret is it.  APR_SUCCESS or a
 * state error. */
apr_status_t oauth2_flow_put(const csc_env_t *env, oauth2_flow_kind_e kind,
                             const oauth2_flow_t *f, int ttl,
                             const char **secret, apr_pool_t *p);
/* Reads and deletes in one step: APR_NOTFOUND when absent or expired. */
apr_status_t oauth2_flow_take(const csc_env_t *env, oauth2_flow_kind_e kind,
                              const char *secret, oauth2_flow_t *out);
/* Reads without consuming. */
apr_status_t oauth2_flow_get(const csc_env_t *env, oauth2_flow_kind_e kind,
                             const char *secret, oauth2_flow_t *out);
/* Replaces a live record (its expiry kept); APR_NOTFOUND when gone. */
apr_status_t oauth2_flow_set(const csc_env_t *env, oauth2_flow_kind_e kind,
                             const char *secret, const oauth2_flow_t *f);

typedef enum {
    CODE_REDEEMED,          /* first use: *out holds the request */
    CODE_REPLAYED,          /* used before: *out->grant is what it gave */
    CODE_UNKNOWN            /* unknown or expired */
} oauth2_code_e;
/* Marks a code used, in one step with reading it. */
oauth2_code_e oauth2_code_redeem(const csc_env_t *env, const char *code,
                                 oauth2_flow_t *out, apr_status_t *rv);
/* Files the grant a code gave; returns 1 when the code was replayed in
 * the meantime (the caller then revokes the grant). */
int oauth2_code_bind(const csc_env_t *env, const char *code,
                     const char *grant);

/* digest of a browser-side secret, for the csrf and browser fields */
void oauth2_digest(const char *secret, unsigned char out[32]);

/* ---- csc_oauth2_client.c ---- */

/* Authenticates the client of a token, revoke or PAR request: HTTP Basic
 * (client_secret_basic), client_id + client_secret in the form
 * (client_secret_post), or client_id alone for a public client.  NULL with
 * the error answered. */
csc_client_t *oauth2_client_auth(csc_call_t *call, apr_table_t *form);
/* The registered client named client_id; NULL when unknown (*rv says
 * whether the store answered). */
csc_client_t *oauth2_client_find(csc_call_t *call, const char *client_id,
                                 apr_status_t *rv);

/* ---- csc_oauth2_request.c ---- */

typedef enum {
    AUTHZ_OK,
    AUTHZ_PAGE,             /* no trusted redirect URI: show an error page */
    AUTHZ_REDIRECT,         /* send error/error_description/state back */
    AUTHZ_UNAVAILABLE       /* the store or the state failed */
} oauth2_authz_e;

/* Checks an authorization request (query or pushed form) into *f; the
 * error and its description otherwise.  *client: the authenticated
 * client, or NULL to look it up by client_id; out: the client (for its
 * name on the pages). */
oauth2_authz_e oauth2_authz_check(csc_call_t *call, apr_table_t *params,
                                  csc_client_t **client, oauth2_flow_t *f,
                                  const char **error, const char **desc);

/* ---- csc_oauth2_pages.c ---- */

typedef enum { PAGE_LOGIN, PAGE_CONSENT, PAGE_ERROR } oauth2_page_e;

/* Answers status with the page, its variables name/value pairs
 * (NULL-terminated), every value HTML-escaped, in lang where a text of
 * that language exists. */
void oauth2_page(csc_call_t *call, int status, oauth2_page_e page,
                 const char *lang, ...);
/* A page text in lang (English when there is none). */
const char *oauth2_text(const char *lang, const char *name);
/* An error page: the request cannot go back to the client. */
void oauth2_page_error(csc_call_t *call, int status, const char *lang,
                       const char *error, const char *desc);

/* ---- endpoints ---- */

void oauth2_authorize(csc_call_t *call);
void oauth2_par(csc_call_t *call);
void oauth2_login(csc_call_t *call);
void oauth2_consent(csc_call_t *call);
void oauth2_token(csc_call_t *call);
void oauth2_revoke(csc_call_t *call);
void oauth2_metadata(csc_call_t *call);

/* The issuer this request belongs to. */
const char *oauth2_issuer(csc_call_t *call);
/* The form of a POST body, or NULL with the error answered (content type,
 * method, encoding). */
apr_table_t *oauth2_post_form(csc_call_t *call);

#endif
