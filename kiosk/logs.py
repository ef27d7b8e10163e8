"""Logging for journald: syslog priority prefixes, no timestamps of our own, card numbers masked."""

from __future__ import annotations

import faulthandler
import logging
import os
import sys
import threading
from types import TracebackType
from typing import TextIO

from kiosk.cards import mask_card_numbers_in_text

# sd-daemon(3) priority prefixes: journald strips "<N>" from the start of every line and stores
# N as the entry's PRIORITY (2 crit, 3 err, 4 warning, 6 info, 7 debug).
_THRESHOLDS = (
    (logging.CRITICAL, 2),
    (logging.ERROR, 3),
    (logging.WARNING, 4),
    (logging.INFO, 6),
)


def syslog_priority(levelno: int) -> int:
    """The syslog priority of a logging level; levels in between round down (35 -> warning)."""
    for threshold, priority in _THRESHOLDS:
        if levelno >= threshold:
            return priority
    return 7


class CardMaskingFilter(logging.Filter):
    """Rewrites every record's message so that no full card number reaches any handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_card_numbers_in_text(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        return True


class JournaldFormatter(logging.Formatter):
    """`<6>kiosk.topup: message` — journald adds time and unit, so we add neither.

    journald reads each line as its own entry, so every line of a multi-line message or a
    traceback carries the prefix: otherwise a traceback would land in the journal as "info".
    Tracebacks and stack dumps are masked too (an exception message may quote a card number).
    """

    def format(self, record: logging.LogRecord) -> str:
        text = f"{record.name}: {record.getMessage()}"
        if record.exc_info:
            text += "\n" + mask_card_numbers_in_text(self.formatException(record.exc_info))
        if record.stack_info:
            text += "\n" + mask_card_numbers_in_text(self.formatStack(record.stack_info))
        prefix = f"<{syslog_priority(record.levelno)}>"
        return "\n".join(prefix + line for line in text.splitlines() or [""])


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is at the time of each record, not at set-up.

    Whoever swaps stderr later (a test harness capturing output, a wrapper) then never leaves
    a thread logging into a closed stream.
    """

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass  # always the current sys.stderr


def setup_logging(level: int = logging.INFO, stream: TextIO | None = None) -> None:
    """Route all logging to stderr in journald form, with card masking on every record.

    Uncaught exceptions (main thread and other threads) go through the same path, so they are
    masked and prefixed too instead of being printed raw by Python. Under systemd (INVOCATION_ID
    set) faulthandler is on: the watchdog kills a hung kiosk with SIGABRT (WatchdogSignal= in
    kiosk.service) and the journal then shows where every thread was stuck.
    """
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.setFormatter(JournaldFormatter())
    handler.addFilter(CardMaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    sys.excepthook = _log_uncaught
    threading.excepthook = _log_uncaught_in_thread
    if os.environ.get("INVOCATION_ID") and not faulthandler.is_enabled():
        try:
            faulthandler.enable(all_threads=True)
        except (AttributeError, ValueError, OSError):
            # stderr without a file descriptor: there is nowhere to dump to.
            logging.getLogger(__name__).warning("faulthandler unavailable: no stderr descriptor")


def _log_uncaught(
    kind: type[BaseException], value: BaseException, trace: TracebackType | None
) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, trace)
        return
    logging.getLogger("kiosk").critical("uncaught exception", exc_info=(kind, value, trace))


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    name = args.thread.name if args.thread is not None else "?"
    logging.getLogger("kiosk").critical(
        "uncaught exception in thread %s", name,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),  # type: ignore[arg-type]
    )
