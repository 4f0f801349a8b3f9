#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# mod_csc benchmark: signing throughput and latency through the module, as
# ratios to the raw rate of the same keys measured in the same run.
#
#   bench/run.sh [--smoke]
#                [--mpm event|prefork|nginx|nginx-loop|pgsql|both|all]
#                [--out DIR]
#                [--pin-iterations N] [--scenarios "a b ... mem"]
#                [--mem-key ec|rsa] [--connections N] [--wrk-cpus N]
#                [--threads-per-child N] [--keep]
#
# Builds what it needs, creates a throw-away SoftHSM2 token and credential
# store, then for each MPM starts a private httpd on 127.0.0.1 and, in each
# repetition, measures the raw signing and PIN-verification rates
# (bench/rawsign.c) and drives every scenario with wrk.  "nginx" is run
# like an MPM: Debian's nginx with ngx_http_csc_module and the same
# location (bench/nginx.conf.in); the default runs it after event and
# prefork whenever the module is built, and then "nginx-loop": the same
# nginx with csc_thread_pool csc slow (signatures on the event loop), for
# scenarios a, b, b_file and f only.  "pgsql" is the event MPM with the
# shared state in a private PostgreSQL 15 (t/pg.sh) on this machine, for
# scenarios a, b and d only: beside event's rows, the price of sharing the
# state between hosts; the default runs it when postgresql-15 is
# installed.  Writes results.json,
# results.md and (with gnuplot) results.png to DIR (default bench/results).
# See bench/README.md.
#
# Exit status: 0 when the harness worked (whether or not the targets were
# met: targets are reported, not asserted), 1 when it broke (server did not
# start, a scenario saw errors or non-200 responses, a child crashed),
# 2 on usage errors or missing tools.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bench=$top/bench
mode=full
mpms=default
out=$bench/results
pin_iterations=""
keep=0
all_scenarios="a b b_file c d e f a_tls"
mem_key=ec
# wrk's keep-alive connections in the measured runs: enough requests in
# flight to keep both cores busy (the raw baseline runs 2 threads and no
# queue), not 50 waiting in line, which adds latency (bench/README.md)
conns=8
# CPUs given to wrk alone (taskset); 0: wrk shares every core with httpd
wrk_cpus=0
# the event MPM's 128 workers: 2 children of 64 threads (bench/httpd.conf.in
# before --threads-per-child), or as many children of fewer threads
event_threads=64
scenarios="$all_scenarios mem"

usage() {         # usage [STATUS]
    sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"
    exit "${1:-2}"
}
while [ $# -gt 0 ]; do
    case $1 in
        --smoke) mode=smoke ;;
        --full) mode=full ;;
        --mpm)
            [ $# -ge 2 ] || usage
            case $2 in
                event|prefork|nginx|nginx-loop|pgsql) mpms=$2 ;;
                both) mpms="event prefork" ;;
                all) mpms="event prefork nginx nginx-loop pgsql" ;;
                *) usage ;;
            esac
            shift ;;
        --out) [ $# -ge 2 ] || usage; out=$2; shift ;;
        --pin-iterations) [ $# -ge 2 ] || usage; pin_iterations=$2; shift ;;
        --scenarios) [ $# -ge 2 ] || usage; scenarios=$2; shift ;;
        --mem-key)
            [ $# -ge 2 ] || usage
            case $2 in ec|rsa) mem_key=$2 ;; *) usage ;; esac
            shift ;;
        --connections)
            # at most prefork's 64 children (bench/httpd.conf.in)
            [ $# -ge 2 ] && [ "$2" -gt 0 ] 2>/dev/null \
                && [ "$2" -le 64 ] || usage
            conns=$2; shift ;;
        --wrk-cpus)
            [ $# -ge 2 ] && [ "$2" -ge 0 ] 2>/dev/null || usage
            wrk_cpus=$2; shift ;;
        --threads-per-child)
            case ${2:-} in
                1|2|4|8|16|32|64|128) event_threads=$2 ;;
                *) usage ;;
            esac
            shift ;;
        --keep) keep=1 ;;
        -h|--help) usage 0 ;;
        *) echo "run.sh: unknown option $1" >&2; usage ;;
    esac
    shift
done

# --scenarios selects a subset (for profiling); "mem" is the memory run
run_mem=0
sel=""
for sc in $scenarios; do
    case " $all_scenarios mem " in
        *" $sc "*) ;;
        *) echo "run.sh: unknown scenario $sc" >&2; exit 2 ;;
    esac
    if [ "$sc" = mem ]; then run_mem=1; else sel="$sel $sc"; fi
done
scenarios=$sel

# --- parameters of the two modes --------------------------------------------
ncpu=$(nproc)
# the raw baseline signs with as many threads as httpd has CPUs
raw_threads=$ncpu
# --wrk-cpus N: wrk runs on the first N CPUs, httpd and the raw runs on the
# others; the load generator then takes nothing from the server's cores
pin_wrk=()
pin_srv=()
wrk_cpu_list=""
srv_cpu_list=""
if [ "$wrk_cpus" -gt 0 ]; then
    [ "$wrk_cpus" -lt "$ncpu" ] || {
        echo "run.sh: --wrk-cpus $wrk_cpus leaves no CPU for httpd" \
             "($ncpu online)" >&2
        exit 2
    }
    command -v taskset >/dev/null 2>&1 \
        || { echo "run.sh: taskset is missing (util-linux)" >&2; exit 2; }
    # written as the kernel writes them in /proc/PID/status
    cpu_range() { if [ "$1" = "$2" ]; then echo "$1"; else echo "$1-$2"; fi; }
    wrk_cpu_list=$(cpu_range 0 $(( wrk_cpus - 1 )))
    srv_cpu_list=$(cpu_range "$wrk_cpus" $(( ncpu - 1 )))
    pin_wrk=(taskset -c "$wrk_cpu_list")
    pin_srv=(taskset -c "$srv_cpu_list")
    raw_threads=$(( ncpu - wrk_cpus ))
