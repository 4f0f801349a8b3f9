#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Quick-start command 1: runs mod_csc on an embedded default.
#   sh tools/demo.sh         provision and start (again, from scratch)
#   sh tools/demo.sh nginx   the same on nginx with ngx_http_csc_module
#                            (or CSC_DEMO_SERVER=nginx)
#   sh tools/demo.sh stop    stop it
# Installs missing Debian packages, builds, provisions a SoftHSM2 token, a
# SQLite credential store, a demo CA and two users with credentials, and
# starts a private httpd (or nginx) on https://127.0.0.1:$CSC_DEMO_PORT
# (default 8443).  Everything lives in $CSC_DEMO_DIR (default
# /var/tmp/mod_csc-demo); nothing in /etc/apache2 or /etc/nginx is read or
# changed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dir=${CSC_DEMO_DIR:-/var/tmp/mod_csc-demo}
port=${CSC_DEMO_PORT:-8443}
httpd=/usr/sbin/apache2
nginx=/usr/sbin/nginx
server=${CSC_DEMO_SERVER:-httpd}
[ "${1:-}" = nginx ] && server=nginx

stop() {
    if [ -f "$dir/run/httpd.pid" ] && kill -0 "$(cat "$dir/run/httpd.pid")" 2>/dev/null; then
        $httpd -f "$dir/httpd.conf" -k graceful-stop 2>/dev/null || true
        i=0
        while [ -f "$dir/run/httpd.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        echo "mod_csc demo stopped"
    fi
    if [ -f "$dir/run/nginx.pid" ] && kill -0 "$(cat "$dir/run/nginx.pid")" 2>/dev/null; then
        kill -QUIT "$(cat "$dir/run/nginx.pid")"
        i=0
        while [ -f "$dir/run/nginx.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        echo "mod_csc demo (nginx) stopped"
    fi
}
if [ "${1:-}" = stop ]; then stop; exit 0; fi
case $server in httpd|nginx) ;; *) echo "CSC_DEMO_SERVER: httpd or nginx" >&2; exit 2 ;; esac

cd "$top"
sh tools/deps.sh
sh tools/build.sh >/dev/null
stop

# the children run unprivileged; as root, a dedicated system user
if [ "$(id -u)" = 0 ]; then
    id csc-demo >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin csc-demo
    user=csc-demo
else
    user=$(id -un)
