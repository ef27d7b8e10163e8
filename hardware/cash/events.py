"""Poll events of SSP note validators as typed values, and the total parser of a poll reply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Iterable


@dataclass(frozen=True)
class PollEvent:
    """One event in a POLL reply; `code` is its SSP byte.

    `needs_ack`: with POLL WITH ACK the unit repeats the event until EVENT ACK (eSSP units).
    """

    code: ClassVar[int]
    needs_ack: ClassVar[bool] = False

    def encode(self) -> bytes:
        return bytes([self.code])


@dataclass(frozen=True)
class ChannelEvent(PollEvent):
    """An event carrying one channel byte (0 = channel unknown, or "reading" for Read)."""

    channel: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.channel <= 0xFF:
            raise ValueError(f"channel {self.channel} out of range 0..255")

    def encode(self) -> bytes:
        return bytes([self.code, self.channel])


@dataclass(frozen=True)
class SlaveReset(PollEvent):
    """The unit (re)started: protocol version, inhibits and enable must be sent again."""

    code = 0xF1


@dataclass(frozen=True)
class Read(ChannelEvent):
    """Channel 0: a note is being read; channel > 0: that note waits in escrow."""

    code = 0xEF

    @property
    def in_escrow(self) -> bool:
        return self.channel > 0


@dataclass(frozen=True)
class Stacking(PollEvent):
    """The escrow note moves inward: not yet a credit."""

    code = 0xCC


@dataclass(frozen=True)
class NoteCredit(ChannelEvent):
    """The note passed the point of no return: the only credit point."""

    code = 0xEE
    needs_ack = True


@dataclass(frozen=True)
class Stacked(PollEvent):
    code = 0xEB


@dataclass(frozen=True)
class Rejecting(PollEvent):
    code = 0xED


@dataclass(frozen=True)
class Rejected(PollEvent):
    """The note is back at the bezel; LAST REJECT CODE tells why."""

    code = 0xEC


@dataclass(frozen=True)
class UnsafeJam(PollEvent):
    """Jammed where the customer may pull the note out."""

    code = 0xE9


@dataclass(frozen=True)
class SafeJam(PollEvent):
    """Jammed out of the customer's reach."""

    code = 0xEA


@dataclass(frozen=True)
class Disabled(PollEvent):
    code = 0xE8


@dataclass(frozen=True)
class FraudAttempt(ChannelEvent):
    """Tampering detected; no credit for that note."""

    code = 0xE6
    needs_ack = True


@dataclass(frozen=True)
class StackerFull(PollEvent):
    code = 0xE7


@dataclass(frozen=True)
class NoteClearedFromFront(ChannelEvent):
    """At power-up a note in the path went back out to the customer."""

    code = 0xE1
    needs_ack = True  # FLK acks it; GA does not say


@dataclass(frozen=True)
class NoteClearedIntoCashbox(ChannelEvent):
    """At power-up a note in the path went into the cashbox without a credit: money taken."""

    code = 0xE2
    needs_ack = True


@dataclass(frozen=True)
class CashboxRemoved(PollEvent):
    code = 0xE3


@dataclass(frozen=True)
class CashboxReplaced(PollEvent):
    code = 0xE4


@dataclass(frozen=True)
class NotePathOpen(PollEvent):
    code = 0xE0


@dataclass(frozen=True)
class ChannelDisable(PollEvent):
    """Enabled, but every channel inhibited (protocol >= 7)."""

    code = 0xB5


@dataclass(frozen=True)
class Initialising(PollEvent):
    """Power-up still in progress (POLL WITH ACK replies only)."""

    code = 0xB6


EVENT_TYPES: dict[int, type[PollEvent]] = {
    cls.code: cls
    for cls in (SlaveReset, Read, Stacking, NoteCredit, Stacked, Rejecting, Rejected, UnsafeJam,
                SafeJam, Disabled, FraudAttempt, StackerFull, NoteClearedFromFront,
                NoteClearedIntoCashbox, CashboxRemoved, CashboxReplaced, NotePathOpen,
                ChannelDisable, Initialising)
}


class EventDecodeError(ValueError):
    """A poll reply that cannot be read to its end: an unknown event code (its length is
    unknown, so nothing after it can be trusted) or an event cut short. `events` holds the
    events decoded before `offset`; the caller should go out of service for cash."""

    def __init__(self, message: str, *, offset: int, events: tuple[PollEvent, ...]) -> None:
        super().__init__(message)
        self.offset = offset
        self.events = events


def parse_events(data: bytes) -> tuple[PollEvent, ...]:
    """The events of a poll reply's data (the bytes after the generic OK), oldest first.

    Total: returns the events or raises EventDecodeError, for any input.
    """
    events: list[PollEvent] = []
    offset = 0
    while offset < len(data):
        code = data[offset]
        cls = EVENT_TYPES.get(code)
        if cls is None:
            raise EventDecodeError(
                f"unknown poll event 0x{code:02X} at byte {offset} of {data.hex(' ')}",
                offset=offset, events=tuple(events))
        if issubclass(cls, ChannelEvent):
            if offset + 1 >= len(data):
                raise EventDecodeError(
                    f"poll event {cls.__name__} (0x{code:02X}) lacks its channel byte",
                    offset=offset, events=tuple(events))
            events.append(cls(data[offset + 1]))
            offset += 2
        else:
            events.append(cls())
            offset += 1
    return tuple(events)


def encode_events(events: Iterable[PollEvent]) -> bytes:
    return b"".join(event.encode() for event in events)
