"""Serial shell of the SSP driver: one exchange at a time, the sequence flag and its retry rule."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import Iterable

import serial

from hardware.cash.codes import Command, RejectReason, Response, response_text
from hardware.cash.events import EventDecodeError, PollEvent, parse_events
from hardware.cash.frame import FrameDecoder, Packet, encode_packet
from hardware.cash.unit import (
    Counters,
    UnitDataError,
    UnitSetup,
    inhibit_mask,
    parse_counters,
    parse_serial_number,
    parse_setup,
)

try:
    import termios

    # pyserial lets termios.error (not an OSError) through from tcflush on a vanished tty.
    _PORT_ERRORS: tuple[type[BaseException], ...] = (
        serial.SerialException, OSError, termios.error,
    )
except ImportError:  # not on POSIX
    _PORT_ERRORS = (serial.SerialException, OSError)

log = logging.getLogger(__name__)

BAUDRATE = 9600  # SSP's rate; a baud change (0x4D) is never sent
DEFAULT_TIMEOUT = 1.0  # GA: wait 1 s for a reply, then send the same packet again
DEFAULT_TRIES = 3
PROTOCOL_VERSIONS = (7, 6)  # asked in this order; FLK and K9 run 7, KPAY and the SDK 6


class ValidatorError(Exception):
    """Anything that went wrong talking to the validator; the message names the port."""

    def __init__(self, port: str, message: str) -> None:
        super().__init__(f"note validator {port}: {message}")
        self.port = port


class PortUnavailable(ValidatorError):
    """The port cannot be opened, or vanished (unplugged, USB unit lost power or reset).

    If it vanished during an exchange the command may or may not have run: treat it like a
    power loss (sync, initialise, look for SlaveReset and the note-cleared events).
    """


class NoReply(ValidatorError):
    """No valid reply after `tries` sends of the identical packet: the unit's state is unknown.

    Events of the lost reply may be gone. The driver refuses every command but sync() from
    now on, because a new packet with an unflipped flag would fetch the old reply.
    """

    def __init__(self, port: str, message: str, *, command: int) -> None:
        super().__init__(port, message)
        self.command = command


class CommandRefused(ValidatorError):
    """The unit answered with a generic response other than OK (`response`)."""

    def __init__(self, port: str, *, command: int, response: int) -> None:
        super().__init__(port, f"{_name(command)} refused: {response_text(response)} "
                               f"(0x{response:02X})")
        self.command = command
        self.response = response


class ReplyError(ValidatorError):
    """A reply the driver cannot read (unknown poll event, wrong layout).

    For POLL, `events` holds what was decoded before the problem: any NoteCredit in it did
    happen. Go out of service for cash; the counters tell the rest.
    """

    def __init__(self, port: str, message: str, *, events: tuple[PollEvent, ...] = ()) -> None:
        super().__init__(port, message)
        self.events = events


class NotSynchronised(ValidatorError):
    """A command other than SYNC before the first sync() or after a NoReply/PortUnavailable."""


@dataclass(frozen=True)
class UnitInfo:
    """What initialise() learnt; compare `setup.channels` and `serial_number` with your own."""

    protocol_version: int
    setup: UnitSetup
    serial_number: int
    counters: Counters | None  # None when the unit does not know GET COUNTERS


class SspValidator:
    """One SSP note validator on a serial port (plain SSP, no eSSP encryption).

    Every method sends one packet and waits for its reply. A lost or corrupt reply makes the
    driver send the *identical* packet again (same sequence flag), up to `tries` times; the
    unit then repeats its last reply instead of running the command twice, so a POLL whose
    reply carried a NoteCredit is never lost and never counted twice. The flag flips only
    after a valid reply. Thread-safe: exchanges are serialised by a lock.
    """

    def __init__(self, port: str, *, address: int = 0, timeout: float = DEFAULT_TIMEOUT,
                 tries: int = DEFAULT_TRIES, baudrate: int = BAUDRATE) -> None:
        if timeout <= 0 or tries < 1:
            raise ValueError("timeout must be > 0 and tries >= 1")
        Packet(address, 0, b"")  # validates the address
        self.port = port
        self.address = address
        self.timeout = timeout
        self.tries = tries
        self.baudrate = baudrate
        self.resends = 0  # packets sent again after a lost or corrupt reply
        self.exchanges = 0  # commands answered
        self._decoder = FrameDecoder()
        self._serial: serial.Serial | None = None
        self._seq = 1
        self._synced = False
        self._lock = threading.RLock()

    @property
    def crc_errors(self) -> int:
        return self._decoder.crc_errors

    @property
    def synchronised(self) -> bool:
        return self._synced

    # --- port ----------------------------------------------------------------------------

    def open(self) -> None:
        with self._lock:
            if self._serial is not None:
                return
            try:
                self._serial = serial.Serial(
                    self.port, self.baudrate, bytesize=serial.EIGHTBITS,
                    parity=serial.PARITY_NONE, stopbits=serial.STOPBITS_TWO,
                    timeout=self.timeout, write_timeout=self.timeout, exclusive=True)
            except (*_PORT_ERRORS, ValueError) as exc:
                raise PortUnavailable(self.port, f"cannot open the port: {exc} (is the "
                                                 "validator plugged in and powered?)") from None

    def close(self) -> None:
        with self._lock:
            self._synced = False
            port, self._serial = self._serial, None
            if port is not None:
                with contextlib.suppress(*_PORT_ERRORS):
                    port.close()

    def __enter__(self) -> "SspValidator":
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- commands ------------------------------------------------------------------------

    def sync(self) -> None:
        """SYNC (sent with flag 1): starts a session; the next new packet carries flag 0."""
        with self._lock:
            self._seq = 1
            self._synced = True  # SYNC itself may go out; it is what restores the flag
            try:
                self.command(Command.SYNC)
            except ValidatorError:
                self._synced = False
                raise

    def initialise(self, versions: Iterable[int] = PROTOCOL_VERSIONS) -> UnitInfo:
        """Start-up: SYNC, the first HOST PROTOCOL VERSION accepted, SETUP REQUEST, serial
        number, counters; leaves the unit DISABLED with every channel inhibited."""
        versions = tuple(versions)
        self.sync()
        for version in versions:
            if self.host_protocol(version):
                break
        else:
            raise ValidatorError(self.port, f"refuses host protocol versions {list(versions)}")
        setup = self.setup()
        serial_number = self.serial_number()
        try:
            counters: Counters | None = self.counters()
        except CommandRefused as exc:
            if exc.response != Response.COMMAND_NOT_KNOWN:
                raise
            counters = None
        self.set_inhibits(())
        self.disable()
        return UnitInfo(version, setup, serial_number, counters)

    def host_protocol(self, version: int) -> bool:
        """False when the unit refuses the version (GA: FAIL; an NV9USB: out of range)."""
        try:
            self.command(Command.HOST_PROTOCOL_VERSION, bytes([version]))
        except CommandRefused:
            return False
        return True

    def setup(self) -> UnitSetup:
        data = self.command(Command.SETUP_REQUEST)
        try:
            return parse_setup(data)
        except UnitDataError as exc:
            raise ReplyError(self.port, str(exc)) from None

    def serial_number(self) -> int:
        try:
            return parse_serial_number(self.command(Command.GET_SERIAL_NUMBER))
        except UnitDataError as exc:
            raise ReplyError(self.port, str(exc)) from None

    def counters(self) -> Counters:
        try:
            return parse_counters(self.command(Command.GET_COUNTERS))
        except UnitDataError as exc:
            raise ReplyError(self.port, str(exc)) from None

    def reset_counters(self) -> None:
        self.command(Command.RESET_COUNTERS)

    def set_inhibits(self, channels: Iterable[int], width: int = 2) -> None:
        """Accept only these channels (1-based); every other channel is inhibited."""
        self.command(Command.SET_INHIBITS, inhibit_mask(set(channels), width))

    def enable(self) -> None:
        self.command(Command.ENABLE)

    def disable(self) -> None:
        self.command(Command.DISABLE)

    def poll(self) -> tuple[PollEvent, ...]:
        """POLL: the events since the last poll, oldest first. After a Read in escrow this
        very command accepts the note; call hold() or reject() instead to keep or refuse it."""
        return self._events(Command.POLL)

    def poll_with_ack(self) -> tuple[PollEvent, ...]:
        """POLL WITH ACK (eSSP units): events with `needs_ack` repeat until event_ack()."""
        return self._events(Command.POLL_WITH_ACK)

    def event_ack(self) -> bool:
        """EVENT ACK; False when there was nothing to acknowledge."""
        return self._optional(Command.EVENT_ACK, Response.CANNOT_PROCESS)

    def hold(self) -> bool:
        """Keep the escrow note and restart its 10 s timeout; False if none is in escrow."""
        return self._optional(Command.HOLD, Response.CANNOT_PROCESS)

    def reject(self) -> bool:
        """Give the escrow note back; False if none is in escrow."""
        return self._optional(Command.REJECT, Response.CANNOT_PROCESS)

    def display(self, on: bool) -> bool:
        """Bezel light on/off; False when the unit does not know the command (NV9USB)."""
        return self._optional(Command.DISPLAY_ON if on else Command.DISPLAY_OFF,
                              Response.COMMAND_NOT_KNOWN)

    def last_reject_code(self) -> RejectReason | int:
        data = self.command(Command.LAST_REJECT_CODE)
        if len(data) != 1:
            raise ReplyError(self.port, f"LAST REJECT CODE reply {data.hex(' ')}: 1 byte expected")
        return RejectReason.of(data[0])

    def firmware_version(self) -> str:
        return self.command(Command.GET_FIRMWARE_VERSION).decode("ascii", errors="replace")

    def dataset_version(self) -> str:
        return self.command(Command.GET_DATASET_VERSION).decode("ascii", errors="replace")

    def reset(self) -> None:
        """RESET: the unit reboots (a USB unit drops off the bus: reopen, then sync())."""
        self.command(Command.RESET)
        self._synced = False

    def command(self, command: int, params: bytes = b"") -> bytes:
        """Any command: the reply data after OK; CommandRefused for any other response."""
        with self._lock:
            reply = self._exchange(bytes([command]) + params)
        if not reply.data:
            raise ReplyError(self.port, f"empty reply to {_name(command)}")
        if reply.data[0] != Response.OK:
            raise CommandRefused(self.port, command=command, response=reply.data[0])
        return reply.data[1:]

    # --- internals -----------------------------------------------------------------------

    def _events(self, command: Command) -> tuple[PollEvent, ...]:
        data = self.command(command)
        try:
            return parse_events(data)
        except EventDecodeError as exc:
            raise ReplyError(self.port, str(exc), events=exc.events) from None

    def _optional(self, command: Command, refusal: Response) -> bool:
        try:
            self.command(command)
        except CommandRefused as exc:
            if exc.response != refusal:
                raise
            return False
        return True

    def _exchange(self, data: bytes) -> Packet:
        name = _name(data[0])
        if not self._synced:
            raise NotSynchronised(self.port, f"{name} refused by the driver: sync() first "
                                             "(new session, or after a lost reply or port)")
        self.open()
        assert self._serial is not None
        seq = self._seq
        frame = encode_packet(Packet(self.address, seq, data))
        try:
            # Whatever is waiting is a late reply to an earlier packet, never this one's.
            self._serial.reset_input_buffer()
            self._decoder.reset()
            for attempt in range(1, self.tries + 1):
                if attempt > 1:
                    self.resends += 1
                    log.warning("note validator %s: no valid reply to %s, sending the same "
                                "packet again (try %d of %d)", self.port, name, attempt,
                                self.tries)
                self._serial.write(frame)
                reply = self._read_reply(seq)
                if reply is not None:
                    self._seq ^= 1
                    self.exchanges += 1
                    return reply
        except _PORT_ERRORS as exc:
            self.close()
            raise PortUnavailable(self.port, f"port lost during {name}: {exc}; the command "
                                             "may or may not have run") from None
        self._synced = False
        raise NoReply(self.port, f"no valid reply to {name} after {self.tries} tries of "
                                 f"{self.timeout:g} s; the unit's state is unknown",
                      command=data[0])

    def _read_reply(self, seq: int) -> Packet | None:
        port = self._serial
        assert port is not None
        deadline = time.monotonic() + self.timeout
        crc_errors = self._decoder.crc_errors
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            port.timeout = left
            chunk = port.read(max(1, port.in_waiting))
            for packet in self._decoder.feed(chunk):
                if packet.address == self.address and packet.seq == seq:
                    return packet
                log.debug("note validator %s: stray packet %s ignored", self.port, packet)
            if self._decoder.crc_errors > crc_errors and not port.in_waiting:
                # The unit answered but the reply was garbled: no need to wait out the
                # timeout, the identical packet fetches the same reply again.
                return None


def _name(command: int) -> str:
    try:
        return Command(command).name.replace("_", " ")
    except ValueError:
        return f"command 0x{command:02X}"
