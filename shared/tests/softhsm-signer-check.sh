#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# End-to-end check of the engine: route through SoftHSM2: a private token in
# a temporary directory, an RSA-2048 and an EC P-256 key made with
# pkcs11-tool, then the built unit test shared/tests/test_signer in PKCS#11
# mode (CSC_TEST_PKCS11=1) signs with every algorithm, verifies against the
# exported public keys, signs from threads and forked children, and takes
# the token away and back.  It runs the binary `make` built (a
# --enable-sanitizers build gives a sanitized one), so it links exactly
# what the library holds.
#
# Usage: shared/tests/softhsm-signer-check.sh   (after make)
#   KEEP=1        keep the temporary directory
#   CSC_VALGRIND  a command to run test_signer under, e.g. "valgrind
#                 --error-exitcode=99" (tools/test.sh's valgrind stage)
# Needs: softhsm2, opensc (pkcs11-tool), libengine-pkcs11-openssl.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
module=${CSC_SOFTHSM_MODULE:-/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so}
pin='pin-Xq7z'          # distinctive, so "no PIN in messages" can be checked
so_pin='so-Kw3v9'

for tool in softhsm2-util pkcs11-tool openssl; do
    command -v "$tool" >/dev/null 2>&1 || { echo "missing $tool" >&2; exit 2; }
done
[ -r "$module" ] || { echo "SoftHSM module $module not found" >&2; exit 2; }
test_signer=$here/test_signer
[ -x "$test_signer" ] || { echo "$test_signer is not built (make check)" >&2; exit 2; }

work=$(mktemp -d /tmp/csc-softhsm-XXXXXX)
cleanup() {
    # the test renames the token dir away and back; restore it if it died
    # in between, then remove everything
    [ -d "$work/tokens.away" ] && mv "$work/tokens.away" "$work/tokens"
    if [ "${KEEP:-0}" = 1 ]; then
        echo "# kept $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT INT TERM

. "$here/../../tools/softhsm-dir.sh"
softhsm_dir "$work"

p11() {
    pkcs11-tool --module "$module" --token-label csc "$@"
}

softhsm2-util --init-token --free --label csc --so-pin "$so_pin" --pin "$pin" \
    >/dev/null
p11 --login --pin "$pin" --keypairgen --key-type rsa:2048 \
    --id 01 --label rsa1 >/dev/null
p11 --login --pin "$pin" --keypairgen --key-type EC:prime256v1 \
    --id 02 --label ec1 >/dev/null
p11 --read-object --type pubkey --id 01 -o "$work/rsa1.pub.der" >/dev/null
p11 --read-object --type pubkey --id 02 -o "$work/ec1.pub.der" >/dev/null
for k in rsa1 ec1; do
    openssl pkey -pubin -inform DER -in "$work/$k.pub.der" \
        -out "$work/$k.pub.pem"
done

CSC_TEST_PKCS11=1 \
CSC_TEST_P11_MODULE=$module \
CSC_TEST_P11_PIN=$pin \
CSC_TEST_RSA_REF='engine:pkcs11:token=csc;object=rsa1;type=private' \
CSC_TEST_EC_REF='engine:pkcs11:token=csc;id=%02;type=private' \
CSC_TEST_RSA_PUB=$work/rsa1.pub.pem \
CSC_TEST_EC_PUB=$work/ec1.pub.pem \
CSC_TEST_TOKENDIR=$work/tokens \
    ${CSC_VALGRIND:-} "$test_signer" </dev/null