fi
# wrk refuses fewer connections than threads
wrk_threads=2
[ "$conns" -lt "$wrk_threads" ] && wrk_threads=$conns
if [ "$mode" = full ]; then
    reps=3; dur=10; warm=3; raw_secs=5; mem_requests=200000
else
    # the smoke proves that every scenario runs and answers right, not
    # what it costs: the shortest runs that still send each a few
    # hundred requests
    reps=1; dur=1; warm=1; raw_secs=0.5; mem_requests=3000
fi
sighash_max=100000          # csc-admin's largest --multisign: one SAD's budget

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
harness_failed=0
fail() { log "FAILURE: $*"; harness_failed=1; }

for tool in wrk curl openssl perl gcc softhsm2-util htpasswd sqlite3 \
            /usr/sbin/apache2; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "run.sh: $tool is missing (apt-get install wrk curl" \
             "apache2 apache2-utils softhsm2 sqlite3 gcc)" >&2
        exit 2
    }
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -f "$out"/results.json "$out"/results.md "$out"/results.png \
      "$out"/runs.jsonl "$out"/facts.json
runs=$out/runs.jsonl
: > "$runs"
# the box is shared with the load generator and whatever else runs: the
# load average goes into the report so that a noisy run can be recognised
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# --- work area, owned by an unprivileged user when run as root --------------
# httpd children and every other PKCS#11 user must be able to read and write
# the token (libp11 re-initialises in each child), so all of them run as the
# same user: nobody when started as root.
W=$(mktemp -d /tmp/csc-bench.XXXXXX)
chmod 755 "$W"
if [ "$(id -u)" = 0 ]; then
    buser=${BENCH_USER:-nobody}
    as_user() { runuser -u "$buser" -- env "$@"; }
else
    buser=$(id -un)
    as_user() { env "$@"; }
fi
httpd_pid=""
raw_pid=""          # the bare-signature server's, beside it (raw_ scenarios)
stop_server() {     # stop_server PIDVAR: graceful-stop (toolchain.md on event)
    local i pid=${!1}
    [ -n "$pid" ] || return 0
    printf -v "$1" '%s' ""
    # nginx: QUIT is its graceful stop (WINCH only stops its workers)
    kill -"${stop_signal:-WINCH}" "$pid" 2>/dev/null || return 0
    for i in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    log "server $pid did not stop gracefully; sending TERM"
    kill -TERM "$pid" 2>/dev/null || true
    sleep 2
    kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
    stop_server httpd_pid || true
    stop_server raw_pid || true
    # an interrupt can come before pg_stop is defined (below)
    if command -v pg_stop >/dev/null 2>&1; then pg_stop; fi
    if [ "$keep" = 1 ]; then
        log "work directory kept: $W"
    else
        rm -rf "$W"
    fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- build ---------------------------------------------------------------------
log "building (tools/build.sh)"
sh "$top/tools/build.sh" >"$W/build.log" 2>&1 \
    || { tail -30 "$W/build.log" >&2; die "build failed"; }
module=$top/mod_csc/.libs/mod_csc.so
libcsc=$top/shared/.libs/libcsc.a
[ -f "$module" ] && [ -f "$libcsc" ] || die "build produced no $module / $libcsc"
# Private copies: a rebuild in the tree during the run must neither change
# what is measured nor pull the module from under a running httpd.
mkdir -p "$W/bin"
cp "$module" "$W/bin/mod_csc.so"
cp "$libcsc" "$W/bin/libcsc.a"
module=$W/bin/mod_csc.so
libcsc=$W/bin/libcsc.a
# the nginx module, built by make when nginx-dev is installed
ngx_module=$top/ngx_csc/build/objs/ngx_http_csc_module.so
if [ -f "$ngx_module" ]; then
    cp "$ngx_module" "$W/bin/ngx_http_csc_module.so"
    ngx_module=$W/bin/ngx_http_csc_module.so
fi
if [ "$mpms" = default ]; then
    mpms="event prefork"
    [ -f "$ngx_module" ] && [ -x /usr/sbin/nginx ] && mpms="$mpms nginx nginx-loop"
    [ -x /usr/lib/postgresql/15/bin/initdb ] && mpms="$mpms pgsql"
fi
# nginx's bare-signature module (scenarios raw_* in the blocks of nginx
# and nginx-loop), built as the CSC module is, from nginx-dev's tree
ngx_raw_module=""
case " $mpms " in *" nginx "*|*" nginx-loop "*)
    bash "$top/ngx_csc/build.sh" "$top" "$top" "$W/ngx-rawsign" \
        "$bench/ngx_bench_rawsign" ngx_http_bench_rawsign_module \
        >"$W/ngx-rawsign.log" 2>&1 \
        || { tail -20 "$W/ngx-rawsign.log" >&2; die "cannot build bench/ngx_bench_rawsign"; }
    ngx_raw_module=$W/bin/ngx_http_bench_rawsign_module.so
    cp "$W/ngx-rawsign/objs/ngx_http_bench_rawsign_module.so" "$ngx_raw_module"
    rm -rf "$W/ngx-rawsign" ;;
