#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The conformance run on nginx: the API test files that drive httpd run
# unchanged against Debian's /usr/sbin/nginx with the built module, the
# same fixtures and the same URLs (t/nginx/nginx.conf.in).  Apache::Test
# only configures its client here (ports, paths); nginx is the server.
# Called by t/run-tests.sh in the suite's tree, as the suite's user.
#   t/nginx/run.sh APXS [test files]
set -eu
apxs=$1; shift
t=$(cd "$(dirname "$0")/.." && pwd)
top=$(cd "$t/.." && pwd)
nginx=${CSC_NGINX:-/usr/sbin/nginx}
module=$top/ngx_csc/build/objs/ngx_http_csc_module.so
[ -x "$nginx" ] || { echo "nginx: $nginx not found (install nginx)" >&2; exit 2; }
[ -f "$module" ] || { echo "nginx: $module not built (configure --with-nginx)" >&2; exit 2; }

# Files that test httpd itself, not the API: each is named with the reason,
# so that nothing is left out silently.
httpd_only="
t/api/018_log_context.t ErrorLogFormat's request id and per-directory LogLevel
t/api/070_http_errors.t httpd's own request parsing (encoded slashes, chunk errors, Content-Length) and its error filter
t/api/080_not_files.t httpd's <Directory> walk
"
opts="" files=""
for a in "$@"; do
    case $a in -*) opts="$opts $a" ;; *) files="$files $a" ;; esac
done
if [ -z "$files" ]; then
    for f in t/api/*.t t/process/*.t $(ls t/nginx/*.t 2>/dev/null) t/security/*.t; do
        if printf '%s' "$httpd_only" | grep -q "^$f "; then
            echo "nginx: not run here: $(printf '%s' "$httpd_only" | grep "^$f ")"
        else
            files="$files $f"
        fi
    done
fi

cd "$top"
perl t/TEST -clean >/dev/null
perl t/TEST -configure -apxs "$apxs" -httpd_conf "$t/inherit.conf" >/dev/null
port_of() {
    perl -I"$t/lib" -MApache::TestRequest -e \
        'Apache::TestRequest::module($ARGV[0]); (Apache::TestRequest::hostport() =~ /:(\d+)$/) and print $1' "$1"
}
port=$(port_of default) tls_port=$(port_of csc_tls) tenant_port=$(port_of csc_tenant)
[ -n "$port" ] && [ -n "$tls_port" ] && [ -n "$tenant_port" ] \
    || { echo "nginx: Apache::Test gave no ports" >&2; exit 2; }
mkdir -p "$t/logs"
conf=$t/logs/nginx.conf
sed -e "s|@ServerRoot@|$t|g" -e "s|@Module@|$module|g" -e "s|@Port@|$port|g" \
    -e "s|@TLSPort@|$tls_port|g" -e "s|@TenantPort@|$tenant_port|g" \
    "$t/nginx/nginx.conf.in" > "$conf"
echo "nginx: $($nginx -v 2>&1), ports $port $tls_port $tenant_port"
"$nginx" -t -q -p "$t" -e "$t/logs/error_log" -c "$conf"
"$nginx" -p "$t" -e "$t/logs/error_log" -c "$conf"
stop() {
    pid=$(cat "$t/logs/httpd.pid" 2>/dev/null || true)
    [ -n "$pid" ] || return 0
    kill -QUIT "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$pid" 2>/dev/null || true
}
trap stop EXIT
status=0
# shellcheck disable=SC2086
CSC_SERVER=nginx perl t/TEST -run-tests $opts $files || status=1
stop
trap - EXIT
# nginx's log says what a test could not: a lost request in a worker that
# left ("open socket ... left"), a crash, an alert.  Only the workers that
# t/process/030 kills on purpose (signal 9) are expected.
if grep -E '\[(alert|emerg|crit)\]|open socket' "$t/logs/error_log" \
        | grep -v 'exited on signal 9$' | head -n 20 | grep .; then
    echo "nginx: the error log has alerts (above)"
    status=1
fi
exit $status
