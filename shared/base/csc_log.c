/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>

#include "base/csc_log.h"

static csc_log_sink_fn *log_sink;
static void *log_baton;

void csc_log_set_sink(csc_log_sink_fn *sink, void *baton)
{
    log_sink = sink;
    log_baton = baton;
}

void csc_log(const char *file, int line, int level, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (log_sink) {
        log_sink(log_baton, file, line, level, msg);
    }
    else if (level <= CSC_LOG_WARNING) {
        fprintf(stderr, "csc: %s\n", msg);
    }
}