esac
commit=$(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')
if [ -n "$(git -C "$top" status --porcelain -- shared mod_csc 2>/dev/null)" ]; then
    commit="$commit+local changes in shared/ or mod_csc/"
fi
deps="apr-1 apr-util-1 libcrypto jansson liboath sqlite3"
# shellcheck disable=SC2046
gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$top/shared" -I"$top/shared/include" \
    $(pkg-config --cflags $deps) "$bench/rawsign.c" "$libcsc" \
    $(pkg-config --libs $deps) -lpthread -o "$W/bin/rawsign" \
    || die "cannot compile bench/rawsign.c"
# the bare signature inside httpd (scenarios raw_a, raw_b, raw_b_file):
# libcsc's symbols stay inside the module (--exclude-libs)
httpd_inc=$(apxs -q INCLUDEDIR 2>/dev/null || echo /usr/include/apache2)
[ -f "$httpd_inc/httpd.h" ] || die "httpd headers missing (apt-get install apache2-dev)"
# shellcheck disable=SC2046
gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -fPIC -shared \
    -I"$top/shared" -I"$top/shared/include" -I"$httpd_inc" \
    $(pkg-config --cflags $deps) "$bench/mod_bench_rawsign.c" "$libcsc" \
    $(pkg-config --libs $deps) -Wl,--exclude-libs,ALL \
    -o "$W/bin/mod_bench_rawsign.so" \
    || die "cannot compile bench/mod_bench_rawsign.c"
# csc-admin runs as $buser, who may not reach the tree (a clone under
# /root): a private copy too
admin=$W/bin/csc-admin
[ -x "$top/tools/csc-admin" ] || die "build produced no tools/csc-admin"
cp "$top/tools/csc-admin" "$admin"
cp "$top/t/pg.sh" "$W/bin/pg.sh"

# --- token, credentials, TLS certificate ---------------------------------------
p11mod=/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so
[ -r "$p11mod" ] || die "SoftHSM2 module $p11mod missing"
mkdir -p "$W/srv/htdocs" "$W/srv/logs" "$W/srv/run"
. "$top/tools/softhsm-dir.sh"
softhsm_dir "$W"
token_pin=$(openssl rand -hex 8)
printf '%s\n' "$token_pin" > "$W/token.pin"
user_pin=$(printf '%06d' $(( (RANDOM * 32768 + RANDOM) % 1000000 )))
printf '%s\n' "$user_pin" > "$W/user.pin"
bench_pw=$(openssl rand -hex 12)
htpasswd -bc "$W/htpasswd" bench "$bench_pw" 2>/dev/null
head -c 1024 /dev/urandom | base64 -w 64 | head -c 1024 > "$W/srv/htdocs/1k.txt"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$W/tls.key" -out "$W/tls.pem" -days 2 -subj /CN=127.0.0.1 \
    -addext basicConstraints=critical,CA:FALSE \
    -addext subjectAltName=IP:127.0.0.1 \
    2>/dev/null
chmod 600 "$W/token.pin" "$W/user.pin" "$W/tls.key"
chown -R "$buser" "$W"

envs=(SOFTHSM2_CONF="$W/softhsm2.conf" CSC_PKCS11_PIN="$token_pin")
store=sqlite3:$W/csc.db
adm() { as_user "${envs[@]}" "$admin" --store "$store" \
            --pkcs11-module "$p11mod" "$@"; }
log "creating the SoftHSM2 token and credentials (as $buser)"
as_user "${envs[@]}" softhsm2-util --init-token --free --label bench \
    --so-pin "$(openssl rand -hex 8)" --pin "$token_pin" >/dev/null
adm ca-create --ca-key "$W/ca.key" --ca-cert "$W/ca.pem" \
    --subject "CN=mod_csc bench CA" --days 30 >/dev/null
adm init >/dev/null
pin_opt=()
[ -n "$pin_iterations" ] && pin_opt=(--pin-iterations "$pin_iterations")
credential() {   # credential ID KEY-OPTIONS...: enrolled with a PIN
    local id=$1
    shift
    adm create --id "$id" --owner bench "$@" \
        --subject "CN=bench $id" --ca-key "$W/ca.key" --ca-cert "$W/ca.pem" \
        --days 30 --multisign "$sighash_max" >/dev/null
    adm set-pin --id "$id" --pin-file "$W/user.pin" "${pin_opt[@]}" >/dev/null
}
credential rsa --generate rsa:2048 --token-label bench
credential ec --generate ec:P-256 --token-label bench
# the same ECDSA signHash with a key in a file (csc_signer's file: route,
# OpenSSL in process, no PKCS#11): scenario b_file and its raw rate
# separate what httpd and the module cost per signHash from what the HSM
# costs, in httpd and outside it
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$W/ec-file.key" 2>/dev/null || die "cannot generate ec-file.key"
chmod 600 "$W/ec-file.key"
chown "$buser" "$W/ec-file.key"
ecfile_ref=file:$W/ec-file.key
credential ecfile --key-ref "$ecfile_ref"
keyref() {
    adm show "$1" --json | perl -MJSON::PP -0e \
        'print decode_json(<STDIN>)->{key_ref}'
}
rsa_ref=$(keyref rsa)
ec_ref=$(keyref ec)
# the cost actually stored, read back rather than assumed
pin_cost=$(sqlite3 "$W/csc.db" \
    "select pin_hash from csc_credential where id='rsa'" | cut -d'$' -f2)
[ -n "$pin_cost" ] || die "cannot read the PIN hash cost from the store"
log "keys: rsa=$rsa_ref ec=$ec_ref; PIN hash cost $pin_cost iterations"

oid_rsa=1.2.840.113549.1.1.11
oid_ec=1.2.840.10045.4.3.2

# --- raw rates, outside httpd ----------------------------------------------------
record() {  # record JSON-OBJECT: one line of runs.jsonl
    printf '%s\n' "$1" >> "$runs"
}
raw() {     # raw NAME MPM REP ARGS...: one rawsign run
    local name=$1 mpm=$2 rep=$3 res
    shift 3
    res=$(as_user "${envs[@]}" "${pin_srv[@]}" "$W/bin/rawsign" "$@" \
          --seconds "$raw_secs" 2>>"$W/rawsign.err") \
        || { tail -5 "$W/rawsign.err" >&2; die "rawsign $name failed"; }
    record "{\"kind\":\"raw\",\"name\":\"$name\",\"mpm\":\"$mpm\",\"rep\":$rep,\"result\":$res}"
    log "raw $name ($mpm rep $rep): $(printf '%s' "$res" | perl -MJSON::PP -0e \
        '$r=decode_json(<STDIN>); printf "%.1f/s", $r->{rate}')"
}
sign_args=(--module "$p11mod" --pin-file "$W/token.pin" --threads "$raw_threads")
# The raw rates are measured once per repetition, right before its
# scenarios (httpd idle), and once after the last; each ratio pairs a
# scenario with the mean of the raw rates before and after its repetition:
# load from elsewhere on the machine then shifts both sides alike.
raw_set() {     # raw_set MPM REP
    raw rsa "$1" "$2" sign --keyref "$rsa_ref" --algo "$oid_rsa" \
        "${sign_args[@]}"
    raw ec "$1" "$2" sign --keyref "$ec_ref" --algo "$oid_ec" "${sign_args[@]}"
    raw ecfile "$1" "$2" sign --keyref "$ecfile_ref" --algo "$oid_ec" \
        --threads "$raw_threads"
    raw pin "$1" "$2" pin --iterations "$pin_cost" --threads "$raw_threads"
}
# the price of a system call here (getpid, one thread): every read, write,
# lock and futex of a request pays it, and a virtual machine can charge
# several times what bare metal does
raw syscall - 1 syscall --threads 1
# for the reader: each signature after a loopback round trip of 1 KiB, as
# a server worker signs between reading a request and writing a response,
# with the signature's own CPU reported (the overhead's third baseline)
raw ec-rt - 1 sign --keyref "$ec_ref" --algo "$oid_ec" "${sign_args[@]}" \
    --round-trips
raw ecfile-rt - 1 sign --keyref "$ecfile_ref" --algo "$oid_ec" \
    --threads "$raw_threads" --round-trips
if [ "$mode" = full ]; then
    raw rsa-rt - 1 sign --keyref "$rsa_ref" --algo "$oid_rsa" \
        "${sign_args[@]}" --round-trips
    # for the reader: the same signing in forked processes (prefork's shape)
    raw rsa-procs - 1 sign --keyref "$rsa_ref" --algo "$oid_rsa" \
        "${sign_args[@]}" --procs
    raw ec-procs - 1 sign --keyref "$ec_ref" --algo "$oid_ec" \
        "${sign_args[@]}" --procs
    # and with as many workers as httpd runs here: the threads of one
    # event child (64 unless --threads-per-child; the names keep "t64")
    # and 64 processes (prefork's children), to show what the HSM
    # library costs per signature at that concurrency
    raw rsa-t64 - 1 sign --keyref "$rsa_ref" --algo "$oid_rsa" \
        "${sign_args[@]}" --threads "$event_threads"
    raw ec-t64 - 1 sign --keyref "$ec_ref" --algo "$oid_ec" \
        "${sign_args[@]}" --threads "$event_threads"
    raw rsa-p64 - 1 sign --keyref "$rsa_ref" --algo "$oid_rsa" \
        "${sign_args[@]}" --threads 64 --procs
    raw ec-p64 - 1 sign --keyref "$ec_ref" --algo "$oid_ec" \
        "${sign_args[@]}" --threads 64 --procs
fi

# --- httpd ---------------------------------------------------------------------------
# a listening port nobody uses, below the kernel's ephemeral range so that
# no client connection holds it either
command -v ss >/dev/null 2>&1 || die "ss (iproute2) is missing: tools/deps.sh installs it"
ephemeral_low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
[ "$ephemeral_low" -gt 12000 ] 2>/dev/null || ephemeral_low=32768
free_port() {
    local p
    while :; do
        p=$((10000 + RANDOM % (ephemeral_low - 10000)))
        [ -z "$(ss -Htan "( sport = :$p )")" ] && { echo "$p"; return; }
    done
}
port=$(free_port)
tlsport=$(free_port)
while [ "$tlsport" = "$port" ]; do tlsport=$(free_port); done
# the bare-signature server's (raw_ scenarios), running beside the other
rawport=$(free_port)
while [ "$rawport" = "$port" ] || [ "$rawport" = "$tlsport" ]; do rawport=$(free_port); done
rawtlsport=$(free_port)
while [ "$rawtlsport" = "$port" ] || [ "$rawtlsport" = "$tlsport" ] \
      || [ "$rawtlsport" = "$rawport" ]; do rawtlsport=$(free_port); done
event_children=$(( 128 / event_threads ))
# the bare-signature server has a directory of its own (pid file, logs,
# scoreboard, TLS session cache) and its own ports
mkdir -p "$W/srv-raw/htdocs" "$W/srv-raw/logs" "$W/srv-raw/run"
cp "$W/srv/htdocs/1k.txt" "$W/srv-raw/htdocs/"
httpd_conf() {      # httpd_conf SRV PORT TLSPORT
    sed -e "s|@SRV@|$1|g" -e "s|@W@|$W|g" -e "s|@MODULE@|$module|g" \
        -e "s|@PORT@|$2|g" -e "s|@TLSPORT@|$3|g" \
        -e "s|@EVENT_CHILDREN@|$event_children|g" \
        -e "s|@EVENT_THREADS@|$event_threads|g" \
        -e "s|@RAWSIGN_MODULE@|$W/bin/mod_bench_rawsign.so|g" \
        -e "s|@RSA_REF@|$rsa_ref|g" -e "s|@EC_REF@|$ec_ref|g" \
        -e "s|@ECFILE_REF@|$ecfile_ref|g" \
        "$bench/httpd.conf.in" > "$1/httpd.conf"
}
httpd_conf "$W/srv" "$port" "$tlsport"
httpd_conf "$W/srv-raw" "$rawport" "$rawtlsport"
sed -e "s|@SRV@|$W/srv|g" -e "s|@W@|$W|g" -e "s|@MODULE@|$ngx_module|g" \
    -e "s|@PORT@|$port|g" -e "s|@TLSPORT@|$tlsport|g" \
    "$bench/nginx.conf.in" > "$W/srv/nginx.conf"
sed -e "s|@SRV@|$W/srv-raw|g" -e "s|@W@|$W|g" -e "s|@PORT@|$rawport|g" \
    -e "s|@RAWSIGN_NGX_MODULE@|$ngx_raw_module|g" \
    -e "s|@RSA_REF@|$rsa_ref|g" -e "s|@EC_REF@|$ec_ref|g" \
    -e "s|@ECFILE_REF@|$ecfile_ref|g" \
    "$bench/nginx-rawsign.conf.in" > "$W/srv-raw/nginx-rawsign.conf"
# and for nginx-loop the bare signature on the event loop too
sed -e '/^ *bench_rawsign_thread_pool /d' "$W/srv-raw/nginx-rawsign.conf" \
    > "$W/srv-raw/nginx-rawsign-loop.conf"
cmp -s "$W/srv-raw/nginx-rawsign.conf" "$W/srv-raw/nginx-rawsign-loop.conf" \
    && die "bench/nginx-rawsign.conf.in: no bench_rawsign_thread_pool line"
# nginx-loop: only password, PIN, OTP and OAuth 2.0 work in the pool
sed -e 's|^\( *csc_thread_pool csc\);|\1 slow;|' "$W/srv/nginx.conf" \
    > "$W/srv/nginx-loop.conf"
grep -q 'csc_thread_pool csc slow;' "$W/srv/nginx-loop.conf" \
    || die "bench/nginx.conf.in: no csc_thread_pool line for nginx-loop"
chown -R "$buser" "$W/srv" "$W/srv-raw"
base=http://127.0.0.1:$port
tlsbase=https://127.0.0.1:$tlsport
rawbase=http://127.0.0.1:$rawport

# the pgsql "MPM": a private PostgreSQL, as $buser, for the state
pg_dir=$W/pg
pg_port=${BENCH_PG_PORT:-8548}
pg_stop() {
    [ -d "$pg_dir/data" ] && as_user sh "$W/bin/pg.sh" stop "$pg_dir" >/dev/null 2>&1 || true
}
pg_start() {
    mkdir -p "$pg_dir"
    chown "$buser" "$pg_dir"
    as_user sh "$W/bin/pg.sh" start "$pg_dir" "$pg_port" csc_state \
        >"$W/pg-start.log" 2>&1 || { cat "$W/pg-start.log" >&2; die "PostgreSQL did not start"; }
    envs+=(CSC_BENCH_STATE="pgsql:$(cat "$pg_dir/conninfo") dbname=csc_state")
}

start_httpd() {     # start_httpd MPM (or nginx) [raw]
    local def=() i
    [ "$1" = prefork ] && def=(-DPREFORK)
    [ "$1" = pgsql ] && def=(-DPGSTATE)
    # raw: the bare-signature server, bench/mod_bench_rawsign.c (nginx:
    # bench/ngx_bench_rawsign) instead of mod_csc, in its own directory
    local ngx_conf=$1 srv=$W/srv b=$base pidvar=httpd_pid
    if [ "${2:-}" = raw ]; then
        def+=(-DRAWSIGN)
        ngx_conf=nginx-rawsign srv=$W/srv-raw b=$rawbase pidvar=raw_pid
        [ "$1" = nginx-loop ] && ngx_conf=nginx-rawsign-loop
    fi
    local conf=$srv/httpd.conf
    rm -f "$srv/run/httpd.pid"
    rm -f "$srv/logs/error_log"
    if [ "$1" = nginx ] || [ "$1" = nginx-loop ]; then
        [ -f "$ngx_module" ] || die "nginx: $ngx_module is not built"
        local ngx=(/usr/sbin/nginx -p "$srv" -e "$srv/logs/error_log" -c "$srv/$ngx_conf.conf")
        as_user "${envs[@]}" "${ngx[@]}" -t -q >"$W/httpd-t.log" 2>&1 \
            || { cat "$W/httpd-t.log" >&2; die "nginx configuration test failed"; }
        as_user "${envs[@]}" setsid "${pin_srv[@]}" "${ngx[@]}" >"$W/httpd-start.log" 2>&1 \
            || { cat "$W/httpd-start.log" >&2; die "nginx did not start"; }
    else
        as_user "${envs[@]}" /usr/sbin/apache2 -t -f "$conf" "${def[@]}" \
            >"$W/httpd-t.log" 2>&1 \
            || { cat "$W/httpd-t.log" >&2; die "httpd configuration test failed"; }
        as_user "${envs[@]}" setsid "${pin_srv[@]}" /usr/sbin/apache2 \
            -f "$conf" "${def[@]}" \
            -k start >"$W/httpd-start.log" 2>&1 \
            || { cat "$W/httpd-start.log" >&2; die "httpd did not start ($1)"; }
    fi
    for i in $(seq 1 100); do
        if [ -s "$srv/run/httpd.pid" ] \
           && curl -s -o /dev/null "$b/1k.txt"; then
            printf -v "$pidvar" '%s' "$(cat "$srv/run/httpd.pid")"
            check_pinning "${!pidvar}"
            return 0
        fi
        sleep 0.1
    done
    tail -20 "$srv/logs/error_log" >&2
    die "httpd ($1${2:+ $2}) is not answering on $b"
}
httpd_pids() {      # httpd_pids PID: the parent server and its children
    echo "$1" $(ps -o pid= --ppid "$1")
}
check_pinning() {   # check_pinning PID: --wrk-cpus, every process on the server's CPUs
    local p got
    [ -n "$srv_cpu_list" ] || return 0
    for p in $(httpd_pids "$1"); do
        got=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$p/status")
        [ "$got" = "$srv_cpu_list" ] \
            || die "httpd process $p may run on CPUs '$got', not $srv_cpu_list"
    done
    log "httpd and its children run on CPU(s) $srv_cpu_list, wrk on $wrk_cpu_list"
}
clk_tck=$(getconf CLK_TCK)
httpd_cpu() {       # httpd_cpu PID: "TOTAL SYSTEM", CPU seconds used so far
    local p files=""
    for p in $(httpd_pids "$1"); do
        files="$files /proc/$p/stat"
    done
    # shellcheck disable=SC2086
    cat $files 2>/dev/null | awk -v t="$clk_tck" \
        '{ u += $14; s += $15 } END { printf "%.3f %.3f", (u + s) / t, s / t }'
}
children_rss() {    # "pid:rss_kib ..." of the httpd children
    ps -o pid=,rss= --ppid "$httpd_pid" | awk '{printf "%s:%s ", $1, $2}'
}

json_field() {      # json_field NAME < JSON
    perl -MJSON::PP -0e 'my $j = eval { decode_json(<STDIN>) };
        print $j->{$ARGV[0]} // "" if $j' "$1"
}
post() {            # post PATH JSON [curl options]: prints the body
    local path=$1 body=$2
    shift 2
    curl -sS -X POST -H 'Content-Type: application/json' "$@" \
        --data-binary "$body" "$base$path"
}
login() {
    local t
    t=$(post /csc/v1/auth/login '{}' -u "bench:$bench_pw" \
        | json_field access_token)
    [ -n "$t" ] || die "auth/login failed"
    printf '%s' "$t"
}
sads() {            # sads CRED COUNT: comma-separated fresh SADs
    local i s list=""
    for i in $(seq 1 "$2"); do
        s=$(post /csc/v1/credentials/authorize \
            "{\"credentialID\":\"$1\",\"numSignatures\":$sighash_max,\"PIN\":\"$user_pin\"}" \
            -H "Authorization: Bearer $token" | json_field SAD)
        [ -n "$s" ] || die "credentials/authorize of $1 failed"
        list=${list:+$list,}$s
    done
    printf '%s' "$list"
}
hashes() {          # hashes N: comma-separated random SHA-256 digests
    local i list=""
    for i in $(seq 1 "$1"); do
        list=${list:+$list,}$(openssl rand -base64 32)
    done
    printf '%s' "$list"
}
hash1=$(hashes 1)
declare -A sads_of  # credential -> the SADs its last signHash run used
hash32=$(hashes 32)

wrk_run() {         # wrk_run MPM SCENARIO REP SECONDS [extra env...]: one run
    local mpm=$1 sc=$2 rep=$3 secs=$4 url script sad_count cred algo h res
    local list kind=$2 c=${wrk_conns:-$conns}
    shift 4
    local extra=("$@") env=(BENCH_LUA_DIR="$bench" BENCH_THREADS="$wrk_threads"
                            BENCH_STOP_DIR="$W/stop")
    # the warm-up looks at every response (the measured runs only count
    # status codes: see signhash.lua)
    [ "$rep" = 0 ] && env+=(BENCH_CHECK=1)
    rm -rf "$W/stop"
    mkdir -p "$W/stop"
    # the memory runs are scenario b (or a) with a request count instead
    # of a time
    case $sc in mem|mem_warm) kind=b; [ "$mem_key" = rsa ] && kind=a ;; esac
    case $kind in
        a|a_tls|c|raw_a) cred=rsa; algo=$oid_rsa ;;
        b|raw_b) cred=ec; algo=$oid_ec ;;
        b_file|raw_b_file) cred=ecfile; algo=$oid_ec ;;
    esac
    case $kind in
        a|b|b_file|c|a_tls|raw_a|raw_b|raw_b_file)
            h=$hash1; [ "$kind" = c ] && h=$hash32
            url=$base/csc/v1/signatures/signHash
            [ "$kind" = a_tls ] && url=$tlsbase/csc/v1/signatures/signHash
            script=$bench/signhash.lua
            if [ "${kind#raw_}" != "$kind" ]; then
                # byte for byte the requests of a, b or b_file, with the
                # SADs their last run used; the module signs the body's
                # SHA-256
                url=$rawbase/rawsign/$cred
                list=${sads_of[$cred]:-}
                [ -n "$list" ] || die "$sc runs after ${kind#raw_}, which made no SADs"
            else
                # enough budget for 50k signatures/s, the batch counted
                # per hash, as the same number of SADs for each wrk thread
                # (one each when that is enough; see signhash.lua)
                local per_thread=$(( (secs * 50000 + wrk_threads * sighash_max - 1)
                                     / (wrk_threads * sighash_max) ))
                sad_count=$(( wrk_threads * per_thread ))
                if [ -n "${mem_budget:-}" ]; then
                    sad_count=$(( 2 + mem_budget / sighash_max ))
                fi
                list=$(sads "$cred" "$sad_count") || exit 1
                sads_of[$cred]=$list
            fi
            env+=(BENCH_TOKEN="$token" BENCH_CRED="$cred"
                  BENCH_SIGNALGO="$algo" BENCH_HASHES="$h"
                  BENCH_SADS="$list" BENCH_SAD_BUDGET="$sighash_max") ;;
        d)
            url=$base/csc/v1/info
            script=$bench/flow.lua
            env+=(BENCH_TOKEN="$token" BENCH_CRED=rsa BENCH_SIGNALGO="$oid_rsa"
                  BENCH_HASHES="$hash1" BENCH_PIN="$user_pin"
                  BENCH_BASE=/csc/v1) ;;
        e) url=$base/csc/v1/info; script=$bench/get.lua
           env+=(BENCH_EXPECT='"methods"') ;;
        f) url=$base/1k.txt; script=$bench/get.lua ;;
    esac
    # CPU time of httpd and of wrk: unlike rates, it does not depend on
    # what else runs on the machine
    local TIMEFORMAT='%U %S' cpu0 cpu1 cpu sys wcpu spid=$httpd_pid
    [ "${kind#raw_}" != "$kind" ] && spid=$raw_pid
    cpu0=$(httpd_cpu "$spid")
    { time env "${env[@]}" "${extra[@]}" "${pin_wrk[@]}" \
          wrk -t"$wrk_threads" -c"$c" \
          -d"${secs}s" --timeout 10s -s "$script" "$url" \
          >"$W/wrk.out" 2>>"$W/wrk.err"; } 2>"$W/wrk.time" || true
    cpu1=$(httpd_cpu "$spid")
    wcpu=$(awk '{ printf "%.3f", $1 + $2 }' "$W/wrk.time")
    res=$(sed -n 's/^BENCH-RESULT //p' "$W/wrk.out")
    if [ -z "$res" ]; then
        tail -5 "$W/wrk.err" >&2
        fail "$mpm/$sc: wrk produced no result"
        return 0
    fi
    # httpd's CPU seconds during the run: total, and system time
    read -r cpu sys < <(printf '%s %s\n' "$cpu0" "$cpu1" \
        | awk '{ printf "%.3f %.3f\n", $3 - $1, $4 - $2 }')
    record "{\"kind\":\"wrk\",\"mpm\":\"$mpm\",\"scenario\":\"$sc\",\"rep\":$rep,\"seconds\":$secs,\"server_cpu_s\":$cpu,\"server_sys_s\":$sys,\"client_cpu_s\":${wcpu:-0},\"result\":$res}"
    printf '%s' "$res" | perl -MJSON::PP -0e '
        my ($mpm, $sc, $rep) = @ARGV;
        my $r = decode_json(<STDIN>);
        my $s = $r->{duration_us} / 1e6;
        my $e = $r->{errors};
        my $err = $e->{connect} + $e->{read} + $e->{write} + $e->{timeout};
        printf STDERR "[bench] %-7s %-5s rep %s: %8.1f req/s %8.1f sig/s " .
            "p50 %.2f ms p99 %.2f ms non200 %d socket errors %d\n",
            $mpm, $sc, $rep, $r->{requests} / $s, $r->{signatures} / $s,
            $r->{latency_us}{p50} / 1000, $r->{latency_us}{p99} / 1000,
            $r->{non200}, $err;
        printf STDERR "[bench] %s/%s rep %s: %d response(s) with status " .
            "200 but not the expected body\n", $mpm, $sc, $rep,
            $r->{malformed} if $r->{malformed};
        exit($r->{malformed} ? 2
             : ($r->{non200} || $err || !$r->{requests}) ? 1 : 0);
    ' "$mpm" "$sc" "$rep" && return 0 || local st=$?
    if [ "$st" = 2 ]; then
        fail "$mpm/$sc rep $rep: wrong response bodies (see above)"
        return 0
    fi
    if [ "$rep" = 0 ]; then
        # warm-up: recorded in runs.jsonl and the report, not a failure
        log "$mpm/$sc warm-up saw errors (wrk stderr: $W/wrk.err)"
    else
        fail "$mpm/$sc rep $rep: errors or non-200 responses (see above)"
    fi
}

