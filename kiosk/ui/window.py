"""The kiosk's window, its first frame drawn as early as possible, and the start-up log line."""

from __future__ import annotations

import logging
import math
import os
import time

import pygame

from kiosk.config import Config
from kiosk.flow import initial_state
from kiosk.ui.display import Rotation
from kiosk.ui.render import render

log = logging.getLogger(__name__)

FIRST_FRAME_LOG = "first frame drawn"     # `kiosk bench` waits for this line


def process_age() -> float:
    """Seconds since this process started (its start time in /proc), NaN where unknown."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            # Field 22, counted after the command name in parentheses (which may hold spaces).
            started_ticks = int(stat.read().rpartition(")")[2].split()[19])
    except (OSError, ValueError, IndexError):
        return math.nan
    return time.clock_gettime(time.CLOCK_BOOTTIME) - started_ticks / os.sysconf("SC_CLK_TCK")


def open_window(size: tuple[int, int], fullscreen: bool) -> pygame.Surface:
    """The kiosk's window (or the whole panel); (0, 0) is the display's own size."""
    pygame.display.init()
    pygame.font.init()
    if size == (0, 0):
        info = pygame.display.Info()
        size = (info.current_w, info.current_h)
    window = pygame.display.set_mode(size, pygame.FULLSCREEN if fullscreen else 0)
    pygame.display.set_caption("Kiosk")
    if fullscreen:
        # An invisible cursor image, not set_visible(False): the latter has made touch
        # report one corner on some panels.
        pygame.mouse.set_cursor((8, 8), (0, 0), (0,) * 8, (0,) * 8)
    return window


def draw_first_frame(config: Config, *, window: bool = False) -> None:
    """The picture KioskUi.from_config starts with, drawn before the rest of the kiosk opens.

    `kiosk run` calls this first, so the panel shows the kiosk while the journal, the API
    client, the devices and the metrics server open; KioskUi then takes the same window over
    and draws the same picture again.
    """
    from kiosk.ui.settings import flow_settings, look, read_admin_pin

    ui = config.ui
    settings = flow_settings(config, read_admin_pin(ui, config.source))
    surface = open_window((ui.width, ui.height), ui.fullscreen and not window)
    rotation = Rotation(surface.get_size(), ui.rotation)
    logical = pygame.Surface(rotation.logical)
    render(logical, initial_state(settings, time.monotonic()), settings, look(ui),
           time.monotonic())
    rotation.present(logical, surface)
    pygame.display.flip()
    first_frame_flipped()


_first_frame_logged = False


def first_frame_flipped() -> None:
    """Log the process's first frame once: the start-up figure operators and `kiosk bench` read."""
    global _first_frame_logged
    if not _first_frame_logged:
        _first_frame_logged = True
        log.info("%s %.2f s after process start (%.2f s CPU)", FIRST_FRAME_LOG, process_age(),
                 time.process_time())
