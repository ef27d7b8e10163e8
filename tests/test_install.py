"""systemd/install.sh against a scratch root: every file, its owner and mode; idempotent; uninstall."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.config import EXAMPLE_CONFIG, load_config
from tests.test_systemd_unit import system_unit_dir, unit_settings

REPO = Path(__file__).resolve().parents[1]
INSTALL = REPO / "systemd" / "install.sh"
UNIT = REPO / "systemd" / "kiosk.service"
CMDLINE = "console=serial0,115200 console=tty1 root=PARTUUID=6c586e13-02 rootfstype=ext4 rootwait\n"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="install.sh runs as root (CI does)"),
    pytest.mark.skipif(shutil.which("systemd-sysusers") is None, reason="needs Debian's systemd"),
]


@pytest.fixture
def root(tmp_path):
    """A target root as on a fresh Raspberry Pi OS: account files and a boot partition."""
    target = tmp_path / "root"
    (target / "etc").mkdir(parents=True)
    for name in ("passwd", "group", "shadow", "gshadow"):
        if Path("/etc", name).exists():
            shutil.copy2(Path("/etc", name), target / "etc" / name)
    (target / "boot/firmware").mkdir(parents=True)
    (target / "boot/firmware/cmdline.txt").write_text(CMDLINE)
    return target


def install(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["bash", str(INSTALL), "--root", str(root), *args],
        capture_output=True, text=True, timeout=300,
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def ids(root: Path, table: str) -> dict[str, int]:
    return {line.split(":")[0]: int(line.split(":")[2])
            for line in (root / "etc" / table).read_text().splitlines() if line}


def members(root: Path, group: str) -> set[str]:
    for line in (root / "etc/group").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == group:
            return set(filter(None, fields[3].split(",")))
    raise AssertionError(f"group {group} missing")


def snapshot(root: Path) -> dict[str, tuple]:
    """Every path under root: kind, mode, owner, and content hash or link target."""
    found = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        rel = "/" + str(path.relative_to(root))
        if stat.S_ISLNK(info.st_mode):
            what = ("link", os.readlink(path))
        elif stat.S_ISDIR(info.st_mode):
            what = ("dir",)
        else:
            what = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
        found[rel] = (*what, stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)
    return found


def test_fresh_install_writes_exactly_these_files(root):
    before = snapshot(root)
    result = install(root, "--skip-venv")
    after = snapshot(root)
    uid, gid = ids(root, "passwd"), ids(root, "group")
    k_uid, k_gid = uid["kiosk"], gid["kiosk"]

    expected = {
        # path: (kind, mode, uid, gid)
        "/etc/sysusers.d": ("dir", 0o755, 0, 0),
        "/etc/sysusers.d/kiosk.conf": ("file", 0o644, 0, 0),
        "/etc/kiosk": ("dir", 0o755, 0, 0),
        "/etc/kiosk/kiosk.toml": ("file", 0o640, 0, k_gid),
        "/etc/kiosk/client_secret": ("file", 0o600, 0, 0),
        "/etc/kiosk/admin_pin": ("file", 0o600, 0, 0),
        "/var": ("dir", 0o755, 0, 0),
        "/var/lib": ("dir", 0o755, 0, 0),
        "/var/lib/kiosk": ("dir", 0o700, k_uid, k_gid),
        "/usr": ("dir", 0o755, 0, 0),
        "/usr/share": ("dir", 0o755, 0, 0),
        "/usr/share/doc": ("dir", 0o755, 0, 0),
        "/usr/share/doc/kiosk": ("dir", 0o755, 0, 0),
        "/usr/share/doc/kiosk/README.md": ("file", 0o644, 0, 0),
        "/etc/systemd": ("dir", 0o755, 0, 0),
        "/etc/systemd/system": ("dir", 0o755, 0, 0),
        "/etc/systemd/system/kiosk.service": ("file", 0o644, 0, 0),
        "/etc/systemd/system/kiosk.service.d": ("dir", 0o755, 0, 0),
        "/etc/systemd/system/kiosk.service.d/venv.conf": ("file", 0o644, 0, 0),
        "/etc/systemd/system/multi-user.target.wants": ("dir", 0o755, 0, 0),
        "/etc/systemd/system/multi-user.target.wants/kiosk.service": ("link", 0o777, 0, 0),
        "/etc/udev": ("dir", 0o755, 0, 0),
        "/etc/udev/rules.d": ("dir", 0o755, 0, 0),
        "/etc/udev/rules.d/99-kiosk.rules": ("file", 0o644, 0, 0),
    }
    # systemd-sysusers edits the account files (keeping "-" backups, with a lock file).
    accounts = {f"/etc/{name}{suffix}" for name in ("passwd", "group", "shadow", "gshadow")
                for suffix in ("", "-")} | {"/etc/.pwd.lock"}
    new = {path: (info[0], *info[-3:]) for path, info in after.items()
           if path not in before and path not in accounts}
    assert new == expected
    # Nothing else that was there before changed.
    changed = {path for path in before if after[path] != before[path]}
    assert changed <= accounts
    assert "/etc/passwd" in changed

    # Contents.
    assert (root / "etc/systemd/system/kiosk.service").read_bytes() == UNIT.read_bytes()
    assert os.readlink(root / "etc/systemd/system/multi-user.target.wants/kiosk.service") == \
        "/etc/systemd/system/kiosk.service"
    assert (root / "etc/kiosk/client_secret").read_bytes() == b""
    assert (root / "etc/kiosk/admin_pin").read_bytes() == b""
    assert (root / "etc/sysusers.d/kiosk.conf").read_bytes() == \
        (REPO / "systemd/kiosk.sysusers").read_bytes()
    assert (root / "boot/firmware/cmdline.txt").read_text() == CMDLINE  # no --disable-console
    assert "created an empty /etc/kiosk/client_secret" in result.stdout
    assert "next: put the API client secret" in result.stdout


def test_user_and_groups_match_the_unit(root):
    install(root, "--skip-venv")
    passwd = {line.split(":")[0]: line.split(":") for line in
              (root / "etc/passwd").read_text().splitlines()}
    entry = passwd["kiosk"]
    assert int(entry[2]) < 1000  # a system user
    assert entry[5] == "/var/lib/kiosk"
    assert entry[6].endswith("nologin")
    settings = unit_settings(UNIT.read_text())
    assert settings["[Service] User"] == ["kiosk"]
    for group in settings["[Service] SupplementaryGroups"][0].split():
        assert "kiosk" in members(root, group), group


def test_installed_config_loads_and_points_at_the_credential(root):
    install(root, "--skip-venv", "--scanner-id", "05e0:1200")
    config = load_config(root / "etc/kiosk/kiosk.toml")
    # LoadCredential=client_secret:... in the unit; a bare name is looked up in
    # $CREDENTIALS_DIRECTORY by kiosk.config.read_secret_file.
    credentials = {value.split(":")[0]: value.split(":")[1] for value in
                   unit_settings(UNIT.read_text())["[Service] LoadCredential"]}
    assert credentials[config.api.credentials_file] == "/etc/kiosk/client_secret"
    # The admin PIN credential exists for when the admin menu is turned on; off by default.
    assert credentials["admin_pin"] == "/etc/kiosk/admin_pin"
    assert config.ui.admin_pin_file == ""
    assert config.state.directory == "/var/lib/kiosk"
    assert config.reader.device == "/dev/input/kiosk-scanner"
    # Only those lines differ from the example.
    example = EXAMPLE_CONFIG.read_text().splitlines()
    installed = (root / "etc/kiosk/kiosk.toml").read_text().splitlines()
    assert len(example) == len(installed)
    differing = {b for a, b in zip(example, installed) if a != b}
    assert differing <= {'credentials_file = "client_secret"', 'device = "/dev/input/kiosk-scanner"',
                         'directory = "/var/lib/kiosk"'}


def test_installing_twice_changes_nothing(root):
    install(root, "--skip-venv", "--printer-id", "0416:5011", "--disable-console")
    first = snapshot(root)
    second_run = install(root, "--skip-venv", "--disable-console")
    assert snapshot(root) == first
    assert "keeping the existing /etc/kiosk/kiosk.toml" in second_run.stdout
    assert [line for line in (root / "etc/passwd").read_text().splitlines()
            if line.startswith("kiosk:")] != []
    assert (root / "etc/passwd").read_text().count("\nkiosk:") == 1


def test_existing_config_and_secret_are_never_overwritten(root):
    etc = root / "etc/kiosk"
    etc.mkdir(parents=True)
    (etc / "kiosk.toml").write_text('[kiosk]\nid = "filiale-3"\n')
    (etc / "client_secret").write_text("s3cret\n")
    (etc / "client_secret").chmod(0o644)
    result = install(root, "--skip-venv")
    assert (etc / "kiosk.toml").read_text() == '[kiosk]\nid = "filiale-3"\n'
    assert (etc / "client_secret").read_text() == "s3cret\n"
    assert "next: put the API client secret" not in result.stdout
    # ... but a secret others could read is made owner-only.
    assert stat.S_IMODE((etc / "client_secret").stat().st_mode) == 0o600
    assert "now owner-only" in result.stdout


# --- udev --------------------------------------------------------------------------------------

UDEV_MATCH_KEYS = {"ACTION", "SUBSYSTEM", "SUBSYSTEMS", "KERNEL", "KERNELS", "DRIVER", "DRIVERS",
                   "ATTR", "ATTRS", "ENV", "TAG", "TAGS"}
UDEV_ASSIGN_KEYS = {"SYMLINK", "GROUP", "MODE", "OWNER", "ENV", "TAG", "RUN", "NAME"}
UDEV_PAIR = re.compile(
    r'(?P<key>[A-Z]+)(?:\{(?P<attr>[A-Za-z0-9_]+)\})?(?P<op>==|!=|\+=|-=|:=|=)"(?P<value>[^"]*)"'
)


def lint_udev_rules(text: str) -> list[list[tuple[str, str | None, str, str]]]:
    """A parse check by udev's grammar (Debian 12's udevadm has no `verify`): every rule line
    is comma-separated KEY{attr}OP"value" pairs; match keys compare, assignment keys assign, and
    each rule both matches and assigns. Returns the parsed rules; raises AssertionError."""
    rules = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        pairs, position = [], 0
        while position < len(line):
            match = UDEV_PAIR.match(line, position)
            assert match, f"line {number}: cannot parse at {line[position:]!r}"
            key, attr, op, value = match.group("key", "attr", "op", "value")
            if op in ("==", "!="):
                assert key in UDEV_MATCH_KEYS, f"line {number}: {key} cannot be matched"
            else:
                assert key in UDEV_ASSIGN_KEYS, f"line {number}: {key} cannot be assigned"
            assert (attr is not None) == (key in {"ATTR", "ATTRS", "ENV"}), f"line {number}: {key}"
            if key == "MODE":
                assert re.fullmatch(r"0[0-7]{3}", value), f"line {number}: MODE {value}"
            if key in ("ATTRS",) and attr in ("idVendor", "idProduct"):
                assert re.fullmatch(r"[0-9a-f]{4}", value), f"line {number}: sysfs shows lower-case hex"
            pairs.append((key, attr, op, value))
            position = match.end()
            if position < len(line):
                assert line[position:position + 2] == ", ", f"line {number}: expected ', '"
                position += 2
        assert any(p[2] in ("==", "!=") for p in pairs) and any(p[2] not in ("==", "!=") for p in pairs)
        assert "@" not in line, f"line {number}: unfilled placeholder"
        rules.append(pairs)
    return rules


def test_lint_rejects_broken_rules():
    for broken in ['SUBSYSTEM=="tty", SYMLINK+="x" GROUP="dialout"',
                   'SUBSYSTEM=="tty" , SYMLINK+="x"',
                   'SYMLINK=="x", GROUP="dialout"',
                   'SUBSYSTEM=="tty", ATTRS{idVendor}=="0A0B", SYMLINK+="x"',
                   'SUBSYSTEM=="tty", MODE="660"']:
        with pytest.raises(AssertionError):
            lint_udev_rules(broken)


def test_rules_template_with_ids_filled_in_lints():
    template = (REPO / "systemd/99-kiosk.rules.in").read_text()
    filled = re.sub(r"@[A-Z]+_ON@", "", template)
    filled = re.sub(r"@[A-Z]+_(VENDOR|PRODUCT)@", "abcd", filled)
    assert len(lint_udev_rules(filled)) == 3


def test_the_default_config_opens_the_names_the_rules_make():
    template = (REPO / "systemd/99-kiosk.rules.in").read_text()
    filled = re.sub(r"@[A-Z]+_ON@", "", template)
    by_link = symlinks(lint_udev_rules(re.sub(r"@[A-Z]+_(VENDOR|PRODUCT)@", "abcd", filled)))
    config = load_config(EXAMPLE_CONFIG)
    printer = by_link[config.printer.port.removeprefix("/dev/")]
    scanner = by_link[config.reader.device.removeprefix("/dev/")]
    assert (printer["SUBSYSTEM"], scanner["SUBSYSTEM"]) == ("tty", "input")
    # The groups the rules give the devices are groups the service runs with.
    groups = set(unit_settings(UNIT.read_text())["[Service] SupplementaryGroups"][0].split())
    assert {rule["GROUP"] for rule in by_link.values()} <= groups


def symlinks(rules) -> dict[str, dict[str, str]]:
    return {
        next(v for k, _, op, v in rule if k == "SYMLINK"):
            {f"{k}{{{a}}}" if a else k: v for k, a, op, v in rule}
        for rule in rules
    }


def test_install_substitutes_usb_ids_and_keeps_them_on_update(root):
    install(root, "--skip-venv", "--printer-id", "0416:5011", "--scanner-id", "05E0:1200")
    rules_file = root / "etc/udev/rules.d/99-kiosk.rules"
    by_link = symlinks(lint_udev_rules(rules_file.read_text()))
    printer = by_link["kiosk-printer"]
    assert (printer["SUBSYSTEM"], printer["ATTRS{idVendor}"], printer["ATTRS{idProduct}"]) == \
        ("tty", "0416", "5011")
    assert (printer["GROUP"], printer["MODE"]) == ("dialout", "0660")
    scanner = by_link["input/kiosk-scanner"]
    assert (scanner["SUBSYSTEM"], scanner["KERNEL"], scanner["ENV{ID_INPUT_KEYBOARD}"]) == \
        ("input", "event*", "1")
    assert (scanner["ATTRS{idVendor}"], scanner["ATTRS{idProduct}"]) == ("05e0", "1200")
    assert (scanner["GROUP"], scanner["MODE"]) == ("input", "0660")
    assert by_link["kiosk-scanner"]["ATTRS{idVendor}"] == "05e0"

    # An update without ids keeps them; a new printer id replaces only the printer's.
    install(root, "--skip-venv")
    assert symlinks(lint_udev_rules(rules_file.read_text())) == by_link
    install(root, "--skip-venv", "--printer-id", "1fc9:2016")
    again = symlinks(lint_udev_rules(rules_file.read_text()))
    assert again["kiosk-printer"]["ATTRS{idVendor}"] == "1fc9"
    assert again["input/kiosk-scanner"] == scanner


def test_rules_without_ids_stay_commented_out(root):
    install(root, "--skip-venv")
    text = (root / "etc/udev/rules.d/99-kiosk.rules").read_text()
    assert lint_udev_rules(text) == []
    assert "# (no --printer-id) SUBSYSTEM==" in text
    assert "# printer-id: none" in text


@pytest.mark.parametrize("bad", ["0416-5011", "416:5011", "0416:50111", "zzzz:5011"])
def test_malformed_usb_id_is_refused(root, bad):
    result = install(root, "--skip-venv", "--printer-id", bad, check=False)
    assert result.returncode != 0
    assert f"USB id '{bad}'" in result.stderr
    assert not (root / "etc/kiosk").exists()  # refused before anything was written


# --- console -----------------------------------------------------------------------------------


def test_disable_console_masks_getty_and_blanking_once(root):
    wants = root / "etc/systemd/system/getty.target.wants"
    wants.mkdir(parents=True)
    (wants / "getty@tty1.service").symlink_to("/lib/systemd/system/getty@.service")
    install(root, "--skip-venv", "--disable-console")
    install(root, "--skip-venv", "--disable-console")
    system = root / "etc/systemd/system"
    assert os.readlink(system / "getty@tty1.service") == "/dev/null"
    assert os.readlink(system / "autovt@tty1.service") == "/dev/null"
    assert not (wants / "getty@tty1.service").exists()
    assert (root / "boot/firmware/cmdline.txt").read_text() == CMDLINE.rstrip("\n") + " consoleblank=0\n"


def test_disable_console_replaces_another_blanking_value(root):
    cmdline = root / "boot/firmware/cmdline.txt"
    cmdline.write_text("console=tty1 consoleblank=600 rootwait\n")
    install(root, "--skip-venv", "--disable-console")
    assert cmdline.read_text() == "console=tty1 consoleblank=0 rootwait\n"


# --- uninstall ---------------------------------------------------------------------------------


def test_uninstall_keeps_journal_config_and_user(root):
    install(root, "--skip-venv", "--printer-id", "0416:5011")
    journal = root / "var/lib/kiosk/journal.sqlite3"
    journal.write_bytes(b"SQLite format 3\x00")
    config_before = (root / "etc/kiosk/kiosk.toml").read_bytes()
    (root / "opt/kiosk/venv/bin").mkdir(parents=True)  # as a full install leaves it
    for _ in range(2):  # uninstalling twice is fine
        result = install(root, "--uninstall")
        assert "kept: the journal" in result.stdout
    assert not (root / "etc/systemd/system/kiosk.service").exists()
    assert not (root / "etc/systemd/system/multi-user.target.wants/kiosk.service").is_symlink()
    assert not (root / "etc/udev/rules.d/99-kiosk.rules").exists()
    assert not (root / "opt/kiosk").exists()
    assert not (root / "etc/systemd/system/kiosk.service.d").exists()
    assert not (root / "usr/share/doc/kiosk").exists()
    assert journal.read_bytes() == b"SQLite format 3\x00"
    assert (root / "etc/kiosk/kiosk.toml").read_bytes() == config_before
    assert (root / "etc/kiosk/client_secret").exists()
    assert "kiosk" in ids(root, "passwd")  # the kept journal stays owned by a known user


def test_refuses_to_run_without_root_privileges(tmp_path):
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv missing")
    result = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
         "bash", str(INSTALL), "--root", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode != 0
    assert "run as root" in result.stderr


# --- the whole thing, with the virtual environment ---------------------------------------------


def test_full_install_runs_and_the_installed_unit_verifies(root):
    """pip-installs the checkout into <root>/opt/kiosk/venv (about 15 s with pip's cache)."""
    started = time.time()
    install(root, "--python", sys.executable)
    kiosk = root / "opt/kiosk/venv/bin/kiosk"
    assert os.access(kiosk, os.X_OK)
    assert subprocess.run([str(kiosk), "--help"], capture_output=True, timeout=60).returncode == 0
    # pip built from a copy: nothing of this build landed in the checkout.
    assert not [p for p in REPO.glob("build/**/*") if p.stat().st_mtime >= started]
    # systemd-analyze verify on the installed tree: the real ExecStart exists and runs.
    shutil.copytree(system_unit_dir(), root / "usr/lib/systemd/system", symlinks=True)
    result = subprocess.run(["systemd-analyze", "verify", f"--root={root}", "kiosk.service"],
                            capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_installer_passes_shellcheck():
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck missing (tests/run.sh installs it)")
    result = subprocess.run(["shellcheck", "-x", str(INSTALL)], capture_output=True, text=True,
                            timeout=60, cwd=REPO)
    assert result.returncode == 0, result.stdout
