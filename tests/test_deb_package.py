"""The Debian package: built by systemd/build-deb.sh, its contents, and (as root) install → doctor → remove → purge."""

from __future__ import annotations

import grp
import json
import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from kiosk.commands.sandbox import write_client_config
from kiosk.config import parse_config
from kiosk.journal import JOURNAL_FILE, Journal, State
from tests.fixtures.sandbox import CARD

REPO = Path(__file__).resolve().parents[1]
SYSTEM_PYTHON = Path("/usr/bin/python3")
STATE = Path("/var/lib/kiosk")
CLEAN_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
             "DEBIAN_FRONTEND": "noninteractive"}


def _can_build() -> str:
    if shutil.which("dpkg-deb") is None:
        return "dpkg-deb missing (not a Debian system)"
    probe = subprocess.run([str(SYSTEM_PYTHON), "-c", "import setuptools, wheel"],
                           capture_output=True) if SYSTEM_PYTHON.exists() else None
    if probe is None or probe.returncode != 0:
        return "python3-setuptools / python3-wheel missing (tests/run.sh installs them as root)"
    return ""


pytestmark = pytest.mark.skipif(bool(_can_build()), reason=_can_build() or "-")


def run(*cmd: str, env: dict[str, str] | None = None, check: bool = True,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd="/",
                            env={**CLEAN_ENV, **(env or {})})
    if check:
        assert result.returncode == 0, f"{cmd}: {result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def deb() -> Path:
    result = run("bash", str(REPO / "systemd/build-deb.sh"))
    path = Path(result.stdout.strip())
    version = parse_pyproject_version()
    assert path == REPO / "dist" / f"kiosk_{version}_all.deb" and path.is_file()
    return path


def parse_pyproject_version() -> str:
    import tomllib

    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]


def field(deb: Path, name: str) -> str:
    return run("dpkg-deb", "--field", str(deb), name).stdout.strip()


# --- the package as built ------------------------------------------------------------------


def test_contents_and_control(deb):
    listing = run("dpkg-deb", "--contents", str(deb)).stdout.splitlines()
    files = {line.split()[-1].lstrip(".") for line in listing}
    for path in ("/usr/bin/kiosk", "/lib/systemd/system/kiosk.service",
                 "/usr/lib/sysusers.d/kiosk.conf", "/etc/kiosk/kiosk.toml",
                 "/usr/sbin/kiosk-usb-ids", "/usr/lib/kiosk/restart-when-idle",
                 "/usr/lib/kiosk/99-kiosk.rules.in", "/usr/share/doc/kiosk/README.md",
                 "/usr/lib/python3/dist-packages/kiosk/cli.py",
                 "/usr/lib/python3/dist-packages/kiosk/kiosk.example.toml",
                 "/usr/lib/python3/dist-packages/hardware/printer/transport.py",
                 "/usr/share/kiosk/monitoring/kiosk-alerts.yml",
                 "/usr/share/kiosk/monitoring/kiosk-dashboard.json"):
        assert path in files, path
    assert not [f for f in files if "/tests/" in f or "__pycache__" in f or f.endswith(".pyc")]
    assert all(line.split()[1] == "root/root" for line in listing)
    assert field(deb, "Architecture") == "all"
    depends = field(deb, "Depends")
    for package in ("python3-pygame", "python3-evdev", "python3-serial", "python3-requests",
                    "python3-prometheus-client", "python3-segno (>= 1.4.1)"):
        assert package in depends
    control = Path(run("mktemp", "-d").stdout.strip())
    try:
        run("dpkg-deb", "--control", str(deb), str(control))
        assert (control / "conffiles").read_text().split() == ["/etc/kiosk/kiosk.toml"]
        for script in ("postinst", "prerm", "postrm"):
            assert os.access(control / script, os.X_OK)
            if shutil.which("shellcheck"):
                run("shellcheck", "-s", "sh", str(control / script))
    finally:
        shutil.rmtree(control)


def test_packaged_config_and_entry_script(deb, tmp_path):
    run("dpkg-deb", "--extract", str(deb), str(tmp_path))
    config = parse_config((tmp_path / "etc/kiosk/kiosk.toml").read_text(), "kiosk.toml")
    assert config.api.credentials_file == "client_secret"
    assert str(config.state_dir) == str(STATE)
    entry = (tmp_path / "usr/bin/kiosk").read_text()
    assert entry.startswith("#!/usr/bin/python3\n") and "from kiosk.cli import main" in entry
    # The wheel's console script runs on Debian's own python3 and its packages.
    result = run(str(SYSTEM_PYTHON), str(tmp_path / "usr/bin/kiosk"), "doctor", "--help",
                 env={"PYTHONPATH": str(tmp_path / "usr/lib/python3/dist-packages")})
    assert "--json" in result.stdout


# --- installed with apt, as CI does on a clean Debian 12 ---------------------------------------


def _can_install() -> str:
    if os.geteuid() != 0:
        return "installs a package: runs as root (CI does)"
    if shutil.which("apt-get") is None or shutil.which("systemd-analyze") is None:
        return "needs apt-get and systemd-analyze (Debian)"
    return ""


def installed() -> bool:
    result = run("dpkg-query", "-W", "-f", "${db:Status-Status}", "kiosk", check=False)
    return result.stdout == "installed"


