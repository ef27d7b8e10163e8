"""`kiosk run` as systemd runs it: READY=1 only after recovery, WATCHDOG=1 from the loop, clean SIGTERM."""

from __future__ import annotations

import signal
import socket
import time

from kiosk.journal import Journal, State
from tests.fixtures.notify import kiosk_run_notified
from tests.fixtures.sandbox import FUNDED_CARD
from tests.test_e2e_kiosk import kiosk_config

WAIT_S = 30.0


def _datagrams(sock: socket.socket, until: str, seen: list[str]) -> None:
    """Receive notify datagrams until one carries `until` (each is KEY=VALUE lines)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(4096).decode()
        except TimeoutError:
            raise AssertionError(f"no {until} within {WAIT_S} s; got {seen}") from None
        seen.append(data)
        if until in data.splitlines():
            return


def test_kiosk_run_under_systemd_notify(sandbox, tmp_path, make_printer_emulator):
    printer = make_printer_emulator(columns=42, render=False)
    config = kiosk_config(sandbox, tmp_path, printer.link)
    # A top-up whose create may have gone out before a crash: no money moved (start needs a
    # journaled id), so recovery settles it "not created" - without a search - before READY.
    with Journal.open_in(config.state_dir) as journal:
        open_row = journal.begin(card_number=FUNDED_CARD, amount=1000, currency="EUR",
                                 start_type="cash")
    seen: list[str] = []
    with kiosk_run_notified(config.source, tmp_path) as (proc, sock, log):
        _datagrams(sock, "READY=1", seen)
        with Journal.open_in(config.state_dir) as journal:
            assert journal.get(open_row.reference).state is State.NOT_EXECUTED
            assert not journal.unfinished()
            assert journal.get(open_row.reference).reason == "not_created"
        # The loop may ping while recovery runs (it is alive); what counts is that it goes
        # on pinging after READY.
        _datagrams(sock, "WATCHDOG=1", seen)
        _datagrams(sock, "WATCHDOG=1", seen)
        proc.send_signal(signal.SIGTERM)
        _datagrams(sock, "STOPPING=1", seen)
        assert proc.wait(WAIT_S) == 0
    log.seek(0)
    output = log.read()
    assert "Traceback" not in output, output
    assert "card reader" in output and "released" in output   # the reader let go of the device
    assert "kiosk stopped" in output
    assert FUNDED_CARD not in output


def test_kiosk_run_shows_setup_needed_for_a_broken_config_and_stops_cleanly(tmp_path):
    bad = tmp_path / "kiosk.toml"
    bad.write_text("[ui]\nrotation = 45\n", encoding="utf-8")
    seen: list[str] = []
    with kiosk_run_notified(str(bad), tmp_path) as (proc, sock, log):
        _datagrams(sock, "READY=1", seen)       # no restart loop: up, saying what to fix
        assert f"STATUS=Kiosk: setup needed: {bad}:2: [ui] rotation" in seen[-1]
        _datagrams(sock, "WATCHDOG=1", seen)
        proc.send_signal(signal.SIGTERM)
        _datagrams(sock, "STOPPING=1", seen)
        assert proc.wait(WAIT_S) == 0
    log.seek(0)
    assert f"fix: sudo nano {bad}" in log.read()
