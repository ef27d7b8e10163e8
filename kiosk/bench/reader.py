"""Card-reader throughput and scan latency: virtual scanner events through the evdev reader thread."""

from __future__ import annotations

import threading
import time

from hardware.reader.events import CardScanned, ReaderEvent, ReaderStatus, ScanRejected
from hardware.sim.scanner import VirtualScanner
from kiosk.bench.report import Section, summarise
from kiosk.config import ReaderConfig
from kiosk.readers import open_reader

PREFIX = "9276"
WAIT_S = 30.0  # upper bound for one wait on the reader thread; normally milliseconds
# A keyboard-wedge scanner types a key every few ms; the pause before the terminator lets the
# reader take the digits first, so that the latency is that of the last key alone.
KEY_GAP_S = 0.005


class _Collector:
    """Receives the reader's events in its thread; stamps each card on arrival."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.cards: list[tuple[str, float]] = []
        self.rejected: list[ScanRejected] = []
        self.connected = False

    def __call__(self, event: ReaderEvent) -> None:
        now = time.perf_counter()
        with self.cond:
            if isinstance(event, CardScanned):
                self.cards.append((event.number, now))
            elif isinstance(event, ScanRejected):
                self.rejected.append(event)
            elif isinstance(event, ReaderStatus):
                self.connected = event.connected
            self.cond.notify_all()

    def wait_cards(self, count: int) -> None:
        with self.cond:
            if not self.cond.wait_for(lambda: len(self.cards) + len(self.rejected) >= count,
                                      WAIT_S):
                raise TimeoutError(f"reader delivered {len(self.cards)} cards and "
                                   f"{len(self.rejected)} rejections of {count} scans")

    def wait_connected(self) -> None:
        with self.cond:
            if not self.cond.wait_for(lambda: self.connected, WAIT_S):
                raise TimeoutError("virtual scanner never opened by the reader")


def card_number(i: int) -> str:
    return f"{PREFIX}{i:012d}"


def bench_reader(*, scans: int, latency_scans: int) -> Section:
    section = Section("reader", "Card reader (virtual scanner -> evdev reader thread -> "
                                "decoder), production timings (gap 150 ms, debounce 3 s)")
    scanner = VirtualScanner()
    sink = _Collector()
    reader = open_reader(ReaderConfig(type="simulator"), (PREFIX,), sink, scanner=scanner)
    assert reader is not None
    reader.start()
    try:
        sink.wait_connected()
        _throughput(section, scanner, sink, scans)
        _latency(section, scanner, sink, latency_scans, offset=scans)
    finally:
        reader.stop()
    return section


def _throughput(section: Section, scanner: VirtualScanner, sink: _Collector, scans: int) -> None:
    """Many scans written as fast as the pipe takes them; the reader drains and decodes."""
    stream = scanner.stream()
    for i in range(scans):
        stream.text(card_number(i) + "\r")
    events = stream.events
    keys = sum(1 for ev in events if ev.type == 1)  # EV_KEY; the rest are EV_MSC and EV_SYN
    start = time.perf_counter()
    scanner.send(events)  # blocks while the pipe is full: the reader thread drains meanwhile
    sink.wait_cards(scans)
    elapsed = sink.cards[-1][1] - start if sink.cards else time.perf_counter() - start
    wrong = [n for (n, _), i in zip(sink.cards, range(scans)) if n != card_number(i)]
    if sink.rejected or wrong or len(sink.cards) != scans:
        raise RuntimeError(f"throughput run: {len(sink.cards)} cards, {len(wrong)} wrong, "
                           f"rejections {[r.reason.value for r in sink.rejected][:5]}")
    section.add("scans", "scans decoded (throughput run)", scans, "",
                f"{len(events)} input events, {keys} of them key events")
    section.add("events_per_s", "throughput, input events", len(events) / elapsed, "events/s",
                "EV_MSC + EV_KEY + EV_SYN as the kernel delivers them")
    section.add("key_events_per_s", "throughput, key events", keys / elapsed, "events/s")
    section.add("scans_per_s", "throughput, scans", scans / elapsed, "scans/s")


def _latency(section: Section, scanner: VirtualScanner, sink: _Collector, count: int,
             offset: int) -> None:
    """Digits first, then after a scanner's key gap the terminator: time until the card."""
    samples: list[float] = []
    for i in range(offset, offset + count):
        events = scanner.stream().text(card_number(i) + "\r").events
        # The last tap is ENTER: MSC+KEY+SYN down, then MSC+KEY+SYN up.
        digits, enter_down, enter_up = events[:-6], events[-6:-3], events[-3:]
        before = len(sink.cards)
        scanner.send(digits)
        time.sleep(KEY_GAP_S)
        start = time.perf_counter()
        scanner.send(enter_down)
        sink.wait_cards(before + len(sink.rejected) + 1)
        number, stamp = sink.cards[-1]
        if number != card_number(i) or sink.rejected:
            raise RuntimeError("latency run: wrong card or a rejected scan")
        samples.append(stamp - start)
        scanner.send(enter_up)
    section.add("latency_scans", "scans timed for latency", count, "")
    summarise(section, "latency", "last key -> card", samples, unit="us",
              note="pipe write of the ENTER key-down to the reader's callback")
