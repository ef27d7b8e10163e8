"""Typed answers of the loyalty card gates: card group, lock reasons, PIN results, balance receipt.

Every parser is total: for any input it returns its type or raises ModelError.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice
from typing import Any, Mapping

from kiosk.secuconnect.models import (
    ModelError, ReceiptLine, ascii_int, bound_receipt, json_int, json_text,
)

# A lock reasons list longer than this is not one (the reference knows five reasons).
MAX_LOCK_REASONS = 100
_REASON_TEXT_KEYS = ("text", "name", "description", "reason", "label")
_CARD_REASON_KEYS = ("lock_reason", "lock_reason_id", "reason", "reason_id")


@dataclass(frozen=True)
class CardGroup:
    """The part of `GET /Loyalty/Cardgroups/{CRG}` a top-up needs."""

    id: str
    balance_limit: int | None   # cents; None: no limit (absent, null or 0)

    @classmethod
    def from_json(cls, data: Any) -> "CardGroup":
        if not isinstance(data, Mapping):
            raise ModelError(f"card group is not an object: {type(data).__name__}")
        limit = json_int(data.get("balance_limit"), "balance_limit")
        if limit < 0:
            raise ModelError(f"balance_limit is negative: {limit}")
        return cls(id=json_text(data.get("id")), balance_limit=limit or None)


@dataclass(frozen=True)
class BalanceReceipt:
    """`getCardBalanceReceipt`: the card's balances and the lines to print."""

    valid: bool
    balance: int
    cash_balance: int
    bonus_balance: int
    header: tuple[ReceiptLine, ...]
    lines: tuple[ReceiptLine, ...]

    @classmethod
    def from_json(cls, data: Any) -> "BalanceReceipt":
        if not isinstance(data, Mapping) or "balance" not in data:
            raise ModelError("getCardBalanceReceipt answer has no balance")
        valid = data.get("valid", True)
        if not isinstance(valid, bool):
            raise ModelError("getCardBalanceReceipt: valid is not true or false")
        return cls(
            valid=valid,
            balance=json_int(data.get("balance"), "balance"),
            cash_balance=json_int(data.get("cash_balance"), "cash_balance"),
            bonus_balance=json_int(data.get("bonus_balance"), "bonus_balance"),
            header=_lines(data.get("receipt_header")),
            lines=_lines(data.get("receipt")),
        )


def result_flag(data: Any) -> bool:
    """`{"result": true|false}` (checkPasscodeEnabled, checkPasscode); only JSON booleans."""
    if not isinstance(data, Mapping) or not isinstance(data.get("result"), bool):
        raise ModelError("answer has no result true or false")
    return bool(data["result"])


def lock_reasons(data: Any) -> dict[int, str]:
    """`me/lockReasons` as {reason id: the API's (German) text}.

    Its shape is not documented: a list of objects with an id and a text, a mapping of id to
    text, either one under `data`. Entries without a readable id or text are skipped.
    """
    if isinstance(data, Mapping) and "data" in data:
        data = data["data"]
    pairs: list[tuple[Any, Any]] = []
    if isinstance(data, list):
        for item in islice(data, MAX_LOCK_REASONS):
            if isinstance(item, Mapping):
                text = next((item[k] for k in _REASON_TEXT_KEYS if isinstance(item.get(k), str)),
                            None)
                pairs.append((item.get("id", item.get("value")), text))
    elif isinstance(data, Mapping):
        pairs = list(islice(data.items(), MAX_LOCK_REASONS))
    else:
        raise ModelError("lockReasons answer is neither a list nor an object")
    reasons: dict[int, str] = {}
    for key, text in pairs:
        number = _reason_id(key)
        if number is not None and isinstance(text, str) and text.strip():
            reasons[number] = json_text(text.strip())[:80]
    return reasons


def card_lock_reason(data: Any) -> int | None:
    """The reason id in `GET …/{MCD}/lock`, or None when the answer names none."""
    if not isinstance(data, Mapping):
        raise ModelError("card lock answer is not an object")
    for key in _CARD_REASON_KEYS:
        value = data.get(key)
        if isinstance(value, Mapping):
            value = value.get("id")
        number = _reason_id(value)
        if number is not None:
            return number
    return None


def _reason_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 10_000 else None
    if isinstance(value, str):
        number = ascii_int(value.strip())
        return number if number is not None and 0 <= number < 10_000 else None
    return None


def _lines(value: Any) -> tuple[ReceiptLine, ...]:
    items = value if isinstance(value, list) else []
    return bound_receipt(ReceiptLine.from_json(item) for item in items
                         if isinstance(item, Mapping))
