#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Quick-start command 2: runs every test of mod_csc.
#  1. installs missing Debian packages, 2. builds with -Werror and every
#  automatic variable filled with a pattern (an uninitialised local then
#  fails on every machine, not only where the stack is not zero),
#  3. the shared/ unit tests and the fuzz corpora (no httpd), natively and
#  under valgrind memcheck, 4. the signer against SoftHSM2, natively and
#  under valgrind, and the csc-admin tool tests, 5. the Apache::Test suite
#  under the event MPM, then under prefork with the stores and the state
#  in a private PostgreSQL (with the two-host tests), and its API files
#  against nginx with the nginx module, 6. make distcheck and the tarball's
#  contents, 7. from that tarball a clang build with ASan and UBSan: its
#  unit tests, its signer against SoftHSM2, and the module under ASan in
#  httpd (event MPM), 8. the benchmark harness in smoke mode.
# Ends with one line "N passed, N failed, N skipped" over all of them; any
# failed stage fails the run.  The valgrind stages and 5-8 run side by
# side in five lanes (below): the Apache::Test runs mostly wait, the
# builds mostly compute.  The cores-split bench smoke is a manual stage
# (bench/README.md): CSC_TEST_SPLIT=1 adds it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh tools/deps.sh test
sh tools/build.sh --enable-werror --enable-auto-var-init=pattern
logs=$(mktemp -d /tmp/mod_csc-test.XXXXXX)
chmod 755 "$logs"
trap 'rm -rf "$logs"' EXIT
failed_stage=""
started=$(date +%s)

stage() {  # name command...: runs it, keeps its output, notes a failure
    name=$1; shift
    echo "=== $name ($(( $(date +%s) - started )) s)"
    if "$@" > "$logs/$name.log" 2>&1; then
        tail -n 4 "$logs/$name.log"
    else
        # the failing checks first, wherever they are (TAP's "not ok",
        # prove's "# Failed test" and its summary), then the end
        grep -n -A4 -E '^not ok|^# +Failed test|^Failed [0-9]+/|Wstat: [1-9]|Failed tests?: ' \
            "$logs/$name.log" | head -n 80 || true
        tail -n 60 "$logs/$name.log"
        failed_stage="$failed_stage $name"
    fi
}
# the TAP of make check's tests goes into the stage's log, where the
# summary counts it
unit_tap() {  # dir: the .log files automake's tap driver wrote below it
    find "$1/shared" -name '*.log' ! -name 'test-suite.log' -exec cat {} + 2>/dev/null || true
}
make_check() {  # target
    status=0
    make -s -j"$(nproc)" "$1" || status=$?
    unit_tap "$top"
    return $status
}

# the native unit stage generates the test keys; the valgrind stage loads
# them (shared/tests/testkeys.h)
CSC_TEST_KEYS=$logs/keys
export CSC_TEST_KEYS
mkdir -p "$CSC_TEST_KEYS"
# a report valgrind printed fails the stage even when its process's exit
# status went unchecked (a forked test child's, say)
memcheck() {  # command...
    status=0
    out=$("$@" 2>&1) || status=$?
    printf '%s\n' "$out"
    if printf '%s\n' "$out" | grep -q -E '^==[0-9]+== '; then
        echo "not ok - valgrind reported errors (the ==PID== lines above)"
        status=1
    fi
    return $status
}

stage unit make_check check
stage signer-softhsm sh shared/tests/softhsm-signer-check.sh
stage csc-admin env CSC_ADMIN="$top/tools/csc-admin" bash tools/test-csc-admin.sh

# make distcheck builds, tests, installs and uninstalls from the tarball
# alone; the sanitizer build below starts from a tarball made the same way
dist() {
    make -s -j"$(nproc)" distcheck
    sh tools/check-dist.sh "$top/mod_csc-"*.tar.gz
}

clang_asan() (  # a subshell: its cd and sanitizer settings stay inside
    tarball=$(ls "$logs"/asan/mod_csc-*.tar.gz)
    tar -xzf "$tarball" -C "$logs/asan"
    cd "$logs/asan"/mod_csc-*
    # the nginx module is built by nginx's configure with its own
    # compiler; it runs under ASan nowhere yet (README, limitations)
    ./configure -q CC=clang --enable-werror --enable-sanitizers \
        --enable-auto-var-init=pattern --without-nginx
    make -s -j"$(nproc)"
    # leak detection stays off: Debian's APR takes pool memory with mmap,
    # so LeakSanitizer reports process-lifetime objects that only pool
    # memory points to (valgrind checks leaks above)
    export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:halt_on_error=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    status=0
    make -s check || status=$?
    unit_tap "$PWD"
    sh shared/tests/softhsm-signer-check.sh || status=1
    # the module under ASan inside httpd: the runtime is preloaded into
    # httpd only (t/run-tests.sh)
    CSC_HTTPD_PRELOAD=$(clang -print-file-name=libclang_rt.asan-x86_64.so) \
        sh t/run-tests.sh event || status=1
    exit $status
)

