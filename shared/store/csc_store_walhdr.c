/* SPDX-License-Identifier: Apache-2.0 */
/* Whether anyone committed to an SQLite store since a connection last
 * asked, without asking SQLite.
 *
 * PRAGMA data_version answers it in a read transaction: two fcntl locks on
 * the -shm file and a statement, about 9 us per request on the reference
 * guest, the largest part of a signHash outside the signature.  SQLite
 * itself decides the same question first by comparing the WAL-index header
 * (the first 48 bytes of "<db>-shm", kept twice, https://sqlite.org/
 * walformat.html) with the one it saw last: every commit rewrites it (its
 * change counter, frame count and checksums), a WAL restart gives it new
 * salts.  So when a consistent copy read now equals the copy read before
 * the connection's last data_version, nothing has been committed since and
 * data_version would not have moved; anything else, including any doubt,
 * sends the caller to data_version.
 *
 * Read with pread(), never mapped: SQLite truncates the file when it
 * rebuilds it, and a mapping would fault.  The file cannot be rebuilt
 * while this connection has the database open, but an unlinked file (last
 * close by everyone, or a careless admin) would never change again: a
 * descriptor whose file has no name any more counts as doubt. */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_strings.h>

#include "store/csc_store_internal.h"

#define COPIES_LEN (2 * STORE_WALHDR_LEN)
#define IS_INIT_AT 12               /* WalIndexHdr.isInit */

static apr_status_t walhdr_cleanup(void *data)
{
    store_walhdr_t *w = data;

    if (w->open) {
        close(w->fd);
        w->open = 0;
    }
    return APR_SUCCESS;
}

void store_walhdr_open(store_walhdr_t *w, const char *db_path, apr_pool_t *cp)
{
    char *real;
    int fd;

    if (w->open || w->tried) {
        return;
    }
    w->tried = 1;
    /* SQLite names its -shm after the database's real path (symbolic
     * links followed), made absolute against the working directory it
     * had when it opened the file; a -shm beside a link, or a relative
     * name resolved against a directory changed since, could be a stale
     * file that never changes.  Relative names are not watched. */
    if (db_path[0] != '/' || !(real = realpath(db_path, NULL))) {
        return;
    }
    fd = open(apr_pstrcat(cp, real, "-shm", NULL), O_RDONLY | O_CLOEXEC);
    free(real);
    if (fd < 0) {
        return;     /* data_version every time, as without the watch */
    }
    w->fd = fd;
    w->open = 1;
    apr_pool_cleanup_register(cp, w, walhdr_cleanup, apr_pool_cleanup_null);
}

int store_walhdr_read(const store_walhdr_t *w,
                      unsigned char out[STORE_WALHDR_LEN])
{
    unsigned char buf[COPIES_LEN];
    struct stat sb;

    if (!w->open || pread(w->fd, buf, sizeof(buf), 0) != (ssize_t)sizeof(buf)
        || memcmp(buf, buf + STORE_WALHDR_LEN, STORE_WALHDR_LEN) != 0
        || buf[IS_INIT_AT] != 1
        || fstat(w->fd, &sb) != 0 || sb.st_nlink == 0) {
        return 0;
    }
    memcpy(out, buf, STORE_WALHDR_LEN);
    return 1;
}
