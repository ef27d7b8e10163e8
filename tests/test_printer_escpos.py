"""ESC/POS encoder and layout: command bytes, code page pinning, widths, and a decode round trip."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.printer.codepage import PC858
from hardware.printer.escpos import (
    Align,
    Blank,
    Cut,
    Document,
    NameValue,
    QrCode,
    Rule,
    Text,
    encode,
    initialise,
    qr_code,
)
from hardware.printer.layout import PrintLine, layout, line_text, render_text
from hardware.sim.printer_decode import CutEvent, EscPosDecoder, Line, Qr
from hardware.sim.printer_render import receipt_text


def test_document_starts_with_init_and_pinned_code_page() -> None:
    data = encode(Document((Text("x"), Cut())), 42)
    assert data.startswith(b"\x1b\x40\x1b\x74\x13")
    assert encode(Document((Text("x"),)), 42, slot=16).startswith(b"\x1b\x40\x1b\x74\x10")


def test_every_init_is_followed_by_the_code_page() -> None:
    # Two documents sent as one job: the second ESC @ must pin the page again.
    data = encode(Document((Text("Grüße"), Cut())), 42) + encode(Document((Text("€"),)), 42)
    inits = [m.start() for m in re.finditer(re.escape(b"\x1b\x40"), data)]
    assert len(inits) == 2
    for at in inits:
        assert data[at + 2:at + 5] == b"\x1b\x74\x13"
    assert initialise(19) == b"\x1b\x40\x1b\x74\x13"
    with pytest.raises(ValueError):
        initialise(256)


def test_styles_alignment_and_cut_bytes() -> None:
    doc = Document((
        Text("Groß", bold=True, width=2, height=2, align=Align.CENTER),
        Text("rechts", align=Align.RIGHT),
        Blank(),
        Cut(feed=4),
    ))
    assert encode(doc, 42) == (
        b"\x1b\x40\x1b\x74\x13"
        + b"\x1b\x61\x01\x1b\x45\x01\x1d\x21\x11" + b"Gro\xe1\n"
        + b"\x1b\x61\x02\x1b\x45\x00\x1d\x21\x00" + b"rechts\n"
        + b"\x1b\x61\x00" + b"\n"
        + b"\x1b\x64\x04" + b"\x1d\x56\x42\x00"
    )
    assert encode(Document((Cut(feed=2, partial=False),)), 42).endswith(b"\x1b\x64\x02\x1d\x56\x41\x00")


def test_qr_code_command_sequence() -> None:
    data = "REF-1"
    assert qr_code(data, 6, "M") == (
        b"\x1d\x28\x6b\x04\x00\x31\x41\x32\x00"  # fn 165 model 2
        + b"\x1d\x28\x6b\x03\x00\x31\x43\x06"  # fn 167 module size 6
        + b"\x1d\x28\x6b\x03\x00\x31\x45\x31"  # fn 169 error correction M
        + b"\x1d\x28\x6b\x08\x00\x31\x50\x30REF-1"  # fn 180 store (pL = len + 3)
        + b"\x1d\x28\x6b\x03\x00\x31\x51\x30"  # fn 181 print
    )
    long = "x" * 300
    assert qr_code(long, 4, "H")[25:30] == bytes([0x1D, 0x28, 0x6B, 303 & 0xFF, 303 >> 8])
    with pytest.raises(ValueError):
        QrCode("x", error_correction="X")


def test_name_value_justified_when_it_fits() -> None:
    lines = layout(Document((NameValue("TA Code:", "29218171"),)), 32)
    assert lines == [PrintLine("TA Code:                29218171")]
    assert len(lines[0].text) == 32


def test_long_value_wraps_flush_right_nothing_cut() -> None:
    value = "STX_PVEGYP82M2NRDMKPE3BCT5ZH0QJKA2"
    lines = [item.text for item in layout(Document((NameValue("STX:", value),)), 32)]
    assert lines[0] == "STX:"
    assert all(len(line) == 32 for line in lines[1:])
    assert "".join(line.strip() for line in lines[1:]) == value


def test_unsupported_width_refused() -> None:
    with pytest.raises(ValueError, match="32, 42, 48"):
        layout(Document((Text("x"),)), 40)


def test_double_width_text_wraps_at_half_the_columns() -> None:
    lines = layout(Document((Text("Kartenaufladung erfolgreich", width=2),)), 32)
    assert [item.text for item in lines] == ["Kartenaufladung", "erfolgreich"]
    assert line_text(PrintLine("abc", width=2, align=Align.CENTER), 32) == " " * 13 + "abc"


_words = st.text(alphabet="abcdefghijÄÖÜäöüß€0123456789-:.,•„“ ", min_size=0, max_size=60)
_block = st.one_of(
    st.builds(Text, _words, bold=st.booleans(), width=st.sampled_from([1, 2]),
              height=st.sampled_from([1, 2]), align=st.sampled_from(list(Align))),
    st.builds(NameValue, _words, _words, bold=st.booleans()),
    st.just(Rule()),
    st.builds(Blank, st.integers(1, 2)),
    st.builds(QrCode, st.text(alphabet="0123456789abcdef-", min_size=1, max_size=40)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_block, max_size=12), st.sampled_from([32, 42, 48]))
def test_layout_fits_and_decodes_back_to_the_preview(blocks: list, columns: int) -> None:
    doc = Document(tuple(blocks) + (Cut(),))
    for item in layout(doc, columns):
        if isinstance(item, PrintLine):
            assert len(item.text) * item.width <= columns
    # Decode what the encoder sent, as the printer does, and compare with the preview.
    decoder = EscPosDecoder(columns)
    events = decoder.feed(encode(doc, columns))
    assert isinstance(events[-1], CutEvent)
    printed = [e for e in events if isinstance(e, (Line, Qr))]
    assert not any(isinstance(e, Line) and e.wrapped for e in printed)
    assert receipt_text(printed, columns) == render_text(doc, columns)
    # Every non-space character of the input reached the paper (nothing cut).
    chars = "".join(
        PC858.printable(b.text if isinstance(b, Text) else b.name + b.value).replace(" ", "")
        for b in blocks if isinstance(b, (Text, NameValue))
    )
    on_paper = "".join(e.text for e in printed if isinstance(e, Line)).replace(" ", "")
    assert _without_rules(on_paper, blocks, columns) == chars


def _without_rules(on_paper: str, blocks: list, columns: int) -> str:
    # Rules print a row of '-' per Rule block; take them out in order of appearance.
    text = on_paper
    for _ in (b for b in blocks if isinstance(b, Rule)):
        text = text.replace("-" * columns, "", 1)
    return text


def test_decoder_handles_any_chunking() -> None:
    doc = Document((Text("Grüße €", bold=True), QrCode("abc"), Cut()))
    data = encode(doc, 42)
    whole = EscPosDecoder(42).feed(data)
    decoder = EscPosDecoder(42)
    pieces = [e for i in range(len(data)) for e in decoder.feed(data[i:i + 1])]
    assert pieces == whole


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.integers(1, 7))
def test_decoder_survives_any_byte_stream(data: bytes, split: int) -> None:
    # The emulator must never die on what a host sends, however wrong.
    decoder = EscPosDecoder(32)
    for start in range(0, len(data), split):
        decoder.feed(data[start:start + split])
