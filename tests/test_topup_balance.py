"""The new balance read from the API's receipt: its readings, and linear time on any line (issue 9, finding 3)."""

from __future__ import annotations

import time

import pytest

from kiosk.secuconnect.models import ReceiptLine
from kiosk.topup import balance_from_receipt
from kiosk.topup.balance import BALANCE_RE


def pair(name: str, value: str) -> ReceiptLine:
    return ReceiptLine("name-value", name=name, value=value)


def text(value: str) -> ReceiptLine:
    return ReceiptLine("textline", text=value)


@pytest.mark.parametrize("lines, balance", [
    ((pair("Aktuelles Guthaben:", "15,00 EUR"),), 1500),
    ((pair("Aktuelles Guthaben:", "1.234,56 EUR"),), 123456),
    ((pair("Aktuelles Guthaben:", "-3,50 EUR"),), -350),
    ((text("Aktuelles Guthaben:"), text("27,05 EUR")), 2705),
    ((pair("Altes Guthaben:", "1,00 EUR"), pair("Aktuelles Guthaben:", "2,00 EUR")), 200),
    ((pair("Aktuelles Guthaben:", "EUR"),), None),
    ((pair("Umsatz", "15,00 EUR"),), None),
    ((), None),
])
def test_balance_readings(lines, balance):
    assert balance_from_receipt(lines) == balance


def test_a_number_too_long_for_a_balance_is_not_read_in_part():
    # Bounded digit runs must not read the tail of a longer number as the balance.
    assert balance_from_receipt((pair("Aktuelles Guthaben:", "1" * 40 + ",00 EUR"),)) is None
    assert balance_from_receipt((pair("Aktuelles Guthaben:", "1.234.567.890.123.456,00"),)) is None


def test_pattern_is_linear_by_construction():
    # Every repetition is bounded: no unbounded run that the search retries at each offset.
    assert "+" not in BALANCE_RE.pattern and "*" not in BALANCE_RE.pattern


@pytest.mark.parametrize("digits", [32_000, 320_000])
def test_long_digit_runs_are_read_in_linear_time(digits):
    # 32k digits after "Aktuelles Guthaben" took 11-24 s with the quadratic pattern, inside
    # the confirm step before CONFIRMED was written. Linear: milliseconds; 2 s is generous.
    lines = (pair("Aktuelles Guthaben:", "9" * digits), text("1" * digits))
    began = time.process_time()
    assert balance_from_receipt(lines) is None
    assert time.process_time() - began < 2.0