# The stages below run in five lanes at once.  The Apache::Test runs
# spend most of their time in the lifetimes and timeouts they wait out (a
# quarter of the two cores each), the bench's runs last as long as they
# are told to, the builds and valgrind compute.  Each lane runs at its
# own priority, so that the checks with a clock in them keep the CPU they
# ask for and the rest take what is left; valgrind's unit run is one of
# them (8 processes contend for SQLite's write lock within its busy
# timeout).  The httpd and nginx of the lanes listen on ports of their
# own: Apache::Test's base port and the two after it (8529, 8629, 8729),
# PostgreSQL's 8540-8544 in the first lane, and the bench's PostgreSQL on
# 8548 and its servers on free ports from 10000 up.  A lane's output is
# shown when all are done.
run_lane() {    # run_lane NAME NICENESS PORT FUNCTION: in the background
    (
        renice -n "$2" -p "$(sh -c 'echo $PPID')" >/dev/null 2>&1 || true
        APACHE_TEST_PORT=$3
        export APACHE_TEST_PORT
        failed_stage=""
        "$4"
        printf '%s' "$failed_stage" > "$logs/lane-$1.failed"
        touch "$logs/lane-$1.done"
    ) > "$logs/lane-$1.out" 2>&1 &
}
show_lane() {   # show_lane NAME: its output; its failed stages noted
    echo "=== lane $1, done:"
    cat "$logs/lane-$1.out"
    if [ -f "$logs/lane-$1.done" ]; then
        failed_stage="$failed_stage$(cat "$logs/lane-$1.failed")"
    else
        failed_stage="$failed_stage lane-$1"    # it died before its end
    fi
}
lane_asan() {
    stage clang-asan clang_asan
}
lane_nginx_valgrind() {
    # the same API files against Debian's nginx with ngx_http_csc_module,
    # and nginx's own (t/nginx/)
    stage nginx-test env CSC_T_ARTIFACTS="$logs/screenshots" sh t/run-tests.sh nginx
    stage unit-valgrind memcheck make_check check-valgrind
}
lane_bench() {
    stage bench-smoke sh bench/run.sh --smoke --out "$logs/bench"
}
lane_compute() {
    stage signer-softhsm-valgrind memcheck make -s check-valgrind-signer
    stage dist dist
}
# the sanitizer build's tarball, made before distcheck makes its own
# (without one, clang-asan fails; the run goes on)
stage tarball make -s dist
mkdir -p "$logs/asan"
mv "$top"/mod_csc-*.tar.gz "$logs/asan/" 2>/dev/null || true
run_lane asan 5 8629 lane_asan
run_lane nginx-valgrind 5 8729 lane_nginx_valgrind
run_lane bench 10 8829 lane_bench
run_lane compute 15 8929 lane_compute
# prefork runs with PostgreSQL (t/run-tests.sh pgsql): each MPM and each
# state backend once, in the time two runs take
stage apache-test env CSC_T_ARTIFACTS="$logs/screenshots" sh t/run-tests.sh event pgsql
wait
echo "=== lanes done ($(( $(date +%s) - started )) s)"
for lane in asan nginx-valgrind bench compute; do
    show_lane "$lane"
done

# the cores-split mode (wrk on CPU 0, httpd and the raw runs on the rest):
# run.sh checks every httpd process's CPU list itself; it needs the
# machine to itself
if [ -n "${CSC_TEST_SPLIT:-}" ]; then
    if [ "$(nproc)" -ge 2 ]; then
        stage bench-smoke-split sh bench/run.sh --smoke --mpm prefork \
            --scenarios "a e f" --wrk-cpus 1 --out "$logs/bench-split"
    else
        echo "=== bench-smoke-split: needs 2 CPUs, this machine has 1"
        failed_stage="$failed_stage bench-smoke-split"
    fi
fi

# one summary over every runner: TAP lines, and prove's counts of the
# Apache::Test runs.  A TAP "ok ... # SKIP" is a skip, not a pass.
passed=$(cat "$logs"/*.log 2>/dev/null | grep '^ok ' | grep -v -c -i '# *skip' || true)
skipped=$(cat "$logs"/*.log 2>/dev/null | grep '^ok ' | grep -c -i '# *skip' || true)
failed=$(cat "$logs"/*.log 2>/dev/null | grep -c '^not ok ' || true)
prove_sum() {  # sed expression: sums one figure over prove's summaries
    cat "$logs"/apache-test.log "$logs"/nginx-test.log "$logs"/clang-asan.log 2>/dev/null \
        | sed -n "$1" | awk '{s += $1} END {print s + 0}'
}
prove_tests=$(prove_sum 's/^Files=.*Tests=\([0-9]*\).*/\1/p')
prove_failed=$(prove_sum 's|.* \([0-9]*\)/[0-9]* subtests failed.*|\1|p')
# a test file that Apache::Test skips as a whole ("skipped: reason")
# counts as one skip
prove_skipped_files=$(cat "$logs"/apache-test.log "$logs"/nginx-test.log "$logs"/clang-asan.log 2>/dev/null \
    | grep -c -E '^t/.*\.t \.+ skipped' || true)
passed=$((passed + prove_tests - prove_failed))
failed=$((failed + prove_failed))
skipped=$((skipped + prove_skipped_files))
if [ -n "$failed_stage" ] && [ "$failed" -eq 0 ]; then
    failed=1    # a stage broke without a countable test failure
fi
echo "=== stages failed:${failed_stage:- none} ($(( $(date +%s) - started )) s)"
echo "$passed passed, $failed failed, $skipped skipped"
[ -z "$failed_stage" ]
