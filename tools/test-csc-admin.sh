#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end test of csc-admin against a throw-away SoftHSM2 token, a fresh
# SQLite store and the local CA.  Prints TAP; exits non-zero on failure.
#
#   tools/test-csc-admin.sh [path/to/csc-admin]     (or CSC_ADMIN=...)
#
# Needs softhsm2-util, pkcs11-tool (opensc), openssl with the pkcs11 engine
# (libengine-pkcs11-openssl), sqlite3 and oathtool; everything it writes
# lives in one mktemp -d directory that is removed at the end.
set -u

T=${1:-${CSC_ADMIN:-$(dirname "$0")/csc-admin}}
MOD=${CSC_TEST_PKCS11_MODULE:-/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so}

n=0
failed=0
ok() {      # ok COND-STATUS DESCRIPTION
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        failed=$((failed + 1))
    fi
}
check() {   # check DESCRIPTION COMMAND...: ok when the command succeeds
    local d=$1
    shift
    "$@" >/dev/null 2>&1
    ok $? "$d"
}
is() {      # is GOT WANT DESCRIPTION
    if [ "$1" = "$2" ]; then
        ok 0 "$3"
    else
        ok 1 "$3"
        echo "#   got:  '$1'"
        echo "#   want: '$2'"
    fi
}
exit_is() { # exit_is WANT DESCRIPTION COMMAND...
    local want=$1 d=$2
    shift 2
    "$@" >"$W/out" 2>"$W/err" </dev/null
    local rc=$?
    is "$rc" "$want" "$d (exit $want)"
    [ "$rc" = "$want" ] || sed 's/^/#   /' "$W/err"
}
skip_all() {
    echo "1..0 # SKIP $1"
    exit 0
}

for tool in softhsm2-util pkcs11-tool openssl sqlite3 oathtool od base32; do
    command -v $tool >/dev/null 2>&1 || skip_all "$tool not installed"
done
[ -r "$MOD" ] || skip_all "no PKCS#11 module at $MOD"
[ -x "$T" ] || { echo "Bail out! csc-admin not found at $T"; exit 1; }

