/* SPDX-License-Identifier: Apache-2.0 */
/* Authorization factors of a credential: static PIN and OTP enrollment.
 * The PIN never reaches the store, only its PBKDF2 hash; the OTP secret is
 * shown once, on this terminal, and never logged. */
#include <stdio.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_time.h>

#ifdef HAVE_QRENCODE
#include <qrencode.h>
#endif

#include "csc_admin.h"
#include "authz/csc_otp.h"
#include "authz/csc_pin.h"

#define DEFAULT_ISSUER "mod_csc"

enum {
    O_ID = 0x100, O_PIN_FILE, O_PIN_STDIN, O_PIN_FORMAT, O_PIN_ITER,
    O_NO_PIN, O_TYPE, O_DIGITS, O_PERIOD, O_HASH, O_ISSUER, O_NO_QR
};

/* ---- set-pin ------------------------------------------------------------ */

static const csc_admin_opt_t pin_opts[] = {
    { "id", 1, O_ID }, { "pin-file", 1, O_PIN_FILE },
    { "pin-stdin", 0, O_PIN_STDIN }, { "pin-format", 1, O_PIN_FORMAT },
    { "pin-iterations", 1, O_PIN_ITER }, { "no-pin", 0, O_NO_PIN },
    { NULL, 0, 0 }
};

static int set_pin_run(csc_admin_t *a, int argc, char **argv)
{
    csc_admin_getopt_t g;
    csc_credential_t *c;
    csc_store_t *st;
    const char *id = NULL, *file = NULL, *pin = NULL, *hash = NULL;
    const char *err = NULL;
    char format = 0;
    int opt, ex, from_stdin = 0, none = 0, iterations = 0;

    csc_admin_getopt_init(&g, a, argc, argv, pin_opts);
    while ((opt = csc_admin_getopt(&g)) != CSC_ADMIN_GETOPT_END) {
        switch (opt) {
        case CSC_ADMIN_GETOPT_HELP:
            return csc_admin_help(a);
        case CSC_ADMIN_GETOPT_ERROR:
            return CSC_ADMIN_EXIT_USAGE;
        case O_ID: id = g.optarg; break;
        case O_PIN_FILE: file = g.optarg; break;
        case O_PIN_STDIN: from_stdin = 1; break;
        case O_NO_PIN: none = 1; break;
        case O_PIN_FORMAT:
            if (strcmp(g.optarg, "N") && strcmp(g.optarg, "A")) {
                return csc_admin_usage(a, "--pin-format takes N (digits) "
                                       "or A (printable ASCII)");
            }
            format = g.optarg[0];
            break;
        case O_PIN_ITER:
            if (!csc_admin_parse_int(g.optarg, CSC_PIN_MIN_ITERATIONS,
                                     CSC_PIN_MAX_ITERATIONS, &iterations)) {
                return csc_admin_usage(a, "--pin-iterations takes a number "
                                       "from %d to %d",
                                       CSC_PIN_MIN_ITERATIONS,
                                       CSC_PIN_MAX_ITERATIONS);
            }
            break;
        }
    }
    if (g.positional->nelts || !id) {
        return csc_admin_usage(a, "--id is required");
    }
    if ((file != NULL) + from_stdin + none != 1) {
        return csc_admin_usage(a, "give exactly one of --pin-file, "
                               "--pin-stdin and --no-pin");
    }
    if (none && (format || iterations)) {
        return csc_admin_usage(a, "--no-pin takes no --pin-format or "
                               "--pin-iterations");
    }
    if ((ex = csc_admin_open_store(a, &st)) != CSC_ADMIN_EXIT_OK
        || (ex = csc_admin_get_cred(a, st, id, &c)) != CSC_ADMIN_EXIT_OK) {
        return ex;
    }
    if (!format) {
        format = c->pin_format == 'A' ? 'A' : 'N';
    }
    if (!none) {
        apr_status_t rv = file
            ? csc_admin_read_secret_file(file, &pin, a->pool, &err)
            : csc_admin_read_secret_stdin("PIN", &pin, a->pool, &err);

        if (rv != APR_SUCCESS) {
            return csc_admin_fail(a, "%s", err);
        }
        if (!csc_pin_format_ok(pin, format)) {
            return csc_admin_fail(a, "the PIN does not fit format %c: "
                                  "%d to %d %s", format, CSC_PIN_MIN_LEN,
                                  CSC_PIN_MAX_LEN,
                                  format == 'N' ? "digits"
                                  : "printable ASCII characters");
        }
        if (csc_pin_hash(pin, (apr_uint32_t)iterations, a->pool, &hash)
            != APR_SUCCESS) {
            return csc_admin_fail(a, "cannot hash the PIN");
        }
    }
    c->pin_hash = hash;
    c->pin_format = format;
    c->updated = 0;
    if (csc_store_update(st, c, a->pool) != APR_SUCCESS) {
        return csc_admin_fail(a, "cannot update credential '%s'", id);
    }
    if (none) {
        printf("removed the PIN of %s\n", id);
    }
    else {
        printf("set the PIN of %s (format %c)\n", id, format);
    }
    return CSC_ADMIN_EXIT_OK;
}

