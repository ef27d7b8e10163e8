"""A restart asked for by a package upgrade happens between customers, through the real loop;
systemd/restart-when-idle asks for it and waits for the kiosk's PID to change."""

from __future__ import annotations

import subprocess

import kiosk.runtime
from kiosk.flow import Screen
from kiosk.restart_request import FLAG_NAME, RestartRequest
from kiosk.runtime import KioskRuntime
from hardware.sim.scanner import VirtualScanner
from kiosk.ui.driver import UiDriver
from tests.fixtures.notify import ROOT, kiosk_run_notified
from tests.fixtures.sandbox import FUNDED_CARD
from tests.test_e2e_kiosk import _scanner_open, kiosk_config
from tests.test_e2e_run import WAIT_S, _datagrams

SCRIPT = ROOT / "systemd/restart-when-idle"


def test_script_and_kiosk_agree_on_the_flag_name():
    assert f"/{FLAG_NAME}\n" in SCRIPT.read_text()


def test_kiosk_restarts_only_once_the_customer_has_left(sandbox, tmp_path, make_printer_emulator,
                                                        monkeypatch):
    monkeypatch.setattr(kiosk.runtime, "HOUSEKEEPING_S", 0.0)   # every pass of the loop
    printer = make_printer_emulator(columns=42, render=False)
    config = kiosk_config(sandbox, tmp_path, printer.link)
    scanner = VirtualScanner()
    stale = RestartRequest(config.state_dir)
    stale.path.parent.mkdir(parents=True, exist_ok=True)
    stale.path.touch()                        # left from before this start: not a request
    runtime = KioskRuntime(config, window=True, scanner=scanner)
    try:
        runtime.open()
        drive = UiDriver(runtime.ui, timeout=WAIT_S)
        drive.wait_for(Screen.ATTRACT)
        assert not stale.pending()
        # Asked until the reader thread has opened it (`device` raises before that).
        assert runtime.ui.run_until(lambda u: _scanner_open(scanner), WAIT_S)
        scanner.scan(FUNDED_CARD)
        drive.wait_for(Screen.CARD)
        passes: list[Screen] = []           # one clock check per housekeeping pass
        check = runtime.clock_gate.check

        def counted():  # type: ignore[no-untyped-def]
            passes.append(runtime.ui.state.screen)
            return check()

        monkeypatch.setattr(runtime.clock_gate, "check", counted)
        runtime.restart_request.path.touch()      # the upgrade asks
        drive.tap("continue")
        drive.wait_for(Screen.AMOUNT)
        # Several passes on the customer's screens: the request is seen as waiting, not taken.
        assert runtime.ui.run_until(lambda u: passes.count(Screen.AMOUNT) >= 3, WAIT_S)
        assert runtime.ui.running and not runtime.restart_requested
        assert runtime.restart_request.path.exists()
        drive.tap("back")
        drive.wait_for(Screen.CARD)
        drive.tap("back")                 # "Zurück" on the card screen ends the session
        assert runtime.ui.run_until(lambda u: runtime.restart_requested, WAIT_S)
        assert not runtime.restart_request.path.exists()
    finally:
        runtime.close()


def _script(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True,
                          timeout=WAIT_S, check=True, cwd=cwd)


def test_script_asks_the_running_kiosk_which_restarts_on_its_start_screen(
        sandbox, tmp_path, make_printer_emulator):
    printer = make_printer_emulator(columns=42, render=False)
    config = kiosk_config(sandbox, tmp_path, printer.link)
    marker = tmp_path / "forced"
    pid_of = tmp_path / "main-pid.sh"
    seen: list[str] = []
    with kiosk_run_notified(config.source, tmp_path) as (proc, sock, log):
        _datagrams(sock, "READY=1", seen)
        # systemctl show -p MainPID as the kiosk's own process would answer it: 0 once gone.
        pid_of.write_text(f"kill -0 {proc.pid} 2>/dev/null && echo {proc.pid} || echo 0\n")
        script = subprocess.Popen(
            ["bash", str(SCRIPT), "--config", config.source, "--poll-s", "1", "--max-wait-s",
             "60", "--pid-command", f"sh {pid_of}", "--restart-command", f"touch {marker}"],
            stdout=subprocess.PIPE, text=True)
        assert proc.wait(WAIT_S) == 0              # exited itself: systemd starts it again
        out, _ = script.communicate(timeout=WAIT_S)   # (reaped above: kill -0 sees it gone)
    assert script.returncode == 0
    result = subprocess.CompletedProcess(script.args, 0, out)
    assert "restarted between customers" in result.stdout, result.stdout
    assert not marker.exists()                     # no forced restart was needed
    log.seek(0)
    assert "restart requested" in log.read()
    assert not (config.state_dir / FLAG_NAME).exists()


def test_script_forces_the_restart_after_max_wait_and_skips_a_stopped_kiosk(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[state]\ndirectory = "{state}"\n')
    marker = tmp_path / "forced"
    common = ["--config", str(config), "--poll-s", "0", "--restart-command", f"touch {marker}"]
    result = _script(*common, "--max-wait-s", "0", "--pid-command", "echo 4242")
    assert "restarting anyway" in result.stdout and marker.exists()
    assert not (state / FLAG_NAME).exists()
    marker.unlink()
    result = _script(*common, "--max-wait-s", "0", "--pid-command", "echo 0")
    assert "not running" in result.stdout
    assert not marker.exists() and not (state / FLAG_NAME).exists()
