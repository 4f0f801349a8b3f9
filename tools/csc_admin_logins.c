/* SPDX-License-Identifier: Apache-2.0 */
/* csc-admin revoke-logins: ends a user's logins in a running server's
 * shared state, for a user who left or whose device was lost.  Their
 * tokens and SADs stop working in every child on the next request. */
#include <stdio.h>
#include <string.h>

#include "csc_admin.h"
#include "api/csc_api.h"
#include "authz/csc_grant.h"
#include "state/csc_kv.h"

#define DEFAULT_STATE_FILE "/run/apache2/csc-state"

enum { O_STATE_FILE = 0x100 };

static const csc_admin_opt_t revoke_opts[] = {
    { "state-file", 1, O_STATE_FILE }, { NULL, 0, 0 }
};

static int revoke_logins_run(csc_admin_t *a, int argc, char **argv)
{
    const char *state = DEFAULT_STATE_FILE, *user, *err = NULL;
    csc_admin_getopt_t g;
    csc_cfg_t *cfg;
    csc_env_t env;
    apr_status_t rv;
    int c, n = 0;

    csc_admin_getopt_init(&g, a, argc, argv, revoke_opts);
    while ((c = csc_admin_getopt(&g)) != CSC_ADMIN_GETOPT_END) {
        if (c == CSC_ADMIN_GETOPT_HELP) {
            return csc_admin_help(a);
        }
        if (c == CSC_ADMIN_GETOPT_ERROR) {
            return CSC_ADMIN_EXIT_USAGE;
        }
        if (c == O_STATE_FILE) {
            state = g.optarg;
        }
    }
    if (g.positional->nelts != 1) {
        return csc_admin_usage(a, "name exactly one USER");
    }
    user = APR_ARRAY_IDX(g.positional, 0, const char *);
    if (!*user) {
        return csc_admin_usage(a, "USER is empty");
    }
    if (!a->store_spec || !*a->store_spec) {
        return csc_admin_usage(a, "no credential store: use --store SPEC "
                               "or set CSC_STORE");
    }
    /* the store spec is the realm the server salts its state keys with:
     * it must be written exactly as in CSCCredentialStore */
    cfg = csc_cfg_create(a->pool);
    cfg->store_spec = a->store_spec;
    memset(&env, 0, sizeof(env));
    env.cfg = cfg;
    rv = !strncmp(state, "pgsql:", 6)
         ? csc_kv_pgsql_open(&env.kv, state + 6, a->pool, &err)
         : csc_kv_shm_open(&env.kv, state, 0, CSC_KV_SHM_EXISTING, a->pool,
                           &err);
    if (rv != APR_SUCCESS) {
        return csc_admin_fail(a, "%s", err ? err : "cannot open the state");
    }
    rv = csc_grant_revoke_user(&env, user, &n);
    csc_kv_close(env.kv);
    if (rv != APR_SUCCESS) {
        return csc_admin_fail(a, "could not revoke every login of %s "
                              "(%d ended)", user, n);
    }
    printf("revoked %d login%s of %s\n", n, n == 1 ? "" : "s", user);
    return CSC_ADMIN_EXIT_OK;
}

const csc_admin_cmd_t csc_admin_cmd_revoke_logins = {
    "revoke-logins", "end every login of a user (tokens and SADs)",
    "Usage: csc-admin revoke-logins --store SPEC [--state-file PATH|pgsql:...]\n"
    "           USER\n"
    "Ends every login of USER with the credential store SPEC, in the shared\n"
    "state of the running server: the access and refresh tokens and the\n"
    "SADs of those logins are refused on the very next request by every\n"
    "httpd child.  Write SPEC exactly as in CSCCredentialStore (it is the\n"
    "realm the tokens belong to).  Run it as the owner of the state file\n"
    "(root for httpd's).\n"
    "  --state-file PATH   CSCStateFile of the server (default\n"
    "                      " DEFAULT_STATE_FILE "), or its CSCStateStore\n"
    "                      pgsql:CONNINFO\n",
    revoke_logins_run
};
