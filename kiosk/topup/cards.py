"""The card gates before any money moves: pre-flight check, the card's PIN, the balance slip."""

from __future__ import annotations

import datetime as dt
from typing import Callable

from kiosk.cards import check_card_number, mask_card
from kiosk.secuconnect.card_models import BalanceReceipt
from kiosk.secuconnect.errors import ApiError, AuthError, SecuconnectError
from kiosk.secuconnect.models import MerchantCard, ModelError
from kiosk.topup.core import ServiceCore, log
from kiosk.topup.reasons import Reason, reason_for_api_error
from kiosk.topup.results import CardCheckResult, CardStatus, PinResult

# `passcode` settings under which a charge may ask for the PIN (1 any operation, 3 charge,
# 4 sale revenue, which a top-up may record too): the API is asked whether it does.
PASSCODE_MAY_ASK = frozenset({1, 3, 4})


def largest_topup(maximum: int, balance_limit: int | None, balance: int) -> int:
    """The largest amount a card may be offered: min(maximum, balance_limit - balance)."""
    if balance_limit is None:
        return maximum
    return max(0, min(maximum, balance_limit - balance))


def card_expired(expiry_date: str, today: dt.date) -> bool | None:
    """True once `expiry_date` (a date or ISO timestamp) lies before `today`; None if unreadable.

    "" means the card does not expire. A card expires at the end of its expiry day.
    """
    if not expiry_date:
        return False
    try:
        day = dt.date.fromisoformat(expiry_date[:10])
    except ValueError:
        return None
    return day < today


def pin_may_be_asked(card: MerchantCard | None, has_passcode: bool) -> bool:
    """Might a charge of this card ask for a PIN? (Then the API is asked to be sure.)"""
    if card is not None and card.passcode is not None:
        return card.passcode in PASSCODE_MAY_ASK
    # No passcode setting sent: older APIs only say whether a PIN is set.
    return has_passcode


