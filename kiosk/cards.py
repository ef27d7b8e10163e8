"""Loyalty-card number rules: form validation (no check digit exists) and the one masking function."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

CARD_LENGTH = 16
DEFAULT_PREFIXES: tuple[str, ...] = ("9276",)
MASK_DOT = "•"

# What may stand between the digit groups of a card number written by a person, a printer or
# a copy-paste: any whitespace (tab, NBSP, U+202F, thin space, line breaks), invisible format
# characters, control characters, dashes of every width, dot and slash.
_SEPARATOR = (
    r"[\s\x00-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u2060\ufeff"
    r"\-\u2010-\u2015\u2212./]"
)
# Up to this many separator characters in a row still join two digit groups ("9276 - 0044").
_MAX_SEPARATOR_RUN = 3
# Any run of 12 or more digits (no upper bound: a 20-digit run may hold a whole card number),
# grouped by separators or not, is card-like when scrubbing free text (API receipt lines, log
# messages, journal errors): better one masked number too many than one card number leaked.
# Linear time: each repetition starts with a separator run that cannot contain a digit, so there
# is one way to match each step, and a failed start gives up after at most 11 digits.
_CARDLIKE_RE = re.compile(rf"(?<!\d)\d(?:{_SEPARATOR}{{0,{_MAX_SEPARATOR_RUN}}}\d){{11,}}")
# The kiosk's own references are canonical UUIDs, which support searches the logs for: they
# stay untouched. Fixed width, so finding them is linear too.
_HEX = "[0-9A-Fa-f]"
_UUID_RE = re.compile(rf"(?<!{_HEX}){_HEX}{{8}}(?:-{_HEX}{{4}}){{3}}-{_HEX}{{12}}(?!{_HEX})")
# A card-like run that is exactly an IPv4 address (at most 12 digits, shorter than a card) is
# left alone; one that merely contains an address ("9276 000.000.000.000") is masked whole.
_IPV4_RE = re.compile(r"[0-9]{1,3}(?:\.[0-9]{1,3}){3}")


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
    """Replace every card-like digit run inside free text by its masked form.

    The one scrubber for free text: logs, journal errors and receipt lines all go through it.
    UUID references and IPv4 addresses are left exactly as they are. A UUID is taken as a
    whole token, so only a card number split across a UUID's edge, with the UUID's outer group
    made of the card's digits, could slip through: a constructed text, not one that occurs.
    """
    pieces: list[str] = []
    start = 0
    for reference in _UUID_RE.finditer(text):
        pieces.append(_mask_runs(text[start:reference.start()]))
        pieces.append(reference.group(0))
        start = reference.end()
    pieces.append(_mask_runs(text[start:]))
    return "".join(pieces)


def _mask_runs(text: str) -> str:
    return _CARDLIKE_RE.sub(_masked_run, text)


def _masked_run(match: re.Match[str]) -> str:
    run = match.group(0)
    return run if _IPV4_RE.fullmatch(run) else mask_card(run)
