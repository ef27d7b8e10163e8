# shellcheck shell=bash
# Shared by install.sh (any distribution) and build-deb.sh / the package's scripts (Debian):
# the kiosk's paths and the two files made from templates. Sourced, never run.

# Paths on the kiosk; kiosk.service names the same ones (tests check).
KIOSK_ETC=/etc/kiosk
KIOSK_CONFIG=$KIOSK_ETC/kiosk.toml
KIOSK_STATE=/var/lib/kiosk
KIOSK_RULES=/etc/udev/rules.d/99-kiosk.rules
# Secrets, handed to the service by LoadCredential= (kiosk.service) under the same names.
KIOSK_SECRETS=(client_secret admin_pin)

# kiosk_config_from_example EXAMPLE [SCANNER_ID]: the example config as an installed kiosk uses
# it, on stdout. The service reads the secret from $CREDENTIALS_DIRECTORY (LoadCredential=
# client_secret), where a bare file name is looked up; the journal lives in the StateDirectory.
kiosk_config_from_example() {
    local example=$1 scanner_id=${2:-} out
    out=$(sed -e 's|^credentials_file = .*|credentials_file = "client_secret"|' \
        -e '/^\[state\]/,/^\[/ s|^directory = .*|directory = "'"$KIOSK_STATE"'"|' "$example")
    if [ -n "$scanner_id" ]; then
        out=$(sed -e '/^\[reader\]/,/^\[/ s|^device = .*|device = "/dev/input/kiosk-scanner"|' \
            <<<"$out")
    fi
    grep -qx 'credentials_file = "client_secret"' <<<"$out" \
        || { echo "$example has no 'credentials_file = ...' line to adjust" >&2; return 1; }
    grep -qx "directory = \"$KIOSK_STATE\"" <<<"$out" \
        || { echo "$example has no [state] 'directory = ...' line to adjust" >&2; return 1; }
    printf '%s\n' "$out"
}

# kiosk_previous_id RULES printer|scanner: the id an earlier run wrote into the rules.
kiosk_previous_id() {
    [ -f "$1" ] || return 0
    sed -n "s/^# $2-id: \([0-9a-f]\{4\}:[0-9a-f]\{4\}\)\$/\1/p" "$1"
}

# kiosk_render_rules TEMPLATE PRINTER_ID SCANNER_ID: the udev rules on stdout; a device without
# an id keeps its rules commented out.
kiosk_render_rules() {
    local template=$1 rule_sed=()
    _kiosk_rule_args() {  # NAME ID -> sed expressions for one device's placeholders
        local name=$1 id=$2 on="" vendor=0000 product=0000 shown=none
        if [ -n "$id" ]; then
            vendor=${id%:*}; product=${id#*:}; shown=$id
        else
            on="# (no --${name,,}-id) "
        fi
        printf '%s\n' -e "s|@${name}_ON@|$on|" -e "s|@${name}_VENDOR@|$vendor|g" \
            -e "s|@${name}_PRODUCT@|$product|g" -e "s|@${name}_ID@|$shown|g"
    }
    mapfile -t rule_sed < <(_kiosk_rule_args PRINTER "$2"; _kiosk_rule_args SCANNER "$3")
    sed "${rule_sed[@]}" "$template"
}
