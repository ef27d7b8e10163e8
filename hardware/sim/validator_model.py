"""The virtual note validator's behaviour (pure): SSP commands in, replies out, a note model
(inserted -> read -> escrow -> stack -> credit, or reject) and the cashbox ledger."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from typing import Callable

from hardware.cash.codes import Command, RejectReason, Response
from hardware.cash.events import (
    CashboxRemoved,
    CashboxReplaced,
    ChannelDisable,
    Disabled,
    FraudAttempt,
    NoteClearedFromFront,
    NoteClearedIntoCashbox,
    NoteCredit,
    PollEvent,
    Read,
    Rejected,
    Rejecting,
    SafeJam,
    SlaveReset,
    Stacked,
    StackerFull,
    Stacking,
    UnsafeJam,
    encode_events,
)
from hardware.cash.frame import Packet
from hardware.cash.unit import Counters, UnitSetup, encode_setup

EURO_NOTES = (5, 10, 20, 50, 100, 200)  # channel 1..6; 500 € does not fit a channel byte
DEFAULT_CAPACITY = 600  # notes: an NV9 USB+ cashbox holds about that many


class NoteFault(Enum):
    """What happens to the next inserted note (faults queue up, one per note)."""

    REJECT = "reject"  # read and returned, with a reject reason
    FRAUD = "fraud"  # fraud attempt: no credit, the note goes back out
    SAFE_JAM = "safe_jam"  # jams out of reach while stacking, before any credit
    UNSAFE_JAM = "unsafe_jam"  # jams where the customer can pull it out, before any credit
    POWER_LOSS = "power_loss"  # power fails while stacking; at power-up it is cleared
    # into the cashbox without a credit ("note cleared into cashbox")


class Stage(Enum):
    READING = "reading"  # next poll reports Read(0)
    READ = "read"  # next poll reports the verdict: escrow, rejecting or fraud
    ESCROW = "escrow"  # waiting for the host: POLL stacks, REJECT returns, HOLD keeps
    STACKING = "stacking"
    RETURN = "return"  # rejected (by the host, by timeout): next poll reports Rejecting
    REJECTING = "rejecting"
    JAMMED = "jammed"


@dataclass
class _Note:
    value: int
    channel: int  # 0 when the dataset has no channel for the value
    fault: NoteFault | None
    reason: RejectReason
    stage: Stage = Stage.READING
    since: float = 0.0  # when it entered escrow (or was last held)


@dataclass
class _Unit:
    """What a power cycle resets."""

    enabled: bool = False
    accepted: int = 0  # inhibit mask: bit n-1 = channel n accepted
    protocol: int = 6
    last_seq: int | None = None  # flag of the last executed packet
    last_reply: bytes | None = None
    display: bool = True
    pending: list[PollEvent] = field(default_factory=list)  # one-shot events for the next poll
    unacked: list[PollEvent] = field(default_factory=list)  # POLL WITH ACK events not yet acked


class ValidatorModel:
    """A note validator as a state machine; `handle()` is its SSP slave side.

    The truth the fault campaign checks against: `cashbox` (notes in the cashbox by value,
    since `empty_cashbox()`), `credited` (values the unit reported with NoteCredit) and
    `uncredited` (values that reached the cashbox without a NoteCredit).
    """

    def __init__(
        self,
        *,
        address: int = 0,
        notes: tuple[int, ...] = EURO_NOTES,
        serial_number: int = 12_345_678,
        max_protocol: int = 7,
        capacity: int = DEFAULT_CAPACITY,
        escrow_timeout_s: float = 10.0,
        has_display: bool = True,
        has_poll_with_ack: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.address = address
        self.notes = notes
        self.serial = serial_number
        self.max_protocol = max_protocol
        self.capacity = capacity
        self.escrow_timeout_s = escrow_timeout_s
        self.has_display = has_display
        self.has_poll_with_ack = has_poll_with_ack
        self.clock = clock
        self.cashbox: Counter[int] = Counter()
        self.credited: list[int] = []
        self.uncredited: list[int] = []
        self.returned: list[int] = []  # notes given back to the customer
        self.counters = Counters(0, 0, 0, 0, 0)
        self.note_faults: list[tuple[NoteFault, RejectReason]] = []
        self.stacker_full = False
        self.cashbox_removed = False
        self.powered = True
        self.off_packets: int | None = None  # packets swallowed before power returns
        # After a POWER_LOSS note fault: host packets lost, after the one the power failed
        # in, before power returns by itself (None: it stays off until power_on()).
        self.power_returns_after: int | None = 0
        self.executed: Counter[int] = Counter()  # commands run (not repeats), by code
        self.repeats = 0  # packets answered with the last reply (same sequence flag)
        self.last_reject = RejectReason.ACCEPTED
        self._note: _Note | None = None
        self._unit = _Unit()

    # --- the customer and the operator -------------------------------------------------

    @property
    def note_stage(self) -> Stage | None:
        return self._note.stage if self._note else None

    def insert_note(self, value: int) -> bool:
        """A customer pushes a note in; False when the unit does not draw it in (disabled,
        off, full, cashbox out, or busy with a note)."""
        if (not self.powered or not self._unit.enabled or self.stacker_full
                or self.cashbox_removed or self._note is not None):
            return False
        channel = self.notes.index(value) + 1 if value in self.notes else 0
        refusal = None
        if channel == 0:
            refusal = RejectReason.NOT_RECOGNISED
        elif not self._unit.accepted & (1 << (channel - 1)):
            refusal = RejectReason.INHIBITED_BY_HOST
        fault, reason = None, RejectReason.ACCEPTED
        # A jam or power-loss fault waits for a note that gets as far as stacking.
        if self.note_faults and (refusal is None or self.note_faults[0][0] in (
                NoteFault.REJECT, NoteFault.FRAUD)):
            fault, reason = self.note_faults.pop(0)
        elif refusal is not None:
            fault, reason = NoteFault.REJECT, refusal
        self._note = _Note(value, channel, fault, reason)
        return True

    def add_note_fault(self, fault: NoteFault,
                       reason: RejectReason = RejectReason.NOT_RECOGNISED) -> None:
        """The next inserted note without a fault gets this one (`reason` for REJECT)."""
        self.note_faults.append((fault, reason))

    def clear_jam(self, into_cashbox: bool | None = None) -> str:
        """An engineer clears a jam; a safe jam goes into the cashbox and an unsafe one back
        out unless told otherwise. Either way no NoteCredit is reported for it."""
        note = self._note
        if note is None or note.stage is not Stage.JAMMED:
            raise RuntimeError("no jammed note to clear")
        if into_cashbox is None:
            into_cashbox = note.fault is NoteFault.SAFE_JAM
        self._note = None
        if into_cashbox:
            self._to_cashbox(note.value, credited=False)
            return "cashbox"
        self.returned.append(note.value)
        return "front"

    def set_cashbox_removed(self, removed: bool) -> None:
        if self.cashbox_removed and not removed:
            self._unit.pending.append(CashboxReplaced())
        self.cashbox_removed = removed

    def empty_cashbox(self) -> dict[int, int]:
        """Take the notes out (the count for the report); the stacker is no longer full."""
        counted = dict(self.cashbox)
        self.cashbox.clear()
        self.stacker_full = False
        return counted

    def power_off(self, off_packets: int | None = None) -> None:
        """Power fails; with `off_packets` it returns by itself after that many lost packets."""
        self.powered = False
        self.off_packets = off_packets

    def power_on(self) -> None:
        """Power returns: the unit starts disabled and inhibited and reports SlaveReset; a
        note caught in the path is cleared into the cashbox (no credit) or out of the front."""
        self.powered = True
        self.off_packets = None
        cleared: list[PollEvent] = []
        note = self._note
        self._note = None
        if note is not None and note.stage in (Stage.STACKING, Stage.JAMMED) \
                and note.fault is not NoteFault.UNSAFE_JAM:
            self._to_cashbox(note.value, credited=False)
            cleared.append(NoteClearedIntoCashbox(note.channel))
        elif note is not None:
            self.returned.append(note.value)
            known = note.stage is not Stage.READING
            cleared.append(NoteClearedFromFront(note.channel if known else 0))
        self._unit = _Unit(display=self.has_display)
        self._unit.pending = [SlaveReset(), *cleared]

    # --- SSP -----------------------------------------------------------------------------

    def handle(self, packet: Packet) -> Packet | None:
        """The reply to a host packet, or None when the unit stays silent."""
        if packet.address != self.address:
            return None
        if not self.powered:
            if self.off_packets is None or self.off_packets > 0:
                if self.off_packets is not None:
                    self.off_packets -= 1
                return None  # lost: nobody is listening
            self.power_on()  # back in time for this packet
        unit = self._unit
        command = packet.data[0] if packet.data else -1
        if command == Command.SYNC:
            unit.last_seq = None
        elif packet.seq == unit.last_seq and unit.last_reply is not None:
            # A retransmission: the reply got lost, so send it again; do not run it twice.
            self.repeats += 1
            return Packet(self.address, packet.seq, unit.last_reply)
        self.executed[command] += 1
        reply = self._execute(command, packet.data[1:])
        if not self.powered:
            return None  # the power failed while running this command
        # After SYNC the next new packet carries flag 0, so remember flag 1 as the last.
        unit.last_seq = 1 if command == Command.SYNC else packet.seq
        unit.last_reply = reply
        return Packet(self.address, packet.seq, reply)

    def _execute(self, command: int, params: bytes) -> bytes:
        ok = bytes([Response.OK])
        unit, note = self._unit, self._note
        if command not in (Command.POLL, Command.POLL_WITH_ACK):
            self._check_escrow_timeout()
            if note is not None and note.stage is Stage.ESCROW:
                note.since = self.clock()  # any other command keeps the note (GA "Hold")
        simple: dict[int, Callable[[], bytes | None]] = {
            Command.SYNC: lambda: None,
            Command.ENABLE: self._enable,
            Command.DISABLE: lambda: setattr(unit, "enabled", False),
            Command.SETUP_REQUEST: lambda: encode_setup(self.setup()),
            Command.GET_SERIAL_NUMBER: lambda: self.serial.to_bytes(4, "big"),
            Command.LAST_REJECT_CODE: lambda: bytes([self.last_reject]),
            Command.GET_FIRMWARE_VERSION: lambda: b"NV02004141498000",
            Command.GET_DATASET_VERSION: lambda: b"EUR01610",
            Command.GET_COUNTERS: lambda: self.counters.encode(),
            Command.RESET_COUNTERS: self._reset_counters,
            Command.RESET: lambda: self.power_on(),
            Command.POLL: lambda: encode_events(self._poll()),
        }
        if command in simple:
            if params:
                return bytes([Response.WRONG_PARAMETERS])
            return ok + (simple[command]() or b"")
        if command == Command.HOST_PROTOCOL_VERSION:
            if len(params) != 1:
                return bytes([Response.WRONG_PARAMETERS])
            if not 4 <= params[0] <= self.max_protocol:
                return bytes([Response.FAIL])
            unit.protocol = params[0]
            return ok
        if command == Command.SET_INHIBITS:
            if not 1 <= len(params) <= 3:
                return bytes([Response.WRONG_PARAMETERS])
            unit.accepted = int.from_bytes(params, "little")
            return ok
        if command in (Command.HOLD, Command.REJECT):
            if note is None or note.stage is not Stage.ESCROW:
                return bytes([Response.CANNOT_PROCESS])
            if command == Command.REJECT:
                note.stage, note.reason = Stage.RETURN, RejectReason.REJECTED_BY_HOST
            return ok
        if command in (Command.DISPLAY_ON, Command.DISPLAY_OFF) and self.has_display:
            unit.display = command == Command.DISPLAY_ON
            return ok
        if command in (Command.POLL_WITH_ACK, Command.EVENT_ACK) and self.has_poll_with_ack:
            return self._poll_with_ack() if command == Command.POLL_WITH_ACK else self._ack()
        return bytes([Response.COMMAND_NOT_KNOWN])

    def setup(self) -> UnitSetup:
        """The SETUP REQUEST reply at the protocol version in force."""
        expanded = self._unit.protocol >= 6
        return UnitSetup(
            unit_type=0, firmware="0420", country="EUR", value_multiplier=1,
            channel_bytes=self.notes, real_value_multiplier=100,
            protocol_version=self._unit.protocol,
            channel_countries=("EUR",) * len(self.notes) if expanded else (),
            expanded_values=self.notes if expanded else ())

    # --- internals -----------------------------------------------------------------------

    def _enable(self) -> None:
        self._unit.enabled = True
        if self._unit.accepted == 0 and self._unit.protocol >= 7:
            self._unit.pending.append(ChannelDisable())

    def _reset_counters(self) -> None:
        self.counters = Counters(0, 0, 0, 0, 0)

    def _poll_with_ack(self) -> bytes:
        unit = self._unit
        if unit.unacked:
            # Until EVENT ACK the same events come back and no note moves on.
            return bytes([Response.OK]) + encode_events(unit.unacked)
        events = self._poll()
        unit.unacked = [e for e in events if e.needs_ack]
        return bytes([Response.OK]) + encode_events(events)

    def _ack(self) -> bytes:
        if not self._unit.unacked:
            return bytes([Response.CANNOT_PROCESS])
        self._unit.unacked = []
        return bytes([Response.OK])

    def _check_escrow_timeout(self) -> None:
        note = self._note
        if note is not None and note.stage is Stage.ESCROW \
                and self.clock() - note.since >= self.escrow_timeout_s:
            note.stage, note.reason = Stage.RETURN, RejectReason.ESCROW_TIMEOUT

    def _poll(self) -> list[PollEvent]:
        unit = self._unit
        events, unit.pending = unit.pending, []
        if self.cashbox_removed:
            events.append(CashboxRemoved())
        self._check_escrow_timeout()
        note = self._note
        if note is not None:
            events += self._advance(note)
            if not self.powered:
                return []
        if self.stacker_full:
            events.append(StackerFull())
        if not unit.enabled:
            events.append(Disabled())
        return events

    def _advance(self, note: _Note) -> list[PollEvent]:
        """One poll's worth of progress of the note in the path (POLL = accept in escrow)."""
        stage = note.stage
        if stage is Stage.READING:
            note.stage = Stage.READ
            return [Read(0)]
        if stage is Stage.READ:
            if note.fault is NoteFault.FRAUD:
                self._note = None
                self.returned.append(note.value)
                return [FraudAttempt(note.channel)]
            if note.fault is not NoteFault.REJECT:
                note.stage, note.since = Stage.ESCROW, self.clock()
                return [Read(note.channel)]
        if stage in (Stage.READ, Stage.RETURN):
            note.stage = Stage.REJECTING
            return [Rejecting()]
        if stage is Stage.ESCROW:
            note.stage = Stage.STACKING
            return [Stacking()]
        if stage is Stage.STACKING:
            if note.fault in (NoteFault.SAFE_JAM, NoteFault.UNSAFE_JAM):
                note.stage = Stage.JAMMED
                return [self._jam_event(note)]
            if note.fault is NoteFault.POWER_LOSS:
                self.power_off(self.power_returns_after)
                return []
            self._note = None
            self._to_cashbox(note.value, credited=True)
            return [NoteCredit(note.channel), Stacked()]
        if stage is Stage.REJECTING:
            self._note = None
            self.returned.append(note.value)
            self.last_reject = note.reason
            self.counters = _bump(self.counters, rejected=1)
            return [Rejected()]
        return [self._jam_event(note)]  # JAMMED: reported while it lasts

    @staticmethod
    def _jam_event(note: _Note) -> PollEvent:
        return SafeJam() if note.fault is NoteFault.SAFE_JAM else UnsafeJam()

    def _to_cashbox(self, value: int, *, credited: bool) -> None:
        self.cashbox[value] += 1
        (self.credited if credited else self.uncredited).append(value)
        self.counters = _bump(self.counters, stacked=1)
        if sum(self.cashbox.values()) >= self.capacity:
            self.stacker_full = True
            self._unit.enabled = False  # a full unit takes no more notes


def _bump(counters: Counters, **add: int) -> Counters:
    values = {k: getattr(counters, k) + add.get(k, 0) for k in counters.__dataclass_fields__}
    return Counters(**values)