@pytest.fixture
def clean_machine():
    """Nothing of the package before; afterwards purged, journal and new user gone again."""
    had_user = _user_exists("kiosk")
    had_state = STATE.exists()
    if had_state:
        pytest.skip(f"{STATE} exists on this machine: not touching a real kiosk's journal")
    run("apt-get", "purge", "-y", "-q", "kiosk", check=False)
    yield
    run("apt-get", "purge", "-y", "-q", "kiosk", check=False)
    shutil.rmtree(STATE, ignore_errors=True)
    if not had_user and _user_exists("kiosk"):
        run("userdel", "kiosk", check=False)


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.mark.skipif(bool(_can_install()), reason=_can_install() or "-")
def test_apt_install_doctor_verify_remove_purge(deb, clean_machine, sandbox, printer_emulator,
                                                serial_scanner, tmp_path):
    run("apt-get", "install", "-y", "-q", "--no-install-recommends", str(deb), timeout=900)
    assert installed()
    # Installed for Debian's python3, from dist-packages, next to Debian's libraries.
    where = run(str(SYSTEM_PYTHON), "-c", "import kiosk, pygame, segno; print(kiosk.__file__)")
    assert where.stdout.splitlines()[-1] == "/usr/lib/python3/dist-packages/kiosk/__init__.py"

    kiosk = pwd.getpwnam("kiosk")
    assert {g.gr_name for g in grp.getgrall() if "kiosk" in g.gr_mem} >= {
        "input", "dialout", "video", "render", "audio"}
    info = STATE.stat()
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == \
        (kiosk.pw_uid, kiosk.pw_gid, 0o700)
    config_info = Path("/etc/kiosk/kiosk.toml").stat()
    assert (config_info.st_uid, config_info.st_gid, stat.S_IMODE(config_info.st_mode)) == \
        (0, kiosk.pw_gid, 0o640)
    for secret in ("client_secret", "admin_pin"):
        assert stat.S_IMODE(Path("/etc/kiosk", secret).stat().st_mode) == 0o600

    # The installed unit verifies on the real root: its ExecStart exists and is executable.
    verify = run("systemd-analyze", "verify", "kiosk.service", check=False)
    assert (verify.returncode, verify.stdout, verify.stderr) == (0, "", "")

    # A journal with history, owned by the service's user, as a running kiosk leaves it.
    with Journal.open_in(STATE) as journal:
        ref = journal.begin(card_number=CARD, amount=1500, currency="EUR",
                            start_type="cash").reference
        journal.advance(ref, State.NOT_EXECUTED)
    for path in STATE.iterdir():
        os.chown(path, kiosk.pw_uid, kiosk.pw_gid)
    journal_bytes = (STATE / JOURNAL_FILE).read_bytes()

    # `kiosk doctor --json` of the installed package against the sandbox and the emulator.
    config = write_client_config(sandbox, tmp_path / "kiosk.toml")
    with config.open("a") as f:
        f.write(f'\n[printer]\nport = "{printer_emulator.link}"\n'
                f'\n[reader]\ntype = "serial"\nserial_port = "{serial_scanner.path}"\n')
    text = config.read_text().replace(f'directory = "{tmp_path / "kiosk-state"}"',
                                      f'directory = "{STATE}"')
    config.write_text(text)
    doctor = run("/usr/bin/kiosk", "doctor", "--config", str(config), "--json", check=False)
    report = json.loads(doctor.stdout)
    checks = {c["name"]: c for c in report["checks"]}
    assert list(checks) == ["config", "state directory", "journal", "clock", "payment settings",
                            "client secret", "API reachable", "authentication", "API call",
                            "card terminal", "printer", "scanner", "speech"]
    assert {n: c["detail"] for n, c in checks.items() if not c["ok"] and n != "clock"} == {}
    assert "intact, 1 top-up(s), none unfinished" in checks["journal"]["detail"]
    # The clock is this machine's: a CI runner may not be synchronised; doctor must say so.
    assert doctor.returncode == (0 if checks["clock"]["ok"] else 1)
    assert run("/usr/bin/kiosk", "doctor", "--config", str(config), "--json",
               "--skip", "clock").returncode == 0
    assert (STATE / JOURNAL_FILE).read_bytes() == journal_bytes

    # remove: config and journal stay.
    run("apt-get", "remove", "-y", "-q", "kiosk")
    assert not Path("/usr/bin/kiosk").exists()
    assert Path("/etc/kiosk/kiosk.toml").exists()
    assert (STATE / JOURNAL_FILE).read_bytes() == journal_bytes
    # purge: config and secrets go, the journal stays.
    purge = run("apt-get", "purge", "-y", "-q", "kiosk")
    assert "kept the journal /var/lib/kiosk" in purge.stdout
    assert not Path("/etc/kiosk").exists()
    assert (STATE / JOURNAL_FILE).read_bytes() == journal_bytes
    assert not installed()

    # Asked for: purge with KIOSK_PURGE_JOURNAL=1 deletes it too.
    run("apt-get", "install", "-y", "-q", "--no-install-recommends", str(deb), timeout=900)
    run("apt-get", "purge", "-y", "-q", "kiosk", env={"KIOSK_PURGE_JOURNAL": "1"})
    assert not STATE.exists()
