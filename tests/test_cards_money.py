"""Card-number form rules, masking, and the cents <-> text conversions."""

import pytest
from hypothesis import given, strategies as st

from kiosk.cards import (
    CardRejection,
    check_card_number,
    mask_card,
    mask_card_numbers_in_text,
    mask_last4,
)
from kiosk.money import AmountError, cents_from_number, format_amount, parse_amount


def test_seed_card_is_valid_although_it_fails_luhn():
    assert check_card_number("9276004429942845").number == "9276004429942845"
    assert check_card_number("9276 0044 2994 2845").ok


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", CardRejection.EMPTY),
        ("927600442994284", CardRejection.TOO_SHORT),
        ("92760044299428451", CardRejection.TOO_LONG),
        ("1234004429942845", CardRejection.WRONG_PREFIX),
        ("9276a04429942845", CardRejection.NOT_DIGITS),
        ("９２７６004429942845", CardRejection.NOT_DIGITS),  # full-width digits are not ASCII
    ],
)
def test_bad_card_numbers_are_rejected_with_reason(text, reason):
    check = check_card_number(text)
    assert not check.ok and check.rejection is reason and check.number is None


def test_configured_prefixes():
    assert check_card_number("1234004429942845", ("9276", "1234")).ok


def test_masking():
    assert mask_card("9276004429942845") == "9276 •••• •••• 2845"
    assert mask_last4("9276004429942845") == "•••• 2845"
    assert mask_card_numbers_in_text("Karte 9276004429942845 ok, TA 29218171") == (
        "Karte 9276 •••• •••• 2845 ok, TA 29218171"
    )
    assert "0044" not in mask_card_numbers_in_text("9276 0044 2994 2845")


@given(st.text(alphabet="0123456789", min_size=12, max_size=19))
def test_no_cardlike_number_survives_scrubbing(digits):
    scrubbed = mask_card_numbers_in_text(f"x {digits} y")
    assert digits not in scrubbed
    assert digits[-4:] in scrubbed


@pytest.mark.parametrize(
    "text, cents",
    [("15", 1500), ("15.00", 1500), ("15,5", 1550), ("12,34 €", 1234), ("0,01", 1)],
)
def test_parse_amount(text, cents):
    assert parse_amount(text) == cents


@pytest.mark.parametrize(
    "text", ["", "15.001", "-5", "abc", "1e3", "15,00 USD",
             "\uff1015", "\u0661\u0665", "15,\u0660\u0660", "\U0001d7d3"],  # non-ASCII digits
)
def test_parse_amount_refuses(text):
    with pytest.raises(AmountError):
        parse_amount(text)


def test_format_amount():
    assert format_amount(1500) == "15,00 €"
    assert format_amount(123456, symbol=False) == "1.234,56 EUR"
    assert format_amount(-5) == "-0,05 €"


@given(st.integers(min_value=0, max_value=10**8))
def test_format_parse_roundtrip(cents):
    assert parse_amount(format_amount(cents).replace(".", "")) == cents


def test_cents_from_number():
    assert cents_from_number(12.5) == 1250
    assert cents_from_number(15) == 1500
    with pytest.raises(AmountError):
        cents_from_number(1.005)
