"""Start-up cost: `kiosk run` from process start to its first frame, beside a minimal pygame program."""

from __future__ import annotations

import contextlib
import json
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from hardware.sim.printer import PrinterEmulator
from hardware.sim.sandbox import SandboxServer
from kiosk.bench.report import Section, median
from kiosk.commands.sandbox import write_client_config
from kiosk.ui.window import FIRST_FRAME_LOG

WAIT_S = 60.0   # a Pi with a cold SD card is slow, but a minute means something is wrong
# Both programs print the same line after their first flip, so both are timed the same way.
MINIMAL_PROGRAM = f"""
import sys, time
import pygame
pygame.display.init()
window = pygame.display.set_mode((800, 480))
window.fill((24, 24, 24))
pygame.display.flip()
print("{FIRST_FRAME_LOG} (%.2f s CPU)" % time.process_time(), file=sys.stderr, flush=True)
"""
KIOSK_RUN = "import sys; from kiosk.cli import main; sys.exit(main())"  # as the `kiosk` script
_CPU = re.compile(r"\(([0-9.]+) s CPU\)")


@dataclass(frozen=True)
class Start:
    """One measured start: wall time to the first-frame line, and the CPU the child reported."""

    wall_s: float
    cpu_s: float


def bench_startup(workdir: Path, *, runs: int) -> Section:
    """`runs` starts of each program, alternating, after one warm-up start of each."""
    section = Section("startup", "Start-up (process start to first frame, SDL "
                                 f"{_driver()} driver)")
    with _simulated_world(workdir) as config_path:
        kiosk = [sys.executable, "-c", KIOSK_RUN, "run", "--config", str(config_path),
                 "--window"]
        minimal = [sys.executable, "-c", MINIMAL_PROGRAM]
        env = _child_env()
        for argv in (minimal, kiosk):   # warm the page cache; not counted
            time_first_frame(argv, env)
        kiosk_runs: list[Start] = []
        minimal_runs: list[Start] = []
        for _ in range(runs):
            minimal_runs.append(time_first_frame(minimal, env))
            kiosk_runs.append(time_first_frame(kiosk, env))
    kiosk_s = median([r.wall_s for r in kiosk_runs])
    minimal_s = median([r.wall_s for r in minimal_runs])
    section.add("minimal_pygame_ms", "minimal pygame program (open window, flip once)",
                minimal_s * 1e3, "ms", f"median of {runs}")
    section.add("kiosk_run_ms", "kiosk run (simulated API, printer, scanner)", kiosk_s * 1e3,
                "ms", f"median of {runs}; max {max(r.wall_s for r in kiosk_runs) * 1e3:.0f} ms")
    section.add("ratio", "kiosk run / minimal pygame program", kiosk_s / minimal_s, "x",
                "target: 2 x or less")
    section.add("minimal_pygame_cpu_ms", "minimal pygame program: CPU until the flip",
                median([r.cpu_s for r in minimal_runs]) * 1e3, "ms")
    section.add("kiosk_run_cpu_ms", "kiosk run: CPU until the first frame (all threads)",
                median([r.cpu_s for r in kiosk_runs]) * 1e3, "ms")
    section.notes.append(
        "Wall time from spawning the process to reading its 'first frame drawn' line on "
        "stderr (both print it right after their first display.flip); CPU as the process "
        "reported it at that moment. kiosk run draws its first screen before it opens the "
        "journal, the API client, the printer port, the metrics server and the scanner.")
    return section


def time_first_frame(argv: Sequence[str], env: dict[str, str]) -> Start:
    """Spawn `argv`, wait for its first-frame line, stop it; raise if it never draws."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    seen: list[str] = []
    try:
        line = _wait_for_line(proc, FIRST_FRAME_LOG, seen)
        wall = time.perf_counter() - start
    finally:
        _stop(proc)
    found = _CPU.search(line)
    if found is None:
        raise RuntimeError(f"no CPU figure in the first-frame line {line!r}")
    return Start(wall, float(found.group(1)))


def _wait_for_line(proc: subprocess.Popen[bytes], marker: str, seen: list[str]) -> str:
    assert proc.stderr is not None
    deadline = time.monotonic() + WAIT_S
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stderr, selectors.EVENT_READ)
        buffered = b""
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                raise RuntimeError(f"{proc.args[0]}: no '{marker}' line within {WAIT_S:.0f} s; "
                                   f"it said: {''.join(seen)[-2000:]}")
            chunk = os.read(proc.stderr.fileno(), 65536)
            if not chunk:
                raise RuntimeError(f"{proc.args[0]} ended (exit {proc.wait()}) before its "
                                   f"first frame; it said: {''.join(seen)[-2000:]}")
            buffered += chunk
            *lines, buffered = buffered.split(b"\n")
            for raw in lines:
                text = raw.decode("utf-8", "replace")
                seen.append(text + "\n")
                if marker in text:
                    return text


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)   # kiosk run stops cleanly on SIGTERM
    try:
        proc.communicate(timeout=WAIT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()


def _driver() -> str:
    return os.environ.get("SDL_VIDEODRIVER", "dummy")


def _child_env() -> dict[str, str]:
    env = dict(os.environ, SDL_VIDEODRIVER=_driver(), SDL_AUDIODRIVER="dummy",
               PYGAME_HIDE_SUPPORT_PROMPT="1")
    for name in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
        env.pop(name, None)   # the children are not the service
    return env


@contextlib.contextmanager
def _simulated_world(workdir: Path) -> Iterator[Path]:
    """Sandbox API and printer emulator in this process; a kiosk.toml for them (metrics on)."""
    workdir.mkdir(parents=True, exist_ok=True)
    with SandboxServer() as sandbox, \
            PrinterEmulator(workdir / "printer", workdir / "receipts", render=False):
        path = write_client_config(sandbox, workdir / "kiosk.toml")
        with path.open("a", encoding="utf-8") as f:
            f.write(f"""
[reader]
type = "simulator"
[printer]
type = "simulator"
port = {json.dumps(str(workdir / "printer"))}
[ui]
width = 800
height = 480
fullscreen = false
sound = false
[metrics]
enabled = true
port = {_free_port()}
""")
        yield path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
