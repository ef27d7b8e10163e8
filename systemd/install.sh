#!/usr/bin/env bash
# Installs (or updates, or removes) the top-up kiosk on Raspberry Pi OS Bookworm as a systemd
# service. Run as root from a checkout; safe to run again (that is how the kiosk is updated).
set -euo pipefail

usage() {
    cat <<'EOF'
usage: sudo systemd/install.sh [options]

  --printer-id VID:PID   USB ids of the receipt printer -> /dev/kiosk-printer (udev rule)
  --scanner-id VID:PID   USB ids of the card scanner -> /dev/input/kiosk-scanner (udev rule)
                         (without these, ids from an earlier run are kept)
  --disable-console      mask the login prompt on tty1 and turn off console blanking
                         (consoleblank=0 in cmdline.txt); takes effect at the next boot
  --no-start             enable the service but do not (re)start it now
  --uninstall            stop and remove service, udev rules and /opt/kiosk; keeps the
                         journal (/var/lib/kiosk), the config (/etc/kiosk) and the user
  --root DIR             install into DIR instead of / (image building, tests): nothing is
                         started, no Debian packages are installed
  --skip-venv            do not create/update the virtual environment in /opt/kiosk
  --python PATH          interpreter for the virtual environment (default: python3)
  --no-apt               do not install the Debian packages the kiosk uses
  -h, --help             this text
EOF
}

die() { echo "install.sh: error: $*" >&2; exit 1; }
say() { echo "install.sh: $*"; }

SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROOT=""
PRINTER_ID=""
SCANNER_ID=""
DISABLE_CONSOLE=0
NO_START=0
UNINSTALL=0
SKIP_VENV=0
NO_APT=0
PYTHON=python3

while [ $# -gt 0 ]; do
    case "$1" in
        --printer-id) [ $# -ge 2 ] || die "$1 needs VID:PID"; PRINTER_ID=$2; shift ;;
        --scanner-id) [ $# -ge 2 ] || die "$1 needs VID:PID"; SCANNER_ID=$2; shift ;;
        --disable-console) DISABLE_CONSOLE=1 ;;
        --no-start) NO_START=1 ;;
        --uninstall) UNINSTALL=1 ;;
        --root) [ $# -ge 2 ] || die "$1 needs a directory"; ROOT=$2; shift ;;
        --skip-venv) SKIP_VENV=1 ;;
        --python) [ $# -ge 2 ] || die "$1 needs a path"; PYTHON=$2; shift ;;
        --no-apt) NO_APT=1 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown option: $1" ;;
    esac
    shift
done

[ "$(id -u)" = 0 ] || die "run as root: sudo $0 $*"
if [ -n "$ROOT" ]; then
    [ -d "$ROOT" ] || die "--root $ROOT: no such directory"
    ROOT=$(cd "$ROOT" && pwd)
    [ "$ROOT" != / ] || ROOT=""
fi
R=$ROOT  # every path written below is "$R/<absolute path on the kiosk>"

# shellcheck source=systemd/lib.sh
. "$SOURCE/systemd/lib.sh"
VENV=/opt/kiosk/venv
ETC=$KIOSK_ETC
CONFIG=$KIOSK_CONFIG
SECRETS=("${KIOSK_SECRETS[@]}")
STATE=$KIOSK_STATE
UNIT=/etc/systemd/system/kiosk.service
# kiosk.service starts /usr/bin/kiosk (the Debian package's); here it runs from the venv.
DROPIN=/etc/systemd/system/kiosk.service.d/venv.conf
DOC=/usr/share/doc/kiosk/README.md
RULES=$KIOSK_RULES
SYSUSERS=/etc/sysusers.d/kiosk.conf
# Debian's builds: SDL with kmsdrm + Mesa for the Pi's GPU, and security updates through apt.
# The venv sees them (--system-site-packages); pip then only installs the kiosk itself.
APT_PACKAGES=(python3-venv python3-pip python3-pygame python3-evdev python3-serial
              python3-requests python3-prometheus-client)

live() { [ -z "$R" ]; }

id_pattern='^[0-9a-fA-F]{4}:[0-9a-fA-F]{4}$'
for spec in "$PRINTER_ID" "$SCANNER_ID"; do
    [ -z "$spec" ] || [[ $spec =~ $id_pattern ]] \
        || die "USB id '$spec' is not VID:PID with four hex digits each (as lsusb shows: 0416:5011)"
done
PRINTER_ID=${PRINTER_ID,,}
SCANNER_ID=${SCANNER_ID,,}

# --- uninstall ---------------------------------------------------------------------------------

