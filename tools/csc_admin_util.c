/* SPDX-License-Identifier: Apache-2.0 */
/* csc-admin plumbing: option parsing, messages, files and secrets. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <apr_file_io.h>
#include <apr_strings.h>

#include <openssl/crypto.h>

#include "csc_admin.h"

/* Keys of the options every subcommand accepts. */
enum {
    OPT_STORE = 0x1000,
    OPT_MODULE,
    OPT_PIN_FILE,
    OPT_HELP_LONG
};

static const csc_admin_opt_t global_opts[] = {
    { "help", 0, OPT_HELP_LONG },
    { "store", 1, OPT_STORE },
    { "pkcs11-module", 1, OPT_MODULE },
    { "pkcs11-pin-file", 1, OPT_PIN_FILE },
    { NULL, 0, 0 }
};

void csc_admin_getopt_init(csc_admin_getopt_t *g, csc_admin_t *a, int argc,
                           char **argv, const csc_admin_opt_t *opts)
{
    struct option *lo;
    int n = 0, m = 0, i;

    while (opts && opts[n].name) {
        n++;
    }
    while (global_opts[m].name) {
        m++;
    }
    lo = apr_pcalloc(a->pool, sizeof(*lo) * (n + m + 1));
    for (i = 0; i < n; i++) {
        lo[i].name = opts[i].name;
        lo[i].has_arg = opts[i].has_arg ? required_argument : no_argument;
        lo[i].val = opts[i].key;
    }
    for (i = 0; i < m; i++) {
        lo[n + i].name = global_opts[i].name;
        lo[n + i].has_arg = global_opts[i].has_arg ? required_argument
                                                   : no_argument;
        lo[n + i].val = global_opts[i].key;
    }
    memset(g, 0, sizeof(*g));
    g->a = a;
    g->argc = argc;
    g->argv = argv;
    g->opts = opts;
    g->longopts = lo;
    g->positional = apr_array_make(a->pool, 4, sizeof(const char *));
}

int csc_admin_getopt(csc_admin_getopt_t *g)
{
    if (!g->started) {
        optind = 0;             /* glibc: full re-initialisation */
        opterr = 0;
        g->started = 1;
    }
    for (;;) {
        /* "-": positionals come back as 1 in order, whatever
         * POSIXLY_CORRECT says; ":": a missing value gives ':'. */
        int c = getopt_long(g->argc, g->argv, "-:h",
                            (const struct option *)g->longopts, NULL);
        const char *bad = (optind > 0 && optind <= g->argc)
                          ? g->argv[optind - 1] : "?";

        switch (c) {
        case -1:
            while (optind < g->argc) {
                APR_ARRAY_PUSH(g->positional, const char *) =
                    g->argv[optind++];
            }
            return CSC_ADMIN_GETOPT_END;
        case 1:
            APR_ARRAY_PUSH(g->positional, const char *) = optarg;
            continue;
        case 'h':
        case OPT_HELP_LONG:
            return CSC_ADMIN_GETOPT_HELP;
        case OPT_STORE:
            g->a->store_spec = optarg;
            continue;
        case OPT_MODULE:
            g->a->pkcs11_module = optarg;
            continue;
        case OPT_PIN_FILE:
            g->a->pkcs11_pin_file = optarg;
            continue;
        case ':':
            csc_admin_usage(g->a, "option '%s' needs a value", bad);
            return CSC_ADMIN_GETOPT_ERROR;
        case '?':
            if (optopt && optopt < 256) {
                csc_admin_usage(g->a, "unknown option '-%c'", optopt);
            }
            else {
                csc_admin_usage(g->a, "unknown or ambiguous option '%s'",
                                bad);
            }
            return CSC_ADMIN_GETOPT_ERROR;
        default:
            g->optarg = optarg;
            return c;
        }
    }
}

