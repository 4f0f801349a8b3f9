/* SPDX-License-Identifier: Apache-2.0 */
/* Whether anyone committed to an SQLite store since a connection last
 * asked, without asking SQLite.
 *
 * PRAGMA data_version answers it in a read transaction: two fcntl locks on
 * the -shm file and a statement, about 9 us per request on the reference
 * guest.  SQLite itself decides the same question first by comparing the
 * WAL-index header (the first 48 bytes of the "<db>-shm" file, kept twice,
 * https://sqlite.org/walformat.html) with the one it saw last: every
 * commit rewrites it (its change counter, frame count and checksums), a WAL
 * restart gives it new salts.  So when a consistent copy read now equals
 * the copy read before the connection's last data_version, nothing has been
 * committed since and data_version would not have moved; anything else,
 * including any doubt, sends the caller to data_version.
 *
 * The header is read where the connection's own SQLite reads it: in the
 * -shm mapping SQLite holds for as long as the connection is open (the
 * VFS's xShmMap hands out the region it has mapped).  That costs no system
 * call, and it cannot disagree with SQLite about which file is the -shm.
 * A descriptor of our own on that file would be worse on both counts: a
 * pread and an fstat per look, and its close() would drop every POSIX lock
 * the process holds on the file, the locks of this process's other SQLite
 * connections included (https://sqlite.org/howtocorrupt.html, 2.2). */
#include <string.h>

#include <sqlite3.h>

#include "store/csc_store_internal.h"

#define COPIES_LEN (2 * STORE_WALHDR_LEN)
#define IS_INIT_AT 12               /* WalIndexHdr.isInit */
#define WALINDEX_PGSZ 32768         /* wal.c: the size of a -shm region */

void store_walhdr_open(store_walhdr_t *w, const apr_dbd_driver_t *driver,
                       apr_dbd_t *handle)
{
    sqlite3 *db;
    sqlite3_file *f = NULL;
    void volatile *region = NULL;

    if (w->hdr || w->tried) {
        return;
    }
    w->tried = 1;
    db = apr_dbd_native_handle(driver, handle);
    if (!db
        || sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &f)
           != SQLITE_OK
        || !f || !f->pMethods || f->pMethods->iVersion < 2
        || !f->pMethods->xShmMap
        /* bExtend 0: only a region that exists; SQLite maps region 0 with
         * the connection's first WAL read and keeps it until the close */
        || f->pMethods->xShmMap(f, 0, WALINDEX_PGSZ, 0, &region)
           != SQLITE_OK) {
        return;     /* data_version every time, as without the watch */
    }
    w->hdr = region;
}

/* SQLite writes the second copy, then a barrier, then the first; read in
 * the other order, a header being rewritten cannot give two equal
 * copies. */
int store_walhdr_read(const store_walhdr_t *w,
                      unsigned char out[STORE_WALHDR_LEN])
{
    unsigned char buf[COPIES_LEN];
    size_t i;

    if (!w->hdr) {
        return 0;
    }
    for (i = 0; i < STORE_WALHDR_LEN; i++) {
        buf[i] = w->hdr[i];
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    for (; i < COPIES_LEN; i++) {
        buf[i] = w->hdr[i];
    }
    if (memcmp(buf, buf + STORE_WALHDR_LEN, STORE_WALHDR_LEN) != 0
        || buf[IS_INIT_AT] != 1) {
        return 0;
    }
    memcpy(out, buf, STORE_WALHDR_LEN);
    return 1;
}
