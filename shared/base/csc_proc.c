/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "base/csc_proc.h"

/* 0: not known in this process yet. */
static atomic_int known_pid;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

static void forget_in_child(void)
{
    atomic_store(&known_pid, 0);
}

/* Registered from this DSO, so glibc drops the handler when httpd unloads
 * the module over a restart. */
static void register_atfork(void)
{
    pthread_atfork(NULL, NULL, forget_in_child);
}

pid_t csc_proc_id(void)
{
    int pid;

    pthread_once(&atfork_once, register_atfork);
    pid = atomic_load(&known_pid);
    if (pid == 0) {
        pid = (int)getpid();
        atomic_store(&known_pid, pid);
    }
    return (pid_t)pid;
}
