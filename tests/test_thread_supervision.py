"""Each long-lived thread of a running kiosk killed, then hung: restarted and counted, watchdog held back, kiosk serving again."""

from __future__ import annotations

import dataclasses
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pygame
import pytest

from hardware.sim.printer import PrinterEmulator
from hardware.sim.sandbox import SandboxServer
from hardware.sim.scanner import VirtualScanner
from kiosk.flow import Screen
from kiosk.liveness import Liveness, ThreadFaults
from kiosk.runtime import KioskRuntime
from kiosk.sdnotify import Notifier
from tests.fixtures.reader import wait_until
from tests.fixtures.sandbox import FUNDED_CARD
from tests.fixtures.ui import ManualClock
from tests.test_e2e_kiosk import Kiosk, kiosk_config

# The speech thread runs where espeak-ng is installed (tests/run.sh installs it).
THREADS = ("supervisor", "worker", "reader", "metrics") + (
    ("speech",) if shutil.which("espeak-ng") else ())
VITAL = ("supervisor", "worker", "reader")


@dataclasses.dataclass
class Watched:
    kiosk: Kiosk
    liveness: Liveness
    clock: ManualClock
    faults: Path
    notify: socket.socket

    def pings(self) -> int:
        """WATCHDOG=1 datagrams queued on the notify socket, consumed."""
        count = 0
        self.notify.setblocking(False)
        try:
            while True:
                count += self.notify.recv(4096).decode().split("\n").count("WATCHDOG=1")
        except BlockingIOError:
            return count

    def loop(self, seconds: float) -> None:
        """Let the UI main loop (which sends the pings) go round for a while."""
        self.kiosk.ui.run_until(lambda ui: False, timeout=seconds)

    def serves(self) -> None:
        """A scan goes through reader, UI, worker and API to the card screen, and back."""
        self.kiosk.scan(FUNDED_CARD)
        self.kiosk.reach(Screen.CARD)
        # Esc, not a tap: a tap waits out the card screen's settle time, and each turn of the
        # loop meanwhile pings a notify socket nobody reads here until it is full.
        self.kiosk.drive.key(pygame.K_ESCAPE)
        self.kiosk.reach(Screen.ATTRACT)


@pytest.fixture
def watched(sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            make_printer_emulator: Callable[..., PrinterEmulator]) -> Iterator[Watched]:
    path = f"/tmp/kiosk-notify-{uuid.uuid4().hex[:12]}.sock"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(path)
    monkeypatch.setenv("WATCHDOG_USEC", "40000")     # a ping due every 20 ms of the loop
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    printer = make_printer_emulator(columns=42, render=False)
    config = kiosk_config(sandbox, tmp_path, printer.link)
    config = dataclasses.replace(config, metrics=dataclasses.replace(config.metrics,
                                                                     enabled=True, port=0))
    clock = ManualClock()
    faults = tmp_path / "faults"
    faults.mkdir()
    liveness = Liveness(clock=clock, faults=ThreadFaults(faults))
    scanner = VirtualScanner()
    runtime = KioskRuntime(config, window=True, scanner=scanner, liveness=liveness,
                           notifier=Notifier({"NOTIFY_SOCKET": path}))
    try:
        runtime.open()
        kiosk = Kiosk(runtime, sandbox, printer, scanner, config)
        kiosk.reach(Screen.ATTRACT)
        yield Watched(kiosk, liveness, clock, faults, notify)
    finally:
        for leftover in faults.iterdir():   # a failed test must not leave a thread hanging
            leftover.unlink()
        runtime.close()
        notify.close()
        Path(path).unlink()


def test_every_thread_is_supervised_and_only_vital_ones_hold_the_watchdog(watched):
    assert set(watched.liveness.alive()) == set(THREADS)
    wait_until(lambda: all(watched.liveness.alive().values()))
    watched.loop(0.1)
    assert watched.pings() >= 1


@pytest.mark.parametrize("name", THREADS)
def test_a_killed_thread_restarts_is_counted_and_the_kiosk_serves(watched, name, caplog):
    (watched.faults / name).write_text("raise")
    wait_until(lambda: watched.liveness.crashes()[name] == 1
               and watched.liveness.alive()[name])
    assert f"thread {name} crashed" in caplog.text and "InjectedFault" in caplog.text
    assert sum(watched.liveness.crashes().values()) == 1
    exposition = watched.kiosk.runtime.metrics.exposition().decode()
    assert f'kiosk_thread_crashes_total{{thread="{name}"}} 1.0' in exposition
    assert f'kiosk_thread_alive{{thread="{name}"}} 1.0' in exposition
    watched.serves()


@pytest.mark.parametrize("name", THREADS)
def test_a_hung_thread_stops_the_watchdog_pings_until_it_goes_on(watched, name):
    (watched.faults / name).write_text("hang")
    wait_until(lambda: (watched.faults / f"{name}.hanging").exists())
    watched.clock.advance(10_000)                  # far past every deadline
    assert not watched.liveness.alive()[name]
    watched.pings()                                 # what went out before
    watched.loop(0.2)                               # ten pings would be due
    if name in VITAL:
        assert name in watched.liveness.late()
        assert watched.pings() == 0
    else:                                   # metrics, speech: shown, hold nothing back
        assert watched.pings() >= 1
    (watched.faults / name).unlink()
    wait_until(lambda: watched.liveness.late() == [] and all(watched.liveness.alive().values()))
    watched.loop(0.1)
    assert watched.pings() >= 1
    assert watched.liveness.crashes()[name] == 0
    watched.serves()
