"""Real-time status (DLE EOT 1..4): byte parsing and the printer's overall condition."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum


class Query(IntEnum):
    """The four DLE EOT n queries."""

    PRINTER = 1
    OFFLINE_CAUSE = 2
    ERROR_CAUSE = 3
    PAPER = 4

    @property
    def command(self) -> bytes:
        return bytes([0x10, 0x04, int(self)])


def is_valid_status_byte(byte: int) -> bool:
    """Bits 1 and 4 set, bits 0 and 7 clear; anything else is line noise or a wrong baud rate."""
    return byte & 0x93 == 0x12


@dataclass(frozen=True)
class PrinterFlags:  # DLE EOT 1
    drawer_pin3: bool
    offline: bool
    waiting_for_recovery: bool
    feed_button: bool


@dataclass(frozen=True)
class OfflineCause:  # DLE EOT 2
    cover_open: bool
    feed_by_button: bool
    paper_end_stop: bool
    error: bool


@dataclass(frozen=True)
class ErrorCause:  # DLE EOT 3
    recoverable: bool
    cutter: bool
    unrecoverable: bool
    auto_recoverable: bool


@dataclass(frozen=True)
class PaperSensor:  # DLE EOT 4
    # Printers set both bits of a pair; one bit of a pair is taken as the warning/fault too,
    # since each bit is a sensor answering on its own.
    near_end: bool
    out: bool


Reply = PrinterFlags | OfflineCause | ErrorCause | PaperSensor


def parse_status(query: Query, byte: int) -> Reply | None:
    """The meaning of one reply byte to `query`, or None (unknown) if the byte is not valid.

    ValueError when `byte` is not an int in 0..255 or `query` is not a status query.
    """
    # Only ints reach Query(): its message is the repr of the value, and a deep list's recurses.
    if isinstance(query, bool) or not isinstance(query, int) or query not in _QUERY_VALUES:
        raise ValueError(f"not a status query: {_shown(query)}")
    query = Query(query)
    if isinstance(byte, bool) or not isinstance(byte, int) or not 0 <= byte <= 255:
        raise ValueError(f"status byte {_shown(byte)} is not an int in 0..255")
    if not is_valid_status_byte(byte):
        return None
    b2, b3, b5, b6 = (bool(byte & (1 << bit)) for bit in (2, 3, 5, 6))
    if query == Query.PRINTER:
        return PrinterFlags(drawer_pin3=b2, offline=b3, waiting_for_recovery=b5, feed_button=b6)
    if query == Query.OFFLINE_CAUSE:
        return OfflineCause(cover_open=b2, feed_by_button=b3, paper_end_stop=b5, error=b6)
    if query == Query.ERROR_CAUSE:
        return ErrorCause(recoverable=b2, cutter=b3, unrecoverable=b5, auto_recoverable=b6)
    return PaperSensor(near_end=b2 or b3, out=b5 or b6)


_QUERY_VALUES = frozenset(int(q) for q in Query)


def _shown(value: object) -> str:
    """A value for a message: small numbers as they are, anything else by its type (the repr
    of a huge int or a deep list raises on its own)."""
    if isinstance(value, (int, float)) and abs(value) < 1e9:
        return repr(value)
    return f"of type {type(value).__name__}"


class Paper(Enum):
    OK = "ok"
    NEAR_END = "near_end"
    OUT = "out"
    UNKNOWN = "unknown"


class Condition(Enum):
    """The one-word answer to "can it print?", worst first when several apply."""

    GONE = "gone"  # several queries in a row failed: the printer is unplugged or dead
    UNKNOWN = "unknown"  # no reply, or a reply that failed the bit check
    UNRECOVERABLE_ERROR = "unrecoverable_error"
    CUTTER_ERROR = "cutter_error"
    COVER_OPEN = "cover_open"
    PAPER_OUT = "paper_out"
    OFFLINE = "offline"
    PAPER_NEAR_END = "paper_near_end"  # prints; someone should bring paper
    READY = "ready"

    @property
    def can_print(self) -> bool:
        return self in (Condition.READY, Condition.PAPER_NEAR_END)


REASONS: dict[Condition, str] = {
    Condition.GONE: "printer not reachable (unplugged, switched off or port missing)",
    Condition.UNKNOWN: "printer status unknown (no valid answer: check cable, power, baud rate)",
    Condition.UNRECOVERABLE_ERROR: "printer reports an unrecoverable error (service needed)",
    Condition.CUTTER_ERROR: "printer reports an autocutter error",
    Condition.COVER_OPEN: "printer cover is open",
    Condition.PAPER_OUT: "printer is out of paper",
    Condition.OFFLINE: "printer is offline",
    Condition.PAPER_NEAR_END: "paper is running low",
    Condition.READY: "printer ready",
}


@dataclass(frozen=True)
class PrinterStatus:
    """What the four queries said; `known` is False when any of them got no valid reply."""

    known: bool
    online: bool = False
    cover_open: bool = False
    paper: Paper = Paper.UNKNOWN
    cutter_error: bool = False
    unrecoverable_error: bool = False
    recoverable_error: bool = False
    gone: bool = False

    @classmethod
    def unknown(cls, *, gone: bool = False) -> "PrinterStatus":
        return cls(known=False, gone=gone)

    @classmethod
    def from_replies(
        cls,
        printer: PrinterFlags,
        offline: OfflineCause,
        error: ErrorCause,
        paper: PaperSensor,
    ) -> "PrinterStatus":
        level = Paper.OUT if paper.out or offline.paper_end_stop else (
            Paper.NEAR_END if paper.near_end else Paper.OK
        )
        return cls(
            known=True,
            online=not printer.offline,
            cover_open=offline.cover_open,
            paper=level,
            cutter_error=error.cutter,
            unrecoverable_error=error.unrecoverable,
            recoverable_error=error.recoverable,
        )

    @property
    def condition(self) -> Condition:
        if self.gone:
            return Condition.GONE
        if not self.known:
            return Condition.UNKNOWN
        if self.unrecoverable_error:
            return Condition.UNRECOVERABLE_ERROR
        if self.cutter_error:
            return Condition.CUTTER_ERROR
        if self.cover_open:
            return Condition.COVER_OPEN
        if self.paper == Paper.OUT:
            return Condition.PAPER_OUT
        if not self.online:
            return Condition.OFFLINE
        if self.paper == Paper.NEAR_END:
            return Condition.PAPER_NEAR_END
        return Condition.READY


@dataclass(frozen=True)
class PrinterReadiness:
    """The answer asked before payment: may the kiosk promise a receipt?"""

    ready: bool
    reason: str
    status: PrinterStatus
    warning: str = ""

    @property
    def condition(self) -> Condition:
        return self.status.condition

    @classmethod
    def of(cls, status: PrinterStatus) -> "PrinterReadiness":
        condition = status.condition
        warning = REASONS[condition] if condition == Condition.PAPER_NEAR_END else ""
        reason = REASONS[Condition.READY] if condition.can_print else REASONS[condition]
        return cls(ready=condition.can_print, reason=reason, status=status, warning=warning)
