/* SPDX-License-Identifier: Apache-2.0 */
/* auth/login passwords against an htpasswd file (csc_auth_basic_user_file),
 * the format nginx's auth_basic_user_file and httpd's htpasswd share:
 * "user:hash[:comment]".  APR validates every hash htpasswd writes
 * (bcrypt, SHA-crypt, apr1 MD5, {SHA}).  Runs in a worker thread; the
 * file is read on every call, so an edit applies to the next login, as
 * with httpd's AuthUserFile. */
#include <stdio.h>
#include <string.h>

#include <apr_md5.h>

#include "ngx_http_csc_module.h"

#define LINE_MAX_LEN 4096

int ngx_http_csc_check_htpasswd(void *baton, const char *user,
                                const char *password)
{
    const char *path = baton;
    size_t ul = strlen(user);
    char line[LINE_MAX_LEN];
    int rc = CSC_PASSWORD_NO_USER;
    FILE *f;

    if (!ul || strchr(user, ':')) {
        return CSC_PASSWORD_NO_USER;
    }
    f = fopen(path, "re");
    if (!f) {
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        char *hash, *end;

        if (line[0] == '#' || strncmp(line, user, ul) != 0
            || line[ul] != ':') {
            continue;
        }
        hash = line + ul + 1;
        end = hash + strcspn(hash, ":\r\n");
        *end = '\0';
        rc = apr_password_validate(password, hash) == APR_SUCCESS ? 1 : 0;
        break;
    }
    if (ferror(f)) {
        rc = -1;
    }
    fclose(f);
    /* the hash is no secret, but the line is gone with the call */
    memset(line, 0, sizeof(line));
    return rc;
}
