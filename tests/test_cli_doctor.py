"""`kiosk doctor`: each check says OK or FAIL with a reason an operator can act on, and changes nothing."""

from __future__ import annotations

import errno
import getpass
import json
import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from hardware.printer.transport import SerialPrinter
from hardware.reader.evdev_reader import EvdevReader
from kiosk import cli
from kiosk.commands.doctor import run_checks
from kiosk.config import load_config
from kiosk.diagnose.clock import ClockReading, read_kernel_clock, verdict
from kiosk.journal import JOURNAL_FILE, Journal, State
from tests.fixtures.sandbox import CARD
from tests.test_topup_env import secret_file, write_config

ME = getpass.getuser()  # tests own their temp state directories
NO_CLOCK = ("clock",)   # the machine's clock is judged by its own tests below


def failures(checks):
    return {c.name: c.detail for c in checks if not c.ok}


def doctor(config: Path, *, skip=NO_CLOCK, user: str = ME):
    return run_checks(str(config), service_user=user, skip=skip)


def tree(path: Path) -> dict[str, tuple[int, int, int]]:
    """Every file under `path` with owner, mode and content size: what doctor must not change."""
    return {str(p.relative_to(path)): (p.lstat().st_uid, p.lstat().st_mode, p.lstat().st_size)
            for p in sorted(path.rglob("*"))}


@pytest.fixture
def kiosk_config(sandbox, printer_emulator, serial_scanner, tmp_path) -> Path:
    """A config aimed at the sandbox, the printer emulator and the serial-mode scanner."""
    config = write_config(tmp_path, sandbox)
    with config.open("a", encoding="utf-8") as f:
        f.write(f'\n[printer]\ntype = "serial"\nport = "{printer_emulator.link}"\n'
                f'\n[reader]\ntype = "serial"\nserial_port = "{serial_scanner.path}"\n')
    return config


