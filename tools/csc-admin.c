/* SPDX-License-Identifier: Apache-2.0 */
/* csc-admin: credential enrollment and administration for mod_csc.
 *
 *   csc-admin [GLOBAL OPTIONS] COMMAND [OPTIONS]
 *
 * Exit status: 0 ok, 1 the operation failed (stderr names the problem),
 * 2 usage error.  Secrets (token PIN, credential PINs) are read only from
 * files, the environment or stdin, never from arguments, and never
 * printed; the one exception is the OTP enrollment URI, which set-otp
 * prints once on purpose. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_pools.h>

#include <openssl/crypto.h>

#include "csc_admin.h"
#include "base/csc_log.h"

static const csc_admin_cmd_t *const commands[] = {
    &csc_admin_cmd_init,
    &csc_admin_cmd_ca_create,
    &csc_admin_cmd_create,
    &csc_admin_cmd_attach_cert,
    &csc_admin_cmd_csr,
    &csc_admin_cmd_set_pin,
    &csc_admin_cmd_set_otp,
    &csc_admin_cmd_list,
    &csc_admin_cmd_show,
    &csc_admin_cmd_enable,
    &csc_admin_cmd_disable,
    &csc_admin_cmd_unblock,
    &csc_admin_cmd_delete,
    &csc_admin_cmd_revoke_logins,
    &csc_admin_cmd_client,
    &csc_admin_cmd_migrate,
    NULL
};

static int global_help(void)
{
    int i;

    fputs("Usage: csc-admin [GLOBAL OPTIONS] COMMAND [OPTIONS]\n"
          "Credential enrollment and administration for mod_csc.\n\n"
          "Commands:\n", stdout);
    for (i = 0; commands[i]; i++) {
        printf("  %-14s %s\n", commands[i]->name, commands[i]->summary);
    }
    fputs("\nGlobal options (also accepted after COMMAND):\n"
          "  -h, --help               this help; COMMAND --help for a "
          "command's\n", stdout);
    csc_admin_print_global_opts();
    return CSC_ADMIN_EXIT_OK;
}

/* The tool reports errors itself; the core's log lines would repeat them
 * in another form, so only serious ones are shown. */
static void log_sink(void *baton, const char *file, int line, int level,
                     const char *msg)
{
    (void)baton;
    (void)file;
    (void)line;
    if (level <= CSC_LOG_ERR) {
        fprintf(stderr, "csc-admin: %s\n", msg);
    }
}

static int run(csc_admin_t *a, int argc, char **argv)
{
    csc_admin_getopt_t g;
    const char *name;
    int opt, i, j;

    /* Global options before the command; stop at the command word. */
    csc_admin_getopt_init(&g, a, argc, argv, NULL);
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--")) {
            break;
        }
        if (!strcmp(argv[i], "--store") || !strcmp(argv[i], "--pkcs11-module")
            || !strcmp(argv[i], "--pkcs11-pin-file")) {
            i++;                /* its value */
        }
    }
    g.argc = i < argc ? i : argc;
    while ((opt = csc_admin_getopt(&g)) != CSC_ADMIN_GETOPT_END) {
        if (opt == CSC_ADMIN_GETOPT_HELP) {
            return global_help();
        }
        return CSC_ADMIN_EXIT_USAGE;
    }
    if (i < argc && !strcmp(argv[i], "--")) {
        i++;
    }
    if (i >= argc) {
        return csc_admin_usage(a, "no command given");
    }
    name = argv[i];
    if (!strcmp(name, "help")) {
        return global_help();
    }
    for (j = 0; commands[j]; j++) {
        if (!strcmp(commands[j]->name, name)) {
            a->cmd = commands[j];
            /* the command sees argv[0] = its name, as getopt expects */
            return commands[j]->run(a, argc - i, argv + i);
        }
    }
    return csc_admin_usage(a, "unknown command '%s'", name);
}

int main(int argc, char **argv)
{
    csc_admin_t a;
    apr_pool_t *pool;
    int ex;

    if (apr_app_initialize(&argc, (const char *const **)&argv, NULL)
        != APR_SUCCESS || apr_pool_create(&pool, NULL) != APR_SUCCESS) {
        fputs("csc-admin: cannot initialise APR\n", stderr);
        return CSC_ADMIN_EXIT_FAIL;
    }
    atexit(apr_terminate);
    csc_log_set_sink(log_sink, NULL, CSC_LOG_DEBUG);
    memset(&a, 0, sizeof(a));
    a.pool = pool;
    a.store_spec = getenv("CSC_STORE");
    a.pkcs11_module = CSC_ADMIN_DEFAULT_MODULE;
    ex = run(&a, argc, argv);
    if (fflush(stdout) != 0 && ex == CSC_ADMIN_EXIT_OK) {
        ex = CSC_ADMIN_EXIT_FAIL;
    }
    /* scrubs PINs and secrets (pool cleanups) */
    apr_pool_destroy(pool);
    return ex;
}