class CardGates(ServiceCore):
    """Card pre-flight, PIN check and balance slip; part of TopupService."""

    today: Callable[[], dt.date] = dt.date.today
    # me/lockReasons, read at the first locked card and again for a reason it lacks. Only
    # the worker thread checks cards, so the cache needs no lock.
    _lock_texts: dict[int, str] | None = None

    def check_card(self, card_number: str) -> CardCheckResult:
        """May this card be topped up, up to how much, and does it need its PIN first?"""
        form = check_card_number(card_number, self.config.topup.card_prefixes)
        if not form.ok or form.number is None:
            return CardCheckResult(CardStatus.INVALID, mask_card(card_number),
                                   reason=Reason.CARD_INVALID)
        number = form.number
        masked = mask_card(number)
        try:
            return self._check(number, masked)
        except ApiError as exc:
            reason = reason_for_api_error(exc)
            status = {Reason.CARD_UNKNOWN: CardStatus.UNKNOWN,
                      Reason.CARD_LOCKED: CardStatus.LOCKED,
                      Reason.CARD_FOREIGN: CardStatus.FOREIGN}.get(reason, CardStatus.API_ERROR)
            return CardCheckResult(status, masked, reason=reason,
                                   support_id=exc.support_id or None, error=str(exc))
        except AuthError as exc:
            return CardCheckResult(CardStatus.API_ERROR, masked, reason=Reason.SERVICE_UNAVAILABLE,
                                   error=str(exc))
        except (SecuconnectError, ModelError) as exc:
            return CardCheckResult(CardStatus.UNREACHABLE, masked, reason=Reason.API_UNREACHABLE,
                                   support_id=getattr(exc, "support_id", "") or None,
                                   error=str(exc))

    def _check(self, number: str, masked: str) -> CardCheckResult:
        client = self.client
        card = client.lookup_card(number)
        validation = client.validate_card(number)
        if not validation.is_valid:
            if card is None:
                return CardCheckResult(CardStatus.UNKNOWN, masked, reason=Reason.CARD_UNKNOWN)
            return CardCheckResult(CardStatus.FOREIGN, masked, reason=Reason.CARD_FOREIGN)
        if validation.is_locked or (card is not None and card.locked):
            reason_id, text = self._lock_reason(card, masked)
            return CardCheckResult(CardStatus.LOCKED, masked, reason=Reason.CARD_LOCKED,
                                   lock_reason=reason_id, lock_text=text)
        balance = card.balance if card else 0
        if card is not None:
            if card.stock_status not in ("active", ""):
                # Undocumented, and a card in use reads "inactive" in the docs: not a gate.
                log.info("card %s: stock_status %r (not gated)", masked, card.stock_status)
            expired = card_expired(card.expiry_date, self.today())
            if expired:
                return CardCheckResult(CardStatus.EXPIRED, masked, balance=balance,
                                       reason=Reason.CARD_EXPIRED)
            if expired is None:
                log.warning("card %s: expiry_date %r unreadable; the server decides",
                            masked, card.expiry_date[:40])
        cfg = self.config.topup
        limit = self._balance_limit(card, masked)
        largest = largest_topup(cfg.maximum, limit, balance)
        if largest < cfg.minimum:
            return CardCheckResult(CardStatus.AT_LIMIT, masked, balance=balance,
                                   reason=Reason.CARD_AT_LIMIT, balance_limit=limit,
                                   max_amount=largest)
        pin = False
        if pin_may_be_asked(card, validation.has_passcode):
            group = card.cardgroup_id if card is not None else ""
            # Without a card group to ask, a PIN that may be needed is asked for.
            pin = client.passcode_enabled(group, number) if group else True
        return CardCheckResult(CardStatus.OK, masked, balance=balance, balance_limit=limit,
                               max_amount=largest, pin_required=pin,
                               merchantcard_id=card.id if card is not None else "")

    def _balance_limit(self, card: MerchantCard | None, masked: str) -> int | None:
        """The card group's balance_limit in cents; None when it has none or may not be read."""
        if card is None or not card.cardgroup_id:
            return None
        try:
            return self.client.get_cardgroup(card.cardgroup_id).balance_limit
        except ApiError as exc:
            # The kiosk may lack the right to read card groups: the server still enforces it.
            log.warning("card %s: card group %s not readable, no balance limit offered: %s",
                        masked, card.cardgroup_id, exc)
            return None

    def _lock_reason(self, card: MerchantCard | None, masked: str) -> tuple[int | None, str]:
        """The lock reason id and the API's text for it; (None, "") when not to be had."""
        if card is None or not card.id:
            return None, ""
        try:
            reason_id = self.client.card_lock_reason(card.id)
            if reason_id is None:
                return None, ""
            texts = self._lock_texts
            if texts is None or reason_id not in texts:
                texts = self._lock_texts = self.client.lock_reasons()
            return reason_id, texts.get(reason_id, "")
        except (SecuconnectError, ModelError) as exc:
            # The card stays refused whatever the reason: only the wording is lost.
            log.warning("card %s: lock reason not readable: %s", masked, exc)
            return None, ""

    def verify_pin(self, card_number: str, merchantcard_id: str, pin: str) -> PinResult:
        """Check the card's PIN with the API before its top-up (`checkPasscode`)."""
        masked = mask_card(card_number)
        try:
            if self.client.check_passcode(merchantcard_id, card_number, pin):
                log.info("card %s: PIN checked", masked)
                return PinResult.OK
            log.info("card %s: wrong PIN", masked)
            return PinResult.WRONG
        except ApiError as exc:
            log.warning("card %s: PIN check refused: %s", masked, exc)
            if reason_for_api_error(exc) is Reason.CARD_LOCKED:
                return PinResult.LOCKED
            return PinResult.UNREACHABLE
        except (SecuconnectError, ModelError, ValueError) as exc:
            log.warning("card %s: PIN check failed: %s", masked, exc)
            return PinResult.UNREACHABLE

    def balance_receipt(self, card_number: str, merchantcard_id: str) -> BalanceReceipt:
        """The card's balance slip from the API; raises SecuconnectError or ModelError."""
        return self.client.card_balance_receipt(merchantcard_id, card_number,
                                                self.config.kiosk.id)
