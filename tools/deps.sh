#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian 12 packages mod_csc needs to build, test and run its
# demo; installs nothing that is already there.  Needs root for apt-get.
#   tools/deps.sh [test]   test: also what only the test command uses
set -eu
pkgs="apache2 apache2-dev libapr1-dev libaprutil1-dev libaprutil1-dbd-sqlite3
  libaprutil1-dbd-pgsql
  libssl-dev libjansson-dev libsqlite3-dev liboath-dev oathtool libp11-kit-dev libqrencode-dev
  softhsm2 libengine-pkcs11-openssl opensc sqlite3 autoconf automake libtool
  pkg-config make gcc libapache2-mod-perl2 libwww-perl curl openssl procps wrk
  iproute2 nginx nginx-dev"
# the sanitizer and fuzzing builds (clang's runtimes), memcheck, zbarimg for
# the QR code check of csc-admin, and git for
# the release tarball's completeness check; a real browser (Chromium driven
# by Selenium) and a third-party OAuth 2.0 client (Authlib) for the
# authorization server's tests; PostgreSQL 15 for the several-hosts run
# (the suite starts its own cluster; the install does not start the packaged one)
[ "${1:-}" = test ] && pkgs="$pkgs clang libclang-rt-14-dev valgrind git zbar-tools
  chromium chromium-driver python3-selenium python3-authlib python3-requests
  postgresql-15"
[ "${CSC_DEPS_EXTRA:-}" ] && pkgs="$pkgs $CSC_DEPS_EXTRA"
missing=""
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
        || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "missing Debian packages:$missing (run as root to install them)" >&2
    exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d keeps the packaged apache2 and nginx from starting on port
# 80: the project never uses the system's servers
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
