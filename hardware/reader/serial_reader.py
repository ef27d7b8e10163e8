"""Scanner in serial mode (RS-232 / USB-CDC) via pyserial: line decoding, reconnect with back-off."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import serial

from hardware.reader.base import ReaderThread, describe_os_error, log
from hardware.reader.decoder import LineDecoder
from hardware.reader.events import OnEvent

SerialFactory = Callable[..., Any]

# Longest wait for bytes while idle: bounds how late a vanished port is noticed on drivers
# that report it only on the next read.
_IDLE_READ_S = 1.0


class SerialReader(ReaderThread):
    """Reads `digits + CR/LF` lines from a serial port; the port may come and go."""

    def __init__(
        self,
        on_event: OnEvent,
        *,
        port: str,
        baudrate: int = 9600,
        length: int = 16,
        prefixes: Sequence[str] = ("9276",),
        gap_timeout: float = 0.15,
        debounce: float = 3.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 5.0,
        serial_factory: SerialFactory = serial.Serial,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not port:
            raise ValueError("a serial reader needs a port")
        super().__init__(on_event, device=port, backoff_initial=backoff_initial,
                         backoff_max=backoff_max)
        self.port = port
        self.baudrate = baudrate
        self.decoder = LineDecoder(length=length, prefixes=prefixes, gap_timeout=gap_timeout,
                                   debounce=debounce)
        self._serial_factory = serial_factory
        self._clock = clock
        self._port_lock = threading.Lock()
        self._open_port: Any = None

    def _wake(self) -> None:
        with self._port_lock:
            if self._open_port is not None:
                self._open_port.cancel_read()  # wakes a read() blocked in select

    def probe(self) -> str:
        port = self._serial_factory(self.port, self.baudrate, timeout=0, exclusive=True)
        port.close()
        return ""  # a serial port has no name of its own

    def _run(self) -> None:
        while not self.stopping:
            try:
                # exclusive: a second program (ModemManager, a getty) must not share the port.
                port = self._serial_factory(self.port, self.baudrate, timeout=_IDLE_READ_S,
                                            exclusive=True)
            except (serial.SerialException, OSError) as exc:
                self._status(False, describe_os_error(exc, "dialout"))
                if not self._backoff():
                    break
                continue
            with self._port_lock:
                self._open_port = port
            self._reset_backoff()
            try:
                # Bytes from before we listened are no scan (pyserial's open() flushes too; stated
                # here so the rule does not rest on that).
                port.reset_input_buffer()
                self._status(True)
                self._serve(port)
            except (serial.SerialException, OSError) as exc:
                self._status(False, f"disconnected ({exc})")
            finally:
                with self._port_lock:
                    self._open_port = None
                try:
                    port.close()
                except (serial.SerialException, OSError):
                    pass
                self.decoder.reset()
            if not self.stopping and not self._backoff():
                break

    def _serve(self, port: Any) -> None:
        # pyserial re-applies the termios settings on every timeout change, so switch between
        # two fixed values only: a broken-off line is then rejected within 1.5 gaps.
        pending_read_s = min(_IDLE_READ_S, self.decoder.gap_timeout / 2)
        while not self.stopping:
            wanted = _IDLE_READ_S if self.decoder.timeout_at() is None else pending_read_s
            if port.timeout != wanted:
                port.timeout = wanted
            data = port.read(1)
            if data and port.in_waiting:
                data += port.read(port.in_waiting)  # drain what else is pending
            now = self._clock()
            if data:
                for result in self.decoder.feed(data, now):
                    self._result(result)
            for result in self.decoder.check_timeout(now):
                self._result(result)
        log.debug("card reader %s: read loop left", self.device)
