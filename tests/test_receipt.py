"""Receipt documents: golden bytes of the seed's receipt, API line rendering, masking, slips."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.printer.escpos import Align, NameValue, QrCode, Text, encode
from kiosk.receipt import (
    COPY_MARK,
    DEFAULT_SUPPORT,
    api_lines,
    claim_slip,
    not_charged_slip,
    render_text,
    topup_receipt,
)
from kiosk.secuconnect.models import ReceiptLine
from kiosk.shortref import short_reference
from tests.fixtures.printer import FIXED_KIOSK, FIXED_REFERENCE, FIXED_WHEN, SEED_TOPUP

GOLDEN = Path(__file__).parent / "golden"
CARD = "9276004429942845"


def _seed_receipt(seed_transaction, copy: bool = False):
    return topup_receipt(FIXED_KIOSK, when=FIXED_WHEN, lines=seed_transaction.receipt,
                         stx_id=seed_transaction.id, reference=FIXED_REFERENCE, copy=copy,
                         **SEED_TOPUP)


def _check_golden(name: str, actual: bytes) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_bytes(actual)  # review the diff before committing
        return
    assert actual == path.read_bytes(), f"{name} differs; review, then UPDATE_GOLDEN=1"


@pytest.mark.parametrize("columns", [42, 32])
def test_seed_receipt_golden_bytes(seed_transaction, columns: int) -> None:
    doc = _seed_receipt(seed_transaction)
    data = encode(doc, columns)
    _check_golden(f"seed_receipt_{columns}.bin", data)
    _check_golden(f"seed_receipt_{columns}.txt", render_text(doc, columns).encode("utf-8"))
    # What the golden file holds, spelled out: init, PC858 pinned, umlaut bytes, masking, cut.
    assert data.startswith(b"\x1b\x40\x1b\x74\x13")
    assert b"Musterstra\xe1e 1" in data
    assert b"Aktuelles Guthaben:\n" in data
    assert b"\x1b\x45\x01\x1d\x21\x11" + b"15,00 EUR\n" in data
    assert CARD.encode() not in data and b"9276 **** **** 2845" in data
    assert FIXED_REFERENCE.encode() in data  # the QR store command carries the reference
    assert data.endswith(b"\x1d\x56\x42\x00")


def test_seed_receipt_text_42(seed_transaction) -> None:
    text = render_text(_seed_receipt(seed_transaction), 42)
    lines = text.splitlines()
    assert lines[0].strip() == "John's Bakery"
    assert "Kiosk:                             kiosk-1" in lines
    assert "Datum:                 25.09.2020 11:15:30" in lines
    assert "               Kundenkarte" in lines  # separator caption centred
    assert "Kartennummer:          9276 **** **** 2845" in lines
    # The kiosk's own lines: what was topped up, how it was paid, the short reference.
    assert "Aufgeladen:                        15,00 €" in lines
    assert "Zahlung:                               Bar" in lines
    assert f"Referenz:{short_reference(FIXED_REFERENCE):>33}" in lines
    assert "Mehrzweck-Gutschein: Die Aufladung enthält" in lines          # the VAT note
    # The technical ids close the receipt, one plain line each.
    assert lines[-2:] == ["STX_PVEGYP82M2NRDMKPE3BCT5ZH0QJKA2", FIXED_REFERENCE]
    assert "[QR]" in text and "Hilfe: 0351 123456 · hilfe@example.de" in text
    assert text.count("-" * 42) == 3          # one rule between the kiosk's and the API's lines
    assert COPY_MARK not in text
    assert all(len(line) <= 42 for line in lines)


def test_the_kiosks_lines_in_english_the_apis_as_sent(seed_transaction) -> None:
    english = render_text(topup_receipt(
        FIXED_KIOSK, when=FIXED_WHEN, lines=seed_transaction.receipt, stx_id="STX_1",
        reference=FIXED_REFERENCE, amount=2000, currency="EUR", start_type="cashless",
        language="en"), 42)
    german = render_text(_seed_receipt(seed_transaction), 42)
    lines = english.splitlines()
    assert "Topped up:                         20,00 €" in lines
    assert "Payment:                              Card" in lines
    assert "Date:                  25.09.2020 11:15:30" in lines
    assert "Multi-purpose voucher: no VAT is charged" in lines and "Thank you!" in english
    assert "Datum" not in english and "Zahlung" not in english
    api = german[german.index("Kundenkarte") - 16:german.index("Mehrzweck")]
    assert api in english                     # the API's lines: identical in both


def test_the_vat_note_is_configurable(seed_transaction) -> None:
    def text_for(note: str) -> str:
        return render_text(topup_receipt(
            replace(FIXED_KIOSK, vat_note=note), when=FIXED_WHEN, lines=[], stx_id="S",
            reference="r", **SEED_TOPUP), 42)
    assert "Enthält 19 % MwSt." in text_for("Enthält 19 % MwSt.")
    assert "Mehrzweck" not in text_for("-") and "MwSt" not in text_for("-")


def test_reprint_is_marked_as_copy(seed_transaction) -> None:
    text = render_text(_seed_receipt(seed_transaction, copy=True), 32)
    assert text.count(COPY_MARK) == 2  # at the top and at the bottom
    original = render_text(_seed_receipt(seed_transaction), 32)
    assert set(original.splitlines()) <= set(text.splitlines())


def test_api_line_types_and_decorations() -> None:
    lines = [
        ReceiptLine("textline", text="mitte", decorations=("align-center",)),
        ReceiptLine("textline", text="rechts", decorations=("align_right",)),
        ReceiptLine("textline", text="links", decorations=("align_left", "blink")),
        ReceiptLine("textline", text="wichtig", decorations=("important", "align-right")),
        ReceiptLine("name-value", name="Summe:", value="15,00 EUR", decorations=("important",)),
        ReceiptLine("separator"),
        ReceiptLine("barcode", text="BARCODE-DATA"),
        ReceiptLine("space"),
    ]
    blocks = api_lines(lines)
    assert blocks[0] == Text("mitte", align=Align.CENTER)
    assert blocks[1] == Text("rechts", align=Align.RIGHT)
    assert blocks[2] == Text("links", align=Align.LEFT)  # unknown decoration ignored
    assert blocks[3] == Text("wichtig", bold=True, width=2, height=2, align=Align.RIGHT)
    assert blocks[4] == NameValue("Summe:", "15,00 EUR", bold=True)
    assert len(blocks) == 7  # the unknown type is skipped, nothing else
    text = render_text(
        topup_receipt(FIXED_KIOSK, when=FIXED_WHEN, lines=lines, stx_id="STX_1",
                      reference="r", **SEED_TOPUP), 32)
    assert "BARCODE-DATA" not in text
    assert "                          rechts" in text.splitlines()


def test_card_numbers_inside_api_lines_are_masked() -> None:
    lines = [
        ReceiptLine("textline", text=f"Karte {CARD} aufgeladen"),
        ReceiptLine("name-value", name=f"Karte {CARD[:4]} {CARD[4:8]}", value=CARD),
        ReceiptLine("separator", caption=f"Kunde {CARD}"),
    ]
    doc = topup_receipt(FIXED_KIOSK, when=FIXED_WHEN, lines=lines, stx_id="STX_1",
                        reference=FIXED_REFERENCE, **SEED_TOPUP)
    data = encode(doc, 42)
    text = render_text(doc, 42)
    assert CARD not in text and "2845" in text
    assert re.search(rb"\d{9,}", data.replace(FIXED_REFERENCE.encode(), b"")) is None


@settings(max_examples=60, deadline=None)
@given(st.from_regex(r"9276\d{12}", fullmatch=True), st.text(max_size=20),
       st.sampled_from(["textline", "name-value", "separator"]), st.sampled_from([32, 42, 48]))
def test_no_card_number_survives_in_any_line(card: str, around: str, kind: str,
                                             columns: int) -> None:
    line = ReceiptLine(kind, caption=f"{around} {card}", name=around, value=f"{card} {around}",
                       text=f"{around}{' '}{card}")
    doc = topup_receipt(FIXED_KIOSK, when=FIXED_WHEN, lines=[line], stx_id="STX_1",
                        reference="ref", **SEED_TOPUP)
    printed = render_text(doc, columns).replace("\n", "").replace(" ", "")
    assert card not in printed


def test_not_charged_slip() -> None:
    doc = not_charged_slip(FIXED_KIOSK, when=FIXED_WHEN, reference=FIXED_REFERENCE,
                           amount=1500, currency="EUR", card_number=CARD,
                           reason="Zahlung abgebrochen")
    text = render_text(doc, 42)
    assert "NICHT BELASTET" in text and "NOT CHARGED" in text
    assert "Betrag / Amount:" + "15,00 €".rjust(42 - 16) in text.splitlines()
    assert "9276 **** **** 2845" in text and CARD not in text
    assert "Zahlung abgebrochen" in text and FIXED_REFERENCE in text
    assert [b for b in doc.blocks if isinstance(b, QrCode)] == [QrCode(FIXED_REFERENCE)]
    assert b"15,00 \xd5" in encode(doc, 42)  # € in PC858


def test_claim_slip_has_what_support_needs() -> None:
    doc = claim_slip(FIXED_KIOSK, when=FIXED_WHEN, reference=FIXED_REFERENCE, amount=2050,
                     currency="EUR", card_number=CARD, reason_code="E-START-UNKNOWN")
    text = render_text(doc, 32)
    assert "KLÄRUNGSBELEG" in text and "CLAIM SLIP" in text
    assert "kiosk-1" in text and "25.09.2020 11:15:30" in text
    assert "20,50 €" in text
    assert "**** 2845" in text and "9276" not in text  # masked to the last 4
    assert "E-START-UNKNOWN" in text
    assert FIXED_REFERENCE.replace("-", "") in text.replace("\n", "").replace(" ", "").replace(
        "-", "")
    assert [b for b in doc.blocks if isinstance(b, QrCode)] == [QrCode(FIXED_REFERENCE)]
    assert FIXED_KIOSK.support_line.split(" · ")[0] in text
    # No support line configured: the slip still says how to get help.
    bare = claim_slip(replace(FIXED_KIOSK, support_line=""), when=FIXED_WHEN,
                      reference="r", amount=500, currency="EUR", card_number=CARD,
                      reason_code="X")
    assert DEFAULT_SUPPORT.split(".")[0] in render_text(bare, 42)


@pytest.mark.parametrize("columns", [32, 42, 48])
def test_every_variant_fits_every_width(seed_transaction, columns: int) -> None:
    long_kiosk = replace(FIXED_KIOSK, merchant_name="Bäckerei Müller & Söhne Großhandel GmbH",
                         merchant_address=("Sehr lange Straßenbezeichnung 123a, Hinterhaus",))
    docs = [
        topup_receipt(long_kiosk, when=FIXED_WHEN, lines=seed_transaction.receipt,
                      stx_id=seed_transaction.id, reference=FIXED_REFERENCE, copy=True,
                      **SEED_TOPUP),
        not_charged_slip(long_kiosk, when=FIXED_WHEN, reference=FIXED_REFERENCE, amount=1,
                         currency="EUR", card_number=CARD, reason="x " * 40),
        claim_slip(long_kiosk, when=FIXED_WHEN, reference=FIXED_REFERENCE, amount=2000000,
                   currency="EUR", card_number=CARD, reason_code="E" * 50),
    ]
    for doc in docs:
        text = render_text(doc, columns)
        assert all(len(line) <= columns for line in text.splitlines()), text
        assert "Großhandel" in text  # wrapped, not cut


def test_balance_slip_prints_the_apis_lines_or_else_its_balance():
    from kiosk.receipt import balance_slip
    card = "9276004429942845"
    lines = (ReceiptLine("name-value", name="Guthaben:", value="12,50 EUR"),)
    with_lines = render_text(balance_slip(FIXED_KIOSK, when=FIXED_WHEN, card_number=card,
                                          header=(), lines=lines, balance=1, currency="EUR"), 42)
    assert "12,50 EUR" in with_lines and "0,01" not in with_lines   # the API's, not the kiosk's
    bare = render_text(balance_slip(FIXED_KIOSK, when=FIXED_WHEN, card_number=card, header=(),
                                    lines=(), balance=1250, currency="EUR"), 42)
    assert "Guthaben / Balance:" in bare and "12,50" in bare
    assert card not in bare and card not in with_lines and "2845" in bare
