#!/usr/bin/env bash
# Builds dist/kiosk_<version>_all.deb from this checkout with plain dpkg-deb (see README,
# "Installing": why not debhelper). Needs python3-setuptools and python3-wheel (Debian 12) to
# build the wheel, and nothing from the network. Run as any user: file owners in the package are
# root (dpkg-deb --root-owner-group).
set -euo pipefail

SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=systemd/lib.sh
. "$SOURCE/systemd/lib.sh"
PYTHON=/usr/bin/python3  # Debian's: the package installs into its dist-packages
DIST=$SOURCE/dist

die() { echo "build-deb.sh: error: $*" >&2; exit 1; }
command -v dpkg-deb >/dev/null || die "dpkg-deb not found (Debian package: dpkg)"
"$PYTHON" -c 'import setuptools, wheel' 2>/dev/null \
    || die "$PYTHON cannot build a wheel: sudo apt install python3-setuptools python3-wheel"

VERSION=$("$PYTHON" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' \
    "$SOURCE/pyproject.toml")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage=$work/root

# The wheel is built from a clean copy: no build/ or *.egg-info left in the checkout.
tar -C "$SOURCE" --exclude=./.git --exclude=./.venv --exclude=./build --exclude=./dist \
    --exclude='*.egg-info' --exclude=__pycache__ --exclude=.pytest_cache --exclude=.hypothesis \
    --exclude=./tests -cf - . | tar -C "$work" --one-top-level=src -xf -
(cd "$work/src" && "$PYTHON" -c 'import sys; from setuptools import build_meta as b; b.build_wheel(sys.argv[1])' \
    "$work/wheel" >/dev/null 2>&1) || die "building the wheel failed (in $work/src: $PYTHON -m build)"
wheel=$(echo "$work"/wheel/*.whl)

# Files as installed; a wheel's content goes into dist-packages as an installer would put it.
site=$stage/usr/lib/python3/dist-packages
install -d "$site" "$stage/usr/bin" "$stage/usr/sbin" "$stage/usr/lib/kiosk" "$stage/DEBIAN"
"$PYTHON" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$wheel" "$site"
# RECORD lists files for pip to remove; dpkg owns them here, and says so to pip.
rm -f "$site"/*.dist-info/RECORD
for info in "$site"/*.dist-info; do echo dpkg > "$info/INSTALLER"; done
# /usr/bin/kiosk: the wheel's console script, for Debian's python3.
entry=$(sed -n 's/^kiosk *= *\([a-z_.]*\):\([a-z_]*\)$/\1 \2/p' "$site"/*.dist-info/entry_points.txt)
[ -n "$entry" ] || die "no 'kiosk = module:function' console script in the wheel"
read -r module function <<<"$entry"
printf '#!/usr/bin/python3\nimport sys\n\nfrom %s import %s\n\nsys.exit(%s())\n' \
    "$module" "$function" "$function" > "$stage/usr/bin/kiosk"
install -D -m 0644 "$SOURCE/systemd/kiosk.service" "$stage/lib/systemd/system/kiosk.service"
install -D -m 0644 "$SOURCE/systemd/kiosk.sysusers" "$stage/usr/lib/sysusers.d/kiosk.conf"
install -m 0755 "$SOURCE/systemd/kiosk-usb-ids" "$stage/usr/sbin/kiosk-usb-ids"
install -m 0755 "$SOURCE/systemd/restart-when-idle" "$stage/usr/lib/kiosk/restart-when-idle"
install -m 0644 "$SOURCE/systemd/lib.sh" "$SOURCE/systemd/99-kiosk.rules.in" "$stage/usr/lib/kiosk/"
install -D -m 0644 "$SOURCE/README.md" "$stage/usr/share/doc/kiosk/README.md"
# Fleet monitoring, for the central Prometheus and Grafana (README: "Watching a fleet").
install -d "$stage/usr/share/kiosk/monitoring"
install -m 0644 "$SOURCE/systemd/monitoring/kiosk-alerts.yml" \
    "$SOURCE/systemd/monitoring/kiosk-dashboard.json" "$stage/usr/share/kiosk/monitoring/"
install -d "$stage/etc/kiosk"
kiosk_config_from_example "$SOURCE/kiosk/kiosk.example.toml" > "$stage/etc/kiosk/kiosk.toml"
for script in postinst prerm postrm; do
    install -m 0755 "$SOURCE/systemd/debian/$script" "$stage/DEBIAN/$script"
done
install -m 0644 "$SOURCE/systemd/debian/conffiles" "$stage/DEBIAN/conffiles"
chmod -R u=rwX,go=rX "$stage/usr" "$stage/lib" "$stage/etc"
chmod 0755 "$stage/usr/bin/kiosk"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@SIZE@/$size/" "$SOURCE/systemd/debian/control.in" \
    > "$stage/DEBIAN/control"

mkdir -p "$DIST"
out=$DIST/kiosk_${VERSION}_all.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >/dev/null
echo "$out"
