/* SPDX-License-Identifier: Apache-2.0 */
/* rawsign: the raw rates the benchmark compares mod_csc against.
 *
 *   rawsign sign --keyref REF --algo OID [--module PATH] [--pin-file F]
 *                [--threads N] [--procs] [--seconds S] [--round-trips]
 *   rawsign pin  --iterations N [--threads N] [--procs] [--seconds S]
 *   rawsign syscall [--threads N] [--procs] [--seconds S]
 *
 * "sign" signs random SHA-256 digests with csc_signer_sign(), the very
 * function signatures/signHash calls, on the key reference a credential
 * uses; "pin" runs csc_pin_verify() on a hash made with csc_pin_hash() at
 * the given cost, as credentials/authorize does; "syscall" times the
 * cheapest system call there is (getpid, made directly so that no libc can
 * cache it), the price every read, write, lock and futex pays on top of
 * its own work: a virtual machine can charge several times what bare
 * metal does, which moves every per-request figure.  Work runs in N
 * threads of one process (default: as many as the CPUs it may run on)
 * or, with --procs, in N forked processes (the prefork shape).  Prints
 * one JSON object on stdout.
 *
 * Each worker reports its own operation count and its own elapsed time,
 * so the operation in flight when time runs out does not bias the rate.
 * The CPU time used while the clock ran is reported too (cpu_us_per_op,
 * and the part booked as system time, sys_us_per_op): unlike the rate it
 * does not depend on what else runs on the machine.
 *
 * --round-trips puts a server's rhythm around each operation: before it,
 * the worker sends 1 KiB over a loopback TCP connection to an echo thread
 * of its own and waits for it to come back, as a server worker waits for
 * the next request and writes the last response.  The operation then runs
 * after a sleep, a wake-up and the kernel's network path, with whatever
 * they left in the caches; its own CPU (the thread's, from just before to
 * just after it) is what cpu_us_per_op reports (sys_us_per_op is null:
 * no clock splits one operation's CPU), and the whole loop's CPU per
 * operation, round trips and echo threads included, is
 * loop_cpu_us_per_op. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "crypto/csc_algo.h"
#include "authz/csc_pin.h"
#include "signer/csc_signer.h"

#define BENCH_PIN "271828"
/* getpid calls per counted operation: a pool clear and a loop check per
 * call would weigh on a figure this small */
#define SYSCALLS_PER_OP 100

typedef enum { MODE_SIGN, MODE_PIN, MODE_SYSCALL } mode_e;
static const char *const mode_names[] = {"sign", "pin", "syscall"};

typedef struct {
    mode_e mode;
    const char *keyref;
    const char *algo;
    const char *module;
    const char *pin_file;
    unsigned iterations;
    int threads;
    int procs;
    int round_trips;
    double seconds;
    csc_sig_params_t sp;
    const char *pin_hash;
} bench_conf_t;

typedef struct {
    double total;               /* user + system */
    double sys;
} cpu_t;

typedef struct {
    const bench_conf_t *bc;
    unsigned long ops;
    double elapsed;
    int failed;
    int warmup_retries;
    cpu_t cpu;                  /* --procs: CPU seconds of this process */
    double op_cpu;              /* --round-trips: of the operations alone */
} worker_t;

static atomic_int go;
static atomic_int stop;

/* CPU seconds of this process so far, all threads. */
static cpu_t cpu_now(void)
{
    struct rusage ru;
    cpu_t c;

    getrusage(RUSAGE_SELF, &ru);
    c.sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    c.total = c.sys + (double)ru.ru_utime.tv_sec
              + (double)ru.ru_utime.tv_usec / 1e6;
    return c;
}

static cpu_t cpu_since(cpu_t then)
{
    cpu_t c = cpu_now();

    c.total -= then.total;
    c.sys -= then.sys;
    return c;
}

/* CPU seconds of the calling thread so far.  The thread's clock, not
 * getrusage(RUSAGE_THREAD): that one moves only when the thread is switched
 * out, and the user/system split it could add is sampled at the tick, far
 * coarser than one operation. */
static double thread_cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_sec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "rawsign: %s%s%s\n", what, detail ? ": " : "",
            detail ? detail : "");
    exit(1);
}

/* Verifies one signature with the public key detached from the signer, so
 * a broken signing path cannot produce a fast but meaningless rate. */
