"""The idle loop wakes a bounded number of times under every driver it can run under here.

Upper bounds only: a slow or busy machine makes the loop wake less often, never more, so these
cannot fail by chance. x11 runs under Xvfb (skipped without it) in a child process, because
this process's pygame already uses the dummy driver.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.bench.idle import Unavailable, xvfb_display
from kiosk.flow import Screen
from kiosk.ui.loop import POLL_S
from kiosk.ui.sdl_wait import loaded_sdl, sleeping_wait
from tests.fixtures.ui import reach

ROOT = Path(__file__).resolve().parents[1]
MAX_WAKEUPS_PER_S = 35


def _idle(ui, seconds: float) -> int:
    """Run the real loop idle for `seconds` of real time; the loop's own wake-up count."""
    before = ui.wakeups
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        ui.iterate(max_wait=left)
    return ui.wakeups - before


def test_idle_under_the_dummy_driver_polls_at_most_30_times_a_second(make_ui, clock):
    ui = make_ui(max_sleep=2.0)
    reach(ui, Screen.ATTRACT)
    assert not ui.sleeps_in_sdl            # SDL's dummy driver cannot sleep until input
    drawn = ui.frames_drawn
    wakeups = _idle(ui, 0.5)
    assert 1 <= wakeups <= 0.5 / POLL_S + 2
    assert ui.frames_drawn == drawn


def test_no_sleeping_wait_where_sdl_would_poll():
    assert sleeping_wait("dummy") is None and sleeping_wait("kmsdrm") is None
    assert loaded_sdl("/nonexistent/maps") is None
    library = loaded_sdl()                 # this process has pygame's SDL mapped
    assert library is not None and hasattr(library, "SDL_WaitEventTimeout")


X11_CHILD = """
import json, threading, time
import pygame
from kiosk.config import Config
from kiosk.flow import Screen
from kiosk.flow_events import CardScanned
from kiosk.bench.ui import new_ui
from kiosk.bench.ui_backend import BenchBackend
from kiosk.ui.driver import UiDriver

ticks = [0]
ui = new_ui(Config(), BenchBackend(), ticks)
UiDriver(ui).wait_for(Screen.ATTRACT)
before = ui.wakeups
end = time.monotonic() + 1.0
while (left := end - time.monotonic()) > 0:
    ui.iterate(max_wait=left)
idle = ui.wakeups - before
# A card scanned by another thread while the loop sleeps in SDL wakes it up.
threading.Timer(0.2, ui.post, (CardScanned("9276004429942845"),)).start()
start = time.monotonic()
ui.iterate(max_wait=30.0)
woke_after = time.monotonic() - start
print(json.dumps({"driver": pygame.display.get_driver(), "sleeps": ui.sleeps_in_sdl,
                  "idle_wakeups": idle, "woke_after": woke_after,
                  "screen": ui.state.screen.value}))
ui.close()
"""


@pytest.fixture
def x11_display():
    try:
        with xvfb_display() as display:
            yield display
    except Unavailable as exc:
        pytest.skip(str(exc))


def test_idle_under_x11_sleeps_in_sdl_and_a_post_wakes_it(x11_display):
    env = dict(os.environ, DISPLAY=x11_display, SDL_VIDEODRIVER="x11",
               SDL_AUDIODRIVER="dummy", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", X11_CHILD], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["driver"] == "x11" and result["sleeps"]
    # Idle, it wakes only for the flow's once-a-second tick (max_sleep), not every millisecond.
    assert 1 <= result["idle_wakeups"] <= 5
    assert result["screen"] != Screen.ATTRACT.value     # the scan was handled
    assert result["woke_after"] < 30.0       # the post woke it, not the end of the wait