static void vmessage(csc_admin_t *a, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void vmessage(csc_admin_t *a, const char *fmt, va_list ap)
{
    if (a && a->cmd) {
        fprintf(stderr, "csc-admin %s: ", a->cmd->name);
    }
    else {
        fputs("csc-admin: ", stderr);
    }
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int csc_admin_usage(csc_admin_t *a, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmessage(a, fmt, ap);
    va_end(ap);
    fprintf(stderr, "Try 'csc-admin %s--help'.\n",
            a && a->cmd ? apr_pstrcat(a->pool, a->cmd->name, " ", NULL)
                        : "");
    return CSC_ADMIN_EXIT_USAGE;
}

int csc_admin_fail(csc_admin_t *a, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmessage(a, fmt, ap);
    va_end(ap);
    return CSC_ADMIN_EXIT_FAIL;
}

void csc_admin_note(csc_admin_t *a, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vmessage(a, fmt, ap);
    va_end(ap);
}

void csc_admin_print_global_opts(void)
{
    fputs("  --store SPEC             credential store, e.g.\n"
          "                           sqlite3:/var/lib/csc/csc.db "
          "(default: $CSC_STORE)\n"
          "  --pkcs11-module PATH     PKCS#11 module (default:\n"
          "                           " CSC_ADMIN_DEFAULT_MODULE ")\n"
          "  --pkcs11-pin-file FILE   token user PIN, first line of FILE\n"
          "                           (default: $CSC_PKCS11_PIN)\n"
          "Exit status: 0 ok, 1 operation failed, 2 usage error.\n", stdout);
}

int csc_admin_help(csc_admin_t *a)
{
    fputs(a->cmd->help, stdout);
    fputs("\nGlobal options:\n", stdout);
    csc_admin_print_global_opts();
    return CSC_ADMIN_EXIT_OK;
}

int csc_admin_parse_int(const char *s, long min, long max, int *out)
{
    char *end;
    long v;

    if (!s || !*s || *s == ' ') {
        return 0;
    }
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max) {
        return 0;
    }
    *out = (int)v;
    return 1;
}

apr_status_t csc_admin_read_file(const char *path, const char **text,
                                 apr_pool_t *p, const char **errmsg)
{
    apr_file_t *f;
    apr_finfo_t fi;
    apr_size_t len, got;
    apr_status_t rv;
    char *buf, ebuf[128];

    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY,
                       APR_OS_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        *errmsg = apr_psprintf(p, "cannot open %s: %s", path,
                               apr_strerror(rv, ebuf, sizeof(ebuf)));
        return rv;
    }
    rv = apr_file_info_get(&fi, APR_FINFO_SIZE | APR_FINFO_TYPE, f);
    if (rv == APR_SUCCESS && fi.filetype != APR_REG) {
        apr_file_close(f);
        *errmsg = apr_psprintf(p, "%s is not a regular file", path);
        return APR_EINVAL;
    }
    if (rv != APR_SUCCESS || fi.size > CSC_ADMIN_MAX_FILE) {
        apr_file_close(f);
        *errmsg = apr_psprintf(p, "%s is too large or unreadable", path);
        return APR_EINVAL;
    }
    len = (apr_size_t)fi.size;
    buf = apr_palloc(p, len + 1);
    rv = apr_file_read_full(f, buf, len, &got);
    apr_file_close(f);
    if (rv != APR_SUCCESS && !(APR_STATUS_IS_EOF(rv) && len == 0)) {
        *errmsg = apr_psprintf(p, "cannot read %s: %s", path,
                               apr_strerror(rv, ebuf, sizeof(ebuf)));
        return rv;
    }
    buf[got] = '\0';
    if (strlen(buf) != got) {
        *errmsg = apr_psprintf(p, "%s contains a NUL byte", path);
        return APR_EINVAL;
    }
    *text = buf;
    return APR_SUCCESS;
}

apr_status_t csc_admin_write_file(const char *path, const char *data,
                                  apr_pool_t *p, const char **errmsg)
{
    apr_file_t *f;
    apr_status_t rv;
    apr_size_t len = strlen(data);
    char ebuf[128];

    if (strcmp(path, "-") == 0) {
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0) {
            *errmsg = "cannot write to standard output";
            return APR_EGENERAL;
        }
        return APR_SUCCESS;
    }
    rv = apr_file_open(&f, path, APR_FOPEN_WRITE | APR_FOPEN_CREATE
                       | APR_FOPEN_TRUNCATE | APR_FOPEN_BINARY,
                       APR_FPROT_UREAD | APR_FPROT_UWRITE | APR_FPROT_GREAD
                       | APR_FPROT_WREAD, p);
    if (rv == APR_SUCCESS) {
        rv = apr_file_write_full(f, data, len, NULL);
        if (rv == APR_SUCCESS) {
            rv = apr_file_close(f);
        }
        else {
            apr_file_close(f);
        }
    }
    if (rv != APR_SUCCESS) {
        *errmsg = apr_psprintf(p, "cannot write %s: %s", path,
                               apr_strerror(rv, ebuf, sizeof(ebuf)));
    }
    return rv;
}

/* ---- secrets ---------------------------------------------------------- */

typedef struct {
    char *buf;
    apr_size_t len;
} scrub_t;

static apr_status_t scrub_cleanup(void *data)
{
    scrub_t *s = data;

    OPENSSL_cleanse(s->buf, s->len);
    return APR_SUCCESS;
}

void csc_admin_scrub_on_cleanup(apr_pool_t *p, char *buf, apr_size_t len)
{
    scrub_t *s = apr_palloc(p, sizeof(*s));

    s->buf = buf;
    s->len = len;
    apr_pool_cleanup_register(p, s, scrub_cleanup, apr_pool_cleanup_null);
}

#define SECRET_MAX 1024

/* Reads up to the first line end without ever buffering beyond it, so no
 * copy of the secret is left in a stdio buffer.  0 on success, -1 when the
 * line is too long, -2 on a read error. */
static int read_line_fd(int fd, char *buf, apr_size_t size)
{
    apr_size_t n = 0;

    for (;;) {
        char ch;
        ssize_t r = read(fd, &ch, 1);

        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            return -2;
        }
        if (r == 0 || ch == '\n') {
            break;
        }
        if (n + 1 >= size) {
            return -1;
        }
        buf[n++] = ch;
    }
    if (n > 0 && buf[n - 1] == '\r') {
        n--;
    }
    buf[n] = '\0';
    return 0;
}

