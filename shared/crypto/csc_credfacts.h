/* SPDX-License-Identifier: Apache-2.0 */
/* What signHash needs to know about a credential's stored key and
 * certificate.  Parsing PEM with OpenSSL 3 costs milliseconds of CPU
 * (its decoder framework), far more than an ECDSA signature, so the facts
 * are parsed once per process and kept under a checksum of the stored PEM
 * text: a key or certificate changed by csc-admin has another digest and
 * is parsed afresh, so nothing stale is ever used. */
#ifndef CSC_CREDFACTS_H
#define CSC_CREDFACTS_H

#include <apr_pools.h>
#include <apr_time.h>

#include "crypto/csc_algo.h"
#include "store/csc_store.h"

typedef struct {
    csc_key_info_t key;         /* from the stored public key */
    int has_cert;               /* an end-entity certificate is stored */
    apr_time_t not_before;      /* its validity */
    apr_time_t not_after;
    /* for the v1 "certificate expired" text: RFC 5280 bounds O and CN to
     * 64 characters, up to 256 bytes of UTF-8 */
    char subject_o[257];
    char subject_cn[257];
} csc_credfacts_t;

/* APR_SUCCESS and *out, or an error when the stored public key cannot be
 * parsed (a certificate that cannot be parsed gives has_cert 0). */
apr_status_t csc_credfacts_get(const csc_credential_t *c,
                               csc_credfacts_t *out, apr_pool_t *p);

/* The stored end-entity certificate exists and is valid at now. */
int csc_credfacts_cert_valid(const csc_credfacts_t *f, apr_time_t now);

#endif
