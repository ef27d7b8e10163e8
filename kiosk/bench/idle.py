"""Idle cost per SDL video driver: the real loop on attract, each driver in its own child process.

The parent (`bench_idle_drivers`) starts Xvfb for x11 and spawns `python -m kiosk.bench.idle
SECONDS` once per driver; the child measures and prints one JSON line.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

from kiosk.bench.report import Section

DRIVERS = ("dummy", "x11", "wayland", "kmsdrm")
CHILD_TIMEOUT_S = 120.0
EXIT_NO_DRIVER = 3     # the child's SDL could not open a display with the driver


class Unavailable(Exception):
    """The driver cannot run on this machine; the message says why (it becomes a table note)."""


def bench_idle_drivers(*, seconds: float) -> Section:
    section = Section("idle_drivers", f"UI idle on attract per video driver ({seconds:g} s each)")
    for driver in DRIVERS:
        try:
            with _display_for(driver) as env:
                result = _measure_in_child(driver, env, seconds)
        except Unavailable as exc:
            section.notes.append(f"{driver}: not measured: {exc}")
            continue
        wall = max(result["seconds"], 1e-9)
        section.add(f"{driver}_wakeups_per_s", f"{driver}: UI thread wake-ups",
                    result["wakeups"] / wall if result["wakeups"] >= 0 else float("nan"), "/s",
                    f"+{result['involuntary'] / wall:.1f}/s preempted")
        section.add(f"{driver}_loop_wakeups_per_s", f"{driver}: loop wake-ups",
                    result["loop_wakeups"] / wall, "/s",
                    "sleeps in SDL until input" if result["sleeps_in_sdl"] else "polls at 30 Hz")
        section.add(f"{driver}_iterations_per_s", f"{driver}: loop iterations",
                    result["iterations"] / wall, "/s")
        section.add(f"{driver}_cpu_pct", f"{driver}: process CPU",
                    100 * result["process_cpu"] / wall, "%", "of one core")
        section.add(f"{driver}_frames_per_s", f"{driver}: frames drawn", result["frames"] / wall,
                    "/s")
    section.notes.append(
        "Each driver in a fresh process; UI thread wake-ups are its voluntary context "
        "switches (/proc), loop wake-ups the returns from a sleep as KioskUi counts them, "
        "iterations its passes (flow tick, redraw check).")
    return section


@contextlib.contextmanager
def _display_for(driver: str) -> Iterator[dict[str, str]]:
    """The child's environment for `driver`: for x11 a private Xvfb for as long as it runs."""
    env = dict(os.environ, SDL_VIDEODRIVER=driver, SDL_AUDIODRIVER="dummy",
               PYGAME_HIDE_SUPPORT_PROMPT="1")
    if driver == "x11":
        with xvfb_display() as display:
            env["DISPLAY"] = display
            yield env
        return
    if driver == "wayland" and not os.environ.get("WAYLAND_DISPLAY"):
        raise Unavailable("no Wayland compositor (WAYLAND_DISPLAY is not set)")
    if driver == "kmsdrm" and not glob.glob("/dev/dri/card*"):
        raise Unavailable("no DRM device (/dev/dri/card*): no GPU, or inside a VM or container")
    yield env


@contextlib.contextmanager
def xvfb_display() -> Iterator[str]:
    """A private Xvfb (800x480) for as long as the block runs; yields its DISPLAY value."""
    binary = shutil.which("Xvfb")
    if binary is None:
        raise Unavailable("Xvfb is not installed (Debian: sudo apt install xvfb)")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen([binary, "-displayfd", str(write_fd), "-screen", "0", "800x480x24",
                             "-nolisten", "tcp"], pass_fds=(write_fd,),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_fd)
    try:
        with os.fdopen(read_fd, "rb") as ready:
            number = ready.readline().strip()   # written once the server accepts clients
        if not number:
            raise Unavailable(f"Xvfb ended without a display (exit {proc.wait()})")
        yield f":{number.decode()}"
    finally:
        proc.terminate()
        proc.wait()


def _measure_in_child(driver: str, env: dict[str, str], seconds: float) -> dict[str, Any]:
    try:
        done = subprocess.run([sys.executable, "-m", "kiosk.bench.idle", str(seconds)], env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=CHILD_TIMEOUT_S + seconds)
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"idle benchmark under {driver} did not finish") from exc
    last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
    if done.returncode == EXIT_NO_DRIVER:
        raise Unavailable(f"SDL could not use it here ({last})")
    if done.returncode != 0:   # the loop itself failed: that is no "not available"
        raise RuntimeError(f"idle benchmark under {driver} failed (exit {done.returncode}): "
                           f"{done.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if result.get("driver") != driver:
        raise RuntimeError(f"asked for SDL driver {driver}, the child got {result.get('driver')}")
    return result


def child_main(seconds: float) -> int:
    """In the child: idle on attract for `seconds` under $SDL_VIDEODRIVER, print JSON."""
    import pygame

    from kiosk.bench.ui import idle_on_attract
    from kiosk.bench.ui_backend import BenchBackend
    from kiosk.config import Config

    try:
        pygame.display.init()
        run = idle_on_attract(Config(), BenchBackend(), seconds)
    except pygame.error as exc:
        print(f"pygame: {exc}", file=sys.stderr)
        return EXIT_NO_DRIVER
    print(json.dumps({"driver": pygame.display.get_driver(), **dataclasses.asdict(run)}))
    return 0


if __name__ == "__main__":
    sys.exit(child_main(float(sys.argv[1])))
