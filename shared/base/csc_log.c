/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>

#include "base/csc_log.h"

static void stderr_sink(void *baton, const char *file, int line, int level,
                        const char *msg)
{
    (void)baton;
    (void)file;
    (void)line;
    (void)level;
    fprintf(stderr, "csc: %s\n", msg);
}

static csc_log_t process_log = {stderr_sink, NULL, CSC_LOG_WARNING};
static _Thread_local const csc_log_t *thread_log;

void csc_log_set_sink(csc_log_sink_fn *sink, void *baton, int level)
{
    process_log.sink = sink ? sink : stderr_sink;
    process_log.baton = sink ? baton : NULL;
    process_log.level = sink ? level : CSC_LOG_WARNING;
}

const csc_log_t *csc_log_enter(const csc_log_t *log)
{
    const csc_log_t *previous = thread_log;

    thread_log = log && log->sink ? log : NULL;
    return previous;
}

void csc_log_leave(const csc_log_t *previous)
{
    thread_log = previous;
}

static const csc_log_t *current(void)
{
    return thread_log ? thread_log : &process_log;
}

/* One message, one line: a database's multi-line error text (or a control
 * character anywhere) must not split or forge log lines. */
char *csc_log_flatten(char *s)
{
    char *c, *end = s;

    for (c = s; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            *c = ' ';
        }
        if (*c != ' ') {
            end = c + 1;
        }
    }
    *end = '\0';
    return s;
}

void csc_log(const char *file, int line, int level, const char *fmt, ...)
{
    const csc_log_t *log = current();
    char msg[1024];
    va_list ap;

    if (level > log->level) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    csc_log_flatten(msg);
    log->sink(log->baton, file, line, level, msg);
}
