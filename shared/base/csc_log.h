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

#include "csc/csc_log.h"

#define CSC_LOG_MARK __FILE__, __LINE__

/* Makes log (NULL: none) this thread's context until csc_log_leave(). */
const csc_log_t *csc_log_enter(const csc_log_t *log);
void csc_log_leave(const csc_log_t *previous);

/* Never pass secrets (PINs, OTPs, SADs, tokens, key PINs) to this. */
/* Control characters to spaces, trailing spaces cut, in place; returns s. */
char *csc_log_flatten(char *s);
void csc_log(const char *file, int line, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
