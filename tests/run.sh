#!/usr/bin/env bash
# The project's one test command: prepares what the tests need (virtual environment, Debian
# packages when run as root on a clean machine), then runs the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_needed=()
command -v systemd-analyze >/dev/null || apt_needed+=(systemd)
command -v shellcheck >/dev/null || apt_needed+=(shellcheck)
# The printer emulator draws receipts with DejaVu Sans Mono (German letters and €).
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ] || apt_needed+=(fonts-dejavu-core)
# The UI's QR codes are checked by an independent decoder.
command -v zbarimg >/dev/null || apt_needed+=(zbar-tools)
# The idle loop is measured and tested under x11 on a virtual screen.
command -v Xvfb >/dev/null || apt_needed+=(xvfb)
# The Debian package: dpkg-deb builds it from a wheel made by Debian's python3 (no network).
command -v dpkg-deb >/dev/null || apt_needed+=(dpkg)
/usr/bin/python3 -c 'import setuptools, wheel' 2>/dev/null \
    || apt_needed+=(python3-setuptools python3-wheel)
# The speech engine synthesises with espeak-ng (German and English voices).
command -v espeak-ng >/dev/null || apt_needed+=(espeak-ng)
if [ ${#apt_needed[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq && apt-get install -y -qq --no-install-recommends "${apt_needed[@]}"
    else
        echo "tests/run.sh: missing Debian packages (${apt_needed[*]}); run as root or install them" >&2
    fi
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
exec .venv/bin/python -m pytest "$@"
