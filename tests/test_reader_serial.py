"""The serial-mode reader over a real pseudo-terminal with real pyserial: lines, gaps, unplug."""

from __future__ import annotations

import logging
import re
import time

import pytest
import serial

from hardware.reader.events import CardScanned, ReaderStatus, RejectReason, ScanRejected
from hardware.reader.serial_reader import SerialReader
from hardware.sim.serial_scanner import SerialScannerSim
from tests.fixtures.reader import CARD, FAST, OTHER_CARD, EventSink, wait_until


@pytest.fixture
def make_reader(serial_scanner: SerialScannerSim, sink: EventSink):
    readers: list[SerialReader] = []

    def make(**kw) -> SerialReader:
        reader = SerialReader(sink, **{**FAST, "port": str(serial_scanner.path), **kw})
        readers.append(reader)
        reader.start()
        return reader

    yield make
    for reader in readers:
        reader.stop()


@pytest.mark.parametrize("suffix", ["\r", "\n", "\r\n"])
def test_cr_lf_and_crlf_lines_are_scans(make_reader, serial_scanner, sink, suffix):
    make_reader()
    assert sink.status() == ReaderStatus(True, str(serial_scanner.path), "")
    serial_scanner.scan(CARD, suffix)
    serial_scanner.scan(OTHER_CARD, suffix + suffix)  # a double suffix is still one scan
    serial_scanner.scan("9276000000000007", suffix)
    assert [sink.next_scan() for _ in range(3)] == [
        CardScanned(CARD), CardScanned(OTHER_CARD), CardScanned("9276000000000007")
    ]
    sink.expect_nothing()


def test_lines_get_the_same_validation_as_keys(make_reader, serial_scanner, sink):
    make_reader()
    sink.status()
    for text in ("9276a04429942845", "1234004429942845", "92760044", CARD + "0", CARD, CARD,
                 "\x1b[A" + CARD):
        serial_scanner.scan(text)
    assert [sink.next_scan() for _ in range(7)] == [
        ScanRejected(RejectReason.NON_DIGIT, 15),
        ScanRejected(RejectReason.WRONG_PREFIX, 16),
        ScanRejected(RejectReason.TOO_SHORT, 8),
        ScanRejected(RejectReason.TOO_LONG, 17),
        CardScanned(CARD),
        ScanRejected(RejectReason.DUPLICATE, 16),
        ScanRejected(RejectReason.NON_DIGIT, 16),
    ]


def test_a_line_broken_off_by_silence_is_rejected_after_the_gap(make_reader, serial_scanner, sink):
    make_reader()
    sink.status()
    serial_scanner.send(CARD[:10].encode())
    assert sink.next_scan() == ScanRejected(RejectReason.GAP_TIMEOUT, 10)
    serial_scanner.scan(CARD)
    assert sink.next_scan() == CardScanned(CARD)


def test_bytes_from_before_the_reader_listened_are_no_scan(serial_scanner, sink, make_reader):
    serial_scanner.scan(OTHER_CARD)
    make_reader()
    sink.status()
    serial_scanner.scan(CARD)
    assert sink.next_scan() == CardScanned(CARD)


def test_unplug_and_replug_of_the_port_is_survived(serial_scanner, sink):
    opens: list[str] = []

    def counting_serial(*args, **kw):
        opens.append(args[0])
        return serial.Serial(*args, **kw)

    reader = SerialReader(sink, port=str(serial_scanner.path), serial_factory=counting_serial,
                          **FAST)
    with reader:
        assert sink.status().connected
        serial_scanner.scan(CARD)
        assert sink.next_scan() == CardScanned(CARD)

        serial_scanner.unplug()  # the pty hangs up and its path disappears
        status = sink.status()
        assert not status.connected and "disconnected" in status.reason
        assert sink.status() == ReaderStatus(
            False, str(serial_scanner.path), "not connected (device not found)")
        before, started = len(opens), time.monotonic()
        time.sleep(0.3)  # a disconnected period to observe, not a synchronisation
        # A loaded machine may not have run the thread in that time: at least one attempt
        # shows that it keeps trying.
        wait_until(lambda: len(opens) > before)
        attempts = len(opens) - before
        assert 1 <= attempts <= 2 + (time.monotonic() - started) / FAST["backoff_initial"]
        sink.expect_nothing()  # one status change, not one per attempt

        serial_scanner.plug()  # a new pty behind the same path
        assert sink.status().connected
        serial_scanner.scan(OTHER_CARD)
        assert sink.next_scan() == CardScanned(OTHER_CARD)
    assert not reader._thread.is_alive()


def test_a_missing_port_at_start_is_reported_then_found(tmp_path, sink):
    sim = SerialScannerSim(tmp_path / "later")
    sim.unplug()
    with SerialReader(sink, port=str(sim.path), **FAST):
        status = sink.status()
        assert not status.connected and "not found" in status.reason
        sim.plug()
        assert sink.status().connected
        sim.scan(CARD, "\n")
        assert sink.next_scan() == CardScanned(CARD)
    sim.close()


def test_the_port_is_held_exclusively(make_reader, serial_scanner, sink):
    make_reader()
    assert sink.status().connected
    second = EventSink()
    with SerialReader(second, port=str(serial_scanner.path), **FAST):
        status = second.status()
        assert not status.connected and "busy" in status.reason


def test_scanned_digits_never_reach_the_log(make_reader, serial_scanner, sink, caplog):
    caplog.set_level(logging.DEBUG)
    make_reader()
    sink.status()
    for text in (CARD, CARD, CARD + "1", "1234" + CARD[4:]):
        serial_scanner.scan(text)
    serial_scanner.send(OTHER_CARD[:12].encode())
    for _ in range(5):
        sink.next_scan()
    text = caplog.text.replace(str(serial_scanner.path), "")
    assert "card scanned (16 digits)" in text
    assert not re.search(r"\d{4}", text), text


def test_a_reader_needs_a_port():
    with pytest.raises(ValueError):
        SerialReader(lambda event: None, port="")


def test_a_half_line_at_unplug_is_not_glued_to_the_first_line_after_replug(
        make_reader, serial_scanner, sink):
    # A long gap, so that only forgetting the half line at unplug keeps the halves apart.
    reader = make_reader(gap_timeout=30)
    sink.status()
    serial_scanner.send(CARD[:6].encode())
    wait_until(lambda: reader.decoder.timeout_at() is not None)
    serial_scanner.unplug()
    assert not sink.status().connected
    serial_scanner.plug()
    while not sink.status().connected:
        pass  # "disconnected", then possibly "not found" before the new pty is there
    serial_scanner.scan(CARD[6:])
    assert sink.next_scan() == ScanRejected(RejectReason.TOO_SHORT, 10)
