"""Follows poll events note by note (pure): what needs a decision, what was credited once,
what is uncertain, so the cash session books from outcomes instead of raw events."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Iterable

from hardware.cash import events as ev


class Fate(Enum):
    IN_ESCROW = "in_escrow"  # decide now: the next POLL stacks it; hold() or reject()
    CREDITED = "credited"  # book it before the next packet goes to the validator
    DUPLICATE_CREDIT = "duplicate_credit"  # a second credit with no note read since: log only
    RETURNED = "returned"  # back at the bezel (rejected, or cleared out of the front)
    FRAUD = "fraud"  # tampering: no credit
    UNCERTAIN = "uncertain"  # jammed before any credit: fate unknown, goes on the slip
    CLEARED_INTO_CASHBOX = "cleared_into_cashbox"  # at power-up, into the cashbox, no credit


@dataclass(frozen=True)
class NoteOutcome:
    fate: Fate
    channel: int  # 0 = the unit did not say and no escrow channel was seen


class Stage(Enum):
    IDLE = "idle"
    READING = "reading"
    ESCROW = "escrow"
    STACKING = "stacking"
    REJECTING = "rejecting"
    JAMMED = "jammed"


class NoteTracker:
    """Feed it every poll's events in order; it returns what happened to notes.

    One credit per note: a NoteCredit with no note in escrow since the last credit is a
    DUPLICATE_CREDIT. A fresh tracker books its first credit (after a restart the kiosk
    cannot know the read that came before). A channel 0 in a cleared event is filled in from
    the note that was in the path. An UNCERTAIN note may later be settled by a cleared event
    after a power-up; that is for the caller to match.
    """

    def __init__(self) -> None:
        self.stage = Stage.IDLE
        self.channel = 0  # the note in the path: 0 while it is being read
        self._credited_since_escrow = False
        self._jam_reported = False

    @property
    def busy(self) -> bool:
        """A note is in the path: keep polling before ending a session."""
        return self.stage is not Stage.IDLE

    def feed(self, events: Iterable[ev.PollEvent]) -> list[NoteOutcome]:
        """One poll reply's events, in order."""
        events = tuple(events)
        if self.stage is Stage.JAMMED and not any(
                isinstance(e, (ev.SafeJam, ev.UnsafeJam)) for e in events):
            self.stage = Stage.IDLE  # the jam was cleared; where the note went stays unknown
        outcomes: list[NoteOutcome] = []
        for event in events:
            outcome = self._one(event)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def _one(self, event: ev.PollEvent) -> NoteOutcome | None:
        if isinstance(event, ev.Read):
            if not event.in_escrow:
                self.stage, self.channel = Stage.READING, 0
                return None
            first = self.stage is not Stage.ESCROW or self.channel != event.channel
            self.stage, self.channel = Stage.ESCROW, event.channel
            self._credited_since_escrow = False
            self._jam_reported = False
            return NoteOutcome(Fate.IN_ESCROW, event.channel) if first else None
        if isinstance(event, ev.Stacking):
            self.stage = Stage.STACKING
        elif isinstance(event, ev.NoteCredit):
            self.stage = Stage.STACKING  # Stacked follows
            if self._credited_since_escrow:
                return NoteOutcome(Fate.DUPLICATE_CREDIT, event.channel)
            self._credited_since_escrow = True
            return NoteOutcome(Fate.CREDITED, event.channel)
        elif isinstance(event, (ev.Stacked, ev.SlaveReset)):
            self.stage = Stage.IDLE
        elif isinstance(event, ev.Rejecting):
            self.stage = Stage.REJECTING
        elif isinstance(event, ev.Rejected):
            self.stage = Stage.IDLE
            return NoteOutcome(Fate.RETURNED, self.channel)
        elif isinstance(event, (ev.SafeJam, ev.UnsafeJam)):
            return self._jam()
        elif isinstance(event, ev.FraudAttempt):
            self.stage = Stage.IDLE
            return NoteOutcome(Fate.FRAUD, event.channel)
        elif isinstance(event, (ev.NoteClearedIntoCashbox, ev.NoteClearedFromFront)):
            self.stage = Stage.IDLE
            fate = Fate.CLEARED_INTO_CASHBOX if isinstance(event, ev.NoteClearedIntoCashbox) \
                else Fate.RETURNED
            return NoteOutcome(fate, event.channel or self.channel)  # a jammed note's channel
        return None

    def _jam(self) -> NoteOutcome | None:
        self.stage = Stage.JAMMED
        if self._jam_reported or self._credited_since_escrow:
            return None  # reported once; a jam after the credit costs no money
        self._jam_reported = True
        return NoteOutcome(Fate.UNCERTAIN, self.channel)