def test_all_ok_one_line_each(kiosk_config, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "setup_logging", lambda level: None)
    before = tree(tmp_path)
    assert cli.main(["doctor", "--config", str(kiosk_config), "--service-user", ME,
                     "--skip", "clock"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["OK"] * 12
    names = [line.split(":")[0].split(None, 1)[1] for line in lines]
    assert names == ["config", "state directory", "journal", "payment settings",
                     "client secret", "API reachable", "authentication", "API call",
                     "card terminal", "printer", "scanner", "speech"]
    assert "no journal yet" in lines[2] and "paper ok" in lines[9]
    # Nothing created, written or chowned: not the journal, not a token, not a temp file.
    assert tree(tmp_path) == before


def test_json_for_scripts(kiosk_config, monkeypatch, capsys):
    monkeypatch.setattr(cli, "setup_logging", lambda level: None)
    assert cli.main(["doctor", "--config", str(kiosk_config), "--json", "--service-user", ME,
                     "--skip", "clock", "--skip", "scanner", "--skip", "speech"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["config"] == str(kiosk_config)
    assert [c["name"] for c in report["checks"]][-1] == "printer"
    assert all(c["ok"] and c["detail"] for c in report["checks"])


def test_missing_config(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "setup_logging", lambda level: None)
    assert cli.main(["doctor", "--config", str(tmp_path / "nope.toml")]) == 1
    out = capsys.readouterr().out
    assert out.startswith("FAIL  config: ") and "nope.toml: config file not found" in out


def test_state_directory_missing_is_not_created(kiosk_config):
    state = load_config(kiosk_config).state_dir
    state.rmdir()
    failed = failures(doctor(kiosk_config))
    assert "state directory does not exist" in failed["state directory"]
    assert str(state) in failed["state directory"]
    assert not state.exists()


def test_state_directory_of_another_user(kiosk_config):
    state = load_config(kiosk_config).state_dir
    failed = failures(doctor(kiosk_config, user="kiosk-test-nobody"))
    assert failed["state directory"] == (
        f"{state}: owned by {ME}, but the service runs as kiosk-test-nobody: "
        f"sudo chown -R kiosk-test-nobody: {state}")


def test_state_directory_writable_by_others(kiosk_config):
    state = load_config(kiosk_config).state_dir
    state.chmod(0o777)
    failed = failures(doctor(kiosk_config))
    assert "mode 0777" in failed["state directory"] and "chmod 0700" in failed["state directory"]


def test_damaged_journal_is_named_and_left_alone(kiosk_config):
    journal = load_config(kiosk_config).state_dir / JOURNAL_FILE
    journal.write_bytes(b"SQLite format 3\x00" + b"\x17" * 3000)
    failed = failures(doctor(kiosk_config))
    assert str(journal) in failed["journal"] and "keep the file for support" in failed["journal"]
    assert journal.read_bytes() == b"SQLite format 3\x00" + b"\x17" * 3000
    assert sorted(p.name for p in journal.parent.iterdir()) == [JOURNAL_FILE]


def test_empty_journal_file(kiosk_config):
    journal = load_config(kiosk_config).state_dir / JOURNAL_FILE
    journal.write_bytes(b"")
    assert "holds no journal (empty or truncated file)" in failures(doctor(kiosk_config))["journal"]


def test_unfinished_rows_seen_while_the_journal_is_open(kiosk_config):
    with Journal.open_in(load_config(kiosk_config).state_dir) as journal:
        ref = journal.begin(card_number=CARD, amount=500, currency="EUR",
                            start_type="cash").reference
        # The kiosk holds it open: its newest commit lives in the -wal file.
        failed = failures(doctor(kiosk_config))
        assert "1 unfinished top-up(s); run `kiosk recover`" in failed["journal"]
        journal.advance(ref, State.NOT_EXECUTED)
    checks = doctor(kiosk_config)
    assert failures(checks) == {}
    assert "intact, 1 top-up(s), none unfinished" in next(c.detail for c in checks
                                                          if c.name == "journal")


def test_secret_named_as_the_service_names_it(kiosk_config, tmp_path, monkeypatch):
    """credentials_file = "client_secret": beside the config from a shell, in
    $CREDENTIALS_DIRECTORY under systemd; the current directory plays no part."""
    secret = secret_file(kiosk_config)
    secret.rename(tmp_path / "client_secret")
    text = kiosk_config.read_text().replace(f'"{secret}"', '"client_secret"')
    kiosk_config.write_text(text)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    checks = {c.name: c for c in doctor(kiosk_config)}
    assert checks["client secret"].detail.startswith(f"{tmp_path / 'client_secret'} is readable")
    assert checks["authentication"].ok and checks["API call"].ok

    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "client_secret").write_text("wrong\n")
    (credentials / "client_secret").chmod(0o600)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    failed = failures(doctor(kiosk_config))
    assert "refused: invalid_client" in failed["authentication"]


def test_secret_readable_by_others(kiosk_config):
    os.chmod(secret_file(kiosk_config), 0o644)
    failed = failures(doctor(kiosk_config))
    assert "chmod 600" in failed["client secret"]
    assert failed["authentication"].startswith("skipped")


def test_api_unreachable(kiosk_config, sandbox):
    sandbox.stop()
    failed = failures(doctor(kiosk_config))
    assert f"127.0.0.1:{sandbox.port}: cannot connect" in failed["API reachable"]
    assert set(failed) == {"API reachable", "authentication"}


def test_wrong_secret(kiosk_config):
    secret_file(kiosk_config).write_text("not-the-secret\n")
    failed = failures(doctor(kiosk_config))
    assert "refused: invalid_client" in failed["authentication"]
    assert "client_id and the client secret" in failed["authentication"]


def test_device_grant_unregistered_writes_no_token(kiosk_config, tmp_path):
    text = kiosk_config.read_text().replace('auth_mode = "client_credentials"',
                                            'auth_mode = "device"\ndevice_uuid = "/vendor/t/k/1"')
    kiosk_config.write_text(text)
    before = tree(tmp_path)
    failed = failures(doctor(kiosk_config))
    assert "not registered yet; run `kiosk register`" in failed["authentication"]
    assert tree(tmp_path) == before


# --- printer -------------------------------------------------------------------------------


@pytest.mark.parametrize("faults, expected", [
    ({"paper": "out"}, "printer is out of paper"),
    ({"cover_open": True}, "printer cover is open"),
    ({"no_answer": True}, "no valid status answer at 19200 baud ([printer] baudrate): check "
                          "power, cable and the printer's speed"),
])
def test_printer_problems(kiosk_config, printer_emulator, faults, expected):
    printer_emulator.set_faults(**faults)
    failed = failures(doctor(kiosk_config, skip=("clock", "scanner")))
    assert failed == {"printer": f"{printer_emulator.link} ([printer] port): {expected}"}


def test_printer_paper_running_low_still_passes(kiosk_config, printer_emulator):
    printer_emulator.set_faults(paper="near_end")
    checks = {c.name: c for c in doctor(kiosk_config)}
    assert checks["printer"].ok and "paper running low" in checks["printer"].detail


def test_printer_port_missing(kiosk_config, printer_emulator):
    printer_emulator.stop()
    assert "does not exist; plugged in? udev rule" in failures(doctor(kiosk_config))["printer"]


def test_printer_held_by_the_running_kiosk(kiosk_config, printer_emulator):
    with SerialPrinter(str(printer_emulator.link)) as held:
        assert held.status().known  # opened, exclusively, as the running kiosk holds it
        failed = failures(doctor(kiosk_config))
    assert "busy, another program holds the port" in failed["printer"]
    assert "sudo systemctl stop kiosk" in failed["printer"]


# --- scanner -------------------------------------------------------------------------------


def test_scanner_unplugged(kiosk_config, serial_scanner):
    serial_scanner.unplug()
    failed = failures(doctor(kiosk_config))
    assert failed == {"scanner": f"{serial_scanner.path} ([reader] serial_port): not connected "
                                 f"(device not found)"}


def test_scanner_held_by_another_program(kiosk_config, serial_scanner):
    import serial

    with serial.Serial(str(serial_scanner.path), exclusive=True):
        failed = failures(doctor(kiosk_config))
    assert "busy: another program holds the device" in failed["scanner"]


def test_evdev_probe_grabs_and_releases(scanner, sink):
    reader = EvdevReader(sink, path=scanner.path, open_device=scanner.open_device,
                         list_devices=scanner.list_devices)
    assert reader.probe() == scanner.name
    [device] = scanner.opened
    assert device.closed and not device.grabbed
    # Grabbed by another program (the running kiosk): the probe fails instead of sharing it.
    scanner.grab_error = errno.EBUSY
    with pytest.raises(OSError) as refused:
        reader.probe()
    assert refused.value.errno == errno.EBUSY and scanner.opened[-1].closed


# --- clock ---------------------------------------------------------------------------------

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


def test_clock_synchronised():
    ok, detail = verdict(ClockReading(True, max_error_us=12_000), NOW)
    assert ok and detail == "synchronised (max error 12 ms), 2026-11-30 09:00:00 UTC"


def test_clock_not_synchronised():
    ok, detail = verdict(ClockReading(False, max_error_us=16_000_000), NOW)
    assert not ok and detail.startswith("not synchronised (kernel: STA_UNSYNC, max error 16 s)")
    assert "takes no money until the clock is synchronised" in detail


def test_clock_unknown_is_said_so():
    ok, detail = verdict(ClockReading(None, why_unknown="adjtimex not available"), NOW)
    assert ok and detail.startswith("unknown (adjtimex not available)")


def test_clock_of_1970_is_wrong_whatever_the_kernel_says():
    ok, detail = verdict(ClockReading(True), datetime(1970, 1, 1, 0, 1, tzinfo=timezone.utc))
    assert not ok and "1970-01-01 00:01:00 UTC, which cannot be right" in detail


def test_clock_check_reports_this_machine(kiosk_config):
    # The sandbox's config does not judge the clock of the machine it runs on; a kiosk's does.
    off = next(c for c in doctor(kiosk_config, skip=()) if c.name == "clock")
    assert off.ok and off.detail.startswith("not checked")
    text = kiosk_config.read_text(encoding="utf-8")
    kiosk_config.write_text(text.replace('clock_check = "off"', 'clock_check = "ntp"'),
                            encoding="utf-8")
    reading = read_kernel_clock()
    check = next(c for c in doctor(kiosk_config, skip=()) if c.name == "clock")
    if reading.synchronised is None:
        assert check.ok and check.detail.startswith("unknown")
    elif reading.synchronised:
        assert check.ok and check.detail.startswith("synchronised")
    else:
        assert not check.ok and check.detail.startswith("not synchronised")


@pytest.mark.parametrize("base_url, is_demo, start_type, warns", [
    ("https://connect.secucard.com/api/v2", True, "cashless", True),
    ("https://CONNECT.secucard.com:443/api/v2", True, "cashless", True),
    ("https://connect.secucard.com/api/v2", False, "cashless", False),
    ("https://connect.secucard.com/api/v2", True, "cash", False),
    ("https://connect-testing.secuconnect.com/api/v2", True, "cashless", False),
])
def test_demo_settings_on_the_live_host_warn_for_card_payments(tmp_path, base_url, is_demo,
                                                                start_type, warns, capsys,
                                                                monkeypatch):
    # is_demo does not protect terminal payments (secuconnect-api.md): a WARN that passes.
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[api]\nbase_url = "{base_url}"\nis_demo = {str(is_demo).lower()}\n'
                      f'[topup]\nstart_type = "{start_type}"\n', encoding="utf-8")
    [check] = [c for c in doctor(config) if c.name == "payment settings"]
    assert check.ok and check.warning is warns
    assert ("does NOT protect terminal payments" in check.detail) is warns
    assert str(config) in check.detail and check.line().startswith("WARN" if warns else "OK")


def test_speech_says_a_phrase_in_each_voice(kiosk_config):
    import re
    import shutil

    checks = {c.name: c for c in doctor(kiosk_config, skip=(*NO_CLOCK, "scanner", "printer"))}
    if shutil.which("espeak-ng"):
        assert checks["speech"].ok and "espeak-ng" in checks["speech"].detail
        for language in ("de", "en"):
            assert re.search(rf"\b{language} \d+\.\d s of audio in \d+ ms", checks["speech"].detail)
    else:
        assert "espeak-ng is not installed (sudo apt install espeak-ng)" in checks["speech"].detail
    with kiosk_config.open("a", encoding="utf-8") as f:
        f.write("\n[speech]\nenabled = false\n")
    checks = {c.name: c for c in doctor(kiosk_config, skip=(*NO_CLOCK, "scanner", "printer"))}
    assert checks["speech"].ok and checks["speech"].detail == "off ([speech] enabled = false)"
