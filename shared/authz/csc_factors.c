/* SPDX-License-Identifier: Apache-2.0 */
#include <signal.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>
#include <openssl/crypto.h>

#include "authz/csc_factors.h"
#include "state/csc_kv.h"
#include "base/csc_log.h"
#include "authz/csc_otp.h"
#include "authz/csc_pin.h"
#include "authz/csc_secret.h"

/* --- online OTP: the current code lives in the shared state ---------- */

typedef struct {
    char code[CSC_OTP_BUFSIZE];
    int tries;
} online_otp_t;

typedef struct {
    const char *given;
    int matched;
} online_check_t;

static apr_status_t online_update(void *baton, const void *cur,
                                  apr_size_t curlen, apr_time_t cur_expires,
                                  void *out, apr_size_t *outlen,
                                  apr_time_t *expires,
                                  csc_kv_action_e *action)
{
    online_check_t *chk = baton;
    online_otp_t rec;

    (void)cur_expires;
    (void)expires;
    chk->matched = 0;   /* a retry's run starts afresh (csc_kv.h) */
    if (!cur || curlen != sizeof(rec)) {
        return APR_SUCCESS;
    }
    memcpy(&rec, cur, sizeof(rec));
    if (csc_otp_code_equal(rec.code, chk->given)) {
        chk->matched = 1;
        *action = CSC_KV_DELETE;        /* one use only */
    }
    else if (++rec.tries >= CSC_ONLINE_OTP_TRIES) {
        *action = CSC_KV_DELETE;        /* no guessing through the window */
    }
    else {
        memcpy(out, &rec, sizeof(rec));
        *outlen = sizeof(rec);
        *action = CSC_KV_STORE;
    }
    OPENSSL_cleanse(&rec, sizeof(rec));
    return APR_SUCCESS;
}

static int check_online(const csc_env_t *env, const csc_credential_t *c,
                        const char *otp)
{
    unsigned char key[CSC_SECRET_KEY_LEN];
    online_check_t chk = {otp, 0};

    csc_secret_state_key(env, 'o', c->id, key);
    if (csc_kv_update(env->kv, key, sizeof(key), online_update, &chk)
        != APR_SUCCESS) {
        return -1;
    }
    return chk.matched;
}

/* Waits for the delivery command at most CSC_OTP_DELIVERY_TIMEOUT seconds;
 * APR_TIMEUP after killing (and reaping) one that takes longer. */
static apr_status_t wait_bounded(apr_proc_t *proc, int *status,
                                 apr_exit_why_e *why)
{
    apr_time_t until = apr_time_now()
        + apr_time_from_sec(CSC_OTP_DELIVERY_TIMEOUT);
    apr_interval_time_t pause = apr_time_from_msec(1);
    apr_status_t rv;

    while ((rv = apr_proc_wait(proc, status, why, APR_NOWAIT))
           == APR_CHILD_NOTDONE) {
        if (apr_time_now() >= until) {
            apr_proc_kill(proc, SIGKILL);
            apr_proc_wait(proc, status, why, APR_WAIT);
            return APR_TIMEUP;
        }
        /* quick gateways answer in milliseconds: poll fast, then slower */
        apr_sleep(pause);
        if (pause < apr_time_from_msec(50)) {
            pause *= 2;
        }
    }
    return rv;
}

/* Delivery to a file (development, tests) appends "user id code" lines;
 * delivery to a command (an SMS or mail gateway) passes user and
 * credential as arguments and the code on standard input, so it never
 * shows in a process listing. */
