"""The evdev reader against the virtual scanner: grab, drain, gap on silence, unplug and replug."""

from __future__ import annotations

import errno
import logging
import re
import time

import pytest
from evdev import InputEvent
from evdev import ecodes as e
from evdev.eventio import EventIO

from hardware.reader.evdev_reader import EvdevReader
from hardware.reader.events import CardScanned, ReaderStatus, RejectReason, ScanRejected
from hardware.sim.scanner import (
    SCANNER_KEYS,
    DeviceSpec,
    FakeInputDevice,
    VirtualScanner,
)
from tests.fixtures.reader import CARD, FAST, OTHER_CARD, EventSink, wait_until


@pytest.fixture
def make_reader(scanner: VirtualScanner, sink: EventSink):
    readers: list[EvdevReader] = []

    def make(scanner: VirtualScanner = scanner, **kw) -> EvdevReader:
        options = {**FAST, "path": scanner.path, "open_device": scanner.open_device,
                   "list_devices": scanner.list_devices, **kw}
        reader = EvdevReader(sink, **options)
        readers.append(reader)
        reader.start()
        return reader

    yield make
    for reader in readers:
        reader.stop()


def test_a_scan_reaches_the_callback(make_reader, scanner, sink):
    make_reader()
    assert sink.status() == ReaderStatus(True, scanner.path, "")
    scanner.scan(CARD, suffix="\r\n")
    scanner.scan(OTHER_CARD, keypad=True, enter=e.KEY_KPENTER)
    assert sink.next_scan() == CardScanned(CARD)
    assert sink.next_scan() == CardScanned(OTHER_CARD)
    scanner.scan("")  # a lone terminator: no event; the next scan proves the reader is past it
    scanner.scan(CARD[:-1] + "9")
    assert sink.next_scan() == CardScanned(CARD[:-1] + "9")


# Pitfall: without an exclusive grab the keystrokes also reach the console / getty / X.
def test_the_device_is_grabbed_while_open_and_released_on_stop(make_reader, scanner, sink):
    reader = make_reader()
    sink.status()
    device = scanner.device
    assert device.grabbed
    reader.stop()
    assert device.closed and not device.grabbed
    assert not reader._thread.is_alive()  # stop() woke the poll at once: no key was needed


def test_a_device_grabbed_by_another_program_is_not_read(make_reader, scanner, sink):
    scanner.grab_error = errno.EBUSY
    make_reader()
    status = sink.status()
    assert not status.connected and "busy" in status.reason
    refused = list(scanner.opened)
    scanner.grab_error = None  # the other program let go
    assert sink.status().connected
    assert refused and all(d.closed and d.read_log == [] for d in refused)


# Pitfall: device paths change across reboots — open by by-id path or by name match.
def test_open_by_name_match_skips_other_devices(make_reader, sink):
    scanner = VirtualScanner(
        name="Virtual Barcode Scanner Keyboard",
        path="/dev/input/event7",
        others=[
            DeviceSpec("/dev/input/event0", "Power Button", (e.KEY_POWER,)),
            # a scanner's second interface: matching name, but it cannot type digits
            DeviceSpec("/dev/input/event3", "Virtual Barcode Scanner Consumer Control",
                       (e.KEY_VOLUMEUP, e.KEY_MUTE)),
            DeviceSpec("/dev/input/event5", "AT Translated Set 2 keyboard",
                       tuple(range(e.KEY_ESC, e.KEY_KPDOT + 1))),
        ],
    )
    reader = make_reader(scanner, path="", name_match="barcode scanner")
    assert sink.status() == ReaderStatus(True, reader.device, "")
    assert scanner.device.grabbed and scanner.device.path == "/dev/input/event7"
    assert all(d.closed and not d.grabbed for d in scanner.others_opened)
    scanner.scan(CARD)
    assert sink.next_scan() == CardScanned(CARD)


def test_no_matching_device_is_reported_and_found_once_plugged(make_reader, sink):
    scanner = VirtualScanner(others=[DeviceSpec("/dev/input/event0", "Power Button",
                                                (e.KEY_POWER,))])
    scanner.unplug()
    make_reader(scanner, path="", name_match="Barcode")
    status = sink.status()
    assert not status.connected and "no input device named *Barcode*" in status.reason
    assert "'input' group" in status.reason
    scanner.replug()
    assert sink.status().connected


def test_permission_denied_names_the_input_group(make_reader, sink):
    def no_permission(path: str):
        raise PermissionError(errno.EACCES, "Permission denied", path)

    make_reader(open_device=no_permission)
    status = sink.status()
    assert not status.connected and "'input' group" in status.reason


