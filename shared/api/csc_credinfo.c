/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include <apr_strings.h>

#include "crypto/csc_algo.h"
#include "crypto/csc_credfacts.h"
#include "api/csc_credinfo.h"
#include "base/csc_log.h"
#include "crypto/csc_x509.h"

int csc_credinfo_certs_mode(const char *value, csc_certs_e *mode)
{
    if (!strcmp(value, "none")) *mode = CSC_CERTS_NONE;
    else if (!strcmp(value, "single")) *mode = CSC_CERTS_SINGLE;
    else if (!strcmp(value, "chain")) *mode = CSC_CERTS_CHAIN;
    else return -1;
    return 0;
}

static json_t *key_object(const csc_credential_t *c, apr_pool_t *p)
{
    csc_credfacts_t f;
    const csc_key_info_t *ki = &f.key;
    apr_array_header_t *oids;
    json_t *key, *algo;
    int i;

    if (csc_credfacts_get(c, &f, p) != APR_SUCCESS) {
        return NULL;    /* logged by csc_credfacts_get */
    }
    csc_algo_key_algos(ki->type, ki->bits, ki->curve_oid, &oids, p);
    algo = json_array();
    for (i = 0; i < oids->nelts; i++) {
        json_array_append_new(algo,
                              json_string(APR_ARRAY_IDX(oids, i,
                                                        const char *)));
    }
    key = json_pack("{s:s,s:o,s:i}",
                    "status", c->enabled && !c->blocked ? "enabled"
                                                        : "disabled",
                    "algo", algo, "len", ki->bits);
    if (ki->curve_oid) {
        json_object_set_new(key, "curve", json_string(ki->curve_oid));
    }
    return key;
}

static json_t *cert_object(const csc_credential_t *c, csc_certs_e mode,
                           int cert_info, apr_pool_t *p)
{
    apr_array_header_t *certs;
    const csc_cert_info_t *ee;
    const char *err = NULL, *status;
    json_t *cert = json_object(), *list;
    int i;

    if (!c->cert_chain_pem || !*c->cert_chain_pem) {
        return cert;
    }
    if (csc_x509_parse_chain(c->cert_chain_pem, &certs, p, &err)
        != APR_SUCCESS || certs->nelts == 0) {
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "credential %s: stored "
                "certificate chain unreadable: %s", c->id, err ? err : "?");
        json_decref(cert);
        return NULL;
    }
    ee = APR_ARRAY_IDX(certs, 0, const csc_cert_info_t *);
    status = csc_x509_status(ee, apr_time_now());
    if (status) {
        json_object_set_new(cert, "status", json_string(status));
    }
    if (mode != CSC_CERTS_NONE) {
        list = json_array();
        for (i = 0; i < (mode == CSC_CERTS_CHAIN ? certs->nelts : 1); i++) {
            json_array_append_new(list, json_string(
                APR_ARRAY_IDX(certs, i, const csc_cert_info_t *)->der_b64));
        }
        json_object_set_new(cert, "certificates", list);
    }
    if (cert_info) {
        json_object_set_new(cert, "issuerDN", json_string(ee->issuer_dn));
        json_object_set_new(cert, "serialNumber",
                            json_string(ee->serial_hex));
        json_object_set_new(cert, "subjectDN", json_string(ee->subject_dn));
        json_object_set_new(cert, "validFrom", json_string(ee->valid_from));
        json_object_set_new(cert, "validTo", json_string(ee->valid_to));
    }
    return cert;
}

static const char *pin_format(const csc_credential_t *c)
{
    return c->pin_format == 'A' ? "A" : "N";
}

static const char *otp_generator(const csc_credential_t *c)
{
    return !strcmp(c->otp_type, "hotp") ? "hotp" : "totp";
}

