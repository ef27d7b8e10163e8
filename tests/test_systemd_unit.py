"""systemd/kiosk.service: systemd-analyze verify is silent, the security exposure stays <= 3.0."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.config import EXAMPLE_CONFIG, load_config
from kiosk.sdnotify import WatchdogPinger

UNIT = Path(__file__).resolve().parents[1] / "systemd" / "kiosk.service"
EXPOSURE_BAR = 3.0

pytestmark = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None, reason="systemd-analyze missing (tests/run.sh installs it)"
)


def unit_settings(text: str) -> dict[str, list[str]]:
    """Key -> all values, in order ("[Section] Key" keys); comments and blank lines dropped."""
    settings: dict[str, list[str]] = {}
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        key, _, value = line.partition("=")
        settings.setdefault(f"{section} {key}", []).append(value)
    return settings


def system_unit_dir() -> Path:
    for candidate in (Path("/usr/lib/systemd/system"), Path("/lib/systemd/system")):
        if (candidate / "multi-user.target").exists():
            return candidate
    pytest.skip("systemd's own units (multi-user.target) are not installed")


def verify_in_root(root: Path, unit_text: str) -> subprocess.CompletedProcess[str]:
    """Run `systemd-analyze verify --root` on the unit installed into a scratch root.

    verify checks that ExecStart= exists and is executable and that every unit it refers to
    (sysinit.target, multi-user.target, ...) exists, all inside --root. So the scratch root gets
    a copy of this machine's systemd units and an executable at the real ExecStart path: the unit
    is verified byte for byte as installed, with no rewritten ExecStart. User= is not looked up
    by verify (the installer test checks the user).
    """
    shutil.copytree(system_unit_dir(), root / "usr/lib/systemd/system", symlinks=True)
    unit_dir = root / "etc/systemd/system"
    unit_dir.mkdir(parents=True)
    (unit_dir / "kiosk.service").write_text(unit_text)
    exec_start = unit_settings(unit_text)["[Service] ExecStart"][0].split()[0]
    binary = root / exec_start.lstrip("/")
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    return subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", "kiosk.service"],
        capture_output=True, text=True, timeout=60,
    )


def test_verify_passes_without_a_single_warning(tmp_path):
    result = verify_in_root(tmp_path, UNIT.read_text())
    # verify exits 0 even for an unknown key, so any output at all is a failure.
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_verify_check_would_catch_a_misspelled_setting(tmp_path):
    broken = UNIT.read_text().replace("ProtectClock=yes", "ProtectClok=yes")
    result = verify_in_root(tmp_path, broken)
    assert "Unknown key 'ProtectClok'" in result.stderr


def test_security_exposure_is_at_most_the_bar(tmp_path):
    copy = tmp_path / "kiosk.service"
    shutil.copy(UNIT, copy)
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager", str(copy)],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    match = re.search(r"Overall exposure level for kiosk\.service: (\d+\.\d+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= EXPOSURE_BAR, result.stdout


def test_service_settings_the_kiosk_relies_on():
    s = unit_settings(UNIT.read_text())
    one = lambda key: s[f"[Service] {key}"][-1]  # noqa: E731
    assert one("Type") == "notify" and one("NotifyAccess") == "main"
    assert one("Restart") == "always"
    assert s["[Unit] StartLimitIntervalSec"] == ["0"]  # never give up for good
    assert one("ExecStart") == "/usr/bin/kiosk run --config /etc/kiosk/kiosk.toml"
    assert one("User") == "kiosk"
    assert set(one("SupplementaryGroups").split()) == {"input", "dialout", "video", "render", "audio"}
    assert one("StateDirectory") == "kiosk" and one("ConfigurationDirectory") == "kiosk"
    assert s["[Service] LoadCredential"] == ["client_secret:/etc/kiosk/client_secret",
                                             "admin_pin:/etc/kiosk/admin_pin"]
    assert "SDL_VIDEODRIVER=kmsdrm" in s["[Service] Environment"]
    assert "SDL_AUDIODRIVER=alsa" in s["[Service] Environment"]
    # Real devices stay reachable: an allow-list, never PrivateDevices=yes.
    assert one("DevicePolicy") == "closed"
    assert "[Service] PrivateDevices" not in s
    allowed = {value.split()[0] for value in s["[Service] DeviceAllow"]}
    assert {"char-ttyUSB", "char-ttyACM", "char-ttyAMA", "char-ttyS", "char-input", "char-drm",
            "char-fb", "char-alsa"} <= allowed
    # Paths would be looked up at every start and warn when missing; groups never do.
    assert all(not entry.startswith("/") for entry in allowed)
    # The API is on the internet: no IP allow-list, and INET families stay allowed.
    assert "[Service] IPAddressDeny" not in s
    assert {"AF_INET", "AF_INET6", "AF_UNIX"} <= set(one("RestrictAddressFamilies").split())
    assert s["[Install] WantedBy"] == ["multi-user.target"]


def test_watchdog_timing_fits_the_main_loop():
    s = unit_settings(UNIT.read_text())
    watchdog = float(s["[Service] WatchdogSec"][-1].removesuffix("s"))
    # The loop pings every WatchdogSec/2 and never sleeps longer than IDLE_SLEEP: a healthy
    # loop is always well inside the deadline.
    assert WatchdogPinger.IDLE_SLEEP < watchdog / 2
    # A crash loop stays gentle.
    assert float(s["[Service] RestartSec"][-1].removesuffix("s")) >= 1


def test_ready_comes_well_before_systemd_gives_up_on_the_start():
    # A slow API holds READY=1 back only until READY_AT_LATEST_S; past TimeoutStartSec systemd
    # would kill the kiosk during recovery and restart it, again and again. The margin covers
    # what comes before the main loop (journal, printer, screen).
    from kiosk.runtime import READY_AT_LATEST_S

    s = unit_settings(UNIT.read_text())
    start_timeout = float(s["[Service] TimeoutStartSec"][-1].removesuffix("s"))
    assert READY_AT_LATEST_S + 30 <= start_timeout


def test_state_directory_matches_the_default_config():
    # StateDirectory=kiosk is /var/lib/kiosk; the journal must live there (ProtectSystem=strict
    # makes everything else read-only).
    assert load_config(EXAMPLE_CONFIG).state.directory == "/var/lib/kiosk"
