#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds the suite's fixtures under t/fixtures (once): a SoftHSM2 token with
# the users' keys, credential stores made with csc-admin, password files for
# two authn providers, and fixture.json with the facts the tests need.
set -eu
t=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$t/.." && pwd)
fx=$t/fixtures
[ -f "$fx/fixture.json" ] && exit 0
rm -rf "$fx"
. "$top/tools/softhsm-dir.sh"
softhsm_dir "$fx"
admin=$top/tools/csc-admin
[ -x "$admin" ] || { echo "tools/csc-admin is not built" >&2; exit 2; }
module=/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so

token_pin=hsm-pin-4721
printf '%s' "$token_pin" > "$fx/token.pin"
export CSC_PKCS11_PIN="$token_pin"
softhsm2-util --init-token --free --label csc-test --so-pin 87654321 --pin "$token_pin" >/dev/null

htpasswd -bcB "$fx/htpasswd" alice 'alice-secret' 2>/dev/null
htpasswd -bB "$fx/htpasswd" bob 'bob-secret' 2>/dev/null
htdbm -bcB "$fx/users.dbm" carol 'carol-secret' >/dev/null 2>&1 \
    || htdbm -bc "$fx/users.dbm" carol 'carol-secret' >/dev/null
htpasswd -bB "$fx/htpasswd" erin 'erin-secret' 2>/dev/null
htpasswd -bB "$fx/htpasswd" frank 'frank-secret' 2>/dev/null
# grant lifecycle, per-user state limits and throttling (t/api/012_grants.t,
# t/api/014_state_limits.t)
htpasswd -bB "$fx/htpasswd" gina 'gina-secret' 2>/dev/null
htpasswd -bB "$fx/htpasswd" hugo 'hugo-secret' 2>/dev/null
# the OAuth 2.0 sign-in form's throttle (t/api/090_oauth2.t): wrong passwords
# count per user name across all locations, so no other test may spend ivan's
htpasswd -bB "$fx/htpasswd" ivan 'ivan-secret' 2>/dev/null
htpasswd -bcB "$fx/htpasswd-tenant" dave 'dave-secret' 2>/dev/null
# nginx has no DBM provider: its auth/login file holds carol as well, in
# apr1 MD5, a second scheme beside bcrypt (t/nginx/nginx.conf.in)
cp "$fx/htpasswd" "$fx/htpasswd-nginx"
htpasswd -bm "$fx/htpasswd-nginx" carol 'carol-secret' 2>/dev/null

# CSC_T_PG (a libpq conninfo without dbname, from t/pg.sh): the stores
# and the state in PostgreSQL instead (t/run-tests.sh pgsql)
if [ -n "${CSC_T_PG:-}" ]; then
    main="pgsql:$CSC_T_PG dbname=csc_main"
    tenant="pgsql:$CSC_T_PG dbname=csc_tenant"
    quota="pgsql:$CSC_T_PG dbname=csc_quota"
    state="pgsql:$CSC_T_PG dbname=csc_state"
    db_password=$(printf '%s\n' "$CSC_T_PG" | sed -n 's/.*password=\([^ ]*\).*/\1/p')
else
    main="sqlite3:$fx/main.db"
    tenant="sqlite3:$fx/tenant.db"
    quota="sqlite3:$fx/quota.db"
    state=""
    db_password=""
fi
ca="--ca-key $fx/ca.key --ca-cert $fx/ca.pem"
"$admin" ca-create --ca-key "$fx/ca.key" --ca-cert "$fx/ca.pem" \
    --subject "CN=mod_csc Test CA,O=mod_csc tests,C=BE" --days 3650
for store in "$main" "$tenant"; do "$admin" --store "$store" init; done
# for extra.conf.in: the specs, and the state
{
    printf 'Define CSC_STORE_MAIN "%s"\n' "$main"
    printf 'Define CSC_STORE_TENANT "%s"\n' "$tenant"
    printf 'Define CSC_STORE_QUOTA "%s"\n' "$quota"
    if [ -n "$state" ]; then
        printf 'CSCStateStore "%s"\n' "$state"
    else
        printf 'CSCStateFile "%s/logs/csc-state"\n' "$t"
    fi
} > "$fx/stores.conf"
chmod 600 "$fx/stores.conf"
# a tenant with a quota of logins (t/api/014_state_limits.t): no credentials
"$admin" --store "$quota" init >/dev/null

mk() {  # store id owner keyspec subject [extra options]
    store=$1 id=$2 owner=$3 key=$4 subj=$5; shift 5
    "$admin" --store "$store" --pkcs11-module "$module" create --id "$id" \
        --owner "$owner" --generate "$key" --token-label csc-test \
        --subject "$subj" $ca --days 365 "$@" >/dev/null
}
mk "$main" alice-rsa alice rsa:2048 "CN=Alice Example,O=Example Corp,C=BE" \
    --description "Alice's RSA signing key" --multisign 5
