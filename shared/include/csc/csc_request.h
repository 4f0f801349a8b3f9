/* SPDX-License-Identifier: Apache-2.0 */
/* The server-neutral request and response of one CSC API call.  The
 * binding (httpd today, nginx next) fills a csc_request_t from its native
 * request, calls csc_serve() (csc/csc_service.h) and writes csc_response_t
 * back; nothing here knows which server is in use. */
#ifndef CSC_PUBLIC_REQUEST_H
#define CSC_PUBLIC_REQUEST_H

#include <apr_pools.h>
#include <apr_tables.h>

struct csc_log_t;

/* Checks a user name and password against the server's authentication
 * providers (httpd: AuthBasicProvider-style authn providers).  Returns 1 for
 * a match, 0 for a wrong password, CSC_PASSWORD_NO_USER when no provider
 * knows the user (the core then takes as long as a wrong password would),
 * -1 when no provider could answer (misconfiguration, backend down). */
#define CSC_PASSWORD_NO_USER 2
typedef int csc_password_check_fn(void *baton, const char *user,
                                  const char *password);

typedef struct csc_request_t {
    apr_pool_t *pool;
    int version;                 /* 1 or 2: /csc/v1/ or /csc/v2/; 0: the
                                  * OAuth 2.0 authorization server */
    const char *method;          /* CSC method, e.g. "credentials/list";
                                  * version 0: "oauth2/token", ... */
    const char *http_method;     /* "GET", "POST", ... */
    const char *content_type;    /* may be NULL */
    const char *authorization;   /* raw Authorization header, may be NULL */
    const char *external_user;   /* user authenticated by another module */
    const char *body;            /* request body, NUL terminated */
    apr_size_t body_len;
    int body_too_large;          /* the glue stopped reading at the limit */
    int body_unreadable;         /* the body could not be read (bad
                                  * chunking, a broken connection) */
    const char *client_ip;
    /* For the authorization server's endpoints and pages: */
    const char *query;           /* the raw query string, without '?' */
    const char *cookie;          /* the raw Cookie header */
    const char *origin;          /* scheme://host[:port] the request came
                                  * to, for the default issuer */
    int secure;                  /* it came over TLS */
    csc_password_check_fn *check_password;  /* NULL: Basic login disabled */
    void *check_baton;
    /* Where messages about this request go (its virtual host's log, its
     * level, its id); NULL: the process log. */
    const struct csc_log_t *log;
} csc_request_t;

/* What answering a request may wait for (csc_request_wait), so that a
 * binding with an event loop can choose where to run it. */
typedef enum {
    CSC_WAIT_NONE,    /* nothing: the answer comes from the configuration
                       * (info, the OAuth 2.0 metadata, a path or method
                       * not served, a body over the limit or unreadable) */
    CSC_WAIT_BRIEF,   /* the credential store, the shared state and the
                       * key: as brief as they are (local files and a
                       * local token are; a network HSM, a remote
                       * database may not be) */
    CSC_WAIT_LONG     /* a password or PIN hash (PBKDF2, bcrypt), the OTP
                       * delivery, the OAuth 2.0 endpoints and pages */
} csc_wait_e;

/* The longest credential ID a log note carries. */
#define CSC_NOTE_MAX 128

typedef struct csc_response_t {
    int status;                  /* HTTP status */
    const char *content_type;    /* NULL when there is no body */
    const char *body;
    apr_size_t body_len;
    apr_table_t *headers;        /* extra response headers */
    /* What an admin may log (httpd: request notes).  Never secrets. */
    const char *note_user;
    const char *note_credential;  /* only existing IDs, cut to
                                   * CSC_NOTE_MAX bytes and "..." */
    const char *note_error;
} csc_response_t;

/* The JSON body of an error that the server itself answers inside an API
 * location (a 404 for an encoded slash, a 400 for a bad chunk, a 401 from
 * another authentication module): {"error", "error_description"} in the
 * wording of CSC version 1 or 2. */
const char *csc_error_json_for_status(int status, int version,
                                      apr_pool_t *p);

#endif
