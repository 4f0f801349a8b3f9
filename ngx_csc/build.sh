#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Builds ngx_http_csc_module.so the way Debian builds its libnginx-mod-*
# packages: nginx's own configure from nginx-dev, with the flags of the
# Debian binary (conf_flags: --with-compat, --with-threads...), so the
# module loads into the unmodified /usr/sbin/nginx.
#   ngx_csc/build.sh TOP_SRCDIR TOP_BUILDDIR OUT_DIR [ADDON_DIR MODULE]
# ADDON_DIR and MODULE: another addon linked with the core the same way
# (the bench's bare-signature module); default ngx_csc, ngx_http_csc_module.
# NGINX_SRC: nginx-dev's tree (default /usr/share/nginx/src); CC: the
# compiler (default: nginx's choice, cc).
set -euo pipefail
src=$1 build=$2 out=$3
addon=${4:-$src/ngx_csc} module=${5:-ngx_http_csc_module}
nginx_src=${NGINX_SRC:-/usr/share/nginx/src}
[ -x "$nginx_src/configure" ] || {
    echo "ngx_csc: no nginx source tree at $nginx_src (install nginx-dev)" >&2
    exit 1
}
mkdir -p "$out"
out=$(cd "$out" && pwd)
# nginx's configure writes into the tree it runs in: a private copy
if [ ! -f "$out/nginx/configure" ] || [ "$nginx_src/conf_flags" -nt "$out/nginx/configure" ]; then
    rm -rf "$out/nginx"
    cp -a "$nginx_src" "$out/nginx"
fi
incs="$src/shared/include $(pkg-config --cflags-only-I apr-1 apr-util-1 | sed 's/-I//g')"
# the core linked in, its symbols kept inside the module
libs="$build/shared/.libs/libcsc.a $(pkg-config --libs apr-1 apr-util-1 jansson libcrypto liboath sqlite3) -Wl,--exclude-libs,ALL"
stamp="$out/configured-with"
want="$src|$build|$addon|$incs|$libs|${CSC_NGX_CC_OPT:-}|${CC:-}"
if [ ! -f "$out/objs/Makefile" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ] \
   || [ "$addon/config" -nt "$out/objs/Makefile" ]; then
    # shellcheck disable=SC1091
    . "$out/nginx/conf_flags"
    (cd "$out/nginx" && CSC_INCS="$incs" CSC_LIBS="$libs" ./configure \
        --with-cc-opt="-fPIC -std=gnu11 ${CSC_NGX_CC_OPT:-}" --with-ld-opt="-fPIC" \
        ${CC:+--with-cc="$CC"} "${NGX_CONF_FLAGS[@]}" --add-dynamic-module="$addon" \
        --builddir="$out/objs" >"$out/configure.log" 2>&1) || {
        tail -n 20 "$out/configure.log" >&2; exit 1; }
    printf '%s\n' "$want" > "$stamp"
fi
# nginx's Makefile knows the module's sources, not the core it links
so="$out/objs/$module.so"
[ -f "$so" ] && [ "$build/shared/.libs/libcsc.a" -nt "$so" ] && rm -f "$so"
make -s -f "$out/objs/Makefile" -C "$out/nginx" modules
