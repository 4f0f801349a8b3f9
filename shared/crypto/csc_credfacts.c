/* SPDX-License-Identifier: Apache-2.0 */
#include <pthread.h>
#include <apr_strings.h>
#include <string.h>


#include "crypto/csc_credfacts.h"
#include "base/csc_log.h"
#include "crypto/csc_x509.h"

/* Direct-mapped: a collision only costs a parse.  The entries hold plain
 * data, so a child inherits them safely across fork. */
#define FACTS_SLOTS 256

typedef struct {
    unsigned char digest[32];
    int used;
    csc_credfacts_t facts;
} facts_entry_t;

static facts_entry_t cache[FACTS_SLOTS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* An FNV-style multiply-xor hash over both texts and their lengths, eight
 * bytes a step: the cache only has to notice that the stored text changed
 * (csc-admin rewrote it), not resist an attacker, and SHA-256 here would
 * cost a tenth of an ECDSA signature. */
static void fnv(apr_uint64_t *h, const char *s, apr_size_t n)
{
    apr_uint64_t w;

    for (; n >= 8; s += 8, n -= 8) {
        memcpy(&w, s, 8);
        *h = (*h ^ w) * 0x100000001b3ULL;
        *h ^= *h >> 29;
    }
    for (; n > 0; s++, n--) {
        *h = (*h ^ (unsigned char)*s) * 0x100000001b3ULL;
    }
}

static void digest_of(const csc_credential_t *c, unsigned char out[32])
{
    const char *chain = c->cert_chain_pem ? c->cert_chain_pem : "";
    apr_size_t klen = strlen(c->pubkey_pem), clen = strlen(chain);
    apr_uint64_t h[4] = {0xcbf29ce484222325ULL, klen, clen,
                         (apr_uint64_t)c->updated};

    fnv(&h[0], c->pubkey_pem, klen);
    fnv(&h[0], chain, clen);
    memcpy(out, h, 32);
}

/* Copies src, cut if it must be at a character boundary: the text goes
 * into a JSON string, which has to stay valid UTF-8. */
static void copy_text(char *dst, apr_size_t size, const char *src)
{
    apr_size_t n;

    if (!src) {
        dst[0] = '\0';
        return;
    }
    apr_cpystrn(dst, src, size);
    n = strlen(dst);
    if (n < strlen(src)) {
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80) {
            n--;
        }
        dst[n] = '\0';
    }
}

static apr_status_t parse(const csc_credential_t *c, csc_credfacts_t *f,
                          apr_pool_t *p)
{
    apr_array_header_t *certs;
    const csc_cert_info_t *ee;
    const char *err = NULL;
    apr_status_t rv;

    memset(f, 0, sizeof(*f));
    rv = csc_x509_key_info_from_spki_pem(c->pubkey_pem, &f->key, &err);
    if (rv != APR_SUCCESS) {
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "credential %s: stored public "
                "key unreadable: %s", c->id, err ? err : "?");
        return rv;
    }
    if (c->cert_chain_pem && *c->cert_chain_pem
        && csc_x509_parse_chain(c->cert_chain_pem, &certs, p, &err)
           == APR_SUCCESS && certs->nelts > 0) {
        ee = APR_ARRAY_IDX(certs, 0, const csc_cert_info_t *);
        f->has_cert = 1;
        f->not_before = ee->not_before;
        f->not_after = ee->not_after;
        copy_text(f->subject_o, sizeof(f->subject_o), ee->subject_o);
        copy_text(f->subject_cn, sizeof(f->subject_cn), ee->subject_cn);
    }
    return APR_SUCCESS;
}

apr_status_t csc_credfacts_get(const csc_credential_t *c,
                               csc_credfacts_t *out, apr_pool_t *p)
{
    unsigned char d[32];
    facts_entry_t *e;
    apr_status_t rv;

    if (!c->pubkey_pem) {
        return APR_EINVAL;
    }
    digest_of(c, d);
    e = &cache[d[0] % FACTS_SLOTS];
    pthread_mutex_lock(&cache_lock);
    if (e->used && !memcmp(e->digest, d, sizeof(d))) {
        *out = e->facts;
        pthread_mutex_unlock(&cache_lock);
        return APR_SUCCESS;
    }
    pthread_mutex_unlock(&cache_lock);
    rv = parse(c, out, p);
    if (rv == APR_SUCCESS) {
        pthread_mutex_lock(&cache_lock);
        memcpy(e->digest, d, sizeof(d));
        e->facts = *out;
        e->used = 1;
        pthread_mutex_unlock(&cache_lock);
    }
    return rv;
}

int csc_credfacts_cert_valid(const csc_credfacts_t *f, apr_time_t now)
{
    const char *status;

    if (!f->has_cert) {
        return 0;
    }
    status = csc_x509_validity_status(f->not_before, f->not_after, now);
    return status && !strcmp(status, "valid");
}