check_crashes() {   # check_crashes LABEL SRV: after a server stopped
    if grep -Eq 'Segmentation fault|exit signal|exited on signal|AH00052|AH00060' \
            "$2/logs/error_log"; then
        grep -E 'Segmentation fault|exit signal|exited on signal|AH00052|AH00060' \
            "$2/logs/error_log" | head -5 >&2
        fail "$1: an httpd child crashed"
    fi
    cp "$2/logs/error_log" "$out/error_log.$1"
}

all_sel=$scenarios
selected_of() {     # selected_of "a b ...": those of them that were selected
    local sc
    for sc in $all_sel; do
        case " $1 " in *" $sc "*) printf ' %s' "$sc" ;; esac
    done
}
for mpm in $mpms; do
    stop_signal=WINCH
    case $mpm in nginx*) stop_signal=QUIT ;; esac
    case $mpm in
        # the signatures are what moves from the pool to the loop; f is
        # the overhead's floor
        nginx-loop) scenarios=$(selected_of "a b b_file f") ;;
        # the scenarios whose state work differs: login, authorize + sign
        pgsql) scenarios=$(selected_of "a b d") ;;
        *) scenarios=$all_sel ;;
    esac
    if [ "$mpm" = pgsql ]; then
        [ -d "$pg_dir/data" ] || pg_start
    fi
    # The bare signature inside the server: the same requests to a server
    # of the same MPM and shape that only signs (bench/mod_bench_rawsign.c;
    # nginx: bench/ngx_bench_rawsign, signing in a thread pool for nginx
    # and on the event loop for nginx-loop), running beside it and measured
    # in each repetition right after it.  What mod_csc costs beyond it is
    # the module's own work; what it costs beyond the raw loop is the
    # server's around any signature.
    case $mpm in
        event|prefork|nginx|nginx-loop) raw_scs=$(selected_of "a b b_file") ;;
        *) raw_scs="" ;;
    esac
    raw_scs=$(for sc in $raw_scs; do printf ' raw_%s' "$sc"; done)
    log "=== $mpm: server on $base and $tlsbase"
    start_httpd "$mpm"
    if [ -n "$raw_scs" ]; then
        log "=== $mpm: the bare signature inside the server, on $rawbase"
        start_httpd "$mpm" raw
    fi
    token=$(login)
    # warm-up: every child loads its keys and opens its store; failures
    # here are recorded (they happen: see the report) but not fatal
    # prefork, and event with more than two children, get 64 connections
    # so that every child is warm before the measured runs (first use in
    # 64 processes at once is when SoftHSM2 fails, see README.md)
    wc=$conns; [ "$mpm" = prefork ] && wc=64
    case $mpm in
        event|pgsql) [ "$event_children" -gt 2 ] && wc=64 ;;
    esac
    # (the raw_ scenarios last: they send the SADs a, b and b_file got)
    for sc in $scenarios $raw_scs; do
        wrk_conns=$wc wrk_run "$mpm" "$sc" 0 "$warm"
    done
    for rep in $(seq 1 "$reps"); do
        raw_set "$mpm" "$rep"
        for sc in $scenarios $raw_scs; do
            wrk_run "$mpm" "$sc" "$rep" "$dur"
        done
    done
    # the raw rates once more after the last repetition: each repetition
    # is then bracketed by a raw measurement before and after it
    [ -n "$scenarios" ] && raw_set "$mpm" $(( reps + 1 ))
    stop_server raw_pid
    [ -n "$raw_scs" ] && check_crashes "$mpm-raw" "$W/srv-raw"

    # memory: RSS of the children around mem_requests signHash requests
    if [ "$run_mem" = 1 ] && [ "$mpm" != pgsql ] && [ "$mpm" != nginx-loop ]; then
        log "$mpm: memory run, $mem_requests signHash requests ($mem_key)"
        warm_requests=$(( mem_requests / 20 + 64 * 20 ))
        mem_budget=$warm_requests
        wrk_conns=$wc wrk_run "$mpm" mem_warm 0 600 \
            BENCH_STOP_AFTER=$(( warm_requests / wrk_threads ))
        rss_before=$(children_rss)
        mem_budget=$mem_requests
        wrk_run "$mpm" mem 1 1800 \
            BENCH_STOP_AFTER=$(( mem_requests / wrk_threads ))
        rss_after=$(children_rss)
        unset mem_budget
        record "{\"kind\":\"memory\",\"mpm\":\"$mpm\",\"requests\":$mem_requests,\"before\":\"$rss_before\",\"after\":\"$rss_after\"}"
    fi

    stop_server httpd_pid
    check_crashes "$mpm" "$W/srv"