W=$(mktemp -d "${TMPDIR:-/tmp}/csc-admin-test.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
. "$(dirname "$0")/softhsm-dir.sh"
softhsm_dir "$W"
unset CSC_PKCS11_PIN CSC_STORE
softhsm2-util --init-token --free --label csc-test --so-pin 12345678 \
    --pin 1234 >/dev/null || { echo "Bail out! softhsm2-util failed"; exit 1; }
printf '1234\n' >"$W/token.pin"
DB=$W/csc.db
STORE=sqlite3:$DB
P11="--pkcs11-module $MOD --pkcs11-pin-file $W/token.pin"
CA="--ca-key $W/ca.key --ca-cert $W/ca.pem"

sql() { sqlite3 "$DB" "$1"; }
# hex CKA_ID from a key_ref "...;id=%ab%cd...;..."
ref_id() { sed -n 's/.*;id=\([%0-9a-fA-F]*\).*/\1/p' <<<"$1" | tr -d %; }
token_objects() {
    pkcs11-tool --module "$MOD" --token-label csc-test --login --pin 1234 \
        --list-objects 2>/dev/null | grep -c 'Object;'
}
token_pubkey_pem() {    # token_pubkey_pem HEXID OUT
    pkcs11-tool --module "$MOD" --token-label csc-test --login --pin 1234 \
        --read-object --type pubkey --id "$1" -o "$W/tok.der" >/dev/null 2>&1 \
    && openssl pkey -pubin -inform DER -in "$W/tok.der" -out "$2" 2>/dev/null
}
# first certificate of the stored chain of credential $1 -> $2
stored_cert() {
    sql "SELECT cert_chain_pem FROM csc_credential WHERE id = '$1'" \
        | sed -n '1,/-----END CERTIFICATE-----/p' >"$2"
}
hex2bin() { printf "$(sed 's/../\\x&/g' <<<"$1")"; }
# RFC 6238 TOTP computed with openssl alone: SECRET TIME DIGITS PERIOD HASH
totp_ref() {
    local s=$1 pad key mac off bin
    pad=$(( (8 - ${#s} % 8) % 8 ))
    key=$( { printf '%s' "$s"; printf '%*s' $pad '' | tr ' ' '='; } \
           | base32 -d | od -An -tx1 -v | tr -d ' \n')
    mac=$(hex2bin "$(printf '%016x' $(( $2 / $4 )))" \
          | openssl dgst -"$5" -mac HMAC -macopt hexkey:"$key" -binary \
          | od -An -tx1 -v | tr -d ' \n')
    off=$(( 16#${mac: -1} ))
    bin=$(( 16#${mac:$((off * 2)):8} & 0x7fffffff ))
    printf "%0${3}d" $(( bin % (10 ** $3) ))
}

# ---- help and usage --------------------------------------------------------
for cmd in init ca-create create attach-cert csr set-pin set-otp list show \
           enable disable unblock delete; do
    exit_is 0 "$cmd --help" "$T" $cmd --help
done
exit_is 0 "global --help" "$T" --help
exit_is 2 "no command" "$T"
exit_is 2 "unknown command" "$T" frobnicate
exit_is 2 "unknown option" "$T" list --frobnicate
exit_is 2 "option without its value" "$T" show --store
exit_is 2 "create without --owner" "$T" --store "$STORE" create --id x \
    --key-ref file:/nonexistent
exit_is 2 "create with a bad --generate" "$T" --store "$STORE" create \
    --id x --owner u --generate rsa:1024 --token-label csc-test
exit_is 2 "create with --generate and --key-ref" "$T" --store "$STORE" \
    create --id x --owner u --generate ec:P-256 --token-label csc-test \
    --key-ref file:/x
exit_is 2 "create --subject without a CA or --csr-out" "$T" --store "$STORE" \
    create --id x --owner u --key-ref file:/x --subject CN=x
exit_is 2 "set-otp with a bad --type" "$T" --store "$STORE" set-otp --id x \
    --type sms
exit_is 2 "set-pin without a PIN source" "$T" --store "$STORE" set-pin --id x
exit_is 2 "show without an ID" "$T" --store "$STORE" show
exit_is 2 "list with an extra argument" "$T" --store "$STORE" list extra
exit_is 2 "no store named" "$T" list
exit_is 2 "--multisign 0" "$T" --store "$STORE" create --id x --owner u \
    --key-ref file:/x --multisign 0

# ---- init --------------------------------------------------------------------
exit_is 0 "init" "$T" --store "$STORE" init
check "init created the schema" test "$(sql 'SELECT version FROM csc_schema')" = 2
sum1=$(cksum <"$DB")
exit_is 1 "init refuses an existing store" "$T" --store "$STORE" init
is "$(cksum <"$DB")" "$sum1" "existing store left untouched"
export CSC_STORE=$STORE

# ---- local CA ------------------------------------------------------------------
exit_is 0 "ca-create" "$T" ca-create $CA --subject "CN=Test CA,O=Example" \
    --days 30
check "CA certificate is self-signed" \
    openssl verify -CAfile "$W/ca.pem" "$W/ca.pem"
is "$(openssl x509 -in "$W/ca.pem" -noout -subject -nameopt RFC2253)" \
   "subject=CN=Test CA,O=Example" "CA subject"
exit_is 1 "ca-create refuses to overwrite the CA key" "$T" ca-create $CA \
    --subject "CN=Other"

# ---- credentials with keys generated on the token ------------------------------
objs0=$(token_objects)
exit_is 1 "create with a wrong token PIN" env CSC_PKCS11_PIN=9999 "$T" \
    create --id bad --owner alice --generate ec:P-256 --token-label csc-test \
    --pkcs11-module "$MOD" --subject CN=x $CA
exit_is 1 "create without any token PIN" "$T" create --id bad --owner alice \
    --generate ec:P-256 --token-label csc-test --pkcs11-module "$MOD"
exit_is 1 "create on an unknown token" "$T" create --id bad --owner alice \
    --generate ec:P-256 --token-label nosuch $P11
exit_is 1 "create with a bad subject" "$T" create --id bad --owner alice \
    --generate ec:P-256 --token-label csc-test $P11 --subject "XX=1" $CA
is "$(token_objects)" "$objs0" "failed creates leave no key on the token"
is "$(sql "SELECT count(*) FROM csc_credential")" 0 "nor a record"

for spec in rsa:2048 ec:P-256; do
    id=alice-${spec%%:*}
    exit_is 0 "create $id ($spec on the token, local CA)" "$T" create \
        --id $id --owner alice --generate $spec --token-label csc-test $P11 \
        --subject "CN=Alice $spec,O=Example" $CA --description "test $spec"
    ref=$(sql "SELECT key_ref FROM csc_credential WHERE id = '$id'")
    hex=$(ref_id "$ref")
    check "$id key_ref names token and id" grep -Eq \
        '^engine:pkcs11:token=csc-test;id=(%[0-9a-f]{2}){16};type=private$' \
        <<<"$ref"
    check "$id public key read from the token" token_pubkey_pem "$hex" \
        "$W/$id.tok.pem"
    stored_cert $id "$W/$id.crt"
    openssl x509 -in "$W/$id.crt" -noout -pubkey >"$W/$id.crt.pub" 2>/dev/null
    check "$id certificate carries the token key" \
        cmp "$W/$id.crt.pub" "$W/$id.tok.pem"
    sql "SELECT pubkey_pem FROM csc_credential WHERE id = '$id'" \
        | openssl pkey -pubin -out "$W/$id.stored.pub" 2>/dev/null
    check "$id stored public key is the token key" \
        cmp "$W/$id.stored.pub" "$W/$id.tok.pem"
    check "$id certificate chains to the CA" \
        openssl verify -CAfile "$W/ca.pem" "$W/$id.crt"
    is "$(openssl x509 -in "$W/$id.crt" -noout -subject -nameopt RFC2253)" \
       "subject=CN=Alice $spec,O=Example" "$id certificate subject"
    is "$(sql "SELECT enabled FROM csc_credential WHERE id = '$id'")" 1 \
       "$id is enabled"
    # the reference works through the pkcs11 engine exactly as stored
    uri="${ref#engine:};pin-value=1234"
    printf 'to be signed' >"$W/data"
    openssl dgst -sha256 -engine pkcs11 -keyform engine -sign "$uri" \
        -out "$W/$id.sig" "$W/data" >/dev/null 2>&1
    check "$id signs through the pkcs11 engine" openssl dgst -sha256 \
        -verify "$W/$id.crt.pub" -signature "$W/$id.sig" "$W/data"
done
check "RSA key is 2048 bits" grep -q 'Public-Key: (2048 bit)' \
    <(openssl x509 -in "$W/alice-rsa.crt" -noout -text)
check "EC key is on P-256" grep -q 'NIST CURVE: P-256' \
    <(openssl x509 -in "$W/alice-ec.crt" -noout -text)
check "private keys are never extractable" test "$(pkcs11-tool --module "$MOD" \
    --token-label csc-test --login --pin 1234 --list-objects --type privkey \
    2>/dev/null | grep -c 'never extractable')" = 2
exit_is 1 "create refuses an existing id" "$T" create --id alice-ec \
    --owner bob --generate ec:P-256 --token-label csc-test $P11

# ---- CSR for an external CA, attach-cert, enable ---------------------------------
exit_is 0 "create with --csr-out (ec:P-384)" "$T" create --id bob-ec \
    --owner bob --generate ec:P-384 --token-label csc-test $P11 \
    --subject "CN=Bob,O=Example" --csr-out "$W/bob.csr"
check "CSR self-signature verifies" openssl req -in "$W/bob.csr" -verify -noout
openssl req -in "$W/bob.csr" -noout -pubkey >"$W/bob.csr.pub" 2>/dev/null
sql "SELECT pubkey_pem FROM csc_credential WHERE id = 'bob-ec'" \
    | openssl pkey -pubin -out "$W/bob.pub" 2>/dev/null
check "CSR carries the stored key" cmp "$W/bob.csr.pub" "$W/bob.pub"
is "$(sql "SELECT enabled || '/' || ifnull(cert_chain_pem, 'none') \
      FROM csc_credential WHERE id = 'bob-ec'")" "0/none" \
   "credential without certificate is stored disabled"
exit_is 1 "enable refuses a credential without certificate" "$T" enable bob-ec
openssl x509 -req -in "$W/bob.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" \
    -CAcreateserial -days 10 -out "$W/bob.crt" >/dev/null 2>&1
cat "$W/bob.crt" "$W/ca.pem" >"$W/bob.chain"
exit_is 1 "attach-cert refuses another key's certificate" "$T" attach-cert \
    --id bob-ec --cert-chain "$W/alice-ec.crt"
cat "$W/bob.crt" "$W/alice-rsa.crt" >"$W/bad.chain"
exit_is 1 "attach-cert refuses a chain that does not link" "$T" attach-cert \
    --id bob-ec --cert-chain "$W/bad.chain"
exit_is 0 "attach-cert" "$T" attach-cert --id bob-ec --cert-chain "$W/bob.chain"
stored_cert bob-ec "$W/bob.stored.crt"
check "attached certificate stored" cmp "$W/bob.stored.crt" "$W/bob.crt"
exit_is 0 "enable" "$T" enable bob-ec
is "$(sql "SELECT enabled FROM csc_credential WHERE id = 'bob-ec'")" 1 \
   "enable sets enabled"
exit_is 0 "csr for an existing credential" "$T" csr --id alice-rsa $P11 \
    --subject "CN=Alice renewed" --out "$W/renew.csr"
check "renewal CSR verifies" openssl req -in "$W/renew.csr" -verify -noout

# ---- an existing software key with a chain issued elsewhere ----------------------
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$W/soft.key" 2>/dev/null
openssl req -new -key "$W/soft.key" -subj "/CN=Carol" -out "$W/soft.csr"
openssl x509 -req -in "$W/soft.csr" -CA "$W/ca.pem" -CAkey "$W/ca.key" \
    -CAcreateserial -days 10 -out "$W/soft.crt" >/dev/null 2>&1
cat "$W/soft.crt" "$W/ca.pem" >"$W/soft.chain"
exit_is 0 "create with --key-ref file: and --cert-chain" "$T" create \
    --id carol --owner carol --key-ref "file:$W/soft.key" \
    --cert-chain "$W/soft.chain" --multisign 5 --scal 2
is "$(sql "SELECT enabled||multisign||scal FROM csc_credential WHERE id='carol'")" \
   152 "enabled, multisign and scal stored"
exit_is 1 "create with a chain for another key" "$T" create --id carol2 \
    --owner carol --key-ref "file:$W/soft.key" --cert-chain "$W/bob.chain"

# ---- PIN ---------------------------------------------------------------------------
printf '4711\n' >"$W/user.pin"
exit_is 0 "set-pin --pin-file" "$T" set-pin --id alice-ec \
    --pin-file "$W/user.pin" --pin-iterations 1000
h=$(sql "SELECT pin_hash FROM csc_credential WHERE id = 'alice-ec'")
check "store holds a PBKDF2 hash" grep -Eq \
    '^pbkdf2-sha256\$1000\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$' <<<"$h"
check "the PIN itself is nowhere in the store" \
    test "$(sqlite3 "$DB" .dump | grep -c 4711)" = 0
exit_is 1 "set-pin refuses an empty PIN" "$T" set-pin --id alice-rsa \
    --pin-stdin
printf 'Secret 1\n' | "$T" set-pin --id alice-rsa --pin-stdin --pin-format A \
    >/dev/null 2>&1
ok $? "set-pin from a pipe (format A)"
is "$(sql "SELECT pin_format || substr(pin_hash, 1, 14) FROM csc_credential \
      WHERE id = 'alice-rsa'")" 'Apbkdf2-sha256$' "format A hash stored"
printf 'abcd\n' >"$W/alpha.pin"
exit_is 1 "set-pin refuses letters for format N" "$T" set-pin --id bob-ec \
    --pin-file "$W/alpha.pin"
exit_is 0 "set-pin --no-pin" "$T" set-pin --id alice-rsa --no-pin
is "$(sql "SELECT ifnull(pin_hash, 'NULL') FROM csc_credential \
      WHERE id = 'alice-rsa'")" NULL "--no-pin clears the hash"
exit_is 1 "set-pin on an unknown credential" "$T" set-pin --id nosuch \
    --pin-file "$W/user.pin"

# ---- OTP ---------------------------------------------------------------------------
sql "UPDATE csc_credential SET totp_last_step = 99999999999, hotp_counter = 7 \
     WHERE id = 'alice-ec'"
"$T" set-otp --id alice-ec --type totp --no-qr >"$W/otp.out" 2>&1
ok $? "set-otp totp"
uri=$(grep '^otpauth://' "$W/otp.out")
check "URI is a totp URI for the credential" grep -Eq \
    '^otpauth://totp/mod_csc:alice-ec\?secret=[A-Z2-7]+&issuer=mod_csc' <<<"$uri"
secret=$(sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p' <<<"$uri")
is "$(sql "SELECT otp_secret FROM csc_credential WHERE id = 'alice-ec'")" \
   "$secret" "the URI carries the stored secret"
now=$(date +%s)
is "$(oathtool --totp -b --now @$now "$secret")" \
   "$(totp_ref "$secret" $now 6 30 sha1)" \
   "oathtool and RFC 6238 agree on the enrolled secret"
is "$(sql "SELECT totp_last_step || '/' || hotp_counter FROM csc_credential \
      WHERE id = 'alice-ec'")" "0/0" "set-otp reset the replay guards"
check "no QR code with --no-qr" test "$(grep -c $'\xe2\x96' "$W/otp.out")" = 0
"$T" set-otp --id alice-ec --type totp --digits 8 --period 60 --hash sha256 \
    --issuer "Example Bank" >"$W/otp2.out" 2>&1
ok $? "set-otp totp sha256/8 digits/60 s"
uri=$(grep '^otpauth://' "$W/otp2.out")
secret=$(sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p' <<<"$uri")
check "URI names the parameters" grep -q \
    'issuer=Example%20Bank&algorithm=SHA256&digits=8&period=60' <<<"$uri"
is "$(oathtool --totp=sha256 --digits=8 --time-step-size=60s -b \
      --now @$now "$secret")" "$(totp_ref "$secret" $now 8 60 sha256)" \
   "sha256 secret generates the same code"
if ! grep -q $'\xe2\x96\x88' "$W/otp2.out"; then
    n=$((n + 1)); echo "ok $n - # SKIP built without libqrencode"
elif ! command -v zbarimg >/dev/null 2>&1; then
    n=$((n + 1)); echo "ok $n - # SKIP zbarimg (zbar-tools) not installed"
else
    # half blocks back to modules (drawn = light), 4x scaled PBM with a
    # wider quiet zone, then decode
    grep $'\xe2\x96\x88' "$W/otp2.out" \
        | sed $'s/\xe2\x96\x88/F/g; s/\xe2\x96\x80/U/g; s/\xe2\x96\x84/L/g' \
        | awk -v s=4 -v q=4 '
            { for (i = 1; i <= length($0); i++) {
                  c = substr($0, i, 1)
                  m[2 * NR - 1, i] = (c == "F" || c == "U") ? 0 : 1
                  m[2 * NR, i] = (c == "F" || c == "L") ? 0 : 1 }
              w = length($0); h = 2 * NR }
            END { W = (w + 2 * q) * s; H = (h + 2 * q) * s
                  print "P1"; print W, H
                  for (y = 1 - q; y <= h + q; y++) {
                      line = ""
                      for (x = 1 - q; x <= w + q; x++) {
                          v = ((y, x) in m) ? m[y, x] : 0
                          for (k = 0; k < s; k++) line = line v " " }
                      for (k = 0; k < s; k++) print line } }' >"$W/qr.pbm"
    is "$(zbarimg -q --raw "$W/qr.pbm" 2>/dev/null)" "$uri" \
       "terminal QR code decodes to the URI"
fi
is "$(sql "SELECT otp_type||otp_digits||otp_period||otp_hash FROM csc_credential \
      WHERE id = 'alice-ec'")" totp860sha256 "TOTP parameters stored"
"$T" set-otp --id bob-ec --type hotp --no-qr >"$W/hotp.out" 2>&1
ok $? "set-otp hotp"
uri=$(grep '^otpauth://' "$W/hotp.out")
secret=$(sed -n 's/.*[?&]secret=\([A-Z2-7]*\).*/\1/p' <<<"$uri")
check "hotp URI starts at counter 0" grep -q '&counter=0$' <<<"$uri"
check "hotp secret is usable" oathtool --hotp -b -c 0 "$secret"
exit_is 0 "set-otp online" "$T" set-otp --id carol --type online --digits 8
is "$(sql "SELECT otp_type || ifnull(otp_secret, '-') FROM csc_credential \
      WHERE id = 'carol'")" "online-" "online OTP stores no secret"
exit_is 0 "set-otp none" "$T" set-otp --id carol --type none
is "$(sql "SELECT ifnull(otp_type, 'NULL') FROM csc_credential \
      WHERE id = 'carol'")" NULL "OTP factor removed"

# ---- list and show -------------------------------------------------------------
"$T" list >"$W/list" 2>&1
ok $? "list"
check "list shows alice-ec: EC, enabled, PIN+TOTP" grep -Eq \
    '^alice-ec +alice +EC-P-256 +enabled +PIN\(N\)\+TOTP$' "$W/list"
check "list shows alice-rsa: RSA-2048, no factor" grep -Eq \
    '^alice-rsa +alice +RSA-2048 +enabled +none$' "$W/list"
check "list shows bob-ec: EC-P-384 with HOTP" grep -Eq \
    '^bob-ec +bob +EC-P-384 +enabled +HOTP$' "$W/list"
is "$("$T" list --owner bob | tail -n +2 | cut -d' ' -f1)" bob-ec \
   "list --owner filters"
"$T" show alice-ec --json >"$W/show.json" 2>&1
ok $? "show --json"
check "show reports the PIN as set" grep -q '"pin": "set"' "$W/show.json"
check "show reports the OTP secret as set" grep -q '"secret": "set"' \
    "$W/show.json"
otp_secret=$(sql "SELECT otp_secret FROM csc_credential WHERE id = 'alice-ec'")
pin_hash=$(sql "SELECT pin_hash FROM csc_credential WHERE id = 'alice-ec'")
check "show --json reveals neither secret" test \
    "$(grep -cF -e "$otp_secret" -e "${pin_hash##*\$}" "$W/show.json")" = 0
"$T" show alice-ec >"$W/show.txt" 2>&1
ok $? "show (text)"
check "show (text) reveals neither secret" test \
    "$(grep -cF -e "$otp_secret" -e "${pin_hash##*\$}" "$W/show.txt")" = 0
exit_is 1 "show an unknown credential" "$T" show nosuch

# ---- disable / enable / unblock ---------------------------------------------------
exit_is 0 "disable" "$T" disable alice-rsa
is "$(sql "SELECT enabled FROM csc_credential WHERE id = 'alice-rsa'")" 0 \
   "disable clears enabled"
check "list shows it disabled" grep -Eq '^alice-rsa .* disabled ' \
    <("$T" list)
exit_is 0 "enable" "$T" enable --id alice-rsa
is "$(sql "SELECT enabled FROM csc_credential WHERE id = 'alice-rsa'")" 1 \
   "enable sets enabled"
sql "UPDATE csc_credential SET blocked = 1, fail_count = 5 WHERE id = 'alice-ec'"
check "list shows it blocked" grep -Eq '^alice-ec .* blocked ' <("$T" list)
exit_is 0 "unblock" "$T" unblock alice-ec
is "$(sql "SELECT blocked || '/' || fail_count FROM csc_credential \
      WHERE id = 'alice-ec'")" "0/0" "unblock clears block and failure count"
exit_is 1 "unblock an unknown credential" "$T" unblock nosuch

# ---- delete -------------------------------------------------------------------
hex=$(ref_id "$(sql "SELECT key_ref FROM csc_credential WHERE id='alice-ec'")")
exit_is 1 "delete --delete-key refuses a file: key" "$T" delete carol \
    --delete-key
is "$(sql "SELECT count(*) FROM csc_credential WHERE id = 'carol'")" 1 \
   "the refused delete kept the record"
objs1=$(token_objects)
exit_is 0 "delete --delete-key" "$T" delete alice-ec --delete-key $P11
is "$(sql "SELECT count(*) FROM csc_credential WHERE id = 'alice-ec'")" 0 \
   "record deleted"
is "$(token_objects)" $((objs1 - 2)) "both key objects removed from the token"
check "no object with that id is left" bash -c "! pkcs11-tool --module '$MOD' \
    --token-label csc-test --login --pin 1234 --list-objects 2>/dev/null \
    | grep -qi 'ID: *$hex'"
exit_is 0 "delete keeps the key without --delete-key" "$T" delete carol
check "software key file still there" test -s "$W/soft.key"
exit_is 1 "delete an unknown credential" "$T" delete nosuch
is "$(sql "SELECT group_concat(id) FROM csc_credential")" "alice-rsa,bob-ec" \
   "remaining credentials"

# ---- OAuth 2.0 clients ------------------------------------------------------
out=$("$T" client add web --name "Web app" --redirect-uri https://app.example/cb \
      --redirect-uri http://127.0.0.1:8080/cb 2>&1); st=$?
ok $st "client add (confidential)"
sec=$(printf '%s\n' "$out" | sed -n 's/^client_secret: //p')
is "${#sec}" 43 "a drawn secret of 256 bits is printed once"
check "the store keeps only its salted hash" test "$(sql "SELECT secret_hash LIKE 'sha256\$%' \
    AND instr(secret_hash, '$sec') = 0 FROM csc_client WHERE id = 'web'")" = 1
exit_is 0 "client add (public)" "$T" client add wallet --public --redirect-uri com.example.wallet:/cb
is "$(sql "SELECT coalesce(secret_hash, 'none') FROM csc_client WHERE id = 'wallet'")" none \
   "a public client has no secret"
exit_is 1 "client add twice" "$T" client add wallet --public --redirect-uri com.example.wallet:/cb
exit_is 2 "http off loopback refused" "$T" client add evil --redirect-uri http://evil.example/cb
exit_is 2 "a fragment refused" "$T" client add frag --redirect-uri https://a.example/cb#x
exit_is 2 "client_credentials needs --acts-as" "$T" client add cc --grant-types client_credentials
exit_is 2 "a public client_credentials client refused" "$T" client add cc --public \
    --grant-types client_credentials --acts-as alice
exit_is 2 "an unknown grant type refused" "$T" client add gt --grant-types password \
    --redirect-uri https://a.example/cb
printf 'short\n' > "$W/short.secret"
exit_is 1 "a short admin secret refused" "$T" client add s --secret-file "$W/short.secret" \
    --redirect-uri https://a.example/cb
exit_is 0 "client add client_credentials" "$T" client add batch \
    --grant-types client_credentials --acts-as alice
is "$("$T" client list | awk '{print $1 "/" $2}' | tr '\n' ' ')" \
   "batch/confidential wallet/public web/confidential " "client list"
is "$("$T" client show web --json | python3 -c 'import json,sys; d=json.load(sys.stdin); \
print(d["type"], d["redirect_uris"], "client_secret" in d)')" \
   "confidential ['https://app.example/cb', 'http://127.0.0.1:8080/cb'] False" \
   "client show --json (no secret)"
exit_is 0 "client remove" "$T" client remove batch
exit_is 1 "client remove again" "$T" client remove batch
exit_is 2 "client without an action" "$T" client

# ---- migrate ------------------------------------------------------------------
V1=$W/v1.db
sqlite3 "$V1" "CREATE TABLE csc_schema (version INTEGER NOT NULL); \
  INSERT INTO csc_schema VALUES (1); CREATE TABLE csc_credential (id TEXT PRIMARY KEY);"
check "a version-1 store is refused with the way out" bash -c \
    "'$T' --store sqlite3:$V1 list 2>&1 | grep -q 'needs migration: csc-admin migrate'"
is "$("$T" --store "sqlite3:$V1" migrate)" "migrated the store from schema version 1 to 2" "migrate 1 -> 2"
is "$(sqlite3 "$V1" "SELECT version FROM csc_schema; SELECT count(*) FROM csc_client")" \
   "$(printf '2\n0')" "version 2 with the client table"
is "$("$T" --store "sqlite3:$V1" migrate)" "store is at schema version 2 already" "migrate again"

echo "1..$n"
[ $failed -eq 0 ] || echo "# $failed of $n tests failed"
[ $failed -eq 0 ]
