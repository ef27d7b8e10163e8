"""A wait for the next input event that really sleeps, where SDL's video driver can do that.

pygame's `event.wait(timeout)` never sleeps in SDL: it polls every millisecond on every
driver (about 870 wake-ups a second idle under x11). SDL's own `SDL_WaitEventTimeout` sleeps
on the display connection under x11 and wayland (SDL >= 2.0.22) and is woken by an event
posted from another thread; under kmsdrm and dummy it polls too, so the loop pumps there
itself at a calm rate instead. (SDL also falls back to polling while its joystick subsystem is
up or no window is shown; the kiosk starts no joystick and its window is always shown.)
"""

from __future__ import annotations

import ctypes
import os
import re
from collections.abc import Callable

import pygame

# Video drivers whose SDL_WaitEventTimeout sleeps until an event or the timeout.
SLEEPING_DRIVERS = frozenset({"x11", "wayland", "windows", "cocoa"})
SLEEPING_SINCE = (2, 0, 22)   # SDL wakes such a wait for events pushed by other threads
_SDL_LIBRARY = re.compile(r"libSDL2-2[.-]")   # Debian's libSDL2-2.0.so.0, a wheel's libSDL2-2-<hash>


def sleeping_wait(driver: str) -> Callable[[float], None] | None:
    """`wait(seconds)` through SDL when `driver` sleeps in it; None when the loop must poll."""
    if driver not in SLEEPING_DRIVERS or pygame.get_sdl_version() < SLEEPING_SINCE:
        return None
    library = loaded_sdl()
    if library is None:
        return None
    wait_event = library.SDL_WaitEventTimeout
    wait_event.argtypes = (ctypes.c_void_p, ctypes.c_int)
    wait_event.restype = ctypes.c_int

    def wait(seconds: float) -> None:
        # A NULL event leaves the event in SDL's queue for pygame.event.get(); ctypes lets
        # go of the GIL meanwhile, so the reader and worker threads run on.
        wait_event(None, max(0, round(seconds * 1000)))

    return wait


def loaded_sdl(maps: str = "/proc/self/maps") -> ctypes.CDLL | None:
    """The SDL library pygame runs on (a wheel brings its own copy), from the process's map."""
    try:
        with open(maps, encoding="utf-8", errors="replace") as mapped:
            for line in mapped:
                path = line.split(maxsplit=5)[-1].strip()
                if path.startswith("/") and _SDL_LIBRARY.match(os.path.basename(path)):
                    return ctypes.CDLL(path)
    except OSError:
        pass   # no /proc (not Linux): the loop polls
    return None
