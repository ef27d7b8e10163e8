"""Receipt cost: build + ESC/POS encode of the seed receipt, and printing it through the pty emulator."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

from hardware.printer.escpos import encode
from hardware.printer.transport import SerialPrinter
from hardware.sim.printer import PrinterEmulator
from hardware.sim.sandbox_state import topup_receipt as sandbox_receipt_lines
from kiosk.bench.report import Section, median, summarise
from kiosk.config import KioskConfig, PrinterConfig
from kiosk.receipt import topup_receipt
from kiosk.secuconnect.models import ReceiptLine

COLUMNS = 42
BAUD = 19200
# The seed's start/cash answer (a "Kartenaufladung 15 EUR" onto a card holding 0,00 EUR);
# the sandbox builds its receipt lines in exactly that shape.
SEED_CARD = "9276004429942845"
SEED_STX = "STX_PVEGYP82M2NRDMKPE3BCT5ZH0QJKA2"
SEED_TA = ("29218171", "29218173")
REFERENCE = "5f0c8a2e-4b7d-4c1e-9a3f-2d6b8e1f0a47"
WHEN = datetime(2020, 9, 25, 11, 15, 30)
BENCH_KIOSK = KioskConfig(id="kiosk-1", merchant_name="John's Bakery",
                          merchant_address=("Musterstraße 1", "01067 Dresden"),
                          support_line="Hilfe: 0351 123456")


def seed_lines() -> tuple[ReceiptLine, ...]:
    raw = sandbox_receipt_lines(SEED_CARD, 1500, 0, 1500, *SEED_TA)
    return tuple(ReceiptLine.from_json(line) for line in raw)


def bench_receipt(workdir: Path, *, encodes: int, prints: int, fast_prints: int) -> Section:
    section = Section("receipt", f"Receipt (seed receipt, {COLUMNS} columns, PC858)")
    lines = seed_lines()
    build_s, encode_s = [], []
    data = b""
    for _ in range(encodes):
        start = time.perf_counter()
        document = topup_receipt(BENCH_KIOSK, when=WHEN, lines=lines, stx_id=SEED_STX,
                                 reference=REFERENCE, amount=1500, currency="EUR",
                                 start_type="cash")
        built = time.perf_counter()
        data = encode(document, COLUMNS, slot=PrinterConfig().codepage_slot)
        done = time.perf_counter()
        build_s.append(built - start)
        encode_s.append(done - built)
    section.add("encodes", "build + encode repetitions", encodes, "")
    section.add("build_us", "build document (median)", median(build_s) * 1e6, "us")
    section.add("encode_us", "ESC/POS encode (median)", median(encode_s) * 1e6, "us")
    summarise(section, "build_encode", "build + encode",
              [b + e for b, e in zip(build_s, encode_s)], unit="us")
    section.add("bytes", "receipt size", len(data), "bytes")
    line_s = len(data) * 10 / BAUD  # 8N1: ten bit times per byte
    section.add("line_ms", f"line time at {BAUD} baud (8N1)", line_s * 1e3, "ms",
                "the floor for any printer on this line")

    emulator = PrinterEmulator(workdir / "printer", workdir / "receipts", columns=COLUMNS,
                               baudrate=BAUD, render=False)
    emulator.start()
    printer = SerialPrinter(str(emulator.link), baudrate=BAUD)
    try:
        if not printer.status().known:
            raise RuntimeError(f"printer emulator at {emulator.link} does not answer")
        # Without line-rate emulation: what the host side (transport + pty + emulator) costs.
        fast = _print(printer, emulator, data, fast_prints)
        # At the line's real speed: the emulator takes bytes no faster than 19200 baud.
        emulator.set_faults(slow_baud=BAUD)
        slow = _print(printer, emulator, data, prints)
    finally:
        printer.close()
        emulator.close()
    section.add("prints", f"prints at {BAUD} baud", prints, "")
    summarise(section, "print", f"print at {BAUD} baud, until confirmed", slow,
              note="status, send, status after; the emulator holds the whole receipt")
    section.add("print_fast_ms", "print without line-rate emulation (median)",
                median(fast) * 1e3, "ms", f"{fast_prints} prints; pty at full speed")
    return section


def _print(printer: SerialPrinter, emulator: PrinterEmulator, data: bytes,
           count: int) -> list[float]:
    samples = []
    for _ in range(count):
        before = len(emulator.receipts)
        start = time.perf_counter()
        printer.print_job(data)
        emulator.wait_for_receipts(before + 1)
        samples.append(time.perf_counter() - start)
        receipt = emulator.receipts[-1]
        if "Aktuelles Guthaben" not in receipt.text or receipt.wrapped_lines:
            raise RuntimeError("the emulator's receipt does not read as the seed receipt")
    return samples
