"""One test per receipt-printer pitfall of shared/reference/hardware.md, over real ptys.

| pitfall | test |
|---|---|
| umlauts/€ garbage: code page guessed or forgotten after ESC @ | test_code_page_pinned_after_init, test_code_page_slot_is_configurable |
| no reply / reply failing the bit check is unknown | test_no_reply_is_unknown_not_offline, test_garbage_reply_is_unknown |
| flush stale input before a query | test_stale_input_is_flushed_before_a_query, test_replies_that_come_too_late_never_answer_a_later_query |
| accept exactly one byte | test_only_one_byte_is_taken_per_query |
| writes block forever without write_timeout (DSR held low) | test_write_timeout_when_printer_stops_taking_data |
| check before money is taken; failure after payment is reported | test_readiness_before_payment, test_refused_job_sends_nothing |
| printers come and go: several misses before "gone" | test_several_misses_before_gone |
| never print twice because a retry raced a slow answer | test_slow_answer_is_reported_once_never_reprinted |
| wrong baud rate gives garbage | test_wrong_baud_rate_is_unknown |
| paper widths 32 / 42 / 48 columns | test_each_paper_width_prints_without_printer_wrapping |
"""

from __future__ import annotations

import select
import threading

import pytest

from hardware.printer.escpos import Cut, Document, NameValue, QrCode, Text, encode
from hardware.printer.status import Condition
from hardware.printer.transport import PrintError, PrintFailure, SerialPrinter
from hardware.sim.printer import PrinterEmulator
from kiosk.receipt import render_text, topup_receipt
from tests.fixtures.printer import FIXED_REFERENCE, FIXED_WHEN, SEED_TOPUP

GERMAN = Document((Text("ÄÖÜäöüß"), Text("Aktuelles Guthaben: 15,00 €"), Cut()))