/* v1: authMode plus PIN and OTP objects. */
static void auth_v1(json_t *out, const csc_credential_t *c, int auth_info)
{
    int explicit_mode = c->pin_hash || c->otp_type;

    json_object_set_new(out, "authMode",
                        json_string(explicit_mode ? "explicit" : "implicit"));
    if (!auth_info || !explicit_mode) {
        return;
    }
    if (c->pin_hash) {
        json_object_set_new(out, "PIN", json_pack(
            "{s:s,s:s,s:s,s:s}", "presence", "true", "format", pin_format(c),
            "label", "PIN", "description",
            "The PIN that protects this signing key"));
    }
    else {
        json_object_set_new(out, "PIN", json_pack("{s:s}", "presence",
                                                  "false"));
    }
    if (c->otp_type) {
        int online = !strcmp(c->otp_type, "online");
        json_object_set_new(out, "OTP", json_pack(
            "{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "presence", "true",
            "type", online ? "online" : "offline", "format", "N",
            "label", "OTP", "description", online
                ? "A one-time password sent to you on request"
                : "A one-time password from your authenticator app",
            "ID", c->id,
            "provider", online ? "csc" : otp_generator(c)));
    }
    else {
        json_object_set_new(out, "OTP", json_pack("{s:s}", "presence",
                                                  "false"));
    }
}

/* v2: the auth object with one authentication object per factor. */
static json_t *auth_v2(const csc_credential_t *c)
{
    json_t *objects = json_array();
    const char *expr = NULL;

    if (c->pin_hash) {
        json_array_append_new(objects, json_pack(
            "{s:s,s:s,s:s,s:s,s:s}", "type", "Password", "id", "PIN",
            "format", pin_format(c), "label", "PIN", "description",
            "The PIN that protects this signing key"));
        expr = "PIN";
    }
    if (c->otp_type) {
        if (!strcmp(c->otp_type, "online")) {
            json_array_append_new(objects, json_pack(
                "{s:s,s:s,s:s,s:s,s:s}", "type", "ChallengeResponse",
                "id", "OTP", "format", "N", "label", "OTP", "description",
                "A one-time password sent to you on request"));
        }
        else {
            json_array_append_new(objects, json_pack(
                "{s:s,s:s,s:s,s:s,s:s,s:s}", "type", "Password", "id", "OTP",
                "format", "N", "generator", otp_generator(c), "label", "OTP",
                "description",
                "A one-time password from your authenticator app"));
        }
        expr = expr ? "PIN AND OTP" : "OTP";
    }
    if (!expr) {
        return json_pack("{s:s,s:o}", "mode", "explicit", "objects", objects);
    }
    return json_pack("{s:s,s:s,s:o}", "mode", "explicit", "expression", expr,
                     "objects", objects);
}

json_t *csc_credinfo_build(const csc_credential_t *c, int version,
                           csc_certs_e certs, int cert_info, int auth_info,
                           const char *lang, apr_pool_t *p)
{
    json_t *out = json_object(), *key, *cert;

    if (c->description && *c->description) {
        json_object_set_new(out, "description", json_string(c->description));
    }
    key = key_object(c, p);
    cert = cert_object(c, certs, cert_info, p);
    if (!key || !cert) {
        json_decref(key);
        json_decref(cert);
        json_decref(out);
        return NULL;
    }
    json_object_set_new(out, "key", key);
    json_object_set_new(out, "cert", cert);
    if (version == 1) {
        auth_v1(out, c, auth_info);
    }
    else {
        json_object_set_new(out, "auth", auth_v2(c));
    }
    json_object_set_new(out, "SCAL", json_string(c->scal == 2 ? "2" : "1"));
    json_object_set_new(out, "multisign", json_integer(c->multisign));
    json_object_set_new(out, "lang", json_string(lang));
    return out;
}

int csc_credinfo_usable(const csc_credential_t *c, apr_pool_t *p)
{
    csc_credfacts_t f;

    return c->enabled && !c->blocked
        && csc_credfacts_get(c, &f, p) == APR_SUCCESS
        && csc_credfacts_cert_valid(&f, apr_time_now());
}
