"""Virtual USB keyboard-wedge scanner: genuine evdev.InputEvent streams through a fake InputDevice."""

from __future__ import annotations

import errno
import os
import struct
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from evdev import InputEvent
from evdev import ecodes as e
from evdev.eventio import EventIO

# struct input_event as the kernel hands it to evdev's read() on 64-bit Linux:
# struct timeval (two longs), __u16 type, __u16 code, __s32 value.
_EVENT = struct.Struct("@llHHi")
_WRITE_EVENTS = 4096 // _EVENT.size  # one atomic pipe write never splits an event

DEFAULT_NAME = "Virtual Barcode Scanner Keyboard"
DEFAULT_PATH = "/dev/input/by-id/usb-Virtual_Barcode_Scanner-event-kbd"

_DIGIT_KEYS = [e.KEY_0, e.KEY_1, e.KEY_2, e.KEY_3, e.KEY_4,
               e.KEY_5, e.KEY_6, e.KEY_7, e.KEY_8, e.KEY_9]
_KEYPAD_KEYS = [e.KEY_KP0, e.KEY_KP1, e.KEY_KP2, e.KEY_KP3, e.KEY_KP4,
                e.KEY_KP5, e.KEY_KP6, e.KEY_KP7, e.KEY_KP8, e.KEY_KP9]
_LETTER_KEYS = {chr(ord("a") + i): e.ecodes[f"KEY_{chr(ord('A') + i)}"] for i in range(26)}
# What a scanner's keyboard emulation types for a barcode character, on a US layout.
_SPECIAL_KEYS = {"\r": e.KEY_ENTER, "\n": e.KEY_ENTER, "\t": e.KEY_TAB, " ": e.KEY_SPACE,
                 "\x1b": e.KEY_ESC, "-": e.KEY_MINUS, ".": e.KEY_DOT, "/": e.KEY_SLASH}
SCANNER_KEYS: tuple[int, ...] = tuple(sorted(
    set(_DIGIT_KEYS) | set(_KEYPAD_KEYS) | set(_LETTER_KEYS.values()) | set(_SPECIAL_KEYS.values())
    | {e.KEY_KPENTER, e.KEY_LEFTSHIFT, e.KEY_LEFTCTRL, e.KEY_LEFTALT, e.KEY_RIGHTALT}
))


def chord_for(char: str, *, keypad: bool = False) -> tuple[tuple[int, ...], int]:
    """(modifiers held, key) a keyboard-wedge scanner types for one barcode character."""
    if char.isascii() and char.isdigit():
        return (), (_KEYPAD_KEYS if keypad else _DIGIT_KEYS)[int(char)]
    if char in _SPECIAL_KEYS:
        return (), _SPECIAL_KEYS[char]
    if char.lower() in _LETTER_KEYS:
        return ((e.KEY_LEFTSHIFT,) if char.isupper() else ()), _LETTER_KEYS[char.lower()]
    if "\x01" <= char <= "\x1a":  # Code 128 control characters become Ctrl+letter hotkeys
        return (e.KEY_LEFTCTRL,), _LETTER_KEYS[chr(ord(char) + 96)]
    raise ValueError(f"the virtual scanner cannot type {char!r}")


class KeyStream:
    """Builds a realistic event sequence with a running clock (CLOCK_REALTIME, like evdev's).

    Every key goes down and up, each preceded by its MSC_SCAN and followed by SYN_REPORT.
    """

    def __init__(self, start: float | None = None, key_s: float = 0.004) -> None:
        self.t = time.time() if start is None else start
        self.key_s = key_s
        self.events: list[InputEvent] = []

    def _emit(self, code: int, value: int) -> None:
        sec, usec = int(self.t), round((self.t % 1) * 1_000_000)
        if usec == 1_000_000:
            sec, usec = sec + 1, 0
        self.events.append(InputEvent(sec, usec, e.EV_MSC, e.MSC_SCAN, 0x70000 + code))
        self.events.append(InputEvent(sec, usec, e.EV_KEY, code, value))
        self.events.append(InputEvent(sec, usec, e.EV_SYN, e.SYN_REPORT, 0))

    def tap(self, code: int, *, mods: Sequence[int] = (), repeats: int = 0) -> KeyStream:
        """Press `code` with `mods` held; `repeats` autorepeat events as if the key stuck."""
        step = self.key_s / 4
        for mod in mods:
            self._emit(mod, 1)
            self.t += step
        self._emit(code, 1)
        for _ in range(repeats):
            self.t += step
            self._emit(code, 2)
        self.t += step
        self._emit(code, 0)
        for mod in reversed(mods):
            self.t += step
            self._emit(mod, 0)
        self.t += self.key_s - step
        return self

    def text(self, text: str, *, keypad: bool = False, enter: int = e.KEY_ENTER) -> KeyStream:
        """Type `text`; CR and LF become `enter` (KEY_ENTER or KEY_KPENTER)."""
        for char in text:
            mods, code = chord_for(char, keypad=keypad)
            if code == e.KEY_ENTER:
                code = enter
            self.tap(code, mods=mods)
        return self

    def pause(self, seconds: float) -> KeyStream:
        self.t += seconds
        return self


