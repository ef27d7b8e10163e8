"""The money-safe note-taking loop: validator events -> journal, each credit committed before the next packet."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Callable

from hardware.cash import events as ev
from hardware.cash.driver import (
    CommandRefused,
    NoReply,
    PortUnavailable,
    ReplyError,
    SspValidator,
    UnitInfo,
    ValidatorError,
)
from hardware.cash.notes import Fate, NoteOutcome, NoteTracker
from kiosk.cash.ledger import CashLedger, NoteFate

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.25  # cash-essp.md §12.3: every 200-500 ms
DRAIN_POLLS = 40  # after DISABLE: polls to wait for a note still in the path
QUIET_POLLS = 3  # polls without a note in the path before a session is over


class Fault(str, Enum):
    """A validator fault, with its defined outcome (see FAULT_STOPS)."""

    REJECTED = "rejected"  # note returned (reason on screen); session goes on
    FRAUD = "fraud"  # no credit; session goes on
    JAM = "jam"  # a note whose fate is unknown: uncertain, on the slip; out of service
    STACKER_FULL = "stacker_full"
    CASHBOX_REMOVED = "cashbox_removed"
    POWER_LOSS = "power_loss"  # unit restarted; a note cleared into the cashbox is booked
    COMMS = "comms"  # lost/corrupt replies beyond the retry rule: re-synchronised
    UNPLUGGED = "unplugged"
    PROTOCOL = "protocol"  # a reply the driver cannot read
    SETUP = "setup"  # the unit's channel table does not carry the configured notes


# Faults after which the kiosk takes no more cash until an engineer has looked.
OUT_OF_SERVICE = frozenset({Fault.JAM, Fault.STACKER_FULL, Fault.CASHBOX_REMOVED,
                            Fault.UNPLUGGED, Fault.PROTOCOL, Fault.SETUP})


class EndReason(str, Enum):
    FINISHED = "finished"  # Fertig
    CANCELLED = "cancelled"  # Abbrechen (only while nothing was stacked)
    TIMEOUT = "timeout"
    MAXIMUM = "maximum"
    FAULT = "fault"


@dataclass
class Controls:
    """How the customer (screen, CLI, campaign) steers a session from another thread."""

    finish: threading.Event = field(default_factory=threading.Event)
    cancel: threading.Event = field(default_factory=threading.Event)
    # Called with the running total (cents) and the last fault after every change.
    on_change: Callable[[int, Fault | None], None] = lambda total, fault: None
    heartbeat: Callable[[], None] = lambda: None


@dataclass(frozen=True)
class SessionEnd:
    reference: str
    reason: EndReason
    total: int  # cents to credit
    faults: tuple[Fault, ...]

    @property
    def out_of_service(self) -> Fault | None:
        """The fault that takes cash out of service, if any."""
        return next((f for f in self.faults if f in OUT_OF_SERVICE), None)


def accepted_channels(info: UnitInfo, accept: set[int], currency: str) -> dict[int, int]:
    """Channel -> value in cents for the configured notes; refuses a unit that lacks one."""
    channels = info.setup.channels_for(accept, currency)
    missing = accept - {c.value for c in channels}
    if missing:
        raise SetupMismatch(f"the validator's dataset has no {currency} channel for "
                            f"{', '.join(str(v) for v in sorted(missing))}")
    return {c.number: c.value * 100 for c in channels}


class SetupMismatch(Exception):
    """The validator does not carry the notes [cash] accept names."""


def allowed(channels: dict[int, int], total: int, cap: int) -> list[int]:
    """Channels whose note keeps the total within the cap (pure)."""
    return sorted(ch for ch, value in channels.items() if total + value <= cap)


class NoteSession:
    """Takes notes for one open cash session and books each in the ledger.

    The ledger write for a credited note happens inside the poll handling, before the method
    returns to the loop that sends the next packet: a crash after the write cannot lose it,
    and the validator repeats an unanswered poll's reply, so a lost reply cannot either.
    """

    def __init__(self, unit: SspValidator, ledger: CashLedger, accept: set[int], *,
                 currency: str = "EUR", idle_timeout_s: float = 60.0,
                 poll_interval_s: float = POLL_INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.unit = unit
        self.ledger = ledger
        self.accept = set(accept)
        self.currency = currency
        self.idle_timeout_s = idle_timeout_s
        self.poll_interval_s = poll_interval_s
        self.clock = clock
        self.sleep = sleep
        self.channels: dict[int, int] = {}
        self.serial: int | None = None
        self.faults: list[Fault] = []
        self.reject_reason: str | None = None
        self._taking = False  # enabled for notes (re-enabled after a restart)

    # --- set-up --------------------------------------------------------------------------

    def prepare(self) -> UnitInfo:
        """Initialise the unit and check its channel table (before any session row)."""
        info = self.unit.initialise()
        self.channels = accepted_channels(info, self.accept, self.currency)
        self.serial = info.serial_number
        return info

    # --- the session ---------------------------------------------------------------------

    def run(self, ref: str, cap: int, controls: Controls) -> SessionEnd:
        """Enable, take notes until Fertig/timeout/maximum/fault, disable and drain."""
        self.faults = []
        tracker = NoteTracker()
        total = self.ledger.get(ref).total
        reason: EndReason | None = None
        last_activity = self.clock()
        try:
            self._taking = True
            self._enable(total, cap)
            while reason is None:
                controls.heartbeat()
                if controls.cancel.is_set() and total == 0 and not tracker.busy:
                    reason = EndReason.CANCELLED
                    break
                if controls.finish.is_set() and not tracker.busy:
                    reason = EndReason.FINISHED
                    break
                if self.clock() - last_activity >= self.idle_timeout_s and not tracker.busy:
                    reason = EndReason.TIMEOUT
                    break
                changed = self._poll_once(ref, tracker, total, cap, controls)
                if changed:
                    last_activity = self.clock()
                    new_total = self.ledger.get(ref).total
                    if new_total != total:
                        total = new_total
                        if not self._set_channels(total, cap):
                            reason = EndReason.MAXIMUM
                    controls.on_change(total, self.faults[-1] if self.faults else None)
                if any(f in OUT_OF_SERVICE for f in self.faults):
                    reason = EndReason.FAULT
                self.sleep(self.poll_interval_s)
        except ValidatorError as exc:
            self._fault(self._fault_for(exc), exc)
            reason = EndReason.FAULT
        self._taking = False
        self._finish(ref, tracker, total, cap, controls)
        total = self.ledger.get(ref).total
        if reason is EndReason.CANCELLED and total:
            reason = EndReason.FINISHED  # a note came in while cancelling: it is credited
        return SessionEnd(ref, reason, total, tuple(self.faults))

    def drain(self, ref: str, cap: int) -> int:
        """After a crash: initialise, keep the unit disabled and book what it still reports
        (a credit from the lost poll, a note cleared into the cashbox). Returns the total."""
        tracker = NoteTracker()
        try:
            self.prepare()
            self._quiet(ref, tracker, cap, Controls())
        except (ValidatorError, SetupMismatch) as exc:
            log.warning("cash session %s: validator not drained: %s", ref, exc)
            self.faults.append(Fault.UNPLUGGED if isinstance(exc, PortUnavailable)
                               else Fault.COMMS)
        return self.ledger.get(ref).total

    # --- internals -----------------------------------------------------------------------

    def _enable(self, total: int, cap: int) -> None:
        if not self._set_channels(total, cap):
            return
        self.unit.enable()

    def _set_channels(self, total: int, cap: int) -> bool:
        channels = allowed(self.channels, total, cap)
        self.unit.set_inhibits(channels)
        return bool(channels)

    def _poll_once(self, ref: str, tracker: NoteTracker, total: int, cap: int,
                   controls: Controls) -> bool:
        try:
            events = self.unit.poll()
        except NoReply as exc:
            self._fault(Fault.COMMS, exc)
            self._resync(ref, tracker, total, cap)
            return True
        except ReplyError as exc:
            self._handle(ref, tracker, exc.events, total, cap, controls)
            raise
        return self._handle(ref, tracker, events, total, cap, controls)

    def _handle(self, ref: str, tracker: NoteTracker, events: tuple[ev.PollEvent, ...],
                total: int, cap: int, controls: Controls) -> bool:
        changed = any(isinstance(e, (ev.Read, ev.Stacking, ev.Rejecting)) for e in events)
        for outcome in tracker.feed(events):
            changed = True
            self._book(ref, outcome, total, cap, controls)
        for event in events:
            if isinstance(event, ev.SlaveReset):
                self._fault(Fault.POWER_LOSS, None)
                self.prepare()  # redo protocol, inhibits and enable after a restart
                if self._taking:
                    self._enable(self.ledger.get(ref).total, cap)
                changed = True
            elif isinstance(event, ev.StackerFull):
                self._fault(Fault.STACKER_FULL, None)
            elif isinstance(event, ev.CashboxRemoved):
                self._fault(Fault.CASHBOX_REMOVED, None)
        return changed

    def _book(self, ref: str, outcome: NoteOutcome, total: int, cap: int,
              controls: Controls) -> None:
        fate, channel = outcome.fate, outcome.channel
        value = self.channels.get(channel, 0)
        if fate is Fate.IN_ESCROW:
            # The local escrow decision: the next POLL stacks it, REJECT returns it.
            if value and total + value <= cap and not controls.cancel.is_set():
                self.ledger.escrow(ref, channel, value)
            else:
                self.unit.reject()
        elif fate in (Fate.CREDITED, Fate.CLEARED_INTO_CASHBOX, Fate.UNCERTAIN):
            if not value:
                value = self.ledger.get(ref).escrow_value  # channel 0: the journaled escrow
            kind = {Fate.CREDITED: NoteFate.CREDITED, Fate.CLEARED_INTO_CASHBOX: NoteFate.CLEARED,
                    Fate.UNCERTAIN: NoteFate.UNCERTAIN}[fate]
            if value:
                self.ledger.book_note(ref, value, channel, kind, self.serial)
            else:
                log.error("cash session %s: %s note of unknown value (channel %d)", ref,
                          fate.value, channel)
            if fate is Fate.UNCERTAIN:
                self._fault(Fault.JAM, None)
        elif fate is Fate.DUPLICATE_CREDIT:
            log.warning("cash session %s: duplicate credit on channel %d ignored", ref, channel)
        elif fate is Fate.RETURNED:
            self._fault(Fault.REJECTED, None)
            try:
                self.reject_reason = str(self.unit.last_reject_code())
            except CommandRefused:
                self.reject_reason = None
        elif fate is Fate.FRAUD:
            self._fault(Fault.FRAUD, None)

    def _resync(self, ref: str, tracker: NoteTracker, total: int, cap: int) -> None:
        """No valid reply: state unknown. Synchronise again and re-initialise; a restart
        shows up as SlaveReset and cleared events in the next polls."""
        self.prepare()
        self._set_channels(self.ledger.get(ref).total, cap)
        self.unit.enable()

    def _finish(self, ref: str, tracker: NoteTracker, total: int, cap: int,
                controls: Controls) -> None:
        """DISABLE, then poll until no note is reading, held or stacking."""
        try:
            self.unit.set_inhibits(())
            self.unit.disable()
            self._quiet(ref, tracker, cap, controls)
        except ValidatorError as exc:
            self._fault(self._fault_for(exc), exc)

    def _quiet(self, ref: str, tracker: NoteTracker, cap: int, controls: Controls) -> None:
        quiet = 0
        cancel = Controls(finish=controls.finish)
        cancel.cancel.set()  # a note still arriving now is returned, not taken
        for _ in range(DRAIN_POLLS):
            controls.heartbeat()
            events = self.unit.poll()
            self._handle(ref, tracker, events, self.ledger.get(ref).total, cap, cancel)
            if tracker.busy:
                quiet = 0
            else:
                quiet += 1
                if quiet >= QUIET_POLLS:
                    return
            self.sleep(self.poll_interval_s)

    def _fault(self, fault: Fault, exc: Exception | None) -> None:
        self.faults.append(fault)
        log.warning("note validator %s: %s%s", self.unit.port, fault.value,
                    f": {exc}" if exc else "")

    @staticmethod
    def _fault_for(exc: ValidatorError) -> Fault:
        if isinstance(exc, PortUnavailable):
            return Fault.UNPLUGGED
        if isinstance(exc, ReplyError):
            return Fault.PROTOCOL
        return Fault.COMMS
