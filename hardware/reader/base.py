"""The thread shell both readers share: prompt stop, status changes once each, capped back-off."""

from __future__ import annotations

import errno
import logging
import threading
from abc import ABC, abstractmethod

from hardware.reader.events import (
    CardScanned,
    OnEvent,
    ReaderEvent,
    ReaderStatus,
    ScanRejected,
)

log = logging.getLogger("hardware.reader")


def describe_os_error(exc: BaseException, group: str) -> str:
    """A reason the operator can act on; `group` is the Unix group that grants access."""
    code = getattr(exc, "errno", None)
    if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
        return "not connected (device not found)"
    if code in (errno.EACCES, errno.EPERM):
        return f"permission denied: the service user needs the '{group}' group"
    if code in (errno.EBUSY, errno.EAGAIN):
        return "busy: another program holds the device"
    if code == errno.EIO:
        return "disconnected (I/O error)"
    if isinstance(exc, OSError) and code is not None:
        return f"{errno.errorcode.get(code, code)}: {exc.strerror or exc}"
    return str(exc) or type(exc).__name__


class ReaderThread(ABC):
    """Runs `_run` in a daemon thread; subclasses call `_status`, `_result` and `_backoff`."""

    kind = "card reader"    # what the device is, in log lines (the headset jack says so too)

    def __init__(self, on_event: OnEvent, *, device: str, backoff_initial: float,
                 backoff_max: float) -> None:
        if not 0 < backoff_initial <= backoff_max:
            raise ValueError("back-off needs 0 < backoff_initial <= backoff_max")
        self.on_event = on_event
        self.device = device
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self._delay = backoff_initial
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_status: ReaderStatus | None = None

    # --- owner's side ----------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"reader for {self.device} already started")
        self._thread = threading.Thread(
            target=self._run_guarded, name=f"reader {self.device}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread and release the device (ungrab, close); safe to call twice."""
        self._stopping.set()
        self._wake()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("reader %s did not stop within %.1f s", self.device, timeout)

    @property
    def alive(self) -> bool:
        """True while the reader thread runs; it ends on stop() or on an internal error."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def connected(self) -> bool:
        return self._last_status is not None and self._last_status.connected

    def __enter__(self) -> ReaderThread:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @abstractmethod
    def probe(self) -> str:
        """Open the device as the thread would and release it at once; its name, or "".

        For checks while the thread is not running (`kiosk doctor`); raises OSError (or the
        serial library's error) with the reason.
        """

    # --- for subclasses --------------------------------------------------------------------

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    @abstractmethod
    def _run(self) -> None:
        """The reader thread's body: read the device until stopped."""

    def _wake(self) -> None:
        """Interrupt a blocking wait so that stop() is prompt."""

    def _status(self, connected: bool, reason: str = "") -> None:
        """Report a status change; a repeat of the current status is not reported again."""
        status = ReaderStatus(connected, self.device, reason)
        if status == self._last_status:
            return
        self._last_status = status
        if connected:
            log.info("%s %s connected", self.kind, self.device)
        else:
            log.warning("%s %s unavailable: %s", self.kind, self.device, reason)
        self._emit(status)

    def _result(self, result: CardScanned | ScanRejected) -> None:
        # Length and reason only: scanned digits never reach a log from here.
        if isinstance(result, CardScanned):
            log.info("card reader %s: card scanned (%d digits)", self.device, result.length)
        else:
            log.info("card reader %s: scan rejected: %s (%d digits)",
                     self.device, result.reason.value, result.length)
        self._emit(result)

    def _backoff(self) -> bool:
        """Wait the current back-off delay (doubling up to the cap); False when stopping."""
        delay = self._delay
        self._delay = min(self._delay * 2, self.backoff_max)
        return not self._stopping.wait(delay)

    def _reset_backoff(self) -> None:
        self._delay = self.backoff_initial

    # --- internals -------------------------------------------------------------------------

    def _emit(self, event: ReaderEvent) -> None:
        try:
            self.on_event(event)
        except Exception as exc:  # the owner's bug must not kill the reader thread
            # Only the type: the message could carry a card number.
            log.error("%s %s: event handler raised %s", self.kind, self.device,
                      type(exc).__name__)

    def _run_guarded(self) -> None:
        try:
            self._run()
        except Exception as exc:
            log.critical("%s %s stopped by %s", self.kind, self.device, type(exc).__name__)
            self._status(False, f"reader stopped by an internal error ({type(exc).__name__})")
            raise
