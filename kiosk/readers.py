"""Maps the [reader] config section onto a hardware card reader, and keeps it running under supervision."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from hardware.reader.base import ReaderThread
from hardware.reader.events import OnEvent
from hardware.reader.keycodes import key_code
from kiosk.cards import CARD_LENGTH
from kiosk.config import ConfigError, ReaderConfig
from kiosk.liveness import Liveness, SupervisedThread

if TYPE_CHECKING:
    from hardware.sim.scanner import VirtualScanner

log = logging.getLogger(__name__)

Reader = ReaderThread  # start(), stop(), connected; events go to on_event from its thread
# How long the reader's watch may stay silent; it looks at the reader every third of it.
READER_DEADLINE_S = 30.0


class ReaderDied(RuntimeError):
    """The hardware reader's thread ended by itself (it logged why)."""


class SupervisedReader:
    """Thread "reader": starts a reader, watches that its thread lives, replaces it if not.

    The hardware reader blocks in poll() while no key comes, so it cannot check in itself;
    this watch does, and a reader thread that died of an internal error is stopped and a
    fresh one opened (`reopen`, the same call that made the first), after a back-off.
    """

    def __init__(self, first: Reader, reopen: Callable[[], Reader | None], *,
                 liveness: Liveness | None = None,
                 deadline: float = READER_DEADLINE_S) -> None:
        self.reader = first
        self._reopen = reopen
        self._fresh = True
        registry = liveness if liveness is not None else Liveness()
        self.beat = registry.register("reader", deadline=deadline)
        self._period = deadline / 3
        self._thread = SupervisedThread(self.beat, self._watch, threading.Event())

    @property
    def connected(self) -> bool:
        return self.reader.connected

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._thread.stop(timeout)

    def _watch(self) -> None:
        if not self._fresh:
            fresh = self._reopen()
            if fresh is None:
                raise ReaderDied("card reader: reopening it gave no reader")
            self.reader = fresh
        self._fresh = False
        reader = self.reader
        reader.start()
        try:
            while not self._thread.stopping.is_set():
                self.beat()
                if not reader.alive:
                    raise ReaderDied(f"card reader {reader.device}: its thread ended")
                self._thread.stopping.wait(self._period)
        finally:
            reader.stop()


def open_reader(
    config: ReaderConfig,
    card_prefixes: Sequence[str],
    on_event: OnEvent,
    *,
    scanner: VirtualScanner | None = None,
    source: str = "",
) -> Reader | None:
    """The configured reader, not yet started (call start()); None for type = "none".

    For type = "simulator" the reader reads `scanner` (a new VirtualScanner if none is
    given; pass your own to scan with it). `source` names the config file in errors.
    """
    where = f"{source}: " if source else ""
    common = {
        "length": CARD_LENGTH,
        "prefixes": tuple(card_prefixes),
        "gap_timeout": config.gap_timeout_ms / 1000,
        "debounce": config.debounce_s,
    }
    if config.type == "none":
        return None
    if config.type == "serial":
        if not config.serial_port:
            raise ConfigError(f"{where}[reader] serial_port: required when type = \"serial\" "
                              f"(e.g. \"/dev/ttyACM0\")")
        from hardware.reader.serial_reader import SerialReader

        return SerialReader(on_event, port=config.serial_port, baudrate=config.baudrate,
                            **common)
    suffix_keys: tuple[int, ...] = ()
    if config.suffix_key:
        try:
            suffix_keys = (key_code(config.suffix_key),)
        except ValueError as exc:
            raise ConfigError(f"{where}[reader] suffix_key: {exc}") from None
    from hardware.reader.evdev_reader import EvdevReader

    if config.type == "simulator":
        if scanner is None:
            from hardware.sim.scanner import VirtualScanner

            scanner = VirtualScanner()
        return EvdevReader(on_event, path=scanner.path, suffix_keys=suffix_keys,
                           open_device=scanner.open_device, list_devices=scanner.list_devices,
                           **common)
    if not config.device and not config.name_match:
        raise ConfigError(
            f"{where}[reader] device: required when type = \"evdev\": the scanner's stable "
            f"path (/dev/input/by-id/...-event-kbd or /dev/input/kiosk-scanner), or set "
            f"name_match to a part of its name"
        )
    return EvdevReader(on_event, path=config.device, name_match=config.name_match,
                       suffix_keys=suffix_keys, **common)