if [ "$UNINSTALL" = 1 ]; then
    if live; then
        systemctl disable --now kiosk.service 2>/dev/null || true
    elif [ -e "$R$UNIT" ]; then
        systemctl --root="$R" disable kiosk.service >/dev/null 2>&1 || true
    fi
    rm -f "$R/etc/systemd/system/multi-user.target.wants/kiosk.service"
    rm -f "$R$UNIT" "$R$RULES" "$R$DROPIN" "$R$DOC"
    rmdir "$R${DROPIN%/*}" "$R${DOC%/*}" 2>/dev/null || true
    rm -rf "$R/opt/kiosk"
    if live; then
        systemctl daemon-reload
        if command -v udevadm >/dev/null; then udevadm control --reload-rules; fi
    fi
    say "removed the service, the udev rules and /opt/kiosk"
    say "kept: the journal and tokens in $STATE, the config and secret in $ETC, the user 'kiosk'"
    [ ! -L "$R/etc/systemd/system/getty@tty1.service" ] \
        || say "the console on tty1 stays masked; to get it back: systemctl unmask getty@tty1.service autovt@tty1.service"
    exit 0
fi

# --- prerequisites -----------------------------------------------------------------------------

if [ ! -f "$SOURCE/pyproject.toml" ] || [ ! -f "$SOURCE/kiosk/kiosk.example.toml" ]; then
    die "$SOURCE does not look like a kiosk checkout (pyproject.toml, kiosk/kiosk.example.toml)"
