# SPDX-License-Identifier: Apache-2.0
# Sourced by the make-check guards (check-boundaries.sh, check-directives.sh):
# check DESCRIPTION OUTPUT prints one TAP line, ok when OUTPUT is empty;
# tap_end prints the plan and exits with the verdict.
n=0
failed=0
check() {
    n=$((n + 1))
    if [ -z "$2" ]; then
        echo "ok $n - $1"
    else
        echo "not ok $n - $1"
        printf '%s\n' "$2" | head -n 20 | sed 's/^/# /'
        failed=1
    fi
}
tap_end() {
    echo "1..$n"
    exit $failed
}
