"""The pure ESC/POS encoder: receipt document -> bytes."""

from __future__ import annotations

from hardware.printer.codepage import DEFAULT_SLOT, PC858, CodePage
# The model is re-exported: callers build a Document and encode it through this one module.
from hardware.printer.document import (  # noqa: F401
    QR_EC_LEVELS,
    Align,
    Blank,
    Block,
    Cut,
    Document,
    NameValue,
    QrCode,
    Rule,
    Text,
)
from hardware.printer.layout import PrintCut, PrintLine, PrintQr, layout

ESC = 0x1B
GS = 0x1D
LF = b"\n"
INITIALISE = b"\x1b\x40"


def initialise(slot: int = DEFAULT_SLOT) -> bytes:
    """ESC @ resets the printer, and some models forget the code page with it: re-pin it."""
    if not 0 <= slot <= 255:
        raise ValueError(f"code page slot {slot} outside 0..255")
    return INITIALISE + bytes([ESC, 0x74, slot])


def encode(
    document: Document,
    columns: int,
    *,
    slot: int = DEFAULT_SLOT,
    codepage: CodePage = PC858,
) -> bytes:
    """The ESC/POS bytes printing `document` on paper `columns` characters wide (font A)."""
    out = bytearray(initialise(slot))
    # The printer's state after ESC @; commands are sent only when a line needs a change.
    align, bold, size = Align.LEFT, False, 0x00
    for item in layout(document, columns, codepage):
        if isinstance(item, PrintLine):
            if item.align != align:
                align = item.align
                out += bytes([ESC, 0x61, int(align)])
            if item.bold != bold:
                bold = item.bold
                out += bytes([ESC, 0x45, int(bold)])
            line_size = ((item.width - 1) << 4) | (item.height - 1)
            if line_size != size:
                size = line_size
                out += bytes([GS, 0x21, size])
            out += codepage.encode(item.text) + LF
        elif isinstance(item, PrintQr):
            if align != Align.CENTER:
                align = Align.CENTER
                out += bytes([ESC, 0x61, int(align)])
            out += qr_code(item.data, item.module_size, item.error_correction)
        elif isinstance(item, PrintCut):
            out += bytes([ESC, 0x64, item.feed])
            out += bytes([GS, 0x56, 0x42 if item.partial else 0x41, 0])
    return bytes(out)


def qr_code(data: str, module_size: int, error_correction: str) -> bytes:
    """GS ( k: model 2, module size, error correction, store the data, print it."""
    payload = data.encode("utf-8")
    store_len = len(payload) + 3
    return b"".join(
        [
            _gs_k(b"\x31\x41\x32\x00"),  # fn 165: model 2
            _gs_k(b"\x31\x43" + bytes([module_size])),  # fn 167: module size in dots
            _gs_k(b"\x31\x45" + bytes([QR_EC_LEVELS[error_correction]])),  # fn 169
            bytes([GS, 0x28, 0x6B, store_len & 0xFF, store_len >> 8])
            + b"\x31\x50\x30"
            + payload,  # fn 180: store
            _gs_k(b"\x31\x51\x30"),  # fn 181: print
        ]
    )


def _gs_k(body: bytes) -> bytes:
    return bytes([GS, 0x28, 0x6B, len(body) & 0xFF, len(body) >> 8]) + body
