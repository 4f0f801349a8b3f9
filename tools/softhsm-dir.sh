# SPDX-License-Identifier: Apache-2.0
# Sourced (". tools/softhsm-dir.sh") by every script that needs a private,
# throw-away SoftHSM2 token store: softhsm_dir DIR creates DIR/tokens,
# writes DIR/softhsm2.conf for it and exports SOFTHSM2_CONF.
softhsm_dir() {
    mkdir -p "$1/tokens"
    cat > "$1/softhsm2.conf" <<EOF
directories.tokendir = $1/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
    SOFTHSM2_CONF=$1/softhsm2.conf
    export SOFTHSM2_CONF
}