static int signature_verifies(const bench_conf_t *bc,
                              const unsigned char *dg, apr_size_t dlen,
                              const unsigned char *sig, apr_size_t siglen,
                              apr_pool_t *p)
{
    unsigned char *der;
    const unsigned char *q;
    apr_size_t len;
    const char *err;
    EVP_PKEY *pub;
    EVP_PKEY_CTX *ctx;
    int ok;

    if (csc_signer_public_key(bc->keyref, &der, &len, p, &err)
        != APR_SUCCESS) {
        return 0;
    }
    q = der;
    pub = d2i_PUBKEY(NULL, &q, (long)len);
    ctx = pub ? EVP_PKEY_CTX_new(pub, NULL) : NULL;
    ok = ctx && EVP_PKEY_verify_init(ctx) > 0;
    if (ok && bc->sp.scheme == CSC_SCHEME_PKCS1) {
        ok = EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) > 0;
    }
    ok = ok && EVP_PKEY_CTX_set_signature_md(ctx, bc->sp.hash->md()) > 0
         && EVP_PKEY_verify(ctx, sig, siglen, dg, dlen) == 1;
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pub);
    return ok;
}

/* One operation; 0 on success. */
static int one_op(const bench_conf_t *bc, const unsigned char *dg,
                  apr_pool_t *p, int verify)
{
    unsigned char *sig;
    apr_size_t siglen;
    const char *err = NULL;

    if (bc->mode == MODE_PIN) {
        return csc_pin_verify(BENCH_PIN, bc->pin_hash) == 1 ? 0 : -1;
    }
    if (bc->mode == MODE_SYSCALL) {
        int i;
        for (i = 0; i < SYSCALLS_PER_OP; i++) {
            if (syscall(SYS_getpid) <= 0) {
                return -1;
            }
        }
        return 0;
    }
    if (csc_signer_sign(bc->keyref, &bc->sp, dg, bc->sp.hash->len, &sig,
                        &siglen, p, &err) != APR_SUCCESS) {
        fprintf(stderr, "rawsign: sign failed: %s\n", err ? err : "?");
        return -1;
    }
    if (verify && !signature_verifies(bc, dg, bc->sp.hash->len, sig, siglen,
                                      p)) {
        fprintf(stderr, "rawsign: signature does not verify\n");
        return -1;
    }
    return 0;
}

/* --round-trips: the size of the message each round trip carries, about
 * a signHash request and its response */
#define ROUND_TRIP_BYTES 1024

static int full_io(int fd, char *buf, size_t len, int writing)
{
    size_t done = 0;

    while (done < len) {
        ssize_t r = writing ? write(fd, buf + done, len - done)
                            : read(fd, buf + done, len - done);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return -1;
        }
        done += (size_t)r;
    }
    return 0;
}

static void *echo_main(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[ROUND_TRIP_BYTES];

    while (full_io(fd, buf, sizeof(buf), 0) == 0
           && full_io(fd, buf, sizeof(buf), 1) == 0) {
    }
    close(fd);
    return NULL;
}

/* A loopback TCP connection whose other end an echo thread serves; the
 * worker's end, or -1.  The echo thread ends when the worker closes it. */
static int echo_connection(void)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    int l, c = -1, s = -1;
    pthread_t tid;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) != 0
        || listen(l, 1) != 0
        || getsockname(l, (struct sockaddr *)&a, &alen) != 0
        || (c = socket(AF_INET, SOCK_STREAM, 0)) < 0
        || connect(c, (struct sockaddr *)&a, sizeof(a)) != 0
        || (s = accept(l, NULL, NULL)) < 0
        || pthread_create(&tid, NULL, echo_main, (void *)(intptr_t)s) != 0) {
        if (c >= 0) {
            close(c);
        }
        if (s >= 0) {
            close(s);
        }
        c = -1;
    }
    else {
        pthread_detach(tid);
    }
    if (l >= 0) {
        close(l);
    }
    return c;
}

