"""Virtual headset jack: a sound card's input device whose SW_HEADPHONE_INSERT switch a test flips,
as genuine evdev.InputEvent sequences through the same fake device as the virtual scanner."""

from __future__ import annotations

import errno
import os
import threading
import time

from evdev import InputEvent
from evdev import ecodes as e

from hardware.sim.scanner import FakeInputDevice

DEFAULT_NAME = "Virtual Sound Card Headphone"
DEFAULT_PATH = "/dev/input/by-path/platform-virtual-sound-event"


class FakeJackDevice(FakeInputDevice):
    """An input device with switches only (SW_HEADPHONE_INSERT, SW_LINEOUT_INSERT), no keys."""

    def capabilities(self, verbose: bool = False, absinfo: bool = True) -> dict[int, list[int]]:
        return {e.EV_SYN: [e.SYN_REPORT], e.EV_SW: [e.SW_HEADPHONE_INSERT, e.SW_LINEOUT_INSERT]}


def jack_events(plugged: bool, at: float | None = None) -> list[InputEvent]:
    """What the kernel sends when a headset goes in or out: the switch, then SYN_REPORT."""
    t = time.time() if at is None else at
    sec, usec = int(t), int((t % 1) * 1_000_000)
    return [InputEvent(sec, usec, e.EV_SW, e.SW_HEADPHONE_INSERT, int(plugged)),
            InputEvent(sec, usec, e.EV_SYN, e.SYN_REPORT, 0)]


class VirtualHeadsetJack:
    """Pass `open_device`, `list_devices` and `active_switches` to HeadsetReader."""

    def __init__(self, name: str = DEFAULT_NAME, path: str = DEFAULT_PATH, *,
                 plugged: bool = False) -> None:
        self.name = name
        self.path = path
        self.plugged = plugged
        self.opened: list[FakeJackDevice] = []
        self._lock = threading.Lock()

    # --- the reader's side ---------------------------------------------------------------------

    def list_devices(self) -> list[str]:
        return [self.path]

    def open_device(self, path: str) -> FakeJackDevice:
        if path != self.path:
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)
        device = FakeJackDevice(self.path, self.name, ())
        with self._lock:
            self.opened.append(device)
        return device

    def active_switches(self, device: FakeJackDevice) -> list[int]:
        """EVIOCGSW: the switches on at this moment."""
        return [e.SW_HEADPHONE_INSERT] if self.plugged else []

    # --- the test's side -----------------------------------------------------------------------

    def _device(self) -> FakeJackDevice:
        with self._lock:
            for device in reversed(self.opened):
                if not device.closed and not device.unplugged:
                    return device
        raise RuntimeError(f"{self.path}: no reader has the virtual jack open")

    def set(self, plugged: bool) -> list[InputEvent]:
        """Plug the headset in (True) or pull it out; the open device reports it."""
        self.plugged = plugged
        events = jack_events(plugged)
        self._device().write_events(events)
        return events

    def opened_once(self) -> bool:
        with self._lock:
            return bool(self.opened)