const csc_admin_cmd_t csc_admin_cmd_set_pin = {
    "set-pin", "set or remove a credential's static PIN",
    "Usage: csc-admin set-pin --id ID (--pin-file FILE | --pin-stdin)\n"
    "           [--pin-format N|A] [--pin-iterations N]\n"
    "       csc-admin set-pin --id ID --no-pin\n"
    "Stores a salted PBKDF2-SHA256 hash of the PIN (first line of FILE, or\n"
    "of standard input; asked twice without echo on a terminal).  The PIN\n"
    "itself is never stored, printed or logged.\n"
    "  --pin-format N|A    N: digits only, A: printable ASCII (default: the\n"
    "                      credential's current format, initially N)\n"
    "  --pin-iterations N  PBKDF2 iterations (default "
    CSC_ADMIN_STR(CSC_PIN_DEFAULT_ITERATIONS) ")\n"
    "  --no-pin            remove the PIN factor\n",
    set_pin_run
};

/* ---- set-otp ------------------------------------------------------------ */

#ifdef HAVE_QRENCODE
/* Two module rows per text line with Unicode half blocks; light modules
 * are drawn, as qrencode -t UTF8 does, so the code reads on the usual dark
 * terminal background. */
static void print_qr(csc_admin_t *a, const char *text)
{
    static const char *cell[4] = {
        "\xe2\x96\x88",          /* both light: full block */
        "\xe2\x96\x80",          /* top light: upper half */
        "\xe2\x96\x84",          /* bottom light: lower half */
        " "                      /* both dark */
    };
    const int margin = 2;
    QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    int x, y, w;

    if (!q) {
        csc_admin_note(a, "cannot draw the QR code; enter the URI instead");
        return;
    }
    w = q->width;
#define DARK(xx, yy) ((xx) >= 0 && (yy) >= 0 && (xx) < w && (yy) < w \
                      && (q->data[(yy) * w + (xx)] & 1))
    for (y = -margin; y < w + margin; y += 2) {
        for (x = -margin; x < w + margin; x++) {
            fputs(cell[(DARK(x, y) ? 2 : 0) + (DARK(x, y + 1) ? 1 : 0)],
                  stdout);
        }
        fputc('\n', stdout);
    }
#undef DARK
    QRcode_free(q);
}
#endif

/* csc_store_update() keeps the replay guards on purpose, and the store has
 * no call to zero them: the HOTP counter is reset with its compare-and-set;
 * the last TOTP step only matters if it would refuse the new secret's
 * codes (a longer period gives smaller step numbers), and then the record
 * is written anew, keeping everything else. */
