"""Serial ESC/POS transport: bounded writes, DLE EOT status, readiness, reconnect, no re-sends."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from enum import Enum
from typing import Callable

import serial

try:
    import termios

    # pyserial lets termios.error (not an OSError) through from tcflush on a vanished tty.
    _PORT_ERRORS: tuple[type[BaseException], ...] = (
        serial.SerialException, OSError, termios.error,
    )
except ImportError:  # not on POSIX
    _PORT_ERRORS = (serial.SerialException, OSError)

from hardware.printer.status import (
    REASONS,
    Condition,
    PrinterReadiness,
    PrinterStatus,
    Query,
    parse_status,
)

log = logging.getLogger(__name__)

DEFAULT_STATUS_TIMEOUT = 0.5
DEFAULT_MISS_LIMIT = 3
CHUNK_SIZE = 256  # bytes per write: a write timeout then tells roughly how far the job got


class PrintFailure(Enum):
    NOT_READY = "not_ready"  # refused before sending anything: safe to try again later
    PORT_UNAVAILABLE = "port_unavailable"  # could not open the port: nothing sent
    WRITE_TIMEOUT = "write_timeout"  # the printer stopped taking data part-way
    PORT_LOST = "port_lost"  # the port vanished while sending
    STOPPED = "stopped"  # all data sent, then the printer reported a fault (paper out...)
    UNCONFIRMED = "unconfirmed"  # all data sent, no valid status afterwards


class PrintError(Exception):
    """A receipt that did not print for sure; `bytes_written` tells whether any part went out.

    The transport never sends a job again by itself: when something went out, part of the
    receipt may be on paper, and only the caller can decide to print a marked copy.
    """

    def __init__(
        self,
        failure: PrintFailure,
        message: str,
        *,
        port: str,
        bytes_written: int,
        status: PrinterStatus | None = None,
    ) -> None:
        super().__init__(f"printer {port}: {message}")
        self.failure = failure
        self.port = port
        self.bytes_written = bytes_written
        self.status = status

    @property
    def nothing_sent(self) -> bool:
        return self.bytes_written == 0 and self.failure in (
            PrintFailure.NOT_READY,
            PrintFailure.PORT_UNAVAILABLE,
        )


@dataclass(frozen=True)
class PrintResult:
    bytes_written: int
    status: PrinterStatus  # after printing: may carry a warning such as paper near end


ChangeCallback = Callable[[Condition, Condition], None]


class SerialPrinter:
    """One ESC/POS printer on a serial port, opened lazily and reopened after it vanished.

    All port access is serialised by a lock, so a status poll never interleaves with a job.
    """

    def __init__(
        self,
        port: str,
        *,
        baudrate: int = 19200,
        write_timeout: float = 5.0,
        status_timeout: float = DEFAULT_STATUS_TIMEOUT,
        miss_limit: int = DEFAULT_MISS_LIMIT,
        dsrdtr: bool = False,
        rtscts: bool = False,
        on_change: ChangeCallback | None = None,
    ) -> None:
        if write_timeout <= 0 or status_timeout <= 0:
            raise ValueError("write_timeout and status_timeout must be > 0: writes never block")
        if miss_limit < 1:
            raise ValueError("miss_limit must be >= 1")
        self.port = port
        self.baudrate = baudrate
        self.write_timeout = write_timeout
        self.status_timeout = status_timeout
        self.miss_limit = miss_limit
        self.dsrdtr = dsrdtr
        self.rtscts = rtscts
        self.on_change = on_change
        self._serial: serial.Serial | None = None
        self._lock = threading.RLock()
        self._misses = 0
        self._late_reply_possible = False
        self._last = PrinterStatus.unknown()
        self._condition = Condition.UNKNOWN  # nothing asked yet

    # --- public --------------------------------------------------------------------------

    @property
    def last_status(self) -> PrinterStatus:
        """The most recent status, without touching the port (for screens)."""
        return self._last

    @property
    def connected(self) -> bool:
        return self._serial is not None

    def status(self) -> PrinterStatus:
        """Ask DLE EOT 1..4; unknown after one failed round, gone after `miss_limit` in a row."""
        with self._lock:
            return self._record(self._query_status(self.status_timeout))

    def ready(self) -> PrinterReadiness:
        """For use before payment: may the kiosk promise a receipt, and if not, why not."""
        return PrinterReadiness.of(self.status())

    def print_job(self, data: bytes) -> PrintResult:
        """Send one complete job (a receipt ending with its cut) and confirm it by status.

        Raises PrintError for every way it can fail; never retries a job that may have printed.
        """
        with self._lock:
            before = self._record(self._query_status(self.status_timeout))
            if not before.condition.can_print:
                failure = (
                    PrintFailure.PORT_UNAVAILABLE if self._serial is None
                    else PrintFailure.NOT_READY
                )
                raise PrintError(
                    failure, f"not printing: {REASONS[before.condition]}",
                    port=self.port, bytes_written=0, status=before,
                )
            assert self._serial is not None  # a known status came through the open port
            written = 0
            try:
                for start in range(0, len(data), CHUNK_SIZE):
                    chunk = data[start:start + CHUNK_SIZE]
                    self._serial.write(chunk)
                    written += len(chunk)
            except serial.SerialTimeoutException:
                # Bytes still queued in the port would print whenever the printer resumes:
                # half a receipt at a random later moment. Throw them away.
                try:
                    self._serial.reset_output_buffer()
                except _PORT_ERRORS:
                    pass
                if not os.path.exists(self.port):
                    # An unplugged pty or USB adapter can look like a stalled write.
                    self._drop(OSError(f"{self.port} disappeared during the write"))
                    self._record(PrinterStatus.unknown())
                    raise PrintError(
                        PrintFailure.PORT_LOST,
                        f"port disappeared after {written} of {len(data)} bytes",
                        port=self.port, bytes_written=written,
                    ) from None
                raise PrintError(
                    PrintFailure.WRITE_TIMEOUT,
                    f"write timed out after {self.write_timeout:g} s with {written} of "
                    f"{len(data)} bytes sent (printer not taking data: offline, no paper, "
                    "flow control held)",
                    port=self.port, bytes_written=written,
                ) from None
            except _PORT_ERRORS as exc:
                self._drop(exc)
                self._record(PrinterStatus.unknown())
                raise PrintError(
                    PrintFailure.PORT_LOST,
                    f"port lost after {written} of {len(data)} bytes: {exc}",
                    port=self.port, bytes_written=written,
                ) from None
            # The printer answers the status query once it has worked through the job, so
            # allow the time the bytes need on the line (10 bits per byte), with a margin.
            drain = 1.5 * len(data) * 10 / self.baudrate
            after = self._record(self._query_status(self.status_timeout + drain))
            if not after.known:
                raise PrintError(
                    PrintFailure.UNCONFIRMED,
                    f"all {written} bytes sent but no valid status afterwards; "
                    "the receipt may or may not have printed",
                    port=self.port, bytes_written=written, status=after,
                )
            if not after.condition.can_print:
                raise PrintError(
                    PrintFailure.STOPPED,
                    f"printing stopped: {REASONS[after.condition]}",
                    port=self.port, bytes_written=written, status=after,
                )
            return PrintResult(written, after)

    def close(self) -> None:
        with self._lock:
            if self._serial is not None:
                try:
                    self._serial.close()
                except _PORT_ERRORS:
                    pass
                self._serial = None

    def __enter__(self) -> "SerialPrinter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- internals -----------------------------------------------------------------------

    def _open(self) -> bool:
        if self._serial is not None:
            return True
        try:
            self._serial = serial.Serial(
                self.port,
                self.baudrate,
                timeout=self.status_timeout,
                write_timeout=self.write_timeout,
                dsrdtr=self.dsrdtr,
                rtscts=self.rtscts,
                exclusive=True,
            )
        except (*_PORT_ERRORS, ValueError) as exc:
            log.debug("printer %s: cannot open: %s", self.port, exc)
            return False
        self._late_reply_possible = False
        log.info("printer %s: port opened", self.port)
        return True

    def _drop(self, exc: BaseException) -> None:
        log.warning("printer %s: port lost: %s", self.port, exc)
        self.close()

    def _query_status(self, first_timeout: float) -> PrinterStatus:
        if not self._open():
            return PrinterStatus.unknown()
        replies = []
        try:
            for index, query in enumerate(Query):
                byte = self._query(query, first_timeout if index == 0 else self.status_timeout)
                reply = None if byte is None else parse_status(query, byte)
                if reply is None:
                    return PrinterStatus.unknown()
                replies.append(reply)
        except serial.SerialTimeoutException:
            return PrinterStatus.unknown()  # the query itself could not be sent in time
        except _PORT_ERRORS as exc:
            self._drop(exc)
            return PrinterStatus.unknown()
        return PrinterStatus.from_replies(*replies)

    def _query(self, query: Query, timeout: float) -> int | None:
        port = self._serial
        assert port is not None
        if self._late_reply_possible:
            # The last query went unanswered; its reply may still be on its way. Wait for it
            # (returns at once when it comes) and throw it away, so that it cannot pass for
            # the answer to this query.
            self._set_timeout(2 * self.status_timeout)
            port.read(1)
            self._late_reply_possible = False
        port.reset_input_buffer()  # stale bytes (late replies, noise) are never an answer
        port.write(query.command)
        self._set_timeout(timeout)
        reply = port.read(1)  # exactly one byte is the answer
        if len(reply) != 1:
            self._late_reply_possible = True
            return None
        return reply[0]

    def _set_timeout(self, timeout: float) -> None:
        assert self._serial is not None
        if self._serial.timeout != timeout:
            self._serial.timeout = timeout

    def _record(self, status: PrinterStatus) -> PrinterStatus:
        if status.known:
            self._misses = 0
        else:
            self._misses += 1
            if self._misses >= self.miss_limit:
                status = PrinterStatus.unknown(gone=True)
        self._last = status
        condition = status.condition
        if condition != self._condition:
            old, self._condition = self._condition, condition
            log.info("printer %s: %s", self.port, REASONS[condition])
            if self.on_change is not None:
                self.on_change(old, condition)
        return status