def _print_in_thread(printer: SerialPrinter, job: bytes) -> BaseException | None:
    """Runs print_job so that a call that blocks forever fails the test instead of hanging it."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            printer.print_job(job)
            outcome.append(None)
        except BaseException as exc:  # handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert not thread.is_alive(), "print_job blocked: a write without a timeout"
    return outcome[0]


# --- code page ---------------------------------------------------------------------------


def test_code_page_pinned_after_init(printer_emulator: PrinterEmulator,
                                     serial_printer: SerialPrinter) -> None:
    # The emulator, like many printers, falls back to PC437 on ESC @.
    serial_printer.print_job(encode(GERMAN, 42))
    [receipt] = printer_emulator.wait_for_receipts(1)
    assert receipt.text == "ÄÖÜäöüß\nAktuelles Guthaben: 15,00 €\n"
    # The same bytes without the ESC t that follows ESC @ print garbage: the check is real.
    unpinned = encode(GERMAN, 42).replace(b"\x1b\x40\x1b\x74\x13", b"\x1b\x40", 1)
    serial_printer.print_job(unpinned)
    second = printer_emulator.wait_for_receipts(2)[1]
    # PC437 shares the umlauts' bytes with PC858 but has "╒" where PC858 has "€".
    assert second.text == "ÄÖÜäöüß\nAktuelles Guthaben: 15,00 ╒\n"


def test_code_page_slot_is_configurable(make_printer_emulator, make_serial_printer) -> None:
    # A model that keeps PC858 in slot 17: the configured slot is what gets sent.
    emulator = make_printer_emulator(pc858_slot=17, render=False)
    printer = make_serial_printer(emulator.link)
    printer.print_job(encode(GERMAN, 42, slot=17))
    printer.print_job(encode(GERMAN, 42, slot=19))  # the Epson default is wrong for this one
    right, wrong = emulator.wait_for_receipts(2)
    assert right.text == "ÄÖÜäöüß\nAktuelles Guthaben: 15,00 €\n"
    assert "€" not in wrong.text


# --- status queries ----------------------------------------------------------------------


def test_no_reply_is_unknown_not_offline(printer_emulator, serial_printer) -> None:
    printer_emulator.set_faults(no_answer=True)
    status = serial_printer.status()
    assert status.condition == Condition.UNKNOWN and not status.known
    assert status.paper.value == "unknown"


def test_garbage_reply_is_unknown(printer_emulator, serial_printer) -> None:
    # 0xFF has the paper-out and offline bits set; only the bit check keeps it from counting.
    printer_emulator.set_faults(garbage_status=True)
    assert serial_printer.status().condition == Condition.UNKNOWN


def test_stale_input_is_flushed_before_a_query(printer_emulator, serial_printer) -> None:
    assert serial_printer.status().condition == Condition.READY  # port open
    # A stale "offline, cover open, paper out" byte waits in the input buffer.
    printer_emulator.inject_line_noise(b"\x7e")
    port = serial_printer._serial
    assert port is not None
    readable, _, _ = select.select([port.fileno()], [], [], 5)  # the byte has arrived
    assert readable and port.in_waiting == 1
    assert serial_printer.status().condition == Condition.READY


def test_only_one_byte_is_taken_per_query(printer_emulator, serial_printer) -> None:
    # The printer sends a second byte after every reply; it must not answer the next query.
    printer_emulator.set_faults(extra_reply=0x7E)
    assert serial_printer.status().condition == Condition.READY
    printer_emulator.set_faults(extra_reply=None, cover_open=True)
    assert serial_printer.status().condition == Condition.COVER_OPEN


def test_replies_that_come_too_late_never_answer_a_later_query(
    printer_emulator, make_serial_printer
) -> None:
    # Every reply leaves 0.3 s after its query, the transport waits 0.2 s: each reply arrives
    # while the next query waits. Taking it would report a state from the wrong question.
    printer = make_serial_printer(printer_emulator.link, miss_limit=10)
    printer_emulator.set_faults(status_delay=0.3, cover_open=True)
    seen = [printer.status().condition for _ in range(4)]
    # Unknown, or (should a reply make it in time) the truth; never a mix-up of replies.
    assert set(seen) <= {Condition.UNKNOWN, Condition.COVER_OPEN}, seen
    assert Condition.UNKNOWN in seen


def test_wrong_baud_rate_is_unknown(printer_emulator, make_serial_printer) -> None:
    printer = make_serial_printer(printer_emulator.link, baudrate=9600)  # printer runs 19200
    readiness = printer.ready()
    assert readiness.condition == Condition.UNKNOWN and not readiness.ready
    assert "baud rate" in readiness.reason


# --- writes ------------------------------------------------------------------------------


def test_write_timeout_when_printer_stops_taking_data(printer_emulator, serial_printer) -> None:
    # Larger than the pty's buffer, so that a printer that stops reading blocks the writer.
    job = encode(Document(tuple(Text(f"Zeile {i:05d} ............") for i in range(2000))
                          + (Cut(),)), 42)
    printer_emulator.set_faults(hold_line_after_bytes=500)
    error = _print_in_thread(serial_printer, job)
    assert isinstance(error, PrintError) and error.failure == PrintFailure.WRITE_TIMEOUT
    assert 0 < error.bytes_written < len(job) and not error.nothing_sent
    assert printer_emulator.receipts == []
    with pytest.raises(ValueError):
        SerialPrinter("/dev/null", write_timeout=0)


# --- before payment, and coming and going ------------------------------------------------


@pytest.mark.parametrize("faults", [{"paper": "out"}, {"cover_open": True},
                                    {"no_answer": True}, {"garbage_status": True}])
def test_readiness_before_payment(printer_emulator, serial_printer, faults) -> None:
    assert serial_printer.ready().ready
    printer_emulator.set_faults(**faults)
    readiness = serial_printer.ready()
    assert not readiness.ready and readiness.reason != "printer ready"
    printer_emulator.set_faults(paper="near_end", cover_open=False, no_answer=False,
                                garbage_status=False)
    low = serial_printer.ready()
    assert low.ready and low.warning == "paper is running low"


def test_refused_job_sends_nothing(printer_emulator, serial_printer) -> None:
    printer_emulator.set_faults(cover_open=True)
    with pytest.raises(PrintError) as caught:
        serial_printer.print_job(encode(GERMAN, 42))
    assert caught.value.failure == PrintFailure.NOT_READY and caught.value.nothing_sent
    assert "cover is open" in str(caught.value)
    # Only the four status queries reached the printer.
    printer_emulator.wait_for(lambda e: e.status_queries == 4)
    assert printer_emulator.bytes_received == 4 * 3


def test_several_misses_before_gone(printer_emulator, make_serial_printer) -> None:
    changes: list[tuple[Condition, Condition]] = []
    printer = make_serial_printer(printer_emulator.link, miss_limit=3,
                                  on_change=lambda old, new: changes.append((old, new)))
    assert printer.status().condition == Condition.READY
    printer_emulator.set_faults(no_answer=True)
    assert printer.status().condition == Condition.UNKNOWN
    assert printer.status().condition == Condition.UNKNOWN
    printer_emulator.set_faults(no_answer=False)  # a hiccup: it answers again
    assert printer.status().condition == Condition.READY
    printer_emulator.set_faults(no_answer=True)
    seen = [printer.status().condition for _ in range(3)]
    assert seen == [Condition.UNKNOWN, Condition.UNKNOWN, Condition.GONE]
    assert changes[-1] == (Condition.UNKNOWN, Condition.GONE)
    assert (Condition.UNKNOWN, Condition.GONE) not in changes[:-1]


def test_slow_answer_is_reported_once_never_reprinted(
    make_printer_emulator, make_serial_printer, seed_transaction, receipt_kiosk
) -> None:
    emulator = make_printer_emulator(render=False)
    printer = make_serial_printer(emulator.link)
    doc = Document((Text("Aufladung 15,00 €"), NameValue("Ref.:", "R-1"), Cut()))
    job = encode(doc, 42)
    # The line drains at 600 baud, the transport expects 19200: its confirmation times out
    # while the receipt is still printing.
    emulator.set_faults(slow_baud=600)
    with pytest.raises(PrintError) as caught:
        printer.print_job(job)
    assert caught.value.failure == PrintFailure.UNCONFIRMED
    assert caught.value.bytes_written == len(job)
    emulator.wait_for(lambda e: len(e.receipts) == 1 and e.status_queries >= 5)
    emulator.set_faults(slow_baud=None, offline=True)
    # The late "online" reply is already on the line; it must not answer the next query.
    assert printer.status().condition == Condition.OFFLINE
    emulator.set_faults(offline=False)
    assert printer.status().condition == Condition.READY
    # Exactly one job's bytes reached the printer: nothing was sent again by itself.
    assert emulator.bytes_received == len(job) + 3 * emulator.status_queries
    assert [r.text for r in emulator.receipts] == [render_text(doc, 42)]


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_each_paper_width_prints_without_printer_wrapping(
    make_printer_emulator, make_serial_printer, seed_transaction, receipt_kiosk, columns
) -> None:
    emulator = make_printer_emulator(columns=columns, render=False)
    printer = make_serial_printer(emulator.link)
    doc = topup_receipt(receipt_kiosk, when=FIXED_WHEN, lines=seed_transaction.receipt,
                        stx_id=seed_transaction.id, reference=FIXED_REFERENCE, **SEED_TOPUP)
    doc = doc + Document((NameValue("Sehr langer Name für einen Wert", "x" * 70),
                          QrCode("y" * 50), Cut()))
    printer.print_job(encode(doc, columns))
    if columns > 32:
        printer.print_job(encode(doc, 32))  # narrower than this paper: fits as well
    if columns < 48:
        printer.print_job(encode(doc, 48))  # wider than the paper: the printer must wrap
    receipts = emulator.wait_for_receipts(4)
    assert receipts[0].wrapped_lines == 0 and receipts[0].text.startswith(
        render_text(doc, columns).split("\n")[0])
    if columns > 32:
        assert all(r.wrapped_lines == 0 for r in receipts[:2])
    if columns < 48:
        assert receipts[-1].wrapped_lines > 0
