/* SPDX-License-Identifier: Apache-2.0 */
/* Minimal TAP producer for the shared/ unit tests: automake's tap-driver
 * reads the output, and a failing check names file and line. */
#ifndef CSC_TESTS_TAP_H
#define CSC_TESTS_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failed;

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...) \
    tap_is_int((long long)(got), (long long)(want), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...) \
    tap_is_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)

static int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#include <stdarg.h>

static int tap_ok(int cond, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    tap_count++;
    printf("%s %d - ", cond ? "ok" : "not ok", tap_count);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!cond) {
        tap_failed++;
        printf("#   failed at %s:%d\n", file, line);
    }
    fflush(stdout);
    return cond;
}

#define tap_is_int(got, want, file, line, ...) \
    (tap_ok((got) == (want), file, line, __VA_ARGS__) ? 1 : \
     (printf("#   got %lld, want %lld\n", (long long)(got), (long long)(want)), 0))

static inline const char *tap_or_null(const char *s)
{
    return s ? s : "(null)";
}

static inline int tap_str_eq(const char *got, const char *want)
{
    return got && want && strcmp(got, want) == 0;
}

#define tap_is_str(got, want, file, line, ...) \
    (tap_ok(tap_str_eq((got), (want)), file, line, __VA_ARGS__) ? 1 : \
     (printf("#   got '%s', want '%s'\n", tap_or_null(got), \
             tap_or_null(want)), 0))

/* A check that cannot run here: "ok N # SKIP why", which tools/test.sh
 * counts as skipped, never as passed. */
#define skip(...) tap_skip(__VA_ARGS__)
static void tap_skip(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), unused));
static void tap_skip(const char *fmt, ...)
{
    va_list ap;

    tap_count++;
    printf("ok %d # SKIP ", tap_count);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

/* Call last: prints the plan and turns failures into the exit status. */
static inline int tap_done(void)
{
    printf("1..%d\n", tap_count);
    return tap_failed ? 1 : 0;
}

#endif
