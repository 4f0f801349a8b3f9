#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Checks that a release tarball holds every file git tracks (EXTRA_DIST
# lists files one by one, so a new test or script is easily forgotten) and
# no build product.
#   tools/check-dist.sh TARBALL
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
tarball=$1
[ -s "$tarball" ] || { echo "no tarball $tarball" >&2; exit 2; }
if ! git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
    echo "not a git checkout: nothing to compare the tarball with" >&2
    exit 2
fi
list=$(mktemp)
trap 'rm -f "$list" "$list.git"' EXIT
# the tarball's paths without its top directory
tar -tzf "$tarball" | sed 's|^[^/]*/||' | grep -v '/$' | sort > "$list"
# .gitignore is for checkouts only
git -C "$top" ls-files | grep -v -x -e .gitignore | sort > "$list.git"
status=0
missing=$(comm -13 "$list" "$list.git")
if [ -n "$missing" ]; then
    echo "tracked files missing from $tarball (add them to EXTRA_DIST):"
    echo "$missing" | sed 's/^/  /'
    status=1
fi
products=$(grep -E '\.(o|lo|la|so|a|log|trs)$|/\.libs/|/\.deps/' "$list" || true)
if [ -n "$products" ]; then
    echo "build products in $tarball:"
    echo "$products" | sed 's/^/  /'
    status=1
fi
[ $status = 0 ] && echo "$tarball: all $(wc -l < "$list.git") tracked files, no build products"
exit $status