static int round_trip(int fd)
{
    char buf[ROUND_TRIP_BYTES];

    memset(buf, 'r', sizeof(buf));
    return full_io(fd, buf, sizeof(buf), 1) == 0
           && full_io(fd, buf, sizeof(buf), 0) == 0 ? 0 : -1;
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    const bench_conf_t *bc = w->bc;
    unsigned char dg[64];
    apr_pool_t *p;
    double t0;
    int echo_fd = -1;

    apr_pool_create(&p, NULL);
    RAND_bytes(dg, sizeof(dg));
    /* Warm-up outside the clock: the first use loads the key (or, after a
     * fork, re-initialises the PKCS#11 library).  SoftHSM2 sometimes finds
     * no token when several processes initialise at once, so the first use
     * may be retried; the retries are reported, not hidden. */
    while (one_op(bc, dg, p, 1) != 0) {
        if (++w->warmup_retries > 5) {
            w->failed = 1;
            apr_pool_destroy(p);
            return NULL;
        }
        apr_pool_clear(p);
        usleep(50000);
    }
    if (bc->round_trips && (echo_fd = echo_connection()) < 0) {
        fprintf(stderr, "rawsign: no loopback connection for --round-trips\n");
        w->failed = 1;
    }
    while (!atomic_load(&go)) {
        usleep(1000);
    }
    t0 = now_sec();
    while (!w->failed && !atomic_load(&stop)) {
        double c0 = 0;
        int rc;
        apr_pool_clear(p);
        dg[0]++;
        if (echo_fd >= 0) {
            if (round_trip(echo_fd) != 0) {
                w->failed = 1;
                break;
            }
            c0 = thread_cpu_now();
        }
        rc = one_op(bc, dg, p, 0);
        if (echo_fd >= 0) {
            w->op_cpu += thread_cpu_now() - c0;
        }
        if (rc != 0) {
            w->failed = 1;
            break;
        }
        w->ops += bc->mode == MODE_SYSCALL ? SYSCALLS_PER_OP : 1;
    }
    w->elapsed = now_sec() - t0;
    if (echo_fd >= 0) {
        close(echo_fd);
    }
    apr_pool_destroy(p);
    return NULL;
}

/* Returns the CPU seconds the workers used while the clock ran. */
static cpu_t run_threads(const bench_conf_t *bc, worker_t *ws)
{
    pthread_t *tids = calloc((size_t)bc->threads, sizeof(*tids));
    cpu_t cpu0;
    int i;

    for (i = 0; i < bc->threads; i++) {
        ws[i].bc = bc;
        if (pthread_create(&tids[i], NULL, worker_main, &ws[i]) != 0) {
            die("pthread_create", strerror(errno));
        }
    }
    /* let every worker finish its warm-up before the clock starts */
    usleep(300000);
    cpu0 = cpu_now();
    atomic_store(&go, 1);
    usleep((useconds_t)(bc->seconds * 1e6));
    atomic_store(&stop, 1);
    for (i = 0; i < bc->threads; i++) {
        pthread_join(tids[i], NULL);
    }
    free(tids);
    return cpu_since(cpu0);
}

/* --procs: each child runs one worker and writes its result to a pipe; the
 * start and stop signals are the pipe closing and a timer in the child. */
static cpu_t run_procs(const bench_conf_t *bc, worker_t *ws)
{
    cpu_t cpu = {0, 0};
    int i, start_pipe[2];
    int *res = calloc((size_t)bc->procs, sizeof(int));
    pid_t *pids = calloc((size_t)bc->procs, sizeof(pid_t));

    if (pipe(start_pipe) != 0) {
        die("pipe", strerror(errno));
    }
    for (i = 0; i < bc->procs; i++) {
        int rp[2];
        if (pipe(rp) != 0) {
            die("pipe", strerror(errno));
        }
        pids[i] = fork();
        if (pids[i] < 0) {
            die("fork", strerror(errno));
        }
        if (pids[i] == 0) {
            worker_t w;
            pthread_t tid;
            char c;
            close(rp[0]);
            close(start_pipe[1]);
            memset(&w, 0, sizeof(w));
            w.bc = bc;
            pthread_create(&tid, NULL, worker_main, &w);
            /* blocks until the parent closes its end */
            while (read(start_pipe[0], &c, 1) > 0)
                ;
            w.cpu = cpu_now();
            atomic_store(&go, 1);
            usleep((useconds_t)(bc->seconds * 1e6));
            atomic_store(&stop, 1);
            pthread_join(tid, NULL);
            w.cpu = cpu_since(w.cpu);
            if (write(rp[1], &w, sizeof(w)) != (ssize_t)sizeof(w)) {
                _exit(1);
            }
            _exit(0);
        }
        close(rp[1]);
        res[i] = rp[0];
    }
    close(start_pipe[0]);
    usleep(500000);
    close(start_pipe[1]);
    for (i = 0; i < bc->procs; i++) {
        int status;
        if (read(res[i], &ws[i], sizeof(ws[i])) != (ssize_t)sizeof(ws[i])) {
            ws[i].failed = 1;
        }
        ws[i].bc = bc;
        cpu.total += ws[i].cpu.total;
        cpu.sys += ws[i].cpu.sys;
        close(res[i]);
        waitpid(pids[i], &status, 0);
    }
    free(res);
    free(pids);
    return cpu;
}

