"""What the evdev readers (card scanner, headset jack) share: the device by path or by name,
evdev's opener by default, and a self-pipe so that stop() wakes a waiting poll() at once."""

from __future__ import annotations

import os
import select
from collections.abc import Callable, Iterable
from typing import Any

from hardware.reader.base import ReaderThread

# What the readers use of evdev.InputDevice: fd, name, path, read(), capabilities(), grab(),
# ungrab(), close(). The simulators' fake devices offer exactly these.
InputDeviceLike = Any
OpenDevice = Callable[[str], InputDeviceLike]
ListDevices = Callable[[], Iterable[str]]

POLL_DEAD = select.POLLHUP | select.POLLERR | select.POLLNVAL


class EvdevDeviceReader(ReaderThread):
    """A reader thread on one evdev device; subclasses find, open and serve it."""

    def __init__(self, on_event: Callable[[Any], None], *, path: str, name_match: str,
                 backoff_initial: float, backoff_max: float,
                 open_device: OpenDevice | None, list_devices: ListDevices | None) -> None:
        if not path and not name_match:
            raise ValueError(f"{self.kind}: needs a device path or a name to match")
        super().__init__(on_event, device=path or f"input device named *{name_match}*",
                         backoff_initial=backoff_initial, backoff_max=backoff_max)
        self.path = path
        self.name_match = name_match
        if open_device is None or list_devices is None:
            import evdev  # only where a real device is used (Linux)

            open_device = open_device or evdev.InputDevice
            list_devices = list_devices or evdev.list_devices
        self._open_device = open_device
        self._list_devices = list_devices
        # Self-pipe, made by start(): stop() writes to it so that poll() returns at once.
        self._wake_r = self._wake_w = -1

    def start(self) -> None:
        if self._wake_r < 0:
            self._wake_r, self._wake_w = os.pipe()
            os.set_blocking(self._wake_r, False)
            os.set_blocking(self._wake_w, False)
        super().start()

    def _wake(self) -> None:
        if self._wake_w >= 0:
            try:
                os.write(self._wake_w, b"x")
            except BlockingIOError:
                pass  # already woken

    def stop(self, timeout: float = 5.0) -> None:
        super().stop(timeout)
        if self._thread is None or not self._thread.is_alive():
            # Closed only once the thread is gone, so no fd number is reused under its feet.
            for fd in (self._wake_r, self._wake_w):
                if fd >= 0:
                    os.close(fd)
            self._wake_r = self._wake_w = -1

    def _poller(self, device: InputDeviceLike) -> select.poll:
        """A poll object for the device's input and the self-pipe (`_wake_r` in its answer:
        stop)."""
        poller = select.poll()
        poller.register(device.fd, select.POLLIN | select.POLLPRI)
        poller.register(self._wake_r, select.POLLIN)
        return poller
