/* SPDX-License-Identifier: Apache-2.0 */
/* Where the core's messages go.  A binding installs a process sink (its
 * main log) and gives each request a context of its own (its virtual
 * host's log, level and request id), so the core never needs a server
 * header.  Levels follow syslog's numbering, as httpd and nginx do. */
#ifndef CSC_PUBLIC_LOG_H
#define CSC_PUBLIC_LOG_H

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

/* Installs the process sink with its level (NULL restores the default:
 * stderr, level <= WARNING). */
void csc_log_set_sink(csc_log_sink_fn *sink, void *baton, int level);

#endif
