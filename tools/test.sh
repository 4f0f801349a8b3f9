#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Quick-start command 2: runs every test of mod_csc.
#  1. installs missing Debian packages, 2. builds with -Werror,
#  3. the shared/ unit tests (no httpd), 4. the signer against SoftHSM2 and
#  the csc-admin tool tests, 5. the Apache::Test suite under the event and
#  the prefork MPM, 6. the benchmark harness in smoke mode, once as is and
#  once with wrk on a CPU of its own.
# Ends with one line "N passed, N failed" over all of them.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh tools/deps.sh
sh tools/build.sh --enable-werror
logs=$(mktemp -d /tmp/mod_csc-test.XXXXXX)
trap 'rm -rf "$logs"' EXIT
failed_stage=""

stage() {  # name command...: runs it, keeps its output, notes a failure
    name=$1; shift
    echo "=== $name"
    if "$@" > "$logs/$name.log" 2>&1; then
        tail -n 4 "$logs/$name.log"
    else
        # the failing checks first, wherever they are, then the end
        grep -n -A4 '^not ok' "$logs/$name.log" | head -n 60 || true
        tail -n 60 "$logs/$name.log"
        failed_stage="$failed_stage $name"
    fi
}

stage unit make -s check
stage signer-softhsm sh shared/tests/softhsm-signer-check.sh
stage csc-admin env CSC_ADMIN="$top/tools/csc-admin" bash tools/test-csc-admin.sh
stage apache-test sh t/run-tests.sh event prefork
if [ -x bench/run.sh ] || [ -f bench/run.sh ]; then
    stage bench-smoke sh bench/run.sh --smoke --out "$logs/bench"
    # the cores-split mode (wrk on CPU 0, httpd and the raw runs on the
    # rest): run.sh checks every httpd process's CPU list itself
    if [ "$(nproc)" -ge 2 ]; then
        stage bench-smoke-split sh bench/run.sh --smoke --mpm prefork \
            --scenarios "a e f" --wrk-cpus 1 --out "$logs/bench-split"
    else
        echo "=== bench-smoke-split: needs 2 CPUs, this machine has 1"
        failed_stage="$failed_stage bench-smoke-split"
    fi
fi

# one summary over every runner: TAP lines, automake's and prove's counts
passed=$(cat "$logs"/*.log shared/tests/*.log 2>/dev/null | grep -c '^ok ' || true)
failed=$(cat "$logs"/*.log shared/tests/*.log 2>/dev/null | grep -c '^not ok ' || true)
prove_passed=$(grep -h '^Files=' "$logs/apache-test.log" 2>/dev/null \
    | sed -n 's/.*Tests=\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s + 0}')
prove_failed=$(grep -h 'subtests failed' "$logs/apache-test.log" 2>/dev/null \
    | sed -n 's|.* \([0-9]*\)/[0-9]* subtests failed.*|\1|p' | awk '{s += $1} END {print s + 0}')
passed=$((passed + ${prove_passed:-0} - ${prove_failed:-0}))
failed=$((failed + ${prove_failed:-0}))
if [ -n "$failed_stage" ] && [ "$failed" -eq 0 ]; then
    failed=1    # a stage broke without a countable test failure
fi
echo "=== stages failed:${failed_stage:- none}"
echo "$passed passed, $failed failed"
[ -z "$failed_stage" ]
