"""The driver's bytes on a real pty, with the test playing the validator byte by byte: the
sequence flag after SYNC, the identical resend after a lost, corrupt or stale reply, errors."""

from __future__ import annotations

import concurrent.futures
import os
import select
import time
import tty

import pytest

from hardware.cash import events as ev
from hardware.cash.driver import (
    CommandRefused,
    NoReply,
    NotSynchronised,
    PortUnavailable,
    ReplyError,
    SspValidator,
)

H = bytes.fromhex
OK_1 = H("7F 80 01 F0 23 80")  # OK, flag 1 (GA)
OK_0 = H("7F 00 01 F0 20 0A")  # OK, flag 0
SYNC = H("7F 80 01 11 65 82")  # GA
PROTOCOL_7 = H("7F 00 02 06 07 1E 14")
POLL_1 = H("7F 80 01 07 12 02")  # GA
CREDIT_1 = H("7F 80 04 F0 EE 01 EB B9 48")  # GA: credit channel 1, stacked


class HandSlave:
    """The far end of a pty, driven by the test: read what the host sent, answer by hand."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.port = os.ttyname(self.slave)

    def expect(self, frame: bytes, timeout: float = 5.0) -> None:
        got = b""
        deadline = time.monotonic() + timeout
        while len(got) < len(frame):
            ready, _, _ = select.select([self.master], [], [], max(deadline - time.monotonic(), 0))
            if not ready:
                break
            got += os.read(self.master, len(frame) - len(got))
        assert got.hex(" ") == frame.hex(" ")

    def answer(self, frame: bytes) -> None:
        os.write(self.master, frame)

    def close(self) -> None:
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


@pytest.fixture
def slave():
    s = HandSlave()
    yield s
    s.close()


@pytest.fixture
def host(slave):
    unit = SspValidator(slave.port, timeout=1.0, tries=3)
    yield unit
    unit.close()


def sync(host, slave, threads):
    done = threads(host.sync)
    slave.expect(SYNC)
    slave.answer(OK_1)
    done.result(5)


@pytest.fixture
def threads():
    """Runs host calls in a thread so the test can play the slave meanwhile."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    yield pool.submit
    pool.shutdown(wait=True)


def test_sync_with_flag_1_then_new_packets_alternate_from_0(host, slave, threads):
    sync(host, slave, threads)
    done = threads(host.host_protocol, 7)
    slave.expect(PROTOCOL_7)
    slave.answer(OK_0)
    assert done.result(5) is True
    polled = threads(host.poll)
    slave.expect(POLL_1)
    slave.answer(CREDIT_1)
    assert polled.result(5) == (ev.NoteCredit(1), ev.Stacked())
    assert host.exchanges == 3


def test_a_lost_reply_is_fetched_by_the_identical_packet(host, slave, threads):
    sync(host, slave, threads)
    done = threads(host.host_protocol, 7)
    slave.expect(PROTOCOL_7)
    slave.answer(OK_0)
    done.result(5)
    polled = threads(host.poll)
    slave.expect(POLL_1)  # this reply is "lost": the slave stays silent
    slave.expect(POLL_1)  # the same bytes again, same flag: the slave repeats its reply
    slave.answer(CREDIT_1)
    assert polled.result(5) == (ev.NoteCredit(1), ev.Stacked())
    assert host.resends == 1
    held = threads(host.hold)  # the flag flips only after a good reply
    slave.expect(H("7F 00 01 18 50 08"))
    slave.answer(OK_0)
    assert held.result(5) is True


def test_corrupt_and_stale_replies_are_not_answers(host, slave, threads):
    sync(host, slave, threads)
    done = threads(host.enable)
    slave.expect(H("7F 00 01 0A 3C 08"))  # ENABLE, flag 0
    slave.answer(H("7F 00 01 F0 20 0B"))  # CRC broken: dropped, there is no NAK
    slave.expect(H("7F 00 01 0A 3C 08"))  # the identical packet again
    slave.answer(OK_1)  # a stale reply with the other flag: not this packet's answer
    slave.answer(OK_0)
    done.result(5)
    assert host.crc_errors == 1 and host.resends == 1


def test_no_reply_at_all_stops_the_driver_until_sync(host, slave, threads):
    sync(host, slave, threads)
    polled = threads(host.poll)
    for _ in range(3):
        slave.expect(H("7F 00 01 07 11 88"))
    with pytest.raises(NoReply, match=rf"{slave.port}: no valid reply to POLL after 3 tries"):
        polled.result(5)
    # A new packet with the unflipped flag would fetch the old reply: the driver refuses.
    with pytest.raises(NotSynchronised, match="sync"):
        host.poll()
    sync(host, slave, threads)
    assert host.synchronised


def test_refusals_and_unreadable_replies(host, slave, threads):
    sync(host, slave, threads)
    done = threads(host.host_protocol, 8)
    slave.expect(H("7F 00 02 06 08 3C 14"))
    slave.answer(H("7F 00 01 F8 13 8A"))  # FAIL: not this version
    assert done.result(5) is False
    done = threads(host.enable)
    slave.expect(H("7F 80 01 0A 3F 82"))
    slave.answer(H("7F 80 01 FA 1F 80"))
    with pytest.raises(CommandRefused, match="encrypted .eSSP. mode") as caught:
        done.result(5)
    assert caught.value.response == 0xFA
    done = threads(host.poll)
    slave.expect(H("7F 00 01 07 11 88"))
    slave.answer(H("7F 00 04 F0 EE 03 D2 A7 44"))
    with pytest.raises(ReplyError, match="unknown poll event 0xD2") as caught:
        done.result(5)
    assert caught.value.events == (ev.NoteCredit(3),)  # the credit is not lost with the rest


def test_commands_before_sync_are_refused(host):
    with pytest.raises(NotSynchronised):
        host.enable()


def test_a_missing_port_is_named(tmp_path):
    port = str(tmp_path / "kiosk-validator")
    with pytest.raises(PortUnavailable, match=rf"note validator {port}: cannot open"):
        SspValidator(port).open()