fi
command -v systemd-sysusers >/dev/null || die "systemd-sysusers not found (Debian package: systemd)"
if live && [ "$NO_APT" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${APT_PACKAGES[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${APT_PACKAGES[@]}"
fi

# --- user and groups ---------------------------------------------------------------------------

install -D -m 0644 "$SOURCE/systemd/kiosk.sysusers" "$R$SYSUSERS"
# Creates the system user 'kiosk' and any missing group; adds memberships that are missing.
systemd-sysusers ${R:+--root="$R"} "$R$SYSUSERS"
lookup() {  # lookup passwd|group NAME -> numeric id from the target's own files
    awk -F: -v n="$2" '$1 == n { print $3; found = 1 } END { exit !found }' "$R/etc/$1" \
        || die "$2 missing from $R/etc/$1 after systemd-sysusers"
}
KIOSK_UID=$(lookup passwd kiosk)
KIOSK_GID=$(lookup group kiosk)
if [ "$KIOSK_UID" -ge 1000 ]; then
    # sysusers keeps an existing account: e.g. the login user made in Raspberry Pi Imager.
    say "warning: 'kiosk' is an ordinary login user (uid $KIOSK_UID) and the service runs as it;"
    say "  a login user of another name keeps the kiosk's files apart from interactive sessions"
fi

# --- directories, config, secret ---------------------------------------------------------------

install -d -m 0755 -o 0 -g 0 "$R$ETC"
# The journal and tokens: owner-only, as StateDirectoryMode=0700 in kiosk.service.
install -d -m 0700 -o "$KIOSK_UID" -g "$KIOSK_GID" "$R$STATE"

if [ -e "$R$CONFIG" ]; then
    say "keeping the existing $CONFIG"
else
    tmp=$(mktemp "$R$ETC/.kiosk.toml.XXXXXX")
    trap 'rm -f "$tmp"' EXIT
    kiosk_config_from_example "$SOURCE/kiosk/kiosk.example.toml" "$SCANNER_ID" > "$tmp" \
        || die "cannot make $CONFIG from kiosk/kiosk.example.toml"
    # Readable by the service (group kiosk), writable by root only; it holds no secret.
    chown 0:"$KIOSK_GID" "$tmp"
    chmod 0640 "$tmp"
    mv "$tmp" "$R$CONFIG"
    trap - EXIT
    say "wrote $CONFIG from the example: set [api] client_id and [kiosk] id before use"
fi

# LoadCredential= fails the start of the service (status 243/CREDENTIALS, a black screen) when
# a file is missing, so both must exist; the admin PIN stays unused while [ui] admin_pin_file is
# empty. They are created empty rather than with a comment or a dummy value: each file holds
# only its secret, and the kiosk refuses an empty one with "... file is empty", naming it.
for name in "${SECRETS[@]}"; do
    secret=$ETC/$name
    if [ -e "$R$secret" ]; then
        if [ -n "$(find "$R$secret" -perm /077)" ]; then
            chmod go-rwx "$R$secret"
            say "$secret was readable by others: now owner-only"
        fi
    else
        install -m 0600 -o 0 -g 0 /dev/null "$R$secret"
        say "created an empty $secret (root only)"
    fi
done
if [ ! -s "$R$ETC/client_secret" ]; then
    say "next: put the API client secret, and nothing else, into $ETC/client_secret:"
    say "  sudo nano $ETC/client_secret"
fi

# --- the program -------------------------------------------------------------------------------

if [ "$SKIP_VENV" = 0 ]; then
    if [ ! -x "$R$VENV/bin/python" ]; then
        say "creating the virtual environment $VENV"
        "$PYTHON" -m venv --system-site-packages "$R$VENV"
    fi
    # pip builds from a clean copy: the checkout may belong to another user or be read-only,
    # and an in-tree build would leave root-owned build/ and *.egg-info directories in it.
    build=$(mktemp -d)
    trap 'rm -rf "$build"' EXIT
    tar -C "$SOURCE" --exclude=./.git --exclude=./.venv --exclude=./build --exclude=./dist \
        --exclude='*.egg-info' --exclude=__pycache__ --exclude=.pytest_cache \
        --exclude=.hypothesis -cf - . | tar -C "$build" -xf -
    say "installing the kiosk into $VENV"
    "$R$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        --no-warn-script-location "$build"
    rm -rf "$build"
    trap - EXIT
    [ -x "$R$VENV/bin/kiosk" ] || die "pip did not install $VENV/bin/kiosk"
fi
if [ -f "$SOURCE/README.md" ]; then
    install -D -m 0644 "$SOURCE/README.md" "$R$DOC"  # Documentation= of the unit
fi

# --- systemd unit and udev rules ---------------------------------------------------------------

install -D -m 0644 "$SOURCE/systemd/kiosk.service" "$R$UNIT"
install -d -m 0755 "$R${DROPIN%/*}"
printf '%s\n' "# Written by systemd/install.sh: the kiosk runs from its virtual environment." \
    "[Service]" "ExecStart=" "ExecStart=$VENV/bin/kiosk run --config $CONFIG" > "$R$DROPIN"
chmod 0644 "$R$DROPIN"

[ -n "$PRINTER_ID" ] || PRINTER_ID=$(kiosk_previous_id "$R$RULES" printer)
[ -n "$SCANNER_ID" ] || SCANNER_ID=$(kiosk_previous_id "$R$RULES" scanner)
install -d -m 0755 "$R/etc/udev/rules.d"
kiosk_render_rules "$SOURCE/systemd/99-kiosk.rules.in" "$PRINTER_ID" "$SCANNER_ID" > "$R$RULES.tmp"
chmod 0644 "$R$RULES.tmp"
mv "$R$RULES.tmp" "$R$RULES"
if grep -q '@[A-Z_]*@' "$R$RULES"; then die "unfilled placeholder left in $RULES"; fi
say "udev rules: printer ${PRINTER_ID:-not set}, scanner ${SCANNER_ID:-not set}"

# --- console -----------------------------------------------------------------------------------

if [ "$DISABLE_CONSOLE" = 1 ]; then
    # No login prompt on the kiosk's screen, also not when logind starts one on a VT switch.
    for getty in getty@tty1.service autovt@tty1.service; do
        ln -sfn /dev/null "$R/etc/systemd/system/$getty"
    done
    rm -f "$R/etc/systemd/system/getty.target.wants/getty@tty1.service"
    cmdline=""
    for candidate in /boot/firmware/cmdline.txt /boot/cmdline.txt; do
        if [ -f "$R$candidate" ]; then cmdline=$candidate; break; fi
    done
    if [ -z "$cmdline" ]; then
        say "no cmdline.txt in /boot/firmware or /boot (not a Raspberry Pi?): console blanking unchanged"
    elif grep -Eq '(^|[[:space:]])consoleblank=0([[:space:]]|$)' "$R$cmdline"; then
        say "$cmdline already has consoleblank=0"
    else
        # cmdline.txt is one line; replace another consoleblank= value or append ours.
        line=$(head -n 1 "$R$cmdline")
        if [[ $line =~ (^|[[:space:]])consoleblank=[^[:space:]]* ]]; then
            line=$(sed -E 's/(^|[[:space:]])consoleblank=[^[:space:]]*/\1consoleblank=0/' <<<"$line")
        else
            line="${line%"${line##*[![:space:]]}"} consoleblank=0"
        fi
        printf '%s\n' "$line" > "$R$cmdline.tmp"
        mv "$R$cmdline.tmp" "$R$cmdline"
        say "added consoleblank=0 to $cmdline"
    fi
fi

# --- enable and start --------------------------------------------------------------------------

if live; then
    systemctl daemon-reload
    if command -v udevadm >/dev/null; then
        udevadm control --reload-rules
        udevadm trigger --action=add --subsystem-match=tty --subsystem-match=input
    fi
    systemctl enable kiosk.service
    if [ "$NO_START" = 0 ]; then
        # restart, not start: after an update the new version must run.
        systemctl restart kiosk.service
        say "kiosk.service (re)started; follow it with: journalctl -u kiosk -f"
    else
        say "kiosk.service enabled, not started (--no-start): systemctl start kiosk"
    fi
else
    systemctl --root="$R" enable kiosk.service >/dev/null 2>&1 \
        || die "systemctl --root=$R enable kiosk.service failed"
    say "installed into $R; enabled, not started"
fi
