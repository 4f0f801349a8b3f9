#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make check: the rules of the tree that review alone would not keep (TAP).
#  - tool-only code (shared/enroll/, the demo CA) is not in mod_csc.so;
#  - mod_csc.so exports csc_module and nothing else;
#  - the signer's route files call nothing in csc_signer.c (routes get a
#    context instead: no symbol cycle between the signer and its routes);
#  - the httpd glue includes only its own headers and the core's public API
#    (<csc/...>): its include path has nothing else of shared/, and this
#    catches a relative path ("../shared/...") that would reach past it.
set -u
dso=mod_csc/.libs/mod_csc.so
. "${srcdir:-.}/tools/tap-check.sh"
if [ ! -f "$dso" ]; then
    echo "not ok 1 - $dso was built"
    echo "1..1"
    exit 1
fi
all=$(nm "$dso")
check "mod_csc.so has symbols to inspect" "$( [ -n "$all" ] || echo 'nm printed nothing')"
check "no demo CA (csc_ca_*) in mod_csc.so" \
    "$(printf '%s\n' "$all" | grep ' csc_ca_')"
check "mod_csc.so exports only csc_module" \
    "$(nm -D --defined-only "$dso" | awk '{print $NF}' | grep -v '^csc_module$' \
       | grep -v '^_\(init\|fini\|edata\|end\|_bss_start\)$')"
routes=$(ls shared/signer/.libs/libcsc_la-csc_signer_*.o 2>/dev/null)
check "the signer's route objects were built" "$( [ -n "$routes" ] || echo 'none found')"
for o in $routes; do
    check "$(basename "$o" .o | sed 's/^libcsc_la-//') calls nothing in csc_signer.c" \
        "$(nm -u "$o" | awk '{print $2}' | grep '^csc_signer_' \
           | grep -v '^csc_signer_pkcs11_uri_check$')"
done
glue_includes=$(grep -hE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' \
    "${srcdir:-.}"/mod_csc/*.c "${srcdir:-.}"/mod_csc/*.h \
    | grep -vE '#[[:space:]]*include[[:space:]]*"mod_csc[a-z_]*\.h"')
check "mod_csc/ includes only mod_csc*.h and <csc/...>" "$glue_includes"
check "mod_csc/ includes no core header by angle brackets but csc/" \
    "$(grep -hE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<(api|authz|base|config|crypto|enroll|http|signer|state|store)/' \
       "${srcdir:-.}"/mod_csc/*.c "${srcdir:-.}"/mod_csc/*.h)"
tap_end
