/* SPDX-License-Identifier: Apache-2.0 */
/* Logging from the core goes through sinks that the server glue installs
 * (httpd: ap_log_error / ap_log_rerror with the module index), so the core
 * never needs a server header.  Levels mirror syslog/httpd numbering.
 *
 * Two contexts: the process one (start-up, child init, housekeeping) and,
 * while csc_handle() runs, the request's own (csc_request_t.log), so that
 * a message about a request lands in its virtual host's ErrorLog, obeys
 * its LogLevel and carries its log id.  The request context is installed
 * per thread for the length of the call: deep layers (signer, store,
 * state) log without a request in hand and still reach the right log. */
#ifndef CSC_LOG_H
#define CSC_LOG_H

typedef enum {
    CSC_LOG_EMERG = 0,
    CSC_LOG_ALERT,
    CSC_LOG_CRIT,
    CSC_LOG_ERR,
    CSC_LOG_WARNING,
    CSC_LOG_NOTICE,
    CSC_LOG_INFO,
    CSC_LOG_DEBUG
} csc_log_level_e;

typedef void csc_log_sink_fn(void *baton, const char *file, int line,
                             int level, const char *msg);

/* A log context.  Messages above level are dropped before they are
 * formatted. */
typedef struct csc_log_t {
    csc_log_sink_fn *sink;
    void *baton;
    int level;
} csc_log_t;

#define CSC_LOG_MARK __FILE__, __LINE__

/* Installs the process sink with its level (NULL restores the default:
 * stderr, level <= WARNING). */
void csc_log_set_sink(csc_log_sink_fn *sink, void *baton, int level);

/* Makes log (NULL: none) this thread's context until csc_log_leave(). */
const csc_log_t *csc_log_enter(const csc_log_t *log);
void csc_log_leave(const csc_log_t *previous);

/* Never pass secrets (PINs, OTPs, SADs, tokens, key PINs) to this. */
void csc_log(const char *file, int line, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