static char *read_pin_file(const char *path)
{
    char buf[256];
    FILE *f = fopen(path, "r");
    size_t n;

    if (!f) {
        die("cannot read PIN file", path);
    }
    n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
        n--;
    }
    buf[n] = '\0';
    return strdup(buf);
}

/* Key loading is serialised across the forked workers, as mod_csc does
 * across httpd children with its csc-pkcs11 mutex: SoftHSM2 loses keys
 * when many processes log in at the same moment.  A POSIX record lock on
 * an inherited descriptor is per process, which is what is wanted here. */
static int load_lock_fd = -1;

static void record_lock(short type, int cmd)
{
    struct flock fl;

    memset(&fl, 0, sizeof(fl));
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    while (fcntl(load_lock_fd, cmd, &fl) == -1 && errno == EINTR) {
    }
}

static void load_lock(void *baton)
{
    (void)baton;
    record_lock(F_WRLCK, F_SETLKW);
}

static void load_unlock(void *baton)
{
    (void)baton;
    record_lock(F_UNLCK, F_SETLK);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: rawsign sign --keyref REF --algo OID [--module PATH] "
            "[--pin-file F]\n"
            "                    [--threads N] [--procs] [--seconds S] "
            "[--round-trips]\n"
            "       rawsign pin --iterations N [--threads N] [--procs] "
            "[--seconds S]\n"
            "       rawsign syscall [--threads N] [--procs] [--seconds S]\n");
    exit(2);
}

/* The CPUs this process may run on (taskset, cpusets), as nproc counts
 * them: the default thread count matches the cores the signing can use. */
static int usable_cpus(void)
{
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) {
        return CPU_COUNT(&set);
    }
    return (int)sysconf(_SC_NPROCESSORS_ONLN);
}

static void parse_args(int argc, char **argv, bench_conf_t *bc)
{
    int i, m;

    for (m = MODE_SIGN; m <= MODE_SYSCALL; m++) {
        if (argc >= 2 && !strcmp(argv[1], mode_names[m])) {
            break;
        }
    }
    if (m > MODE_SYSCALL) {
        usage();
    }
    bc->mode = (mode_e)m;
    bc->threads = usable_cpus();
    bc->seconds = 5;
    bc->iterations = CSC_PIN_DEFAULT_ITERATIONS;
    for (i = 2; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "--procs")) {
            bc->procs = 1;
            continue;
        }
        if (!strcmp(o, "--round-trips")) {
            bc->round_trips = 1;
            continue;
        }
        if (!v) {
            usage();
        }
        if (!strcmp(o, "--keyref")) {
            bc->keyref = v;
        }
        else if (!strcmp(o, "--algo")) {
            bc->algo = v;
        }
        else if (!strcmp(o, "--module")) {
            bc->module = v;
        }
        else if (!strcmp(o, "--pin-file")) {
            bc->pin_file = v;
        }
        else if (!strcmp(o, "--iterations")) {
            bc->iterations = (unsigned)strtoul(v, NULL, 10);
        }
        else if (!strcmp(o, "--threads")) {
            bc->threads = atoi(v);
        }
        else if (!strcmp(o, "--seconds")) {
            bc->seconds = atof(v);
        }
        else {
            usage();
        }
        i++;
    }
    if (bc->threads < 1 || bc->seconds <= 0
        || (bc->mode == MODE_SIGN && (!bc->keyref || !bc->algo))) {
        usage();
    }
    if (bc->procs) {
        bc->procs = bc->threads;
    }
}

