#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Configures and builds the tree (once; later calls only run make).
#   tools/build.sh [configure options]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
    autoreconf -fi >/dev/null 2>&1 || autoreconf -fi
fi
if [ ! -f Makefile ] || [ configure -nt Makefile ] || [ $# -gt 0 ]; then
    ./configure -q "$@"
fi
make -s -j"$(nproc)"
