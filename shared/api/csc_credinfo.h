/* SPDX-License-Identifier: Apache-2.0 */
/* The credential description that credentials/info returns and that v2
 * credentials/list embeds, built from a store record. */
#ifndef CSC_CREDINFO_H
#define CSC_CREDINFO_H

#include <jansson.h>

#include "csc/csc_request.h"
#include "store/csc_store.h"

typedef enum {
    CSC_CERTS_NONE,
    CSC_CERTS_SINGLE,
    CSC_CERTS_CHAIN
} csc_certs_e;

/* Parses a "certificates" value; -1 when it is not none/single/chain. */
int csc_credinfo_certs_mode(const char *value, csc_certs_e *mode);

/* NULL when the stored key or certificate cannot be parsed (logged). */
json_t *csc_credinfo_build(const csc_credential_t *c, int version,
                           csc_certs_e certs, int cert_info, int auth_info,
                           const char *lang, apr_pool_t *p);

/* Whether the credential can sign now: enabled, not blocked, and with a
 * currently valid certificate. */
int csc_credinfo_usable(const csc_credential_t *c, apr_pool_t *p);

#endif