static apr_status_t reset_otp_state(csc_store_t *st, csc_credential_t *c,
                                    apr_pool_t *p, const char **err)
{
    csc_credential_t *now;
    apr_status_t rv;
    int tries;

    for (tries = 0; tries < 10; tries++) {
        rv = csc_store_get(st, c->id, &now, p);
        if (rv != APR_SUCCESS) {
            *err = "cannot read the credential back";
            return rv;
        }
        if (now->hotp_counter == 0) {
            break;
        }
        rv = csc_store_hotp_advance(st, c->id, now->hotp_counter, 0, p);
        if (rv == APR_SUCCESS) {
            now->hotp_counter = 0;
            break;
        }
        if (rv != APR_EEXIST) {
            *err = "cannot reset the HOTP counter";
            return rv;
        }
    }
    if (now->hotp_counter != 0) {
        *err = "cannot reset the HOTP counter (it keeps changing)";
        return APR_EGENERAL;
    }
    if (c->otp_type && !strcmp(c->otp_type, "totp") && now->totp_last_step
        && now->totp_last_step >= apr_time_sec(apr_time_now())
                                  / c->otp_period - CSC_OTP_MAX_WINDOW) {
        now->totp_last_step = 0;
        rv = csc_store_delete(st, c->id, p);
        if (rv == APR_SUCCESS) {
            rv = csc_store_insert(st, now, p);
        }
        if (rv != APR_SUCCESS) {
            *err = "cannot reset the last TOTP step";
            return rv;
        }
    }
    return APR_SUCCESS;
}

static const csc_admin_opt_t otp_opts[] = {
    { "id", 1, O_ID }, { "type", 1, O_TYPE }, { "digits", 1, O_DIGITS },
    { "period", 1, O_PERIOD }, { "hash", 1, O_HASH },
    { "issuer", 1, O_ISSUER }, { "no-qr", 0, O_NO_QR }, { NULL, 0, 0 }
};

