"""The sandbox's loyalty cards: card groups, locks and their reasons, PINs, expiry, limits, bonus.

Pure state behind the sandbox's lock (SandboxState holds one CardBook and calls it under its
own lock); every answering method returns (status, JSON) like the real API.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from hardware.sim.sandbox_payloads import Answer, api_error, euro_text, format_error, new_id

# `GET /Loyalty/MerchantCards/me/lockReasons`: the reasons the reference names (1, 2, 3, 6, 8)
# and one the kiosk does not know, so that its fallback to the API's own text is exercised.
LOCK_REASONS: dict[int, str] = {
    1: "Karte verloren",
    2: "Karte defekt",
    3: "Offene Forderungen",
    6: "Karte abgelaufen",
    8: "Karte nicht aktiviert",
    9: "PIN zu oft falsch eingegeben",
}
PIN_LOCK_REASON = 9
PIN_TRIES = 3            # wrong PINs in a row before the card locks itself
DEFAULT_GROUP = "CRG_SANDBOX"
# `passcode` values under which a charge asks for the PIN (1 any, 3 charge, 4 sale revenue).
PASSCODE_ON_CHARGE = frozenset({1, 3, 4})


@dataclass
class CardGroup:
    id: str
    balance_limit: int = 0      # cents; 0: no limit
    bonus_percent: int = 0      # bonus credited on the top-up EAN, percent of the amount
    balance_expiry: bool = False


@dataclass
class Card:
    number: str
    balance: int = 0            # cash + bonus, cents
    locked: bool = False
    foreign: bool = False       # exists, but belongs to another merchant
    id: str = field(default_factory=lambda: new_id("MCD"))
    card_id: str = field(default_factory=lambda: new_id("CRD"))
    group: str = DEFAULT_GROUP
    bonus_balance: int = 0
    lock_reason: int | None = None
    stock_status: str = "active"
    expiry_date: str | None = None   # "YYYY-MM-DD"
    passcode: int = 0                # 0..6: when a PIN is checked
    pin: int | None = None           # held as the API's int: leading zeros do not count
    pin_failures: int = 0
    pin_checked: bool = False        # a right PIN since the last charge


class CardBook:
    """Cards and card groups of the sandbox's merchant."""

    def __init__(self, merchant_id: str, lock: threading.RLock,
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        self.merchant_id = merchant_id
        self.lock = lock          # the sandbox state's: a card and its transactions change together
        self.today = today
        self.cards: dict[str, Card] = {}
        self.groups: dict[str, CardGroup] = {DEFAULT_GROUP: CardGroup(DEFAULT_GROUP)}
        self.pin_checks: list[Any] = []   # the `pin` value of every checkPasscode, as sent

    # --- set-up ---------------------------------------------------------------------------

    def add(self, card: Card) -> Card:
        self.groups.setdefault(card.group, CardGroup(card.group))
        self.cards[card.number] = card
        return card

    def group(self, group_id: str, *, balance_limit: int = 0, bonus_percent: int = 0) -> CardGroup:
        group = CardGroup(group_id, balance_limit, bonus_percent)
        self.groups[group_id] = group
        return group

    def _by_id(self, mcd: str) -> Card | None:
        return next((c for c in self.cards.values() if c.id == mcd and not c.foreign), None)

    # --- reads ----------------------------------------------------------------------------

    def merchantcard(self, card: Card) -> dict[str, Any]:
        merchant = {"object": "general.merchants", "id": self.merchant_id}
        return {
            "object": "loyalty.merchantcards", "id": card.id, "merchant": merchant,
            "created_for_merchant": merchant,
            "card": {"object": "loyalty.cards", "id": card.card_id, "cardnumber": card.number,
                     "created": "2015-09-28T16:01:20+02:00"},
            # As in the API: the embedded card group has no balance_limit (read the group).
            "cardgroup": {"object": "loyalty.cardgroups", "id": card.group,
                          "display_name": "Guthaben", "display_name_raw": "Guthaben",
                          "stock_warn_limit": 0, "picture": None},
            "created_for_store": None, "customer": None, "is_base_card": True, "points": 0,
            "cash_balance": card.balance - card.bonus_balance,
            "bonus_balance": card.bonus_balance, "balance": card.balance,
            "last_usage": None, "last_charge": None, "stock_status": card.stock_status,
            "lock_status": "locked" if card.locked else "unlocked", "passcode": card.passcode,
            "expiry_date": card.expiry_date,
        }

    def lookup(self, query: dict[str, str]) -> Answer:
        q = query.get("q", "")
        if not q.startswith("card.cardnumber:"):
            return format_error("Unsupported query; expected q=card.cardnumber:<number>")
        card = self.cards.get(q.split(":", 1)[1].strip('"'))
        if card is None or card.foreign:
            return 200, {"count": 0, "data": []}
        return 200, {"count": 1, "data": [self.merchantcard(card)]}

    def validate(self, body: Any) -> Answer:
        number = body.get("cardnumber") if isinstance(body, dict) else None
        if not isinstance(number, str) or not number:
            return format_error("cardnumber is required")
        card = self.cards.get(number)
        if card is None or card.foreign:
            return 200, {"isValid": False}
        return 200, {"isValid": True, "hasPasscode": card.pin is not None,
                     "isLocked": card.locked}

    def cardgroup(self, group_id: str) -> Answer:
        group = self.groups.get(group_id)
        if group is None:
            return api_error(404, "ProductNotFoundException", f"Card group {group_id} not found")
        return 200, {"object": "loyalty.cardgroups", "id": group.id,
                     "display_name": "Guthaben", "balance_limit": group.balance_limit,
                     "balance_expiry": group.balance_expiry, "cancel_selected": False}

    def lock_reasons(self) -> Answer:
        return 200, [{"id": key, "text": text} for key, text in LOCK_REASONS.items()]

    def card_lock(self, mcd: str) -> Answer:
        card = self._by_id(mcd)
        if card is None:
            return api_error(404, "ProductNotFoundException", f"Merchant card {mcd} not found")
        return 200, {"lock_status": "locked" if card.locked else "unlocked",
                     "lock_reason": card.lock_reason if card.locked else None}

    # --- PIN ------------------------------------------------------------------------------

    def passcode_enabled(self, group_id: str, body: Any) -> Answer:
        number = body.get("cardnumber") if isinstance(body, dict) else None
        card = self.cards.get(number) if isinstance(number, str) else None
        if card is None or card.group != group_id or not isinstance(body, dict):
            return format_error("cardnumber of this card group is required")
        asks = card.pin is not None and (card.passcode == 1 or (
            body.get("action") == "charge" and card.passcode in (3, 4)))
        return 200, {"result": asks}

    def check_passcode(self, mcd: str, body: Any) -> Answer:
        card = self._by_id(mcd)
        if card is None or not isinstance(body, dict) or body.get("cardnumber") != card.number:
            return api_error(404, "ProductNotFoundException", f"Merchant card {mcd} not found")
        pin = body.get("pin")
        self.pin_checks.append(pin)
        if not isinstance(pin, int) or isinstance(pin, bool):
            return format_error("pin must be an integer")
        if card.locked:
            return api_error(400, "ProductBlacklistedException", "Card is locked", 1016)
        if card.pin is not None and pin == card.pin:
            card.pin_failures, card.pin_checked = 0, True
            return 200, {"result": True}
        card.pin_failures += 1
        card.pin_checked = False
        if card.pin_failures >= PIN_TRIES:
            card.locked, card.lock_reason = True, PIN_LOCK_REASON
        return api_error(400, "ProductPasscodeIncorrectException",
                         f"Passcode incorrect ({card.pin_failures} of {PIN_TRIES})")

    # --- gates and the charge ---------------------------------------------------------------

    def refusal(self, card: Card, amount: int) -> Answer | None:
        """Why the API refuses to charge `amount` to `card` (create and start), or None."""
        if card.locked:
            return api_error(400, "ProductBlacklistedException", "Card is locked", 1016)
        if card.expiry_date is not None and dt.date.fromisoformat(card.expiry_date) < self.today():
            return api_error(400, "ProductNotAllowedException", "Card has expired", 1016)
        limit = self.groups[card.group].balance_limit
        if limit and card.balance + amount > limit:
            return api_error(400, "ProductNotAllowedException",
                             f"Balance limit {euro_text(limit)} exceeded", 1001)
        return None

    def start_refusal(self, card: Card, amount: int) -> Answer | None:
        """refusal(), and a card whose charge needs a PIN must have had it checked."""
        refused = self.refusal(card, amount)
        if refused is not None:
            return refused
        if card.pin is not None and card.passcode in PASSCODE_ON_CHARGE and not card.pin_checked:
            return api_error(400, "ProductPasscodeIncorrectException", "Passcode required")
        card.pin_checked = False   # one checked PIN, one charge
        return None

    def credit(self, card: Card, amount: int) -> int:
        """Book a paid top-up of `amount`; returns the bonus the card group added."""
        bonus = amount * self.groups[card.group].bonus_percent // 100
        card.balance += amount + bonus
        card.bonus_balance += bonus
        return bonus

    def balance_receipt(self, mcd: str, body: Any) -> Answer:
        card = self._by_id(mcd)
        if card is None or not isinstance(body, dict) or body.get("cardnumber") != card.number:
            return api_error(404, "ProductNotFoundException", f"Merchant card {mcd} not found")
        masked = card.number[:4] + "*" * 8 + card.number[-4:]

        def pair(name: str, value: str) -> dict[str, Any]:
            return {"type": "name-value", "value": {"name": name, "value": value,
                                                    "decoration": []}}

        return 200, {
            "valid": not card.locked, "balance": card.balance,
            "cash_balance": card.balance - card.bonus_balance,
            "bonus_balance": card.bonus_balance, "points": 0,
            "limit_cash": 0, "limit_bonus": 0, "limit_points": 0,
            "receipt_header": [{"type": "separator", "value": {"caption": "Guthabenabfrage"}}],
            "receipt": [pair("Kartennummer:", masked),
                        pair("Terminal:", str(body.get("terminal_id") or "-")),
                        {"type": "space"},
                        pair("Guthaben:", euro_text(card.balance - card.bonus_balance)),
                        pair("Bonus:", euro_text(card.bonus_balance)),
                        {"type": "textline", "value": {"text": "Aktuelles Guthaben:",
                                                       "decoration": []}},
                        {"type": "textline", "value": {"text": euro_text(card.balance),
                                                       "decoration": ["important"]}}],
        }


def card_routes(book: CardBook, parts: list[str], query: dict[str, str],
                body: Any) -> list[tuple[str, str, Callable[[], Answer]]]:
    """(method, call name, work) for a `/Loyalty/...` path split into `parts`; [] if unknown."""
    return [(method, call, _locked(book.lock, work))
            for method, call, work in _routes(book, parts, query, body)]


def _locked(lock: threading.RLock, work: Callable[[], Answer]) -> Callable[[], Answer]:
    def run() -> Answer:
        with lock:
            return work()
    return run


def _routes(book: CardBook, parts: list[str], query: dict[str, str],
            body: Any) -> list[tuple[str, str, Callable[[], Answer]]]:
    if parts == ["Loyalty", "MerchantCards"]:
        return [("GET", "lookup_card", lambda: book.lookup(query))]
    if parts == ["Loyalty", "MerchantCards", "me", "validateMerchantcard"]:
        return [("POST", "validate_card", lambda: book.validate(body))]
    if parts == ["Loyalty", "MerchantCards", "me", "lockReasons"]:
        return [("GET", "lock_reasons", book.lock_reasons)]
    if len(parts) == 4 and parts[:2] == ["Loyalty", "MerchantCards"]:
        mcd, action = parts[2], parts[3]
        if action == "lock":
            return [("GET", "card_lock", lambda: book.card_lock(mcd))]
        if action == "checkPasscode":
            return [("POST", "check_passcode", lambda: book.check_passcode(mcd, body))]
        if action == "getCardBalanceReceipt":
            return [("POST", "balance_receipt", lambda: book.balance_receipt(mcd, body))]
    if len(parts) == 3 and parts[:2] == ["Loyalty", "Cardgroups"]:
        return [("GET", "cardgroup", lambda: book.cardgroup(parts[2]))]
    if parts[:2] == ["Loyalty", "Cardgroups"] and parts[3:] == ["checkPasscodeEnabled"]:
        return [("POST", "passcode_enabled", lambda: book.passcode_enabled(parts[2], body))]
    return []