# Pitfall: unplug raises ENODEV; a dead fd left in select() spins one core.
def test_unplug_and_replug_is_survived_without_spinning(make_reader, scanner, sink):
    reader = make_reader()
    assert sink.status().connected
    scanner.scan(CARD)
    assert sink.next_scan() == CardScanned(CARD)
    old = scanner.device
    reads_before = len(old.read_log)

    scanner.unplug()
    status = sink.status()
    assert not status.connected and "not connected" in status.reason
    # The dead fd is closed, not polled again (the close follows the report, in the thread).
    wait_until(lambda: old.closed)
    reads_at_unplug = len(old.read_log)
    # The read that said ENODEV (and perhaps the last "nothing pending" of the scan's drain).
    assert reads_at_unplug - reads_before <= 2
    calls_before, started = scanner.open_calls, time.monotonic()
    time.sleep(0.3)  # a disconnected period to observe, not a synchronisation
    # A loaded machine may not have run the thread in that time: at least one attempt shows
    # that it keeps trying.
    wait_until(lambda: scanner.open_calls > calls_before)
    calls = scanner.open_calls - calls_before
    elapsed = time.monotonic() - started
    # Back-off: at most one attempt per initial delay (a spinning loop makes thousands).
    assert 1 <= calls <= 2 + elapsed / FAST["backoff_initial"]
    assert len(old.read_log) == reads_at_unplug
    sink.expect_nothing()  # "unavailable" was reported once, not per attempt

    scanner.replug()
    assert sink.status() == ReaderStatus(True, scanner.path, "")
    new = scanner.device
    assert new is not old and new.grabbed
    scanner.scan(OTHER_CARD)
    assert sink.next_scan() == CardScanned(OTHER_CARD)
    assert reader.connected


def test_back_off_delays_grow_to_the_cap(scanner, sink):
    scanner.unplug()
    reader = EvdevReader(sink, path=scanner.path, open_device=scanner.open_device,
                         list_devices=scanner.list_devices, backoff_initial=0.5, backoff_max=5)
    waits: list[float] = []
    reader._stopping.wait = lambda delay: waits.append(delay) or len(waits) >= 8  # type: ignore
    reader._run()
    assert waits == [0.5, 1, 2, 4, 5, 5, 5, 5]
    reader.stop()


def test_a_half_scan_at_unplug_is_not_glued_to_the_first_scan_after_replug(
        make_reader, scanner, sink):
    # A long gap, so that only forgetting the half scan at unplug keeps the halves apart.
    reader = make_reader(gap_timeout=30)
    sink.status()
    scanner.send(scanner.stream().text(CARD[:6]).events)
    wait_until(lambda: reader.decoder.scanning)
    scanner.unplug()
    assert not sink.status().connected
    scanner.replug()
    assert sink.status().connected
    scanner.scan(CARD[6:])
    assert sink.next_scan() == ScanRejected(RejectReason.TOO_SHORT, 16 - 6)


# Pitfall: read loops that handle one event per wake-up fall behind a fast scanner.
def test_every_pending_event_is_drained_per_wake_up(make_reader, scanner, sink):
    # The burst (more than a pipe holds) goes out in many 4 KiB writes, and a scan can straddle
    # two of them; on a loaded machine the next write may come later than the test gap timeout.
    # The key timestamps are 4 ms apart, so a long gap changes nothing else here.
    make_reader(gap_timeout=30)
    sink.status()
    cards = [f"9276{i:012d}" for i in range(40)]
    stream = scanner.stream()
    for card in cards:
        stream.text(card + "\r")
    events = stream.events
    assert len(events) > 3000
    scanner.send(events)
    assert [sink.next_scan() for _ in cards] == [CardScanned(c) for c in cards]
    log = scanner.device.read_log
    # The last card is handed over before the read that finds nothing pending: wait for it
    # (a reader that read once per wake-up would never make that read).
    wait_until(lambda: log[-1:] == [-1])
    # Reads went on until "nothing pending" (-1) after several full batches in one wake-up.
    runs = "".join("D" if n > 0 else "-" for n in log)
    assert re.search("DD+-", runs), runs


# Pitfall: a lost terminator glues two scans; a partial scan looks like a short number.
def test_a_partial_scan_followed_by_silence_is_rejected_after_the_gap(make_reader, scanner, sink):
    make_reader()
    sink.status()
    scanner.send(scanner.stream().text(CARD[:9]).events)
    # Nothing more is typed: the rejection must come from the timer alone.
    assert sink.next_scan() == ScanRejected(RejectReason.GAP_TIMEOUT, 9)
    scanner.scan(CARD)
    assert sink.next_scan() == CardScanned(CARD)


def test_two_scans_glued_by_a_lost_terminator_are_split_by_their_timestamps(
        make_reader, scanner, sink):
    make_reader()
    sink.status()
    stream = scanner.stream().text(CARD).pause(0.4).text(OTHER_CARD + "\r")
    scanner.send(stream.events)  # one burst: only the key timestamps show the pause
    assert sink.next_scan() == ScanRejected(RejectReason.GAP_TIMEOUT, 16)
    assert sink.next_scan() == CardScanned(OTHER_CARD)


