#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The fresh-machine check: runs the README's two Quick-start commands on a
# minimal Debian 12 and reports each exit status.
#
#   sh tools/fresh-machine-check.sh [--keep] [--only demo|test]
#
# Builds a chroot with `debootstrap --variant=minbase bookworm` (the .debs
# of the base system are cached as a tarball in $CSC_FRESH_CACHE, default
# /var/cache/mod_csc-fresh, so later runs download only what the project
# installs), clones the current commit (HEAD: uncommitted changes are not
# in it) as root into /root/src/mod_csc there, then runs, as root in the
# chroot:
#   sh tools/demo.sh        (then checks that /csc/v2/info answers, and
#                            stops it with sh tools/demo.sh stop)
#   sh tools/test.sh
# The chroot takes the host's apt sources and Acquire settings, so it
# reaches the same Debian archive; nothing else of the host comes along.
# Every log is kept in the result directory it prints.  Needs root.
# Exit status: 0 when every command exited 0.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
keep=0
only=""
while [ $# -gt 0 ]; do
    case $1 in
        --keep) keep=1 ;;
        --only) only=$2; shift ;;
        *) echo "usage: $0 [--keep] [--only demo|test]" >&2; exit 2 ;;
    esac
    shift
done
[ "$(id -u)" = 0 ] || { echo "the fresh-machine check needs root" >&2; exit 2; }

cache=${CSC_FRESH_CACHE:-/var/cache/mod_csc-fresh}
out=$(mktemp -d /var/tmp/mod_csc-fresh-result.XXXXXX)
root=$(mktemp -d /var/tmp/mod_csc-fresh-root.XXXXXX)
# mktemp makes it 0700: the chroot's / must let its unprivileged users in
chmod 755 "$root"
mkdir -p "$cache"

if ! command -v debootstrap >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        debootstrap >/dev/null
fi

# the host's Debian mirror: the first URIs of a deb822 source, or the first
# "deb" line; the public default otherwise
mirror=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' \
    /etc/apt/sources.list.d/*.sources 2>/dev/null | grep -v security | head -n 1)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $0 !~ /security/ {
    for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
    /etc/apt/sources.list 2>/dev/null)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

in_root() {  # command...: as root in the chroot, with a clean environment
    chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

cleanup() {
    # processes left in the chroot (a demo httpd, a hung test), then mounts
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$root" ] && kill -9 "${p#/proc/}" 2>/dev/null
    done
    sleep 1
    for m in dev/shm dev/pts dev sys proc; do
        mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m"
    done
    if [ "$keep" = 1 ]; then
        echo "kept the chroot in $root"
    else
        rm -rf "$root"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

tarball=$cache/bookworm-minbase.tgz
if [ ! -s "$tarball" ]; then
    echo "== caching the base system's packages in $tarball"
    rm -rf "$cache/make"
    debootstrap --variant=minbase --make-tarball="$tarball.part" bookworm \
        "$cache/make" "$mirror" > "$out/debootstrap-tarball.log" 2>&1 \
        || { tail -n 20 "$out/debootstrap-tarball.log"; exit 1; }
    mv "$tarball.part" "$tarball"
    rm -rf "$cache/make"
fi
echo "== minimal Debian 12 in $root (mirror $mirror)"
debootstrap --variant=minbase --unpack-tarball="$tarball" bookworm "$root" \
    "$mirror" > "$out/debootstrap.log" 2>&1 \
    || { tail -n 20 "$out/debootstrap.log"; exit 1; }

# the host's apt sources and Acquire settings (a snapshot archive needs
# Check-Valid-Until off, for instance); resolv.conf to reach it
rm -f "$root/etc/apt/sources.list"
cp /etc/apt/sources.list "$root/etc/apt/" 2>/dev/null || true
for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] && cp "$f" "$root/etc/apt/sources.list.d/"
done
for f in /etc/apt/apt.conf.d/*; do
    [ -f "$f" ] && grep -q '^[[:space:]]*Acquire' "$f" && cp "$f" "$root/etc/apt/apt.conf.d/"
done
cp -L /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$root/dev/pts"
mount -t tmpfs -o mode=1777 shm "$root/dev/shm"

commit=$(git -C "$top" rev-parse HEAD)
[ -z "$(git -C "$top" status --porcelain)" ] \
    || echo "note: the tree has uncommitted changes; the check runs $commit without them"
mkdir -p "$root/root/src"
chmod 700 "$root/root"
git clone -q --no-hardlinks "$top" "$root/root/src/mod_csc"
git -C "$root/root/src/mod_csc" checkout -q "$commit"
echo "== clone of $commit in /root/src/mod_csc"

status=0
result() {  # name rc
    echo "$1: exit $2"
    echo "$1 $2" >> "$out/results"
    [ "$2" = 0 ] || status=1
}

if [ "$only" != test ]; then
    echo "== sh tools/demo.sh (log: $out/demo.log)"
    rc=0
    in_root sh -c 'cd /root/src/mod_csc && sh tools/demo.sh' > "$out/demo.log" 2>&1 || rc=$?
    result demo $rc
    if [ $rc = 0 ]; then
        # the service must answer, not just the script exit 0
        rc=0
        in_root curl -sSk --fail -o /dev/null -w "%{http_code}\n" -X POST \
            -H "Content-Type: application/json" -d "{}" \
            https://127.0.0.1:8443/csc/v2/info > "$out/demo-info.log" 2>&1 || rc=$?
        result demo-info $rc
        rc=0
        in_root sh -c 'cd /root/src/mod_csc && sh tools/demo.sh stop' \
            > "$out/demo-stop.log" 2>&1 || rc=$?
        result demo-stop $rc
    else
        tail -n 30 "$out/demo.log"
    fi
fi
if [ "$only" != demo ]; then
    echo "== sh tools/test.sh (log: $out/test.log)"
    rc=0
    in_root sh -c 'cd /root/src/mod_csc && sh tools/test.sh' > "$out/test.log" 2>&1 || rc=$?
    grep -E '^=== stages failed|^[0-9]+ passed, [0-9]+ failed' "$out/test.log" || tail -n 30 "$out/test.log"
    result test $rc
fi
echo "== results (logs in $out)"
cat "$out/results"
exit $status
