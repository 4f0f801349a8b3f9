/* SPDX-License-Identifier: Apache-2.0 */
/* Shared by the fuzz targets in this folder.  Each target defines
 * LLVMFuzzerTestOneInput (and LLVMFuzzerInitialize where it has fixtures);
 * it is linked either with libFuzzer (configure --enable-fuzzing) or with
 * standalone.c, which replays a corpus with any compiler in make check. */
#ifndef CSC_FUZZ_H
#define CSC_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include <apr_pools.h>

#include "state/csc_kv.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A process-local state backend with the csc_kv contract (never evicts a
 * live entry; APR_ENOSPC when full), emptied for every input so that runs
 * are reproducible; the shared-memory file would fill up and remember. */
csc_kv_t *fuzz_memkv_create(apr_pool_t *p);
void fuzz_memkv_reset(csc_kv_t *kv);

/* What every LLVMFuzzerInitialize does first: APR, the process's root
 * pool (each input works in a subpool of it), and the core's log quieted
 * (speed, and no noise in the fuzzer's output; CSC_FUZZ_LOG keeps it). */
apr_pool_t *fuzz_init(void);

/* Aborts with a message when cond is false: a broken invariant is a crash
 * for the fuzzer, like a sanitizer report. */
#define FUZZ_ASSERT(cond) \
    ((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond))
void fuzz_fail(const char *file, int line, const char *what)
    __attribute__((noreturn));

#endif