static int set_otp_run(csc_admin_t *a, int argc, char **argv)
{
    csc_admin_getopt_t g;
    csc_credential_t *c;
    csc_store_t *st;
    csc_otp_hash_e h = CSC_OTP_SHA1;
    const char *id = NULL, *type = NULL, *hash = NULL;
    const char *issuer = DEFAULT_ISSUER, *secret = NULL, *uri = NULL;
    const char *err = NULL;
    int opt, ex, digits = 6, period = 30, no_qr = 0, seeded, keyed;
    int period_set = 0;

    csc_admin_getopt_init(&g, a, argc, argv, otp_opts);
    while ((opt = csc_admin_getopt(&g)) != CSC_ADMIN_GETOPT_END) {
        switch (opt) {
        case CSC_ADMIN_GETOPT_HELP:
            return csc_admin_help(a);
        case CSC_ADMIN_GETOPT_ERROR:
            return CSC_ADMIN_EXIT_USAGE;
        case O_ID: id = g.optarg; break;
        case O_TYPE: type = g.optarg; break;
        case O_HASH: hash = g.optarg; break;
        case O_ISSUER: issuer = g.optarg; break;
        case O_NO_QR: no_qr = 1; break;
        case O_DIGITS:
            if (!csc_admin_parse_int(g.optarg, CSC_OTP_MIN_DIGITS,
                                     CSC_OTP_MAX_DIGITS, &digits)) {
                return csc_admin_usage(a, "--digits takes %d to %d",
                                       CSC_OTP_MIN_DIGITS,
                                       CSC_OTP_MAX_DIGITS);
            }
            break;
        case O_PERIOD:
            if (!csc_admin_parse_int(g.optarg, CSC_OTP_MIN_PERIOD,
                                     CSC_OTP_MAX_PERIOD, &period)) {
                return csc_admin_usage(a, "--period takes %d to %d seconds",
                                       CSC_OTP_MIN_PERIOD,
                                       CSC_OTP_MAX_PERIOD);
            }
            period_set = 1;
            break;
        }
    }
    if (g.positional->nelts || !id || !type) {
        return csc_admin_usage(a, "--id and --type are required");
    }
    if (strcmp(type, "totp") && strcmp(type, "hotp")
        && strcmp(type, "online") && strcmp(type, "none")) {
        return csc_admin_usage(a, "--type takes totp, hotp, online or none");
    }
    keyed = !strcmp(type, "totp") || !strcmp(type, "hotp");
    if (hash && (!keyed || csc_otp_hash_parse(hash, &h) != APR_SUCCESS)) {
        return csc_admin_usage(a, "--hash takes sha1, sha256 or sha512, "
                               "for totp and hotp only");
    }
    if (period_set && strcmp(type, "totp")) {
        return csc_admin_usage(a, "--period is for totp only");
    }
    if ((ex = csc_admin_open_store(a, &st)) != CSC_ADMIN_EXIT_OK
        || (ex = csc_admin_get_cred(a, st, id, &c)) != CSC_ADMIN_EXIT_OK) {
        return ex;
    }
    if (keyed) {
        if (csc_otp_secret_generate(0, a->pool, &secret) != APR_SUCCESS) {
            return csc_admin_fail(a, "cannot generate an OTP secret");
        }
        csc_admin_scrub_on_cleanup(a->pool, (char *)secret, strlen(secret));
        if (csc_otp_uri(type, issuer, id, secret, (unsigned)digits,
                        !strcmp(type, "totp") ? (apr_uint64_t)period : 0,
                        h, a->pool, &uri) != APR_SUCCESS) {
            return csc_admin_fail(a, "cannot build the otpauth URI (issuer "
                                  "and id must not contain ':')");
        }
    }
    seeded = strcmp(type, "none") != 0;
    c->otp_type = seeded ? type : NULL;
    c->otp_secret = secret;
    c->otp_digits = digits;
    c->otp_period = period;
    c->otp_hash = keyed ? csc_otp_hash_name(h) : NULL;
    c->updated = 0;
    if (csc_store_validate(c, &err, a->pool) != APR_SUCCESS) {
        return csc_admin_fail(a, "%s", err);
    }
    if (csc_store_update(st, c, a->pool) != APR_SUCCESS) {
        return csc_admin_fail(a, "cannot update credential '%s'", id);
    }
    if (reset_otp_state(st, c, a->pool, &err) != APR_SUCCESS) {
        return csc_admin_fail(a, "%s", err);
    }
    if (!seeded) {
        printf("removed the OTP factor of %s\n", id);
        return CSC_ADMIN_EXIT_OK;
    }
    if (!keyed) {
        printf("%s now uses online OTP (%d digits, sent by the service)\n",
               id, digits);
        return CSC_ADMIN_EXIT_OK;
    }
    printf("%s now uses %s (%d digits, %s%s%s).  Enroll the device with\n"
           "this URI; it holds the secret and is not shown again:\n%s\n",
           id, type, digits, csc_otp_hash_name(h),
           !strcmp(type, "totp") ? ", " : "",
           !strcmp(type, "totp") ? apr_psprintf(a->pool, "%d s", period)
                                 : "", uri);
#ifdef HAVE_QRENCODE
    if (!no_qr) {
        print_qr(a, uri);
    }
#else
    (void)no_qr;
#endif
    fflush(stdout);
    return CSC_ADMIN_EXIT_OK;
}

const csc_admin_cmd_t csc_admin_cmd_set_otp = {
    "set-otp", "set up one-time passwords for a credential",
    "Usage: csc-admin set-otp --id ID --type totp|hotp|online|none\n"
    "           [--digits 6] [--period 30] [--hash sha1|sha256|sha512]\n"
    "           [--issuer NAME] [--no-qr]\n"
    "totp/hotp: generates a fresh secret and prints the otpauth:// URI\n"
    "(and a QR code on the terminal unless --no-qr) to enroll the user's\n"
    "authenticator, then resets the HOTP counter / last TOTP step.  The\n"
    "secret is shown only this once.  online: codes sent by the service.\n"
    "none: removes the OTP factor.\n"
    "  --digits N     6 to 8 (default 6)\n"
    "  --period S     TOTP time step, 10 to 300 seconds (default 30)\n"
    "  --hash H       HMAC hash (default sha1, what most apps support)\n"
    "  --issuer NAME  shown by the authenticator (default " DEFAULT_ISSUER
    ")\n",
    set_otp_run
};
