"""Amounts in minor units (cents) and their German display form, e.g. 1500 <-> "15,00 €"."""

from __future__ import annotations

import re

CURRENCY_SYMBOLS = {"EUR": "€"}

# ASCII digits only: "０15" (full-width) must not read as 15,00 €.
_AMOUNT_RE = re.compile(r"^\s*([0-9]{1,7})(?:[.,]([0-9]{1,2}))?\s*(?:€|EUR)?\s*$")


class AmountError(ValueError):
    """An amount text that is not a plain positive amount with at most two decimals."""


def parse_amount(text: str) -> int:
    """Parse "15", "15.00", "15,5" or "15,00 €" into cents; refuse anything else."""
    match = _AMOUNT_RE.match(text)
    if not match:
        raise AmountError(f"not an amount: {text!r} (expected e.g. 15.00 or 15,00)")
    whole, frac = match.group(1), match.group(2) or "0"
    return int(whole) * 100 + int(frac.ljust(2, "0"))


def cents_from_number(value: int | float) -> int:
    """Convert a config number in major units (15 or 12.5) to cents, refusing sub-cent parts."""
    cents = round(value * 100)
    if abs(value * 100 - cents) > 1e-6:
        raise AmountError(f"{value} has more than two decimals")
    return int(cents)


def format_amount(cents: int, currency: str = "EUR", *, symbol: bool = True) -> str:
    """German form: 1500 -> "15,00 €" (symbol) or "15,00 EUR"; thousands grouped with '.'."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    grouped = f"{whole:,}".replace(",", ".")
    unit = CURRENCY_SYMBOLS.get(currency, currency) if symbol else currency
    return f"{sign}{grouped},{frac:02d} {unit}"