class FakeInputDevice(EventIO):
    """Offers what the reader uses of evdev.InputDevice, over a pipe whose read end is `fd`.

    Events are written as the kernel's struct input_event bytes; read() and read_one() are
    evdev's own (EventIO, the base of InputDevice), so parsing, select/poll and non-blocking
    reads behave as on a real device.
    """

    def __init__(self, path: str, name: str, keys: Iterable[int]) -> None:
        self.path = path
        self.name = name
        self.phys = "virtual/input0"
        self._keys = sorted(keys)
        self.fd, self._write_fd = os.pipe()
        os.set_blocking(self.fd, False)
        self.grabbed = False
        self.grab_error: int | None = None  # errno grab() fails with (EBUSY: someone else has it)
        self.closed = False
        self.unplugged = False
        # Events returned by each read (-1: nothing pending): shows draining and that a dead
        # device is not read in a loop.
        self.read_log: list[int] = []

    def capabilities(self, verbose: bool = False, absinfo: bool = True) -> dict[int, list[int]]:
        return {e.EV_SYN: [e.SYN_REPORT], e.EV_KEY: list(self._keys), e.EV_MSC: [e.MSC_SCAN]}

    def fileno(self) -> int:
        return self.fd

    def grab(self) -> None:
        if self.grab_error is not None:
            raise OSError(self.grab_error, os.strerror(self.grab_error))
        if self.grabbed:
            raise OSError(errno.EBUSY, os.strerror(errno.EBUSY))
        self.grabbed = True

    def ungrab(self) -> None:
        if self.unplugged:
            raise OSError(errno.ENODEV, os.strerror(errno.ENODEV))
        if not self.grabbed:
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        self.grabbed = False

    def read(self) -> Iterator[InputEvent]:
        """Like InputDevice.read (a generator: errors surface on the first next())."""
        self._check_alive()
        try:
            events = list(EventIO.read(self))  # evdev's own parser, reading our fd
        except BlockingIOError:  # nothing pending
            self.read_log.append(-1)
            raise
        self.read_log.append(len(events))
        yield from events

    def read_one(self) -> InputEvent | None:
        self._check_alive()
        return EventIO.read_one(self)

    def _check_alive(self) -> None:
        if self.closed:
            raise OSError(errno.EBADF, os.strerror(errno.EBADF))
        if self.unplugged:  # what the kernel answers once the device is gone
            self.read_log.append(-1)
            raise OSError(errno.ENODEV, os.strerror(errno.ENODEV))

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.grabbed = False
            os.close(self.fd)
            self._close_write_end()

    # --- the simulator's side ------------------------------------------------------------------

    def write_events(self, events: Sequence[InputEvent]) -> None:
        if self.closed or self.unplugged:
            raise OSError(errno.ENODEV, f"{self.path} is not open")
        for i in range(0, len(events), _WRITE_EVENTS):
            chunk = events[i:i + _WRITE_EVENTS]
            os.write(self._write_fd, b"".join(
                _EVENT.pack(ev.sec, ev.usec, ev.type, ev.code, ev.value) for ev in chunk))

    def unplug(self) -> None:
        """From now on read() fails with ENODEV; poll() reports the fd as hung up."""
        self.unplugged = True
        self._close_write_end()

    def _close_write_end(self) -> None:
        if self._write_fd >= 0:
            os.close(self._write_fd)
            self._write_fd = -1


@dataclass(frozen=True)
class DeviceSpec:
    """Another input device on the virtual bus (a power button, a touch screen, a keyboard)."""

    path: str
    name: str
    keys: tuple[int, ...] = field(default=())


class VirtualScanner:
    """A scanner that can be plugged in and out, with the opener and lister the reader takes.

    Pass `scanner.open_device` and `scanner.list_devices` to EvdevReader in place of
    evdev.InputDevice and evdev.list_devices.
    """

    def __init__(self, name: str = DEFAULT_NAME, path: str = DEFAULT_PATH, *,
                 key_s: float = 0.004, keypad: bool = False, enter: int = e.KEY_ENTER,
                 others: Sequence[DeviceSpec] = ()) -> None:
        self.name = name
        self.path = path
        self.key_s = key_s
        self.keypad = keypad
        self.enter = enter
        self.others = {spec.path: spec for spec in others}
        self.plugged = True
        self.grab_error: int | None = None
        self.open_calls = 0
        self.opened: list[FakeInputDevice] = []  # every scanner device handed out
        self.others_opened: list[FakeInputDevice] = []  # the other devices handed out
        self._lock = threading.Condition()

    # --- the reader's side ---------------------------------------------------------------------

    def list_devices(self) -> list[str]:
        with self._lock:
            return ([self.path] if self.plugged else []) + list(self.others)

    def open_device(self, path: str) -> FakeInputDevice:
        with self._lock:
            self.open_calls += 1
            if path in self.others:
                spec = self.others[path]
                other = FakeInputDevice(spec.path, spec.name, spec.keys)
                self.others_opened.append(other)
                return other
            if path != self.path or not self.plugged:
                raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), path)
            device = FakeInputDevice(self.path, self.name, SCANNER_KEYS)
            device.grab_error = self.grab_error
            self.opened.append(device)
            self._lock.notify_all()
            return device

    # --- the test's side -----------------------------------------------------------------------

    @property
    def device(self) -> FakeInputDevice:
        """The scanner device the reader holds open now."""
        with self._lock:
            for device in reversed(self.opened):
                if not device.closed and not device.unplugged:
                    return device
        raise RuntimeError(f"{self.path}: no reader has the virtual scanner open")

    def stream(self, start: float | None = None) -> KeyStream:
        return KeyStream(start, self.key_s)

    def send(self, events: Sequence[InputEvent]) -> None:
        self.device.write_events(events)

    def scan(self, text: str, *, suffix: str = "\r", keypad: bool | None = None,
             enter: int | None = None) -> list[InputEvent]:
        """Type a barcode as this scanner would: its characters, then the suffix."""
        events = self.stream().text(
            text + suffix,
            keypad=self.keypad if keypad is None else keypad,
            enter=self.enter if enter is None else enter,
        ).events
        self.send(events)
        return events

    def unplug(self) -> None:
        with self._lock:
            self.plugged = False
            for device in self.opened:
                if not device.closed:
                    device.unplug()

    def replug(self) -> None:
        with self._lock:
            self.plugged = True