done

# --- report -----------------------------------------------------------------------
facts() {
    perl -MJSON::PP -e '
        my %f = @ARGV;
        for (values %f) { $_ += 0 if /^\d+(\.\d+)?$/ }
        print JSON::PP->new->canonical->encode(\%f), "\n";
    ' mode "$mode" reps "$reps" duration_s "$dur" warmup_s "$warm" \
      raw_seconds "$raw_secs" connections "$conns" \
      wrk_threads "$wrk_threads" raw_threads "$raw_threads" \
      event_children "$event_children" event_threads "$event_threads" \
      memory_requests "$mem_requests" memory_key "$mem_key" \
      pin_iterations "$pin_cost" \
      mpms "$mpms" \
      cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" \
      cores "$ncpu" \
      wrk_cpus "$wrk_cpu_list" server_cpus "$srv_cpu_list" \
      memory "$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)" \
      kernel "$(uname -sr)" \
      httpd "$(/usr/sbin/apache2 -v | sed -n 's/^Server version: //p')" \
      openssl "$(openssl version)" \
      softhsm "$(softhsm2-util --version 2>/dev/null || echo '?')" \
      wrk "$(wrk -v 2>&1 | head -1 | awk '{print $1, $2}')" \
      commit "$commit" \
      date "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
      user "$buser" \
      loadavg_start "$load_start" \
      loadavg_end "$(cut -d' ' -f1-3 /proc/loadavg)"
}
facts > "$out/facts.json"
perl "$bench/report.pl" "$out" || fail "report generation failed"
if command -v gnuplot >/dev/null 2>&1 && [ -f "$out/chart.dat" ]; then
    gnuplot -e "datafile='$out/chart.dat'; outfile='$out/results.png'; mpms='$mpms'" \
        "$bench/chart.gp" 2>"$W/gnuplot.err" \
        || { cat "$W/gnuplot.err" >&2; log "gnuplot failed (no chart)"; }
fi
rm -f "$out/chart.dat"
log "results: $out/results.md"
[ "$harness_failed" = 0 ] || { log "the harness reported failures"; exit 1; }
exit 0
