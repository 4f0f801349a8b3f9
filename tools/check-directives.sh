#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make check: the README's directive reference and the module's command
# table name the same directives (TAP).  A directive added to one and not
# the other fails here.
set -u
top=${srcdir:-.}
table=$(grep -o 'AP_INIT_[A-Z0-9]*("CSC[A-Za-z0-9]*"' "$top/mod_csc/mod_csc_config.c" \
        | sed 's/.*("//; s/"$//' | sort -u)
readme=$(sed -n '/^Directive  /,/^$/p' "$top/README" | grep -o '^CSC[A-Za-z0-9]*' | sort -u)
. "${srcdir:-.}/tools/tap-check.sh"
check "the command table has directives ($(printf '%s\n' "$table" | grep -c .))" \
    "$( [ -n "$table" ] || echo 'none found in mod_csc/mod_csc_config.c')"
check "the README's reference has directives ($(printf '%s\n' "$readme" | grep -c .))" \
    "$( [ -n "$readme" ] || echo 'no directive table found in README')"
check "every directive of the module is in the README's reference" \
    "$(printf '%s\n' "$table" | grep -vxF "$readme")"
check "every directive in the README's reference exists in the module" \
    "$(printf '%s\n' "$readme" | grep -vxF "$table")"
tap_end
