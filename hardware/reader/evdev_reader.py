"""USB keyboard-wedge scanner via evdev: exclusive grab, drain per wake-up, rediscovery with back-off."""

from __future__ import annotations

import errno
import time
from collections.abc import Callable, Iterable, Sequence

from hardware.reader import keycodes as k
from hardware.reader.base import describe_os_error, log
from hardware.reader.decoder import KeyDecoder
from hardware.reader.evdev_device import (
    POLL_DEAD as _POLL_DEAD, EvdevDeviceReader, InputDeviceLike, ListDevices, OpenDevice,
)
from hardware.reader.events import OnEvent

__all__ = ["DeviceNotFound", "EvdevReader", "InputDeviceLike", "ListDevices", "OpenDevice"]


class DeviceNotFound(OSError):
    """No input device matched the configured name."""


class EvdevReader(EvdevDeviceReader):
    """Reads card numbers from an input device opened by path or by name match.

    `open_device` and `list_devices` default to evdev.InputDevice and evdev.list_devices;
    tests pass the virtual scanner's, which go through this very same code.
    """

    def __init__(
        self,
        on_event: OnEvent,
        *,
        path: str = "",
        name_match: str = "",
        length: int = 16,
        prefixes: Sequence[str] = ("9276",),
        suffix_keys: Iterable[int] = (),
        gap_timeout: float = 0.15,
        debounce: float = 3.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 5.0,
        open_device: OpenDevice | None = None,
        list_devices: ListDevices | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(on_event, path=path, name_match=name_match,
                         backoff_initial=backoff_initial, backoff_max=backoff_max,
                         open_device=open_device, list_devices=list_devices)
        self.decoder = KeyDecoder(length=length, prefixes=prefixes, gap_timeout=gap_timeout,
                                  debounce=debounce, suffix_keys=suffix_keys)
        self._clock = clock

    def probe(self) -> str:
        device = self._open()
        name = device.name
        self._release(device)
        return name

    # --- discovery ---------------------------------------------------------------------------

    def _open(self) -> InputDeviceLike:
        device = self._open_device(self.path) if self.path else self._find_by_name()
        try:
            # Exclusive: without the grab every scan is also typed into the console or getty.
            device.grab()
        except OSError:
            device.close()
            raise
        return device

    def _find_by_name(self) -> InputDeviceLike:
        wanted = self.name_match.casefold()
        refused: OSError | None = None
        for path in sorted(self._list_devices()):
            try:
                device = self._open_device(path)
            except OSError as exc:  # e.g. no permission for an unrelated device
                refused = refused or exc
                continue
            if wanted in device.name.casefold() and _types_digits(device):
                return device
            device.close()
        if refused is not None and refused.errno in (errno.EACCES, errno.EPERM):
            raise refused  # likely the scanner itself, unreadable for lack of the input group
        raise DeviceNotFound(
            errno.ENOENT,
            f"not connected (no input device named *{self.name_match}*; evdev lists only "
            f"devices the service user may open: it needs the 'input' group)",
        )

    # --- the thread ----------------------------------------------------------------------------

    def _run(self) -> None:
        while not self.stopping:
            try:
                device = self._open()
            except OSError as exc:
                found = not isinstance(exc, DeviceNotFound)
                self._status(False, describe_os_error(exc, "input") if found else exc.strerror)
                if not self._backoff():
                    break
                continue
            self._reset_backoff()
            label = self.path or getattr(device, "path", "")
            log.info("card reader %s opened %s (%s), grabbed", self.device, label, device.name)
            self._status(True)
            try:
                self._serve(device)
            except OSError as exc:
                # ENODEV on unplug: the fd is dead; polling it again would spin a core.
                self._status(False, describe_os_error(exc, "input"))
            finally:
                self._release(device)
                self.decoder.reset()  # a half scan from the old device is gone
            if not self.stopping and not self._backoff():
                break

    def _serve(self, device: InputDeviceLike) -> None:
        poller = self._poller(device)
        offset = 0.0  # our monotonic clock minus the device's event clock, re-estimated per key
        while not self.stopping:
            deadline = self.decoder.timeout_at()
            timeout_ms = None if deadline is None else max(
                0, int((deadline + offset - self._clock()) * 1000) + 1)
            ready = dict(poller.poll(timeout_ms))
            if self._wake_r in ready:
                return
            if device.fd in ready:
                offset = self._drain(device, offset, dead=bool(ready[device.fd] & _POLL_DEAD))
            # A partial scan followed by silence is rejected now, not glued to the next scan.
            for result in self.decoder.check_timeout(self._clock() - offset):
                self._result(result)

    def _drain(self, device: InputDeviceLike, offset: float, dead: bool) -> float:
        """Read every pending event (a fast scanner outruns one event per wake-up)."""
        got_any = False
        while True:
            try:
                batch = list(device.read())
            except BlockingIOError:
                break
            if not batch:
                break
            got_any = True
            arrival = self._clock()
            for event in batch:
                if event.type != k.EV_KEY:
                    continue  # EV_SYN, EV_MSC scan codes, LEDs
                stamp = event.timestamp()
                offset = arrival - stamp
                for result in self.decoder.feed(event.code, event.value, stamp):
                    self._result(result)
        if dead and not got_any:
            # Hung up with nothing to read: never go back to poll() on this fd.
            raise OSError(errno.ENODEV, "input device hung up")
        return offset

    def _release(self, device: InputDeviceLike) -> None:
        for action in (device.ungrab, device.close):
            try:
                action()
            except OSError:
                pass  # an unplugged device cannot be ungrabbed; closing the fd is what matters
        log.info("card reader %s released", self.device)


def _types_digits(device: InputDeviceLike) -> bool:
    """True for a keyboard-like device that can type digits (not a power button or a mouse)."""
    keys = device.capabilities().get(k.EV_KEY, [])
    return any(code in k.DIGIT_KEYS for code in keys)