apr_status_t csc_admin_read_secret_file(const char *path, const char **secret,
                                        apr_pool_t *p, const char **errmsg)
{
    char *buf = apr_pcalloc(p, SECRET_MAX);
    int fd, rc;

    csc_admin_scrub_on_cleanup(p, buf, SECRET_MAX);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *errmsg = apr_psprintf(p, "cannot open %s: %s", path,
                               strerror(errno));
        return APR_FROM_OS_ERROR(errno);
    }
    rc = read_line_fd(fd, buf, SECRET_MAX);
    close(fd);
    if (rc != 0) {
        *errmsg = apr_psprintf(p, "cannot read a line from %s%s", path,
                               rc == -1 ? " (too long)" : "");
        return APR_EINVAL;
    }
    *secret = buf;
    return APR_SUCCESS;
}

static int read_tty_secret(const char *prompt, char *buf, apr_size_t size)
{
    struct termios old, quiet;
    int rc;

    fputs(prompt, stderr);
    fflush(stderr);
    if (tcgetattr(STDIN_FILENO, &old) != 0) {
        return -2;
    }
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    quiet.c_lflag |= ECHONL;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    rc = read_line_fd(STDIN_FILENO, buf, size);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    return rc;
}

apr_status_t csc_admin_read_secret_stdin(const char *prompt,
                                         const char **secret, apr_pool_t *p,
                                         const char **errmsg)
{
    char *buf = apr_pcalloc(p, SECRET_MAX);
    int rc;

    csc_admin_scrub_on_cleanup(p, buf, SECRET_MAX);
    if (isatty(STDIN_FILENO)) {
        char *again = apr_pcalloc(p, SECRET_MAX);

        csc_admin_scrub_on_cleanup(p, again, SECRET_MAX);
        rc = read_tty_secret(apr_pstrcat(p, prompt, ": ", NULL), buf,
                             SECRET_MAX);
        if (rc == 0) {
            rc = read_tty_secret(apr_pstrcat(p, "Repeat ", prompt, ": ",
                                             NULL), again, SECRET_MAX);
        }
        if (rc == 0 && strcmp(buf, again) != 0) {
            *errmsg = "the two entries differ";
            return APR_EINVAL;
        }
    }
    else {
        rc = read_line_fd(STDIN_FILENO, buf, SECRET_MAX);
    }
    if (rc != 0) {
        *errmsg = rc == -1 ? "input line too long"
                           : "cannot read standard input";
        return APR_EINVAL;
    }
    *secret = buf;
    return APR_SUCCESS;
}

apr_status_t csc_admin_pkcs11_pin(csc_admin_t *a, const char **pin,
                                  const char **errmsg)
{
    if (!a->pkcs11_pin_loaded) {
        const char *env = getenv("CSC_PKCS11_PIN");

        if (a->pkcs11_pin_file) {
            apr_status_t rv = csc_admin_read_secret_file(a->pkcs11_pin_file,
                                                         &a->pkcs11_pin,
                                                         a->pool, errmsg);
            if (rv != APR_SUCCESS) {
                return rv;
            }
        }
        else if (env) {
            apr_size_t len = strlen(env) + 1;
            char *copy = apr_pmemdup(a->pool, env, len);

            csc_admin_scrub_on_cleanup(a->pool, copy, len);
            a->pkcs11_pin = copy;
        }
        a->pkcs11_pin_loaded = 1;
    }
    if (!a->pkcs11_pin || !*a->pkcs11_pin) {
        *errmsg = "no token PIN: use --pkcs11-pin-file FILE or set "
                  "CSC_PKCS11_PIN";
        return APR_EINVAL;
    }
    *pin = a->pkcs11_pin;
    return APR_SUCCESS;
}

/* ---- store ------------------------------------------------------------ */

int csc_admin_open_store(csc_admin_t *a, csc_store_t **st)
{
    const char *err = NULL;
    apr_status_t rv;

    if (!a->store_spec || !*a->store_spec) {
        return csc_admin_usage(a, "no credential store: use --store SPEC "
                               "or set CSC_STORE");
    }
    rv = csc_store_open(st, a->store_spec, a->pool, &err);
    if (rv != APR_SUCCESS) {
        return csc_admin_fail(a, "cannot open store %s: %s",
                              csc_store_spec_display(a->store_spec, a->pool),
                              err ? err : "error");
    }
    return CSC_ADMIN_EXIT_OK;
}

int csc_admin_get_cred(csc_admin_t *a, csc_store_t *st, const char *id,
                       csc_credential_t **c)
{
    apr_status_t rv = csc_store_get(st, id, c, a->pool);

    if (rv == APR_NOTFOUND) {
        return csc_admin_fail(a, "no credential '%s' in the store", id);
    }
    if (rv != APR_SUCCESS) {
        return csc_admin_fail(a, "cannot read credential '%s' from the "
                              "store", id);
    }
    return CSC_ADMIN_EXIT_OK;
}