mk "$main" alice-ec alice ec:P-256 "CN=Alice Example,O=Example Corp,C=BE" --scal 2
i=1
while [ $i -le 10 ]; do
    mk "$main" "alice-extra-$(printf %02d $i)" alice ec:P-256 "CN=Alice Extra $i,C=BE"
    i=$((i + 1))
done
mk "$main" bob-rsa bob rsa:2048 "CN=Bob Example,C=BE"
mk "$main" carol-ec carol ec:P-384 "CN=Carol Example,C=BE"
mk "$tenant" dave-ec dave ec:P-256 "CN=Dave Tenant,C=BE"
"$admin" --store "$main" disable alice-extra-10 >/dev/null

# erin: one credential per authorization policy
pin() {  # id pin
    printf '%s\n' "$2" | "$admin" --store "$main" set-pin --id "$1" --pin-stdin >/dev/null
}
otp() {  # id type [options]: prints the secret
    id=$1; shift
    "$admin" --store "$main" set-otp --id "$id" --no-qr --type "$@" \
        | sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p'
}
e="CN=Erin Example,C=BE"
mk "$main" erin-pin erin ec:P-256 "$e" --multisign 10
pin erin-pin 246813
mk "$main" erin-totp erin ec:P-256 "$e"
totp_secret=$(otp erin-totp totp)
mk "$main" erin-totp256 erin ec:P-256 "$e"
totp256_secret=$(otp erin-totp256 totp --digits 8 --hash sha256)
mk "$main" erin-hotp erin ec:P-256 "$e"
hotp_secret=$(otp erin-hotp hotp)
mk "$main" erin-both erin ec:P-256 "$e"
pin erin-both 135792
both_secret=$(otp erin-both totp)
mk "$main" erin-online erin ec:P-256 "$e"
otp erin-online online >/dev/null
# another online credential of erin's, for races and cross-use of codes
mk "$main" erin-online2 erin ec:P-256 "$e"
otp erin-online2 online >/dev/null
mk "$main" erin-lock erin ec:P-256 "$e"
pin erin-lock 975311
mk "$main" erin-lock2 erin ec:P-256 "$e"
pin erin-lock2 975322
mk "$main" erin-race erin ec:P-256 "$e"
race_secret=$(otp erin-race totp)
mk "$main" erin-disabled erin ec:P-256 "$e"
pin erin-disabled 111333
"$admin" --store "$main" disable erin-disabled >/dev/null
# lockout under bursts of parallel guesses (t/api/032_lockout_race.t)
mk "$main" erin-burst-pin erin ec:P-256 "$e"
pin erin-burst-pin 314159
mk "$main" erin-burst-mix erin ec:P-256 "$e"
pin erin-burst-mix 271828
mk "$main" erin-burst-totp erin ec:P-256 "$e"
burst_totp_secret=$(otp erin-burst-totp totp)
mk "$main" erin-burst-hotp erin ec:P-256 "$e"
burst_hotp_secret=$(otp erin-burst-hotp hotp)
mk "$main" erin-burst-online erin ec:P-256 "$e"
otp erin-burst-online online >/dev/null
for s in "$totp_secret" "$totp256_secret" "$hotp_secret" "$both_secret" "$race_secret" \
         "$burst_totp_secret" "$burst_hotp_secret"; do
    [ -n "$s" ] || { echo "set-otp printed no secret" >&2; exit 1; }
done

# frank: every key type and size, for signing
f="CN=Frank Example,O=Frank Corp,C=BE"
mk "$main" frank-rsa2048 frank rsa:2048 "$f" --multisign 32
mk "$main" frank-rsa3072 frank rsa:3072 "$f" --multisign 4
mk "$main" frank-rsa4096 frank rsa:4096 "$f" --multisign 4
mk "$main" frank-p256 frank ec:P-256 "$f" --multisign 32
mk "$main" frank-p384 frank ec:P-384 "$f" --multisign 4
mk "$main" frank-p521 frank ec:P-521 "$f" --multisign 4
mk "$main" frank-scal2 frank ec:P-256 "$f" --multisign 4 --scal 2
pin frank-scal2 864209
# extendTransaction (t/api/055_extend.t): SCAL 2 and SCAL 1
mk "$main" frank-ext2 frank ec:P-256 "$f" --multisign 4 --scal 2
pin frank-ext2 864211
mk "$main" frank-ext1 frank ec:P-256 "$f" --multisign 8
pin frank-ext1 864212
mk "$main" gina-pin gina ec:P-256 "CN=Gina Example,C=BE" --multisign 4
pin gina-pin 582046
mk "$main" hugo-pin hugo ec:P-256 "CN=Hugo Example,C=BE"
pin hugo-pin 582047
"$admin" --store "$main" --pkcs11-module "$module" create --id frank-expired --owner frank \
    --generate ec:P-256 --token-label csc-test --subject "CN=Frank Expired,O=Frank Corp,C=BE" \
    $ca --days -1 >/dev/null