static double per_op_us(double seconds, unsigned long ops)
{
    return ops ? seconds * 1e6 / (double)ops : 0.0;
}

int main(int argc, char **argv)
{
    bench_conf_t bc;
    csc_signer_conf_t sc = {NULL, NULL, NULL, NULL, NULL};
    char *token_pin = NULL;
    csc_algo_err_e aerr;
    worker_t *ws;
    apr_pool_t *p;
    unsigned long ops = 0;
    double rate = 0, elapsed = 0;
    cpu_t cpu;
    double op_cpu = 0;
    int i, n, failed = 0, retries = 0;

    memset(&bc, 0, sizeof(bc));
    parse_args(argc, argv, &bc);
    apr_initialize();
    apr_pool_create(&p, NULL);
    if (bc.mode == MODE_SIGN) {
        const char *err;
        sc.pkcs11_module = bc.module;
        token_pin = bc.pin_file ? read_pin_file(bc.pin_file) : NULL;
        sc.pkcs11_pin = token_pin;
        if (bc.procs) {
            FILE *lf = tmpfile();
            if (!lf) {
                die("cannot create the key-loading lock file", NULL);
            }
            load_lock_fd = fileno(lf);
            sc.load_lock = load_lock;
            sc.load_unlock = load_unlock;
        }
        if (csc_signer_global_conf(&sc) != APR_SUCCESS) {
            die("cannot configure the signer", NULL);
        }
        if (csc_algo_resolve(bc.algo, CSC_OID_SHA256, NULL, 0, &bc.sp, &aerr)
            != APR_SUCCESS) {
            die("unusable --algo", csc_algo_errstr(aerr, 1));
        }
        if (csc_keyref_check(bc.keyref, p, &err) != APR_SUCCESS) {
            die("bad key reference", err);
        }
    }
    else if (bc.mode == MODE_PIN
             && csc_pin_hash(BENCH_PIN, bc.iterations, p, &bc.pin_hash)
             != APR_SUCCESS) {
        die("csc_pin_hash failed (iterations out of range?)", NULL);
    }
    n = bc.procs ? bc.procs : bc.threads;
    ws = calloc((size_t)n, sizeof(*ws));
    cpu = bc.procs ? run_procs(&bc, ws) : run_threads(&bc, ws);
    for (i = 0; i < n; i++) {
        failed |= ws[i].failed;
        retries += ws[i].warmup_retries;
        ops += ws[i].ops;
        if (ws[i].elapsed > 0) {
            rate += (double)ws[i].ops / ws[i].elapsed;
        }
        if (ws[i].elapsed > elapsed) {
            elapsed = ws[i].elapsed;
        }
        op_cpu += ws[i].op_cpu;
    }
    printf("{\"mode\":\"%s\",\"workers\":%d,\"shape\":\"%s\","
           "\"ops\":%lu,\"seconds\":%.3f,\"rate\":%.1f,\"cpu_s\":%.3f",
           mode_names[bc.mode], n, bc.procs ? "processes" : "threads", ops,
           elapsed, rate, cpu.total);
    /* --round-trips: the operations' own CPU, with no system-time split
     * (see thread_cpu_now), and the whole loop's beside it */
    if (bc.round_trips) {
        printf(",\"cpu_us_per_op\":%.3f,\"sys_us_per_op\":null,"
               "\"round_trips\":true,\"loop_cpu_us_per_op\":%.3f",
               per_op_us(op_cpu, ops), per_op_us(cpu.total, ops));
    }
    else {
        printf(",\"cpu_us_per_op\":%.3f,\"sys_us_per_op\":%.3f",
               per_op_us(cpu.total, ops), per_op_us(cpu.sys, ops));
    }
    if (bc.mode == MODE_PIN) {
        printf(",\"iterations\":%u", bc.iterations);
    }
    else if (bc.mode == MODE_SIGN) {
        printf(",\"algo\":\"%s\"", bc.algo);
    }
    printf(",\"warmup_retries\":%d,\"failed\":%s}\n", retries,
           failed ? "true" : "false");
    free(ws);
    if (token_pin) {
        OPENSSL_cleanse(token_pin, strlen(token_pin));
        free(token_pin);
    }
    apr_pool_destroy(p);
    apr_terminate();
    return failed ? 1 : 0;
}
