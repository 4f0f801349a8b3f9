#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# A private PostgreSQL 15 for the suite: Debian's postgresql-15 binaries,
# a cluster made by initdb in DIR, owned by the calling (unprivileged)
# user, reachable only over TLS on 127.0.0.1:PORT with a SCRAM password.
#   t/pg.sh start DIR PORT DB...  initdb (once), start, create the DBs;
#                                 writes DIR/conninfo (without dbname)
#   t/pg.sh stop DIR              fast shutdown
#   t/pg.sh restart DIR           stop, then start the same cluster
#   t/pg.sh psql DIR DB SQL       run SQL as the superuser over the socket
# The server certificate is issued by a CA made here, for IP 127.0.0.1,
# so clients connect with sslmode=verify-full.
set -eu
bin=$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || true)
[ -x "$bin/initdb" ] || { echo "t/pg.sh: postgresql-15 is not installed" >&2; exit 2; }
[ "$(id -u)" != 0 ] || { echo "t/pg.sh: run it as an unprivileged user" >&2; exit 2; }
cmd=$1 dir=$2
shift 2

pg_start() {
    # the socket directory is short: a Unix socket path has ~100 bytes
    "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-k $dir/sock" start >/dev/null
}

case $cmd in
start)
    port=$1; shift
    if [ ! -d "$dir/data" ]; then
        mkdir -p "$dir/sock"
        chmod 700 "$dir"
        pw=$(openssl rand -hex 16)
        printf '%s\n' "$pw" > "$dir/superuser.pw"
        "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust \
            --auth-host=scram-sha-256 --no-locale -E UTF8 \
            --pwfile="$dir/superuser.pw" >"$dir/initdb.log" 2>&1 \
            || { cat "$dir/initdb.log" >&2; exit 1; }
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 30 \
            -subj "/CN=mod_csc test PostgreSQL CA" 2>/dev/null
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
            -keyout "$dir/data/server.key" -out "$dir/server.csr" \
            -subj "/CN=127.0.0.1" 2>/dev/null
        printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > "$dir/san.ext"
        openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" \
            -CAkey "$dir/ca.key" -CAcreateserial -days 30 \
            -extfile "$dir/san.ext" -out "$dir/data/server.crt" 2>/dev/null
        chmod 600 "$dir/data/server.key"
        cat >> "$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/sock'
ssl = on
ssl_cert_file = 'server.crt'
ssl_key_file = 'server.key'
max_connections = 300
fsync = on
synchronous_commit = on
log_min_messages = warning
log_connections = off
CONF
        # TLS only from the network; the socket is for this script
        cat > "$dir/data/pg_hba.conf" <<HBA
local     all all                 trust
hostssl   all all 127.0.0.1/32    scram-sha-256
hostnossl all all 127.0.0.1/32    reject
HBA
        pg_start
        csc_pw=$(openssl rand -hex 16)
        "$bin/psql" -q -h "$dir/sock" -p "$port" -U postgres -d postgres \
            -v ON_ERROR_STOP=1 -c "CREATE ROLE csc LOGIN PASSWORD '$csc_pw'" >/dev/null
        for db in "$@"; do
            "$bin/createdb" -h "$dir/sock" -p "$port" -U postgres -O csc "$db"
        done
        printf 'host=127.0.0.1 port=%s user=csc password=%s sslmode=verify-full sslrootcert=%s connect_timeout=5\n' \
            "$port" "$csc_pw" "$dir/ca.pem" > "$dir/conninfo"
        printf '%s\n' "$port" > "$dir/port"
    else
        pg_start
    fi
    ;;
stop)
    "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
restart)
    "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    pg_start
    ;;
psql)
    db=$1 sql=$2
    "$bin/psql" -q -A -t -h "$dir/sock" -p "$(cat "$dir/port")" -U postgres \
        -d "$db" -v ON_ERROR_STOP=1 -c "$sql"
    ;;
*)
    echo "usage: t/pg.sh start DIR PORT DB... | stop DIR | restart DIR | psql DIR DB SQL" >&2
    exit 2
    ;;
esac
