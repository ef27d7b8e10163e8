"""Headset jack via evdev: SW_HEADPHONE_INSERT switch events of the sound card's input device."""

from __future__ import annotations

import errno
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hardware.reader.base import describe_os_error, log
from hardware.reader.evdev_device import (
    POLL_DEAD, EvdevDeviceReader, InputDeviceLike, ListDevices, OpenDevice,
)
from hardware.reader.events import ReaderStatus

EV_SW = 0x05
SW_HEADPHONE_INSERT = 0x02
DEFAULT_NAME = "Headphone"    # ALSA names the jack's input device e.g. "HDA Intel PCH Headphone"

ActiveSwitches = Callable[[InputDeviceLike], Iterable[int]]


@dataclass(frozen=True)
class HeadsetChanged:
    """A headset was plugged in (`plugged`) or pulled out."""

    plugged: bool


HeadsetEvent = HeadsetChanged | ReaderStatus


def _evdev_active_switches(device: InputDeviceLike) -> list[int]:
    from evdev import _input  # EVIOCGSW: the switches that are on right now

    return list(_input.ioctl_EVIOCG_bits(device.fd, EV_SW))


def has_jack_switch(device: InputDeviceLike) -> bool:
    return SW_HEADPHONE_INSERT in device.capabilities().get(EV_SW, [])


class HeadsetReader(EvdevDeviceReader):
    """Reports plug and unplug of a headset; the device is found by path or by name.

    It does not grab the device: the jack switch is information, not input another program
    could act on. `open_device`, `list_devices` and `active_switches` default to evdev's;
    tests pass the virtual jack's, which go through this very same code.
    """

    kind = "headset jack"

    def __init__(self, on_event: Callable[[HeadsetEvent], None], *, path: str = "",
                 name_match: str = DEFAULT_NAME, backoff_initial: float = 1.0,
                 backoff_max: float = 30.0, open_device: OpenDevice | None = None,
                 list_devices: ListDevices | None = None,
                 active_switches: ActiveSwitches | None = None) -> None:
        super().__init__(on_event, path=path, name_match=name_match,
                         backoff_initial=backoff_initial, backoff_max=backoff_max,
                         open_device=open_device, list_devices=list_devices)
        self._active_switches = active_switches or _evdev_active_switches
        self.plugged: bool | None = None

    def _open(self) -> InputDeviceLike:
        if self.path:
            device = self._open_device(self.path)
            if has_jack_switch(device):
                return device
            device.close()
            raise OSError(errno.ENODEV, f"{self.path} reports no SW_HEADPHONE_INSERT switch")
        wanted = self.name_match.casefold()
        for path in sorted(self._list_devices()):
            try:
                device = self._open_device(path)
            except OSError:
                continue   # an unrelated device this user may not open
            if wanted in device.name.casefold() and has_jack_switch(device):
                return device
            device.close()
        raise OSError(errno.ENOENT, f"no input device named *{self.name_match}* with a "
                                    f"headphone switch (the sound card may not report the jack)")

    def probe(self) -> str:
        """The jack's input device name, opened and closed again (for `kiosk doctor`)."""
        device = self._open()
        try:
            return str(device.name)
        finally:
            device.close()

    def _changed(self, plugged: bool) -> None:
        if plugged != self.plugged:
            self.plugged = plugged
            log.info("headset %s", "plugged in" if plugged else "pulled out")
            self._emit(HeadsetChanged(plugged))

    def _run(self) -> None:
        while not self.stopping:
            try:
                device = self._open()
            except OSError as exc:
                self._status(False, describe_os_error(exc, "input")
                             if exc.errno != errno.ENOENT else str(exc.strerror))
                if not self._backoff():
                    break
                continue
            self._reset_backoff()
            self._status(True)
            try:
                try:
                    self._changed(SW_HEADPHONE_INSERT in self._active_switches(device))
                except OSError:
                    pass   # state unknown until the first switch event
                self._serve(device)
            except OSError as exc:
                self._status(False, describe_os_error(exc, "input"))
            finally:
                try:
                    device.close()
                except OSError:
                    pass
            if not self.stopping and not self._backoff():
                break

    def _serve(self, device: InputDeviceLike) -> None:
        poller = self._poller(device)
        while not self.stopping:
            ready = dict(poller.poll())
            if self._wake_r in ready:
                return
            if device.fd in ready:
                got = False
                try:
                    for event in device.read():
                        got = True
                        if event.type == EV_SW and event.code == SW_HEADPHONE_INSERT:
                            self._changed(bool(event.value))
                except BlockingIOError:
                    pass
                if ready[device.fd] & POLL_DEAD and not got:
                    raise OSError(errno.ENODEV, "input device hung up")
