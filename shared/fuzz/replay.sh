#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make check: every fuzz target replays its committed corpus
# (shared/fuzz/corpus/TARGET) once, built with the plain compiler and the
# replay main (standalone.c).  TAP, one check per target; a target that
# crashes, breaks an invariant or replays nothing fails.  CSC_VALGRIND
# (make check-valgrind) runs each under valgrind.
set -u
src=${srcdir:-.}/shared/fuzz
bin=shared/fuzz
targets="handle json keyref pss b64 pin x509"
n=0
failed=0
for t in $targets; do
    n=$((n + 1))
    out=$(${CSC_VALGRIND:-} "$bin/fuzz_$t" "$src/corpus/$t" 2>&1)
    rc=$?
    count=$(printf '%s\n' "$out" | sed -n 's/^replayed \([0-9]*\) inputs$/\1/p')
    if [ $rc = 0 ] && [ "${count:-0}" -gt 0 ]; then
        echo "ok $n - fuzz_$t replays its corpus ($count inputs)"
    else
        echo "not ok $n - fuzz_$t replays its corpus (exit $rc)"
        printf '%s\n' "$out" | tail -n 30 | sed 's/^/# /'
        failed=1
    fi
done
echo "1..$n"
exit $failed
