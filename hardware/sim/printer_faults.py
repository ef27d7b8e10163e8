"""What can be wrong with the emulated printer, and the DLE EOT status bytes that tell it."""

from __future__ import annotations

from dataclasses import dataclass

GARBAGE_STATUS = 0xFF  # fails the bit check (bits 0 and 7 set), like noise on the line


@dataclass
class Faults:
    """What is wrong with the printer right now; change it through PrinterEmulator.set_faults."""

    paper: str = "ok"  # ok | near_end | out
    cover_open: bool = False
    offline: bool = False
    cutter_error: bool = False
    unrecoverable_error: bool = False
    no_answer: bool = False  # status queries go unanswered
    garbage_status: bool = False  # status replies fail the bit check
    status_delay: float = 0.0  # seconds before each status reply leaves
    slow_baud: int | None = None  # drain received bytes no faster than this line rate
    hold_line: bool = False  # stop taking bytes at all (DSR held low, buffer full)
    paper_out_after_bytes: int | None = None  # counted from when the fault is set
    paper_out_after_lines: int | None = None  # printed lines, counted from when it is set
    hold_line_after_bytes: int | None = None  # take this many more bytes, then hold the line
    extra_reply: int | None = None  # a second byte sent after each status reply


def status_byte(f: Faults, n: int) -> int:
    """The printer's answer to DLE EOT n (1 printer, 2 offline, 3 error, 4 paper sensor)."""
    paper_out = f.paper == "out"
    error = f.cutter_error or f.unrecoverable_error
    byte = 0x12
    if n == 1:
        if f.offline or f.cover_open or paper_out or error:
            byte |= 0x08
    elif n == 2:
        byte |= (0x04 if f.cover_open else 0) | (0x20 if paper_out else 0)
        byte |= 0x40 if error else 0
    elif n == 3:
        byte |= (0x08 if f.cutter_error else 0) | (0x20 if f.unrecoverable_error else 0)
    elif n == 4:
        if f.paper in ("near_end", "out"):
            byte |= 0x0C
        if paper_out:
            byte |= 0x60
    return byte
