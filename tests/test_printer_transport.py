"""Serial transport against the pty emulator: receipts read back, status, faults, replug."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from dataclasses import replace

import pygame
import pytest

from hardware.printer.escpos import Cut, Document, Text, encode
from hardware.printer.status import Condition, Paper
from hardware.printer.transport import PrintError, PrintFailure, SerialPrinter
from hardware.sim.printer import PrinterEmulator
from kiosk.config import PrinterConfig
from kiosk.printers import open_printer
from kiosk.receipt import render_text, topup_receipt
from tests.fixtures.printer import FIXED_REFERENCE, SEED_TOPUP, FIXED_WHEN, TEST_STATUS_TIMEOUT


def _seed_doc(seed_transaction, receipt_kiosk, copy: bool = False) -> Document:
    return topup_receipt(receipt_kiosk, when=FIXED_WHEN, lines=seed_transaction.receipt,
                         stx_id=seed_transaction.id, reference=FIXED_REFERENCE, copy=copy, **SEED_TOPUP)


def test_seed_receipt_prints_reads_back_and_renders_png(
    printer_emulator: PrinterEmulator, serial_printer: SerialPrinter, seed_transaction,
    receipt_kiosk,
) -> None:
    doc = _seed_doc(seed_transaction, receipt_kiosk)
    job = encode(doc, 42)
    result = serial_printer.print_job(job)
    assert result.bytes_written == len(job)
    assert result.status.condition == Condition.READY
    [receipt] = printer_emulator.wait_for_receipts(1)
    assert receipt.complete and receipt.number == 1
    assert receipt.text == render_text(doc, 42)
    assert "Aktuelles Guthaben:" in receipt.text and "Musterstraße 1" in receipt.text
    assert receipt.txt_path.read_text(encoding="utf-8") == receipt.text
    assert receipt.qr_codes == [FIXED_REFERENCE.encode()]
    assert receipt.wrapped_lines == 0
    assert printer_emulator.unknown_commands == []
    # The PNG: paper-coloured with ink on it, one cell row per text line at least.
    assert receipt.png_path.name == "001.png"
    image = pygame.image.load(str(receipt.png_path))
    width, height = image.get_size()
    assert width == 42 * 12 + 2 * 30 + 40
    assert height > 24 * len(receipt.text.splitlines())
    column = [image.get_at((width // 2, y))[:3] for y in range(height)]
    assert (250, 248, 242) in column or any(min(px) > 230 for px in column)
    assert any(max(px) < 60 for px in column)


@pytest.mark.parametrize(
    "faults, condition",
    [
        ({}, Condition.READY),
        ({"paper": "near_end"}, Condition.PAPER_NEAR_END),
        ({"paper": "out"}, Condition.PAPER_OUT),
        ({"cover_open": True}, Condition.COVER_OPEN),
        ({"offline": True}, Condition.OFFLINE),
        ({"cutter_error": True}, Condition.CUTTER_ERROR),
        ({"unrecoverable_error": True}, Condition.UNRECOVERABLE_ERROR),
        ({"no_answer": True}, Condition.UNKNOWN),
        ({"garbage_status": True}, Condition.UNKNOWN),
    ],
)
def test_status_follows_the_printer(
    printer_emulator: PrinterEmulator, serial_printer: SerialPrinter, faults, condition
) -> None:
    printer_emulator.set_faults(**faults)
    status = serial_printer.status()
    assert status.condition == condition
    readiness = serial_printer.ready()
    assert readiness.ready == condition.can_print
    assert readiness.reason


def test_paper_out_mid_receipt_is_reported_not_swallowed(
    printer_emulator: PrinterEmulator, serial_printer: SerialPrinter, seed_transaction,
    receipt_kiosk,
) -> None:
    doc = _seed_doc(seed_transaction, receipt_kiosk)
    printer_emulator.set_faults(paper_out_after_lines=10)
    with pytest.raises(PrintError) as caught:
        serial_printer.print_job(encode(doc, 42))
    error = caught.value
    assert error.failure == PrintFailure.STOPPED
    assert error.status is not None and error.status.paper == Paper.OUT
    assert error.bytes_written == len(encode(doc, 42)) and not error.nothing_sent
    assert "out of paper" in str(error) and str(printer_emulator.link) in str(error)
    assert printer_emulator.receipts == []
    assert printer_emulator.partial is not None and len(printer_emulator.partial.lines) == 10
    # Paper reloaded: the caller decides to reprint, marked as a copy; it prints once.
    printer_emulator.set_faults(paper="ok")
    assert serial_printer.ready().ready
    copy = _seed_doc(seed_transaction, receipt_kiosk, copy=True)
    serial_printer.print_job(encode(copy, 42))
    [receipt] = printer_emulator.wait_for_receipts(1)
    assert "KOPIE / COPY" in receipt.text and receipt.text == render_text(copy, 42)


def test_paper_out_after_some_bytes(
    printer_emulator: PrinterEmulator, serial_printer: SerialPrinter
) -> None:
    job = encode(Document(tuple(Text(f"Zeile {i}") for i in range(30)) + (Cut(),)), 42)
    printer_emulator.set_faults(paper_out_after_bytes=120)
    with pytest.raises(PrintError) as caught:
        serial_printer.print_job(job)
    assert caught.value.failure == PrintFailure.STOPPED
    assert serial_printer.last_status.condition == Condition.PAPER_OUT
    assert printer_emulator.receipts == []


def test_unplug_and_replug_reported_and_survived(
    printer_emulator: PrinterEmulator, make_serial_printer, seed_transaction, receipt_kiosk
) -> None:
    changes: list[tuple[Condition, Condition]] = []
    printer = make_serial_printer(printer_emulator.link,
                                  on_change=lambda old, new: changes.append((old, new)))
    assert printer.status().condition == Condition.READY
    printer_emulator.stop()
    assert not printer_emulator.link.exists()
    # Misses are counted before the printer is declared gone.
    conditions = [printer.status().condition for _ in range(3)]
    assert conditions == [Condition.UNKNOWN, Condition.UNKNOWN, Condition.GONE]
    assert not printer.ready().ready
    with pytest.raises(PrintError) as caught:
        printer.print_job(b"\x1b@")
    assert caught.value.failure == PrintFailure.PORT_UNAVAILABLE and caught.value.nothing_sent
    printer_emulator.start()  # replugged: a new pty behind the same link
    assert printer.status().condition == Condition.READY
    assert changes == [
        (Condition.UNKNOWN, Condition.READY),
        (Condition.READY, Condition.UNKNOWN),
        (Condition.UNKNOWN, Condition.GONE),
        (Condition.GONE, Condition.READY),
    ]
    printer.print_job(encode(_seed_doc(seed_transaction, receipt_kiosk), 42))
    assert len(printer_emulator.wait_for_receipts(1)) == 1


def test_port_vanishing_while_open_is_a_miss_then_reconnects(
    printer_emulator: PrinterEmulator, serial_printer: SerialPrinter
) -> None:
    assert serial_printer.status().condition == Condition.READY and serial_printer.connected
    printer_emulator.stop()
    printer_emulator.start()  # quick replug: the old file descriptor is dead
    first = serial_printer.status()  # the dead port is noticed and dropped
    assert first.condition == Condition.UNKNOWN
    assert serial_printer.status().condition == Condition.READY


def test_open_printer_maps_the_config(
    printer_emulator: PrinterEmulator, seed_transaction, receipt_kiosk
) -> None:
    config = replace(PrinterConfig(), type="simulator", port=str(printer_emulator.link),
                     columns=42, write_timeout=2.0)
    printer = open_printer(config)
    try:
        assert printer.transport is not None
        assert printer.transport.write_timeout == 2.0 and printer.transport.baudrate == 19200
        assert printer.ready().ready
        doc = _seed_doc(seed_transaction, receipt_kiosk)
        printer.print_document(doc)
        [receipt] = printer_emulator.wait_for_receipts(1)
        assert receipt.text == render_text(doc, 42)
    finally:
        printer.close()
    none = open_printer(replace(PrinterConfig(), type="none"))
    assert not none.ready().ready and "none" in none.ready().reason
    with pytest.raises(PrintError):
        none.print_document(Document((Text("x"),)))


def test_narrow_paper_emulator_prints_32_columns_unwrapped(
    make_printer_emulator, make_serial_printer, seed_transaction, receipt_kiosk
) -> None:
    emulator = make_printer_emulator(columns=32, render=False)
    printer = make_serial_printer(emulator.link)
    doc = _seed_doc(seed_transaction, receipt_kiosk)
    printer.print_job(encode(doc, 32))
    [receipt] = emulator.wait_for_receipts(1)
    assert receipt.wrapped_lines == 0 and receipt.text == render_text(doc, 32)
    assert TEST_STATUS_TIMEOUT < 1


def test_unplugged_in_the_middle_of_a_job_is_reported_with_what_was_sent(
    printer_emulator: PrinterEmulator, make_serial_printer
) -> None:
    printer = make_serial_printer(printer_emulator.link)
    job = encode(Document(tuple(Text(f"Zeile {i:05d} ............") for i in range(2000))
                          + (Cut(),)), 42)
    printer_emulator.set_faults(hold_line_after_bytes=300)
    errors: list[PrintError] = []
    worker = threading.Thread(target=lambda: _catch(printer, job, errors), daemon=True)
    worker.start()
    printer_emulator.wait_for(lambda e: e.faults.hold_line)
    printer_emulator.stop()  # the cable is pulled while the writer waits for the printer
    worker.join(timeout=20)
    assert not worker.is_alive()
    [error] = errors
    assert error.failure == PrintFailure.PORT_LOST
    assert 0 < error.bytes_written < len(job) and not error.nothing_sent
    assert not printer.connected  # dropped; the next status() reopens it when it is back
    printer_emulator.start()
    assert printer.status().condition == Condition.READY
    assert printer_emulator.receipts == []  # and the job was not sent again by itself


def _catch(printer: SerialPrinter, job: bytes, errors: list[PrintError]) -> None:
    try:
        printer.print_job(job)
    except PrintError as exc:
        errors.append(exc)


def test_standalone_emulator_command(tmp_path, seed_transaction, receipt_kiosk) -> None:
    link, out = tmp_path / "kiosk-printer", tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hardware.sim.printer", "--link", str(link), "--out", str(out),
         "--columns", "32"],
        stderr=subprocess.PIPE, text=True, env={**os.environ, "PYGAME_HIDE_SUPPORT_PROMPT": "1"},
    )
    try:
        assert proc.stderr is not None
        assert "printer emulator on" in proc.stderr.readline()
        with SerialPrinter(str(link), status_timeout=TEST_STATUS_TIMEOUT) as printer:
            doc = _seed_doc(seed_transaction, receipt_kiosk)
            printer.print_job(encode(doc, 32))
            line = proc.stderr.readline()
        assert line.strip().endswith("001.txt")
        assert (out / "001.txt").read_text(encoding="utf-8") == render_text(doc, 32)
        assert (out / "001.png").stat().st_size > 0
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    assert proc.returncode == 0 and not link.exists()
