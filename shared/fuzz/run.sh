#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Long fuzz runs with libFuzzer (clang, ASan + UBSan), outside the tree's
# own build: the sources are copied (make distdir) to a work directory and
# built there with --enable-fuzzing, so the checkout's build is untouched.
#
#   sh shared/fuzz/run.sh [--seconds N] [--jobs N] [--keep] [TARGET ...]
#
#   --seconds N  run each target N seconds (default 600)
#   --jobs N     targets run side by side (default: the number of CPUs)
#   --keep       merge the inputs that found new coverage into
#                shared/fuzz/corpus/TARGET (libFuzzer -merge=1: only inputs
#                that add coverage), ready to commit
#   TARGET       handle json keyref pss b64 pin x509 (default: all)
#
# Prints per target the executions, executions per second, coverage,
# new corpus units and peak memory; a crash, leak-free timeout or broken
# invariant leaves its reproducer (crash-*, timeout-*, oom-*) in the work
# directory, which it names, and makes the exit status non-zero.
# Run it by hand (it is not part of tools/test.sh): it needs the tree
# configured once (sh tools/build.sh) and clang with libclang-rt-14-dev.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
seconds=600
jobs=$(nproc)
keep=0
targets=""
while [ $# -gt 0 ]; do
    case $1 in
        --seconds) seconds=$2; shift ;;
        --jobs) jobs=$2; shift ;;
        --keep) keep=1 ;;
        -*) sed -n '3,23p' "$0" >&2; exit 2 ;;
        *) targets="$targets $1" ;;
    esac
    shift
done
[ -n "$targets" ] || targets="handle json keyref pss b64 pin x509"
command -v clang >/dev/null 2>&1 || { echo "clang is missing (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }
[ -f "$top/Makefile" ] || { echo "configure the tree first: sh tools/build.sh" >&2; exit 2; }

work=${CSC_FUZZ_WORK:-/var/tmp/mod_csc-fuzz}
src=$work/src
mkdir -p "$work"
echo "== building the fuzz targets in $src"
rm -rf "$src"
make -s -C "$top" distdir distdir="$src" >/dev/null
(cd "$src" && ./configure -q CC=clang --enable-sanitizers --enable-fuzzing \
     && make -s -j"$(nproc)" >/dev/null \
     && make -s -j"$(nproc)" $(for t in $targets; do printf 'shared/fuzz/fuzz_%s ' "$t"; done) >/dev/null) \
    > "$work/build.log" 2>&1 || { tail -n 30 "$work/build.log"; exit 1; }

# pool memory comes from mmap in Debian's APR: LeakSanitizer would report
# process-lifetime objects only pool memory points to (README.md here)
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:symbolize=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

run_one() {  # target
    t=$1
    dir=$work/$t
    rm -rf "$dir"
    mkdir -p "$dir/corpus"
    cp "$top/shared/fuzz/corpus/$t"/* "$dir/corpus/"
    dict=""
    [ -f "$top/shared/fuzz/dict/$t.dict" ] && dict="-dict=$top/shared/fuzz/dict/$t.dict"
    status=0
    (cd "$dir" && "$src/shared/fuzz/fuzz_$t" -max_total_time="$seconds" \
        -timeout=10 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 \
        $dict corpus) > "$dir/fuzz.log" 2>&1 || status=$?
    echo "$status" > "$dir/status"
}

running=0
for t in $targets; do
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs" ]; then
        wait
        running=0
    fi
done
wait

overall=0
printf '%-8s %12s %9s %7s %7s %9s %8s %s\n' target execs exec/s cov ft new_units peak_mb result
for t in $targets; do
    dir=$work/$t
    log=$dir/fuzz.log
    stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
    last=$(grep -E '#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1)
    cov=$(printf '%s\n' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(printf '%s\n' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    result=ok
    if [ "$(cat "$dir/status")" != 0 ]; then
        result="FAILED: $(ls "$dir" | grep -E '^(crash|timeout|oom|leak)-' | tr '\n' ' ')(see $log)"
        overall=1
    fi
    printf '%-8s %12s %9s %7s %7s %9s %8s %s\n' "$t" "$(stat number_of_executed_units)" \
        "$(stat average_exec_per_sec)" "${cov:-?}" "${ft:-?}" "$(stat new_units_added)" \
        "$(stat peak_rss_mb)" "$result"
    if [ "$keep" = 1 ] && [ "$result" = ok ]; then
        # only what adds coverage to the committed corpus goes in
        (cd "$dir" && "$src/shared/fuzz/fuzz_$t" -merge=1 \
            "$top/shared/fuzz/corpus/$t" corpus) > "$dir/merge.log" 2>&1 \
            || { echo "merge of $t failed (see $dir/merge.log)"; overall=1; }
    fi
done
echo "work directory: $work"
exit $overall
