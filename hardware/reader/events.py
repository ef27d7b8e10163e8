"""What a card reader hands to its owner: a card number, a rejected scan, or a status change."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum


class RejectReason(str, Enum):
    """Why a scan did not yield a card number; the values are stable keys for screens and metrics.

    too_short / too_long / wrong_prefix match kiosk.cards.CardRejection's values on purpose.
    """

    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    WRONG_PREFIX = "wrong_prefix"
    NON_DIGIT = "non_digit"  # a key (or serial byte) other than a digit: letter, control combo
    GAP_TIMEOUT = "gap_timeout"  # the scan broke off: no terminator within the inter-key gap
    DUPLICATE = "duplicate"  # the same card again within the debounce window


@dataclass(frozen=True)
class CardScanned:
    """A scan that passed the form checks. The number stays out of repr so it never reaches a log."""

    number: str = field(repr=False)

    @property
    def length(self) -> int:
        return len(self.number)


@dataclass(frozen=True)
class ScanRejected:
    """A scan that was refused; `length` counts the digits seen (the digits themselves are dropped)."""

    reason: RejectReason
    length: int


@dataclass(frozen=True)
class ReaderStatus:
    """The reader became usable (`connected`) or not; `reason` says why, for the operator."""

    connected: bool
    device: str
    reason: str = ""


ReaderEvent = CardScanned | ScanRejected | ReaderStatus
ScanResult = CardScanned | ScanRejected
OnEvent = Callable[[ReaderEvent], None]
