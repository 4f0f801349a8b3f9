/* SPDX-License-Identifier: Apache-2.0 */
/* Per-process copies of credential records, for csc_store_get() (private
 * to the store).
 *
 * The store reads a record on nearly every request, and most of that read
 * is decoding the same row again.  Entries are tagged with the epoch that
 * was current before their row was read; the store advances the epoch
 * whenever the database may have changed (its own writes, and commits by
 * other connections or processes that SQLite reports through
 * PRAGMA data_version), so an entry is only ever returned when nothing was
 * committed since its row was read.  Thread-safe; entries are plain heap
 * memory, so a forked child may keep them (its first check advances the
 * epoch anyway). */
#ifndef CSC_STORE_CACHE_H
#define CSC_STORE_CACHE_H

#include <apr_pools.h>

#include "store/csc_store.h"

typedef struct csc_store_cache_t csc_store_cache_t;

/* A cache of `slots` direct-mapped entries (a collision costs a read);
 * lives until p is destroyed.  NULL when out of memory. */
csc_store_cache_t *csc_store_cache_create(int slots, apr_pool_t *p);

apr_uint64_t csc_store_cache_epoch(csc_store_cache_t *cc);

/* Everything cached so far becomes stale. */
void csc_store_cache_advance(csc_store_cache_t *cc);

/* A copy (allocated from p) of the entry for id if it was stored under
 * `epoch` and epoch is still the current one; else NULL. */
csc_credential_t *csc_store_cache_get(csc_store_cache_t *cc, const char *id,
                                      apr_uint64_t epoch, apr_pool_t *p);

/* Keeps a copy of c, read after `epoch` was current.  Does nothing once the
 * epoch has moved on (the row may already be stale) or out of memory. */
void csc_store_cache_put(csc_store_cache_t *cc, const csc_credential_t *c,
                         apr_uint64_t epoch);

#endif