static apr_status_t deliver(const char *how, const csc_credential_t *c,
                            const char *code, apr_pool_t *p)
{
    apr_status_t rv;

    if (!strncmp(how, "file:", 5)) {
        apr_file_t *f;
        rv = apr_file_open(&f, how + 5, APR_FOPEN_WRITE | APR_FOPEN_CREATE
                           | APR_FOPEN_APPEND, APR_FPROT_UREAD
                           | APR_FPROT_UWRITE, p);
        if (rv == APR_SUCCESS) {
            apr_file_lock(f, APR_FLOCK_EXCLUSIVE);
            rv = apr_file_printf(f, "%s %s %s\n", c->owner, c->id, code) > 0
                ? APR_SUCCESS : APR_EGENERAL;
            apr_file_unlock(f);
            apr_file_close(f);
        }
        return rv;
    }
    if (!strncmp(how, "command:", 8)) {
        const char *argv[4] = {how + 8, c->owner, c->id, NULL};
        apr_procattr_t *attr;
        apr_proc_t proc;
        apr_exit_why_e why;
        apr_size_t n = strlen(code);
        int status;

        if ((rv = apr_procattr_create(&attr, p)) != APR_SUCCESS
            || (rv = apr_procattr_io_set(attr, APR_FULL_BLOCK, APR_NO_PIPE,
                                         APR_NO_PIPE)) != APR_SUCCESS
            || (rv = apr_procattr_cmdtype_set(attr, APR_PROGRAM))
               != APR_SUCCESS
            || (rv = apr_proc_create(&proc, argv[0], argv, NULL, attr, p))
               != APR_SUCCESS) {
            return rv;
        }
        apr_file_write_full(proc.in, code, n, NULL);
        apr_file_write_full(proc.in, "\n", 1, NULL);
        apr_file_close(proc.in);
        rv = wait_bounded(&proc, &status, &why);
        if (rv == APR_TIMEUP) {
            csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "CSCOTPDelivery command %s "
                    "did not finish in %d s: killed", argv[0],
                    CSC_OTP_DELIVERY_TIMEOUT);
            return APR_TIMEUP;
        }
        if (rv != APR_CHILD_DONE) {
            /* someone else reaped it (a SIGCHLD handler of the server) */
            char buf[120];
            csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "CSCOTPDelivery command %s: "
                    "its exit status is lost (%s)", argv[0],
                    apr_strerror(rv, buf, sizeof(buf)));
            return APR_EGENERAL;
        }
        if (why != APR_PROC_EXIT || status != 0) {
            csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "CSCOTPDelivery command %s "
                    "failed (%s %d)", argv[0],
                    why == APR_PROC_EXIT ? "exit" : "signal", status);
            return APR_EGENERAL;
        }
        return APR_SUCCESS;
    }
    return APR_ENOTIMPL;
}

apr_status_t csc_factors_send_otp(const csc_env_t *env,
                                  const csc_credential_t *c, apr_pool_t *p)
{
    unsigned char key[CSC_SECRET_KEY_LEN];
    online_otp_t rec;
    const char *how = env->cfg->otp_delivery;
    apr_status_t rv;

    if (!how) {
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "credential %s has an online "
                "OTP but no CSCOTPDelivery is configured", c->id);
        return APR_ENOTIMPL;
    }
    memset(&rec, 0, sizeof(rec));
    if ((rv = csc_otp_random_code((unsigned)c->otp_digits, rec.code))
        != APR_SUCCESS) {
        return rv;
    }
    csc_secret_state_key(env, 'o', c->id, key);
    rv = csc_kv_put(env->kv, key, sizeof(key), &rec, sizeof(rec),
                    apr_time_now()
                    + apr_time_from_sec(CSC_ONLINE_OTP_LIFETIME));
    if (rv == APR_SUCCESS) {
        rv = deliver(how, c, rec.code, p);
        if (rv != APR_SUCCESS) {
            csc_kv_del(env->kv, key, sizeof(key));
            csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "OTP delivery for credential "
                    "%s failed (%d)", c->id, rv);
        }
    }
    OPENSSL_cleanse(&rec, sizeof(rec));
    return rv;
}

/* --- TOTP and HOTP: the durable store keeps the replay guard ---------- */

