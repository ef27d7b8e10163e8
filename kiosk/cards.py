"""Loyalty-card number rules: form validation (no check digit exists) and the one masking function."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

CARD_LENGTH = 16
DEFAULT_PREFIXES: tuple[str, ...] = ("9276",)
MASK_DOT = "•"

# Any run of 12-19 digits, optionally grouped by spaces or dashes, is treated as a card-like
# number when scrubbing free text (API receipt lines, log messages): better one masked
# reference too many than one card number leaked.
_CARDLIKE_RE = re.compile(r"(?<!\d)\d(?:[ -]?\d){11,18}(?!\d)")


class CardRejection(str, Enum):
    """Why a scanned or typed number is not a card number; values are stable catalog keys."""

    EMPTY = "empty"
    NOT_DIGITS = "not_digits"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    WRONG_PREFIX = "wrong_prefix"


@dataclass(frozen=True)
class CardCheck:
    """Outcome of a form check: the normalised number, or the reason it was refused."""

    number: str | None
    rejection: CardRejection | None = None

    @property
    def ok(self) -> bool:
        return self.rejection is None


def check_card_number(text: str, prefixes: tuple[str, ...] = DEFAULT_PREFIXES) -> CardCheck:
    """Check the form of a card number: 16 digits starting with one of `prefixes`.

    Spaces are tolerated (numbers are printed in groups of four); nothing else is.
    """
    digits = text.replace(" ", "")
    if not digits:
        return CardCheck(None, CardRejection.EMPTY)
    if not digits.isascii() or not digits.isdigit():
        return CardCheck(None, CardRejection.NOT_DIGITS)
    if len(digits) < CARD_LENGTH:
        return CardCheck(None, CardRejection.TOO_SHORT)
    if len(digits) > CARD_LENGTH:
        return CardCheck(None, CardRejection.TOO_LONG)
    if not any(digits.startswith(p) for p in prefixes):
        return CardCheck(None, CardRejection.WRONG_PREFIX)
    return CardCheck(digits)


def mask_card(number: str) -> str:
    """Mask a card number for display, logs and storage: "9276 •••• •••• 2845".

    Keeps the first four (the issuer prefix) and the last four digits of a 16-digit number;
    anything shorter than 8 digits is masked completely but for the last two.
    """
    digits = re.sub(r"\D", "", number)
    if len(digits) < 8:
        return MASK_DOT * max(len(digits) - 2, 0) + digits[-2:]
    middle = len(digits) - 8
    groups = [digits[:4]] + [MASK_DOT * 4] * (middle // 4)
    if middle % 4:
        groups.append(MASK_DOT * (middle % 4))
    groups.append(digits[-4:])
    return " ".join(groups)


def mask_last4(number: str) -> str:
    """The shortest form, for claim slips: "•••• 2845"."""
    digits = re.sub(r"\D", "", number)
    return f"{MASK_DOT * 4} {digits[-4:]}"


def mask_card_numbers_in_text(text: str) -> str:
    """Replace every card-like digit run inside free text by its masked form."""
    return _CARDLIKE_RE.sub(lambda m: mask_card(m.group(0)), text)
