/* SPDX-License-Identifier: Apache-2.0 */
/* Where the token's user PIN comes from (CSCPKCS11PIN, csc_pkcs11_pin):
 * file:/path or env:VARIABLE, never the PIN itself in a configuration.
 * Shared by every binding, so that all give the same messages. */
#ifndef CSC_PIN_SOURCE_H
#define CSC_PIN_SOURCE_H

#include <apr_pools.h>

/* NULL when src is a usable source, else the message (naming directive). */
const char *csc_pin_source_check(const char *directive, const char *src,
                                 apr_pool_t *p);

/* Reads the PIN named by src into *pin (from p; a trailing newline is
 * dropped).  NULL src: *pin = NULL, no error.  Returns NULL or the
 * message; the PIN never appears in it.  Call once, in the parent. */
const char *csc_pin_source_read(const char *directive, const char *src,
                                const char **pin, apr_pool_t *p);

#endif
