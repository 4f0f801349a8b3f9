/* SPDX-License-Identifier: Apache-2.0 */
/* Which process this is, without a system call per question.  The store
 * and the signer must notice that they run in a forked child (httpd forks
 * its children after loading them) before they touch a handle that belongs
 * to the parent; asking the kernel on every request costs a system call,
 * which in a virtual machine is a good part of a signature's overhead. */
#ifndef CSC_PROC_H
#define CSC_PROC_H

#include <sys/types.h>

/* getpid(), remembered until the next fork() (a pthread_atfork handler
 * forgets it in the child). */
pid_t csc_proc_id(void);

#endif
