/* SPDX-License-Identifier: Apache-2.0 */
/* Logging from the core goes through one sink that the server glue installs
 * (httpd: ap_log_error with the module index), so the core never needs a
 * server header.  Levels mirror syslog/httpd numbering. */
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

#define CSC_LOG_MARK __FILE__, __LINE__

/* Installs the sink (NULL restores the default: stderr, level <= WARNING). */
void csc_log_set_sink(csc_log_sink_fn *sink, void *baton);

/* Never pass secrets (PINs, OTPs, SADs, tokens, key PINs) to this. */
void csc_log(const char *file, int line, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