static int check_oath(const csc_env_t *env, const csc_credential_t *c,
                      const char *otp, apr_pool_t *p)
{
    unsigned char *key;
    apr_size_t klen;
    csc_otp_hash_e h;
    apr_status_t rv;

    if (csc_otp_secret_decode(c->otp_secret, &key, &klen, p) != APR_SUCCESS
        || csc_otp_hash_parse(c->otp_hash ? c->otp_hash : "sha1", &h)
           != APR_SUCCESS) {
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "credential %s: unusable OTP "
                "settings in the store", c->id);
        return -1;
    }
    if (!strcmp(c->otp_type, "totp")) {
        apr_int64_t step;
        rv = csc_otp_totp_check(key, klen, (unsigned)c->otp_digits,
                                (unsigned)c->otp_period, h,
                                (unsigned)csc_cfg_totp_window(env->cfg),
                                apr_time_now(), otp, c->totp_last_step,
                                &step);
        if (rv != APR_SUCCESS) {
            return rv == APR_EINVAL ? -1 : 0;
        }
        /* Two children may both have matched the same step: the store
         * lets exactly one of them move the guard forward. */
        rv = csc_store_totp_accept(env->store, c->id, step, p);
        return rv == APR_SUCCESS ? 1 : rv == APR_EEXIST ? 0 : -1;
    }
    else {
        apr_uint64_t next;
        rv = csc_otp_hotp_check(key, klen, (unsigned)c->otp_digits, h,
                                (apr_uint64_t)c->hotp_counter,
                                (unsigned)csc_cfg_hotp_lookahead(env->cfg),
                                otp, &next);
        if (rv != APR_SUCCESS) {
            return rv == APR_EINVAL ? -1 : 0;
        }
        rv = csc_store_hotp_advance(env->store, c->id, c->hotp_counter,
                                    (apr_int64_t)next, p);
        return rv == APR_SUCCESS ? 1 : rv == APR_EEXIST ? 0 : -1;
    }
}

/* The attempt could not be judged: it does not count against the user. */
static csc_factor_result_e not_checked(const csc_env_t *env,
                                       const csc_credential_t *c,
                                       apr_pool_t *p)
{
    if (csc_store_attempt_release(env->store, c->id, p) != APR_SUCCESS) {
        csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "credential %s: could not release "
                "an authorization attempt", c->id);
    }
    return CSC_FACTOR_ERROR;
}

static csc_factor_result_e failed(const csc_env_t *env,
                                  const csc_credential_t *c,
                                  csc_factor_result_e what, int *now_blocked,
                                  apr_pool_t *p)
{
    int count = 0, blocked = 0;

    if (csc_store_auth_failed(env->store, c->id,
                              csc_cfg_max_failures(env->cfg), &count,
                              &blocked, p) != APR_SUCCESS) {
        return CSC_FACTOR_ERROR;
    }
    if (blocked) {
        *now_blocked = 1;
        csc_log(CSC_LOG_MARK, CSC_LOG_WARNING, "credential %s of %s blocked "
                "after %d consecutive failed authorizations", c->id,
                c->owner, count);
    }
    return what;
}

csc_factor_result_e csc_factors_check(const csc_env_t *env,
                                      const csc_credential_t *c,
                                      const char *pin, const char *otp,
                                      int *now_blocked, apr_pool_t *p)
{
    apr_status_t rv;
    int ok;

    *now_blocked = 0;
    if (c->blocked) {
        return CSC_FACTOR_LOCKED;
    }
    /* counted before anything is evaluated: however many children check
     * guesses at once, at most CSCMaxAuthFailures of them get this far */
    rv = csc_store_attempt_begin(env->store, c->id,
                                 csc_cfg_max_failures(env->cfg), p);
    if (rv == APR_EACCES) {
        return CSC_FACTOR_LOCKED;
    }
    if (rv != APR_SUCCESS) {
        return CSC_FACTOR_ERROR;
    }
    /* The PIN first: a wrong PIN must not burn the user's OTP. */
    if (c->pin_hash) {
        ok = pin ? csc_pin_verify(pin, c->pin_hash) : 0;
        if (ok < 0) {
            csc_log(CSC_LOG_MARK, CSC_LOG_ERR, "credential %s: unreadable "
                    "PIN hash in the store", c->id);
            return not_checked(env, c, p);
        }
        if (!ok) {
            return failed(env, c, CSC_FACTOR_PIN_WRONG, now_blocked, p);
        }
    }
    if (c->otp_type) {
        ok = !otp ? 0 : !strcmp(c->otp_type, "online")
            ? check_online(env, c, otp) : check_oath(env, c, otp, p);
        if (ok < 0) {
            return not_checked(env, c, p);
        }
        if (!ok) {
            return failed(env, c, CSC_FACTOR_OTP_WRONG, now_blocked, p);
        }
    }
    /* others' failures may have blocked it since the attempt began */
    rv = csc_store_auth_succeeded(env->store, c->id, p);
    if (rv == APR_EACCES) {
        return CSC_FACTOR_LOCKED;
    }
    if (rv != APR_SUCCESS) {
        return CSC_FACTOR_ERROR;
    }
    return CSC_FACTOR_OK;
}
