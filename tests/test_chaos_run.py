"""Chaos: `kiosk run` under a real NOTIFY_SOCKET, sandbox faults, every thread killed once and two hung; it ends serving."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

from hardware.sim.sandbox_faults import Fault
from hardware.sim.serial_scanner import SerialScannerSim
from kiosk.liveness import FAULTS_ENV
from tests.fixtures.sandbox import FUNDED_CARD
from tests.test_e2e_kiosk import kiosk_config

ROOT = Path(__file__).resolve().parents[1]
WAIT_S = 20.0        # bound for one step on a busy machine; normally met well within 1 s
THREADS = ("supervisor", "worker", "reader", "metrics")
HUNG = ("worker", "reader")
# The kiosk's tempo, shrunk: a health probe every 0.25 s instead of 15 s (60 times faster),
# API timeouts of 0.5 s + 1 s instead of 5 s + 30 s (20 times). The thread deadlines follow
# from these (kiosk.runtime.ThreadDeadlines): worker and reader 0.5 s, supervisor 5 s.
FAST = {"connect_timeout = 2.0": "connect_timeout = 0.5\nhealth_interval_s = 0.25",
        "read_timeout = 5.0": "read_timeout = 1.0",
        "[metrics]\nenabled = false": "[metrics]\nenabled = true\nport = 0"}


class Run:
    """The kiosk subprocess, its log and its notify socket."""

    def __init__(self, tmp_path: Path, config: Path, faults: Path) -> None:
        self.log_path = tmp_path / "run.log"
        self.address = f"/tmp/kiosk-notify-{uuid.uuid4().hex[:12]}.sock"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.address)
        env = dict(os.environ, NOTIFY_SOCKET=self.address, WATCHDOG_USEC="400000",
                   SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", PYTHONPATH=str(ROOT))
        env[FAULTS_ENV] = str(faults)
        env.pop("WATCHDOG_PID", None)
        self.log = self.log_path.open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "run", "--config",
                                      str(config), "--window"], env=env, cwd=ROOT,
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_log(self, pattern: str, after: int = 0) -> re.Match[str]:
        """The first match of `pattern` in the log past offset `after`."""
        end = time.monotonic() + WAIT_S
        while True:
            match = re.compile(pattern).search(self.output(), after)
            if match:
                return match
            assert self.proc.poll() is None, f"kiosk ended:\n{self.output()}"
            assert time.monotonic() < end, f"no {pattern!r} in the log:\n{self.output()}"
            time.sleep(0.02)

    def datagram(self, wanted: str) -> None:
        """Receive until a datagram carries the line `wanted`."""
        end = time.monotonic() + WAIT_S
        while True:
            self.sock.settimeout(max(0.01, end - time.monotonic()))
            try:
                lines = self.sock.recv(4096).decode().splitlines()
            except TimeoutError:
                raise AssertionError(f"no {wanted}; log:\n{self.output()}") from None
            if wanted in lines:
                return

    def pings_within(self, seconds: float) -> int:
        """WATCHDOG=1 datagrams received during the next `seconds`."""
        count = 0
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                count += self.sock.recv(4096).decode().splitlines().count("WATCHDOG=1")
            except TimeoutError:
                break
        return count

    def drain(self) -> None:
        self.sock.setblocking(False)
        try:
            while True:
                self.sock.recv(4096)
        except BlockingIOError:
            pass

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.sock.close()
        self.log.close()
        os.unlink(self.address)


def _scrape(url: str) -> str:
    with urllib.request.urlopen(url + "/metrics", timeout=5) as answer:
        return answer.read().decode()


def test_kiosk_survives_faults_and_a_killed_or_hung_thread_of_each_kind(
        sandbox, tmp_path, make_printer_emulator):
    started = time.monotonic()
    printer = make_printer_emulator(columns=42, render=False)
    scanner = SerialScannerSim(tmp_path / "scanner")
    config = kiosk_config(sandbox, tmp_path, printer.link,
                          reader=f'type = "serial"\nserial_port = "{scanner.path}"')
    text = Path(config.source).read_text(encoding="utf-8")
    for old, new in FAST.items():
        assert old in text
        text = text.replace(old, new)
    Path(config.source).write_text(text, encoding="utf-8")
    faults = tmp_path / "faults"
    faults.mkdir()
    run = Run(tmp_path, Path(config.source), faults)
    try:
        run.datagram("READY=1")
        url = run.wait_log(r"metrics on (http://127\.0\.0\.1:\d+)/metrics").group(1)
        # Minutes of the kiosk's time with a network that misbehaves, from here on.
        sandbox.inject("search", Fault.server_error(503), times=8)
        sandbox.inject("token", Fault.drop_before_commit(), times=2)
        sandbox.inject("search", Fault.delay(0.3), times=4)
        sandbox.inject("search", Fault.reset(), times=3)
        run.datagram("WATCHDOG=1")

        for name in THREADS:
            offset = len(run.output())
            (faults / name).write_text("raise")
            run.wait_log(rf"thread {name} crashed; restarting it", offset)
            run.wait_log(rf"thread {name} restarts in", offset)
            assert not (faults / name).exists()            # struck once

        for name in HUNG:
            offset = len(run.output())
            (faults / name).write_text("hang")
            run.wait_log(rf"watchdog not fed: thread\(s\) [a-z, ]*{name}", offset)
            run.drain()                                     # pings sent before it hung
            # The hung thread cannot check in, so none may come, however long we wait.
            assert run.pings_within(1.0) == 0
            (faults / name).unlink()
            run.wait_log(r"all threads on time again", offset)
            run.datagram("WATCHDOG=1")

        # Serving again: a scan goes reader -> UI -> worker -> API.
        asked = sandbox.attempts("lookup_card") + sandbox.attempts("validate_card")
        end = time.monotonic() + WAIT_S
        while sandbox.attempts("lookup_card") + sandbox.attempts("validate_card") == asked:
            assert time.monotonic() < end, run.output()
            scanner.scan(FUNDED_CARD)
            time.sleep(0.3)
        metrics = _scrape(url)
        for name in THREADS:
            assert f'kiosk_thread_crashes_total{{thread="{name}"}} 1.0' in metrics, metrics
        wanted = [f'kiosk_thread_alive{{thread="{name}"}} 1.0' for name in THREADS]
        wanted.append('kiosk_device_status{device="api",status="ok"} 1.0')  # faults used up
        end = time.monotonic() + WAIT_S
        while not all(line in metrics for line in wanted):
            assert time.monotonic() < end, metrics
            time.sleep(0.1)
            metrics = _scrape(url)
        run.datagram("WATCHDOG=1")
        run.proc.send_signal(signal.SIGTERM)
        run.datagram("STOPPING=1")
        assert run.proc.wait(WAIT_S) == 0
    finally:
        run.close()
        scanner.close()
    output = run.output()
    assert "kiosk stopped" in output
    assert "payment service unreachable" in output      # the faults did reach it
    assert FUNDED_CARD not in output
    assert time.monotonic() - started < 60
