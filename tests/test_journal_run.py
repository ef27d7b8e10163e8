"""`kiosk run` with a damaged journal or a nearly full state directory: out of service, still up."""

from __future__ import annotations

import hashlib
import signal
from pathlib import Path

from kiosk.config import load_config
from kiosk.flow import Screen, Settings, State, step
from kiosk.flow_events import CardScanned, JournalStatus
from kiosk.journal import JOURNAL_FILE
from kiosk.journal_maint import MIB, free_bytes
from kiosk.runtime import KioskRuntime
from tests.fixtures.notify import kiosk_run_notified
from tests.fixtures.sandbox import FUNDED_CARD
from tests.test_e2e_kiosk import kiosk_config
from tests.test_e2e_run import WAIT_S, _datagrams

GARBAGE = b"\x00not a journal\xff" * 300


def _damaged_state(config) -> Path:  # type: ignore[no-untyped-def]
    config.state_dir.mkdir(parents=True, exist_ok=True)
    path = config.state_dir / JOURNAL_FILE
    path.write_bytes(GARBAGE)
    return path


def test_run_with_a_damaged_journal_stays_up_out_of_service(sandbox, tmp_path,
                                                            make_printer_emulator):
    printer = make_printer_emulator(columns=42, render=False)
    config = kiosk_config(sandbox, tmp_path, printer.link)
    journal = _damaged_state(config)
    seen: list[str] = []
    with kiosk_run_notified(config.source, tmp_path) as (proc, sock, log):
        # READY (no restart loop: systemd is told it started), and it says why it cannot serve.
        _datagrams(sock, "READY=1", seen)
        assert f"{journal}: the journal is damaged" in seen[-1]
        _datagrams(sock, "WATCHDOG=1", seen)
        _datagrams(sock, "WATCHDOG=1", seen)
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(WAIT_S) == 0
    log.seek(0)
    output = log.read()
    assert "Traceback" not in output, output
    assert "not an SQLite database" in output
    assert journal.read_bytes() == GARBAGE                    # kept for support


def _runtime_until_out_of_service(config) -> KioskRuntime:  # type: ignore[no-untyped-def]
    runtime = KioskRuntime(config, window=True)
    runtime.open()
    assert runtime.ui.run_until(lambda u: u.state.screen == Screen.OUT_OF_SERVICE
                                and not u.state.journal_ok, WAIT_S)
    return runtime


def test_damaged_journal_screen_names_the_file(sandbox, tmp_path, make_printer_emulator):
    printer = make_printer_emulator(columns=42, render=False)
    config = kiosk_config(sandbox, tmp_path, printer.link)
    journal = _damaged_state(config)
    digest = hashlib.sha256(journal.read_bytes()).hexdigest()
    runtime = _runtime_until_out_of_service(config)
    try:
        assert str(journal) in runtime.ui.state.journal_detail
        runtime.ui.post(CardScanned(FUNDED_CARD))
        runtime.ui.run_until(lambda u: False, 0.3)
        assert runtime.ui.state.screen == Screen.OUT_OF_SERVICE
    finally:
        runtime.close()
    assert sandbox.requests == []                              # nobody was served
    assert hashlib.sha256(journal.read_bytes()).hexdigest() == digest


def test_below_the_free_space_floor_no_customer_is_served(sandbox, tmp_path,
                                                          make_printer_emulator):
    printer = make_printer_emulator(columns=42, render=False)
    config = kiosk_config(sandbox, tmp_path, printer.link)
    floor = free_bytes(tmp_path) // MIB + 1024          # a real reading, a floor above it
    with open(config.source, "a", encoding="utf-8") as f:
        f.write(f"[journal]\nmin_free_mb = {floor}\n")
    config = load_config(config.source)
    runtime = _runtime_until_out_of_service(config)
    try:
        assert f"min_free_mb = {floor}" in runtime.ui.state.journal_detail
        lookups = [r for r in sandbox.requests if "Loyalty" in r.path]
        runtime.ui.post(CardScanned(FUNDED_CARD))
        runtime.ui.run_until(lambda u: False, 0.3)
        assert runtime.ui.state.screen == Screen.OUT_OF_SERVICE
        assert [r for r in sandbox.requests if "Loyalty" in r.path] == lookups
    finally:
        runtime.close()


def test_journal_status_ends_a_session_before_payment_and_clears():
    settings = Settings()
    state = State(screen=Screen.AMOUNT)
    state, _ = step(state, JournalStatus(False, "only 3 MB free"), 1.0, settings)
    assert state.screen == Screen.OUT_OF_SERVICE and not state.in_service
    state, _ = step(state, JournalStatus(True), 2.0, settings)
    assert state.screen == Screen.ATTRACT and state.in_service