# OAuth 2.0 clients (t/api/090_oauth2*.t): secrets from files, so the
# tests know them
client() {  # id secret-or-"public" [options]
    id=$1 secret=$2; shift 2
    if [ "$secret" = public ]; then
        "$admin" --store "$main" client add "$id" --public "$@" >/dev/null
    else
        printf '%s\n' "$secret" > "$fx/client-$id.secret"
        "$admin" --store "$main" client add "$id" --secret-file "$fx/client-$id.secret" "$@" >/dev/null
    fi
}
web_secret=web-app-secret-0123456789abcdefghijklmnop
other_secret=other-app-secret-0123456789abcdefghijklmno
batch_secret=batch-secret-0123456789abcdefghijklmnopqrstu
client web-app "$web_secret" --name "Web <Signing> App" \
    --redirect-uri https://app.example/cb --redirect-uri http://127.0.0.1/cb
client other-app "$other_secret" --name "Other App" --redirect-uri https://other.example/cb
client wallet public --name "EU Wallet" --redirect-uri eu.europa.ec.wallet:/cb
client batch "$batch_secret" --name "Batch signer" --grant-types client_credentials \
    --acts-as frank
client code-only "$web_secret" --name "No refresh" --grant-types authorization_code \
    --redirect-uri https://app.example/cb

# a TLS certificate for the configuration examples
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -addext "basicConstraints=critical,CA:FALSE" \
    -keyout "$fx/tls-key.pem" -out "$fx/tls-cert.pem" 2>/dev/null
# a TLS client certificate for alice, from the test CA (external/TLS login)
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=alice/O=Clients" \
    -keyout "$fx/client-alice.key" -out "$fx/client-alice.csr" 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' > "$fx/client.ext"
openssl x509 -req -in "$fx/client-alice.csr" -CA "$fx/ca.pem" -CAkey "$fx/ca.key" \
    -CAcreateserial -days 30 -extfile "$fx/client.ext" -out "$fx/client-alice.pem" 2>/dev/null

cat > "$fx/fixture.json" <<JSON
{
  "users": {
    "alice": {"login": "alice", "password": "alice-secret"},
    "bob": {"login": "bob", "password": "bob-secret"},
    "carol": {"login": "carol", "password": "carol-secret"},
    "dave": {"login": "dave", "password": "dave-secret"},
    "erin": {"login": "erin", "password": "erin-secret"},
    "frank": {"login": "frank", "password": "frank-secret"},
    "gina": {"login": "gina", "password": "gina-secret"},
    "hugo": {"login": "hugo", "password": "hugo-secret"},
    "ivan": {"login": "ivan", "password": "ivan-secret"}
  },
  "credentials": {
    "erin-pin": {"pin": "246813"},
    "erin-totp": {"secret": "$totp_secret"},
    "erin-totp256": {"secret": "$totp256_secret"},
    "erin-hotp": {"secret": "$hotp_secret"},
    "erin-both": {"pin": "135792", "secret": "$both_secret"},
    "erin-online": {},
    "erin-online2": {},
    "erin-lock": {"pin": "975311"},
    "erin-lock2": {"pin": "975322"},
    "erin-race": {"secret": "$race_secret"},
    "erin-burst-pin": {"pin": "314159"},
    "erin-burst-mix": {"pin": "271828"},
    "erin-burst-totp": {"secret": "$burst_totp_secret"},
    "erin-burst-hotp": {"secret": "$burst_hotp_secret"},
    "erin-burst-online": {},
    "frank-scal2": {"pin": "864209"},
    "frank-ext2": {"pin": "864211"},
    "frank-ext1": {"pin": "864212"},
    "gina-pin": {"pin": "582046"},
    "hugo-pin": {"pin": "582047"}
  },
  "clients": {
    "web-app": {"secret": "$web_secret", "redirect_uri": "https://app.example/cb"},
    "other-app": {"secret": "$other_secret", "redirect_uri": "https://other.example/cb"},
    "wallet": {"redirect_uri": "eu.europa.ec.wallet:/cb"},
    "batch": {"secret": "$batch_secret"},
    "code-only": {"secret": "$web_secret", "redirect_uri": "https://app.example/cb"}
  },
  "token_pin": "$token_pin",
  "softhsm2_conf": "$fx/softhsm2.conf",
  "ca": "$fx/ca.pem",
  "admin": "$admin",
  "main_store": "$main",
  "tenant_store": "$tenant",
  "state_store": "$state",
  "db_password": "$db_password"
}
JSON
