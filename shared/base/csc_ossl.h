/* SPDX-License-Identifier: Apache-2.0 */
/* OpenSSL helpers every part of the core needs the same way. */
#ifndef CSC_OSSL_H
#define CSC_OSSL_H

#include <apr_pools.h>

/* pem_password_cb that refuses: an encrypted PEM block fails instead of
 * OpenSSL asking for a passphrase on the terminal of a daemon. */
int csc_ossl_no_passphrase(char *buf, int size, int rwflag, void *u);

/* Drains this thread's OpenSSL error queue into one line (no secrets):
 * the PKCS#11 line when libp11 filed one (the one an admin can act on),
 * otherwise the first and the last.  ckr (may be NULL) gets the first
 * PKCS#11 return value libp11 reported, or -1. */
const char *csc_ossl_errors(apr_pool_t *p, long *ckr);

/* The reason text of the newest queued error, without draining. */
const char *csc_ossl_last_reason(void);

#endif