fi
as_user() { if [ "$(id -u)" = 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi; }

rm -rf "$dir"
mkdir -p "$dir/run" "$dir/logs" "$dir/lib"
umask 077
rnd() { tr -dc "$1" < /dev/urandom | head -c "$2"; }
token_pin=$(rnd 'A-Za-z0-9' 16)
printf '%s' "$token_pin" > "$dir/token.pin"
. "$top/tools/softhsm-dir.sh"
softhsm_dir "$dir"
export CSC_PKCS11_PIN="$token_pin"
admin="$top/tools/csc-admin"
store="sqlite3:$dir/lib/csc.db"
softhsm2-util --init-token --free --label csc-demo --so-pin "$(rnd 0-9 12)" \
    --pin "$token_pin" >/dev/null
"$admin" ca-create --ca-key "$dir/ca.key" --ca-cert "$dir/ca.pem" \
    --subject "CN=mod_csc Demo CA,O=mod_csc demo,C=BE" >/dev/null
"$admin" --store "$store" init >/dev/null

pw_alice=$(rnd 'A-Za-z0-9' 12)
pw_bob=$(rnd 'A-Za-z0-9' 12)
htpasswd -bcB "$dir/htpasswd" alice "$pw_alice" 2>/dev/null
htpasswd -bB "$dir/htpasswd" bob "$pw_bob" 2>/dev/null

create() {  # id owner key subject [options]
    id=$1 owner=$2 key=$3 subj=$4; shift 4
    "$admin" --store "$store" create --id "$id" --owner "$owner" --generate "$key" \
        --token-label csc-demo --subject "$subj" --ca-key "$dir/ca.key" \
        --ca-cert "$dir/ca.pem" "$@" >/dev/null
}
set_pin() {  # id -> prints the PIN
    p=$(rnd 0-9 6)
    printf '%s\n' "$p" | "$admin" --store "$store" set-pin --id "$1" --pin-stdin >/dev/null
    printf '%s' "$p"
}
set_otp() {  # id type -> prints the secret
    "$admin" --store "$store" set-otp --id "$1" --type "$2" --no-qr \
        | sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p'
}
create alice-rsa alice rsa:2048 "CN=Alice Demo,O=Demo Corp,C=BE" --multisign 10 \
    --description "RSA-2048, PIN"
pin_alice_rsa=$(set_pin alice-rsa)
create alice-ec alice ec:P-256 "CN=Alice Demo,O=Demo Corp,C=BE" --multisign 10 \
    --description "EC P-256, TOTP"
totp_alice_ec=$(set_otp alice-ec totp)
create alice-both alice ec:P-384 "CN=Alice Demo,O=Demo Corp,C=BE" --scal 2 \
    --description "EC P-384, PIN AND TOTP, SCAL 2"
pin_alice_both=$(set_pin alice-both)
totp_alice_both=$(set_otp alice-both totp)
create bob-rsa bob rsa:3072 "CN=Bob Demo,C=BE" --description "RSA-3072, HOTP"
hotp_bob_rsa=$(set_otp bob-rsa hotp)
create bob-ec bob ec:P-256 "CN=Bob Demo,C=BE" --multisign 5 --description "EC P-256, PIN"
pin_bob_ec=$(set_pin bob-ec)

# OAuth 2.0 clients: a confidential one (code flow and client_credentials,
# acting as alice) and a public one (PKCE), both landing on a page of
# this server that shows the code
callback="https://127.0.0.1:$port/demo/callback.html"
web_secret=$(rnd 'A-Za-z0-9' 43)
printf '%s\n' "$web_secret" > "$dir/client.secret"
"$admin" --store "$store" client add demo-web --name "Demo web application" \
    --secret-file "$dir/client.secret" --redirect-uri "$callback" \
    --grant-types "authorization_code refresh_token client_credentials" \
    --acts-as alice >/dev/null
rm -f "$dir/client.secret"
"$admin" --store "$store" client add demo-wallet --public --name "Demo wallet" \
    --redirect-uri "$callback" >/dev/null
mkdir -p "$dir/htdocs/demo"
cat > "$dir/htdocs/demo/callback.html" <<'HTML'
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>mod_csc demo client</title></head>
<body><h1>Back at the client</h1>
<p>The address bar holds <code>code=...</code>: exchange it at /csc/oauth2/token
within 60 seconds (see the demo's instructions).</p></body></html>
HTML

# TLS: a self-signed certificate for 127.0.0.1, which is also the CA file
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
    -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
    -addext "basicConstraints=critical,CA:FALSE" -addext "extendedKeyUsage=serverAuth" \
    -keyout "$dir/tls.key" -out "$dir/tls.pem" 2>/dev/null

moddir=$(apxs -q LIBEXECDIR)
runas=""
[ "$(id -u)" = 0 ] && runas="User $user
Group $(id -gn "$user")"
cat > "$dir/httpd.conf" <<EOF
# mod_csc demo: a private httpd, generated by tools/demo.sh
ServerRoot "$dir"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile run/httpd.pid
DefaultRuntimeDir run
Mutex file:run default
ErrorLog logs/error_log
LogLevel warn csc:info
$runas
LoadModule mpm_event_module $moddir/mod_mpm_event.so
LoadModule authz_core_module $moddir/mod_authz_core.so
LoadModule authn_core_module $moddir/mod_authn_core.so
LoadModule authn_file_module $moddir/mod_authn_file.so
LoadModule mime_module $moddir/mod_mime.so
LoadModule socache_shmcb_module $moddir/mod_socache_shmcb.so
LoadModule ssl_module $moddir/mod_ssl.so
LoadModule csc_module $top/mod_csc/.libs/mod_csc.so
TypesConfig /etc/mime.types
<Directory />
    AllowOverride None
    Require all denied
</Directory>
SSLSessionCache shmcb:run/ssl_scache(512000)
SSLEngine on
SSLProtocol -all +TLSv1.2 +TLSv1.3
SSLCertificateFile $dir/tls.pem
SSLCertificateKeyFile $dir/tls.key

CSCPKCS11Module /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so
CSCPKCS11PIN file:$dir/token.pin
LogFormat "%h %u %t \"%r\" %>s %{csc-method}n %{csc-credential}n %{csc-error}n" csc
CustomLog logs/access_log csc

DocumentRoot "$dir/htdocs"
<Directory "$dir/htdocs">
    Require all granted
</Directory>

<Location /csc>
    Require all granted
    SetHandler csc-api
    CSCCredentialStore $store
    CSCServiceName "mod_csc demo"
    CSCServiceRegion BE
    CSCAuthType basic oauth2code oauth2client
    CSCAuthnProvider file
    AuthUserFile $dir/htpasswd
</Location>
EOF
if [ "$server" = nginx ]; then
    nginx_user=""
    [ "$(id -u)" = 0 ] && nginx_user="user $user $(id -gn "$user");"
    cat > "$dir/nginx.conf" <<EOF
# mod_csc demo on nginx: a private nginx, generated by tools/demo.sh
load_module $top/ngx_csc/build/objs/ngx_http_csc_module.so;
$nginx_user
worker_processes 2;
pid $dir/run/nginx.pid;
error_log $dir/logs/error_log info;
# nginx clears its workers' environment: SoftHSM2 finds its tokens here
env SOFTHSM2_CONF;
events { worker_connections 256; }
http {
    include /etc/nginx/mime.types;
    client_body_temp_path $dir/run/body;
    proxy_temp_path $dir/run/proxy;
    fastcgi_temp_path $dir/run/fastcgi;
    uwsgi_temp_path $dir/run/uwsgi;
    scgi_temp_path $dir/run/scgi;
    log_format csc '\$remote_addr \$remote_user [\$time_local] "\$request" \$status '
                   '\$csc_method \$csc_credential \$csc_error';
    access_log $dir/logs/access_log csc;
    csc_pkcs11_module /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so;
    csc_pkcs11_pin file:$dir/token.pin;
    csc_state_file $dir/run/csc-state;
    server {
        listen 127.0.0.1:$port ssl;
        ssl_certificate $dir/tls.pem;
        ssl_certificate_key $dir/tls.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        root $dir/htdocs;
        location /csc {
            csc_api;
            csc_credential_store $store;
            csc_service_name "mod_csc demo";
            csc_service_region BE;
            csc_auth_type basic oauth2code oauth2client;
            csc_auth_basic_user_file $dir/htpasswd;
        }
        # RFC 8414: the metadata of the issuer https://127.0.0.1:$port/csc
        location = /.well-known/oauth-authorization-server/csc {
            rewrite ^ /csc/.well-known/oauth-authorization-server last;
        }
    }
}
EOF
fi
chown -R "$user" "$dir"
chmod 755 "$dir"
# the PIN file is read by the (root) parent; keep it away from the children
[ "$(id -u)" = 0 ] && chown root: "$dir/token.pin" "$dir/httpd.conf"
if [ "$server" = nginx ]; then
    [ "$(id -u)" = 0 ] && chown root: "$dir/nginx.conf"
    [ -f "$top/ngx_csc/build/objs/ngx_http_csc_module.so" ] \
        || { echo "the nginx module is not built (configure found no nginx-dev)" >&2; exit 1; }
    ngx() { SOFTHSM2_CONF="$dir/softhsm2.conf" $nginx -p "$dir" -e "$dir/logs/error_log" -c "$dir/nginx.conf" "$@"; }
    ngx -t -q || exit 1
    ngx
else
    $httpd -t -f "$dir/httpd.conf" >/dev/null 2>&1 || { $httpd -t -f "$dir/httpd.conf"; exit 1; }
    SOFTHSM2_CONF="$dir/softhsm2.conf" $httpd -f "$dir/httpd.conf" -k start
fi

base="https://127.0.0.1:$port/csc"
i=0
until curl -sf --cacert "$dir/tls.pem" "$base/v1/info" >/dev/null 2>&1; do
    i=$((i + 1))
    [ $i -gt 50 ] && { echo "the demo server did not answer; see $dir/logs/error_log" >&2; exit 1; }
    sleep 0.1
done

cat > "$dir/summary.json" <<EOF
{
  "server": "$server",
  "base_url": "$base",
  "v1": "$base/v1/",
  "v2": "$base/v2/",
  "ca_file": "$dir/tls.pem",
  "stop": "sh $top/tools/demo.sh stop",
  "users": {
    "alice": {"password": "$pw_alice", "credentials": {
      "alice-rsa": {"key": "RSA-2048", "auth": "PIN", "PIN": "$pin_alice_rsa"},
      "alice-ec": {"key": "EC P-256", "auth": "TOTP (SHA-1, 6 digits, 30 s)", "totp_secret": "$totp_alice_ec"},
      "alice-both": {"key": "EC P-384", "auth": "PIN AND TOTP", "SCAL": "2", "PIN": "$pin_alice_both", "totp_secret": "$totp_alice_both"}
    }},
    "bob": {"password": "$pw_bob", "credentials": {
      "bob-rsa": {"key": "RSA-3072", "auth": "HOTP (SHA-1, 6 digits, counter from 0)", "hotp_secret": "$hotp_bob_rsa"},
      "bob-ec": {"key": "EC P-256", "auth": "PIN", "PIN": "$pin_bob_ec"}
    }}
  },
  "clients": {
    "demo-web": {"client_id": "demo-web", "type": "confidential", "client_secret": "$web_secret",
                 "redirect_uris": ["$callback"], "acts_as": "alice",
                 "grant_types": ["authorization_code", "refresh_token", "client_credentials"]},
    "demo-wallet": {"client_id": "demo-wallet", "type": "public",
                    "redirect_uris": ["$callback"], "grant_types": ["authorization_code", "refresh_token"]}
  },
  "oauth2": "$base",
  "store": "$store",
  "error_log": "$dir/logs/error_log"
}
EOF
chmod 600 "$dir/summary.json"

cat <<EOF
mod_csc demo is running on $server at $base (v1 and v2), TLS with CA file $dir/tls.pem.
Users, passwords, credentials, PINs and OTP secrets: $dir/summary.json

  curl --cacert $dir/tls.pem $base/v2/info
  TOKEN=\$(curl -s --cacert $dir/tls.pem -u alice:$pw_alice -H 'Content-Type: application/json' \\
      -d '{}' $base/v1/auth/login | sed 's/.*"access_token":"\\([^"]*\\)".*/\\1/')
  curl -s --cacert $dir/tls.pem -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
      -d '{}' $base/v1/credentials/list
  SAD=\$(curl -s --cacert $dir/tls.pem -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
      -d '{"credentialID":"alice-rsa","numSignatures":1,"PIN":"$pin_alice_rsa"}' \\
      $base/v1/credentials/authorize | sed 's/.*"SAD":"\\([^"]*\\)".*/\\1/')
  curl -s --cacert $dir/tls.pem -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
      -d '{"credentialID":"alice-rsa","SAD":"'\$SAD'","hash":["47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="],"signAlgo":"1.2.840.113549.1.1.11"}' \\
      $base/v1/signatures/signHash

OAuth 2.0 (clients demo-web and demo-wallet in the summary):
  # client_credentials, acting as alice:
  curl -s --cacert $dir/tls.pem -u demo-web:$web_secret \\
      -d grant_type=client_credentials $base/oauth2/token
  # the code flow: open this in a browser, sign in as alice, allow, then
  # exchange the code shown in the address bar within 60 s:
  $base/oauth2/authorize?response_type=code&client_id=demo-web&scope=service&state=demo&redirect_uri=$callback
  curl -s --cacert $dir/tls.pem -u demo-web:$web_secret -d grant_type=authorization_code \\
      --data-urlencode redirect_uri=$callback -d code=CODE $base/oauth2/token

Stop it with: sh $top/tools/demo.sh stop
EOF
