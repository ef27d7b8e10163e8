"""PC858 bytes for German receipts, and the defined fallback for characters the page lacks."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hardware.printer.codepage import PC858, REPLACEMENT


def test_german_letters_have_their_exact_pc858_bytes() -> None:
    assert PC858.encode("ÄÖÜäöüß") == bytes([0x8E, 0x99, 0x9A, 0x84, 0x94, 0x81, 0xE1])


def test_balance_line_with_euro_sign_exact_bytes() -> None:
    assert PC858.encode("Aktuelles Guthaben: 15,00 €") == (
        b"Aktuelles Guthaben: 15,00 " + bytes([0xD5])
    )


def test_card_mask_dot_falls_back_to_asterisk() -> None:
    assert PC858.encode("9276 •••• •••• 2845") == b"9276 **** **** 2845"


def test_typographic_characters_transliterate() -> None:
    assert PC858.printable("„Guthaben“ – 5 € …") == '"Guthaben" - 5 € ...'


def test_accented_letters_missing_in_pc858_keep_their_base_letter() -> None:
    # ő and č are not in PC858; é and ç are.
    assert PC858.printable("Dvořák Erdős café garçon") == "Dvorák Erdos café garçon"  # á exists in PC858


def test_unknown_characters_become_visible_replacement_not_dropped() -> None:
    assert PC858.printable("Karte ✗ 漢") == f"Karte {REPLACEMENT} {REPLACEMENT}"
    assert PC858.substitutions("a漢€") == {"漢": REPLACEMENT}


def test_control_characters_never_reach_the_printer_as_commands() -> None:
    # An API text carrying ESC @ or a cut must not re-initialise or cut the paper.
    data = PC858.encode("A\x1b@B\x1dV\x00C\x10\x04\x01")
    assert all(b >= 0x20 and b != 0x7F for b in data)
    assert data == b"A?@B?V?C??" + b"?"


@given(st.text(max_size=80))
def test_every_character_prints_as_something(text: str) -> None:
    printable = PC858.printable(text)
    data = PC858.encode(text)
    # Each input character yields at least one output character: nothing is dropped silently.
    assert len(printable) >= len(text)
    assert len(data) == len(printable)
    assert all(b >= 0x20 and b != 0x7F for b in data)
    assert PC858.decode(data) == printable
