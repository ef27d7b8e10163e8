"""Till mode: the customer pays at the till; only a staff card scanned at the kiosk lets the cash top-up run."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from enum import Enum
from typing import Callable

from kiosk.cards import mask_card
from kiosk.journal import new_reference
from kiosk.topup import TopupResult, TopupService

log = logging.getLogger(__name__)

SCAN_WAIT_S = 0.5  # how long one wait for a scan lasts before cancel and timeout are checked


class TillEnd(str, Enum):
    CONFIRMED = "confirmed"  # a staff card was scanned; the top-up ran (see `topup`)
    CANCELLED = "cancelled"  # the customer cancelled: nothing created, not charged
    TIMEOUT = "timeout"  # nobody confirmed in time: nothing created, not charged


@dataclass(frozen=True)
class TillResult:
    end: TillEnd
    reference: str  # shown as "Ref." on the pay-at-the-till screen and on the receipt
    topup: TopupResult | None = None
    staff_masked: str | None = None


def is_staff_card(number: str, staff_cards: tuple[str, ...]) -> bool:
    """A configured staff card number, or a number with a configured staff prefix."""
    return any(number == card or (len(card) < 16 and number.startswith(card))
               for card in staff_cards)


def short_reference(reference: str) -> str:
    """What the till staff read off the screen: the reference's first eight characters."""
    return reference[:8].upper()


class TillPayment:
    """Waits for a staff confirmation, then runs the ordinary top-up with start type "cash".

    Nothing is sent to the API before the staff scan, so a cancel or timeout leaves nothing
    to abort and the customer certainly was not charged.
    """

    def __init__(self, service: TopupService, staff_cards: tuple[str, ...],
                 confirm_timeout_s: float, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.service = service
        self.staff_cards = staff_cards
        self.confirm_timeout_s = confirm_timeout_s
        self.clock = clock

    def pay(self, card_number: str, amount: int, *, next_scan: Callable[[float], str | None],
            cancelled: Callable[[], bool] = lambda: False,
            reference: str | None = None) -> TillResult:
        """`next_scan(seconds)`: the next card number scanned within that time, or None."""
        reference = reference or new_reference()
        deadline = self.clock() + self.confirm_timeout_s
        while True:
            if cancelled():
                log.info("till payment %s: cancelled by the customer", reference)
                return TillResult(TillEnd.CANCELLED, reference)
            left = deadline - self.clock()
            if left <= 0:
                log.info("till payment %s: no staff confirmation in time", reference)
                return TillResult(TillEnd.TIMEOUT, reference)
            scanned = next_scan(min(left, SCAN_WAIT_S))
            if scanned is None:
                continue
            if not is_staff_card(scanned, self.staff_cards):
                log.info("till payment %s: %s is not a staff card; still waiting", reference,
                         mask_card(scanned))
                continue
            log.info("till payment %s: confirmed by staff card %s", reference,
                     mask_card(scanned))
            result = self.service.topup(card_number, amount, start_type="cash",
                                        reference=reference)
            return TillResult(TillEnd.CONFIRMED, reference, result, mask_card(scanned))