# Pitfall: malicious barcodes become hotkeys (BadBarcode).
def test_a_malicious_barcode_is_rejected_and_goes_nowhere(make_reader, scanner, sink):
    make_reader()
    sink.status()
    stream = scanner.stream().text("9276").tap(e.KEY_T, mods=[e.KEY_LEFTCTRL, e.KEY_LEFTALT])
    stream.tap(e.KEY_F4, mods=[e.KEY_LEFTALT]).text("\x03" + CARD[4:] + "\r")
    scanner.send(stream.events)
    assert sink.next_scan() == ScanRejected(RejectReason.NON_DIGIT, 16)
    assert scanner.device.grabbed  # exclusive: the hotkeys reached no other program


# Pitfall: the same card scanned twice in a row.
def test_the_same_card_twice_is_reported_as_duplicate(make_reader, scanner, sink):
    make_reader()
    sink.status()
    scanner.scan(CARD)
    scanner.scan(CARD)
    assert sink.next_scan() == CardScanned(CARD)
    assert sink.next_scan() == ScanRejected(RejectReason.DUPLICATE, 16)


def test_a_failing_callback_does_not_stop_the_reader(scanner):
    seen = EventSink()

    def handler(event):
        seen(event)
        if isinstance(event, CardScanned):
            raise RuntimeError(f"bug handling {event.number}")

    reader = EvdevReader(handler, path=scanner.path, open_device=scanner.open_device,
                         list_devices=scanner.list_devices, **FAST)
    with reader:
        seen.status()
        scanner.scan(CARD)
        scanner.scan(OTHER_CARD)
        assert seen.next_scan() == CardScanned(CARD)
        assert seen.next_scan() == CardScanned(OTHER_CARD)


def test_scanned_digits_never_reach_the_log(make_reader, scanner, sink, caplog):
    caplog.set_level(logging.DEBUG)
    make_reader()
    sink.status()
    for text in (CARD, CARD, CARD + "1", "9276" + CARD[4:-1], "1234" + CARD[4:]):
        scanner.scan(text)
    scanner.send(scanner.stream().text(OTHER_CARD[:12]).events)
    for _ in range(6):
        sink.next_scan()
    scanner.unplug()
    sink.status()
    assert "card scanned (16 digits)" in caplog.text and "too_long (17 digits)" in caplog.text
    assert not re.search(r"\d{4}", caplog.text.replace(scanner.path, "")), caplog.text


def test_a_reader_needs_a_path_or_a_name():
    with pytest.raises(ValueError):
        EvdevReader(lambda event: None, open_device=lambda p: None, list_devices=list)


def test_a_hung_up_device_that_reads_as_empty_is_dropped_not_spun_on(make_reader, sink):
    class SilentHangup(FakeInputDevice):
        """A driver that reports a hang-up to poll() but 'nothing pending' to read()."""

        def read(self):
            if self.unplugged:
                self.read_log.append(-1)
                raise BlockingIOError(errno.EAGAIN, "Resource temporarily unavailable")
            return super().read()

    scanner = VirtualScanner()
    devices: list[FakeInputDevice] = []

    def open_device(path: str) -> FakeInputDevice:
        scanner.open_device(path)  # plugged state and counting as usual
        device = SilentHangup(path, scanner.name, SCANNER_KEYS)
        devices.append(device)
        return device

    make_reader(scanner, open_device=open_device)
    assert sink.status().connected
    devices[0].unplug()
    scanner.unplug()
    assert not sink.status().connected
    wait_until(lambda: devices[0].closed)  # closed by the thread right after the report
    assert devices[0].read_log == [-1]


def test_the_fake_device_is_parsed_by_evdevs_own_reader(scanner):
    device = scanner.open_device(scanner.path)
    sent = scanner.stream().text(CARD + "\r").events
    scanner.send(sent)
    assert isinstance(device, EventIO)  # read() is InputDevice's, not a look-alike
    got: list[InputEvent] = []
    with pytest.raises(BlockingIOError):
        while True:
            batch = list(device.read())
            assert 0 < len(batch) <= 64  # evdev reads at most 64 events per call
            got += batch
    assert [(ev.sec, ev.usec, ev.type, ev.code, ev.value) for ev in got] == [
        (ev.sec, ev.usec, ev.type, ev.code, ev.value) for ev in sent
    ]
    assert all(type(ev) is InputEvent for ev in got)
    assert device.read_one() is None
    device.close()


# The real evdev opener and lister, on a machine without the device.
def test_with_real_evdev_a_missing_device_path_is_reported(tmp_path, sink):
    with EvdevReader(sink, path=str(tmp_path / "usb-Scanner-event-kbd"), **FAST):
        status = sink.status()
        assert not status.connected and "not connected" in status.reason


def test_with_real_evdev_a_file_that_is_no_input_device_is_reported(tmp_path, sink):
    not_input = tmp_path / "not-an-input-device"
    not_input.write_bytes(b"")
    with EvdevReader(sink, path=str(not_input), **FAST):
        status = sink.status()
        assert not status.connected and status.reason


def test_with_real_evdev_no_device_matches_the_name(sink):
    with EvdevReader(sink, name_match="Virtual Barcode Scanner", **FAST):
        status = sink.status()
        assert not status.connected and "'input' group" in status.reason
