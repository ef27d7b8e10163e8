"""Typed results of the secuconnect calls the kiosk uses, parsed leniently from the API's JSON.

Every `from_json` is total: for any input it returns its type or raises ModelError.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any, Iterable, Mapping

from kiosk.cards import mask_card_numbers_in_text

# A Smart Transaction's status is a free string (secuconnect-api.md, "Status"): only these
# words settle a top-up. Everything else - in-progress words, e-commerce words, "created" once a
# start was sent, legacy words ("finished", "timeout", "deleted") and words nobody documented -
# means "read again, then claim": never "failed" and never "credited".
STATUS_CREATED = "created"
STATUS_SUCCESS = frozenset({"ok"})
STATUS_NOT_EXECUTED = frozenset({"failed", "aborted"})
STATUS_REVERSED = frozenset({"cancelled", "canceled"})   # the old Java SDK spells it with one l
# The statuses the reference documents (the table, plus `cancelled` and legacy `aborted`).
DOCUMENTED_STATUSES = ("created", "processing", "approved", "pending", "ok", "received",
                       "shipped", "collection", "collected", "failed", "cancelled", "aborted")


# SQLite's INTEGER range: amounts and balances end up in the journal, and no real one comes near.
INT64_MAX = 2**63 - 1
_ASCII_INT_RE = re.compile(r"-?[0-9]{1,19}")

# Bounds on the API's receipt[], far beyond a real receipt: the seed answer has 19 lines and
# its longest field is 21 characters; one product per top-up keeps the API's receipt short.
# 80 lines leave room for a card terminal's slip; 96 characters are two full lines of 80 mm
# paper. Beyond them a receipt is cut (a marked last line) and a field ends in "...", so an
# answer of any size prints in bounded time and paper and keeps the journal row small.
MAX_RECEIPT_LINES = 80
MAX_RECEIPT_TEXT = 96
MAX_DECORATIONS = 8
RECEIPT_CUT_TEXT = "[Beleg gekürzt / receipt shortened]"
_CUT_SUFFIX = "..."
# Masking looks this far past the cut, so a card number straddling it is masked whole first.
_MASK_LOOKAHEAD = 40


class ModelError(ValueError):
    """The API's JSON lacks something the kiosk needs (the outcome of the call stays unknown)."""


@dataclass(frozen=True)
class ReceiptLine:
    """One entry of the API's `receipt[]`; unknown types are kept so the printer can skip them."""

    type: str
    caption: str = ""
    name: str = ""
    value: str = ""
    text: str = ""
    decorations: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> "ReceiptLine":
        """Fields that are not text read as empty; every field is clipped (MAX_RECEIPT_TEXT)."""
        if not isinstance(data, Mapping):
            raise ModelError(f"receipt line is not an object: {type(data).__name__}")
        value = data.get("value") or {}
        if not isinstance(value, Mapping):
            value = {}
        decorations = value.get("decoration") or ()
        if not isinstance(decorations, (list, tuple)):
            decorations = ()
        return cls(
            type=json_text(data.get("type")),
            caption=json_text(value.get("caption")),
            name=json_text(value.get("name")),
            value=json_text(value.get("value")),
            text=json_text(value.get("text")),
            decorations=tuple(json_text(d) for d in islice(decorations, MAX_DECORATIONS)),
        ).clipped()

    def clipped(self) -> "ReceiptLine":
        """This line with every field within MAX_RECEIPT_TEXT (itself when it already is)."""
        fields = {"type": self.type, "caption": self.caption, "name": self.name,
                  "value": self.value, "text": self.text}
        long = {key: _clip(text) for key, text in fields.items() if len(text) > MAX_RECEIPT_TEXT}
        decorations = self.decorations[:MAX_DECORATIONS]
        if any(len(d) > MAX_RECEIPT_TEXT for d in decorations):
            decorations = tuple(_clip(d) for d in decorations)
        if not long and decorations == self.decorations:
            return self
        return replace(self, **long, decorations=decorations)

    def to_json(self) -> dict[str, Any]:
        value: dict[str, Any] = {}
        if self.type == "separator":
            if self.caption:
                value["caption"] = self.caption
        elif self.type == "name-value":
            value = {"name": self.name, "value": self.value, "decoration": list(self.decorations)}
        elif self.type == "textline":
            value = {"text": self.text, "decoration": list(self.decorations)}
        out: dict[str, Any] = {"type": self.type}
        if value:
            out["value"] = value
        return out


@dataclass(frozen=True)
class MerchantCard:
    """A loyalty card as the merchant sees it; balances in cents."""

    id: str
    cardnumber: str
    balance: int
    cash_balance: int
    bonus_balance: int
    points: int
    lock_status: str
    stock_status: str
    # The card gates (secuconnect-api.md "Loyalty cards"): when a PIN is checked (0..6; None
    # when the API sent none), the expiry date as sent ("" for none), the card group's id.
    passcode: int | None = None
    expiry_date: str = ""
    cardgroup_id: str = ""

    @property
    def locked(self) -> bool:
        return self.lock_status not in ("unlocked", "")

    @classmethod
    def from_json(cls, data: Any) -> "MerchantCard":
        if not isinstance(data, Mapping):
            raise ModelError(f"merchant card is not an object: {type(data).__name__}")
        card = data.get("card") or {}
        group = data.get("cardgroup")
        return cls(
            id=json_text(data.get("id")),
            cardnumber=json_text(card.get("cardnumber") if isinstance(card, Mapping) else ""),
            balance=json_int(data.get("balance"), "balance"),
            cash_balance=json_int(data.get("cash_balance"), "cash_balance"),
            bonus_balance=json_int(data.get("bonus_balance"), "bonus_balance"),
            points=json_int(data.get("points"), "points"),
            lock_status=json_text(data.get("lock_status")),
            stock_status=json_text(data.get("stock_status")),
            passcode=(None if data.get("passcode") is None
                      else json_int(data.get("passcode"), "passcode")),
            expiry_date=json_text(data.get("expiry_date")),
            cardgroup_id=json_text(group.get("id")) if isinstance(group, Mapping) else "",
        )


@dataclass(frozen=True)
class CardValidation:
    """Answer of validateMerchantcard."""

    is_valid: bool
    is_locked: bool = False
    has_passcode: bool = False

    @classmethod
    def from_json(cls, data: Any) -> "CardValidation":
        """The flags must be JSON booleans: bool("false") is True, and a card must never turn
        valid (or unlocked) because the API wrote a flag as text."""
        if not isinstance(data, Mapping) or "isValid" not in data:
            raise ModelError("validateMerchantcard answer has no isValid")
        return cls(
            is_valid=_flag(data, "isValid", False),
            is_locked=_flag(data, "isLocked", False),
            has_passcode=_flag(data, "hasPasscode", False),
        )


@dataclass(frozen=True)
class SmartTransaction:
    """A Smart Transaction, reduced to what a top-up needs; `raw` keeps the full answer."""

    id: str
    status: str
    merchant_ref: str
    trans_id: str
    amount: int  # basket_info.sum, cents
    currency: str
    payment_method: str
    created: str
    merchant_name: str
    receipt: tuple[ReceiptLine, ...]
    card: MerchantCard | None  # the first card ident's merchantcard, when the API sent it
    is_demo: bool
    raw: Mapping[str, Any]

    @property
    def succeeded(self) -> bool:
        return self.status in STATUS_SUCCESS

    @property
    def not_executed(self) -> bool:
        """Definitely not carried out (`failed`, `aborted`); "created" is not in it: once a
        start was sent, "created" is unknown."""
        return self.status in STATUS_NOT_EXECUTED

    @property
    def reversed(self) -> bool:
        return self.status in STATUS_REVERSED

    @classmethod
    def from_json(cls, data: Any) -> "SmartTransaction":
        if not isinstance(data, Mapping):
            raise ModelError("answer is not a Smart Transaction (no id or status)")
        stx_id, status = json_text(data.get("id")), json_text(data.get("status"))
        if not stx_id or not status:
            raise ModelError("answer is not a Smart Transaction (no id or status)")
        basket_info = data.get("basket_info")
        basket_info = basket_info if isinstance(basket_info, Mapping) else {}
        merchant = data.get("merchant")
        merchant = merchant if isinstance(merchant, Mapping) else {}
        card = None
        for ident in _list(data.get("idents")):
            if isinstance(ident, Mapping) and isinstance(ident.get("merchantcard"), Mapping):
                card = MerchantCard.from_json(ident["merchantcard"])
                break
        lines = (ReceiptLine.from_json(line) for line in _list(data.get("receipt"))
                 if isinstance(line, Mapping))
        return cls(
            id=stx_id,
            status=status,
            merchant_ref=json_text(data.get("merchantRef")),
            trans_id=json_text(data.get("trans_id")),
            amount=json_int(basket_info.get("sum"), "basket_info.sum"),
            currency=json_text(basket_info.get("currency")),
            payment_method=json_text(data.get("payment_method")),
            created=json_text(data.get("created")),
            merchant_name=json_text(merchant.get("companyname")),
            receipt=bound_receipt(lines),
            card=card,
            is_demo=bool(data.get("is_demo", False)),
            raw=data,
        )


@dataclass(frozen=True)
class CancelAnswer:
    """Answer of `cancel` or `abort`: a Smart Transaction, or `{"result": true|false}` (the
    legacy PHP SDK read it so up to 1.10.1). Neither is trusted: the caller confirms with a GET.
    """

    accepted: bool   # `result` true, or a transaction (whatever its status says)
    transaction: SmartTransaction | None = None

    @classmethod
    def from_json(cls, data: Any) -> "CancelAnswer":
        if isinstance(data, Mapping) and "result" in data and "id" not in data:
            return cls(accepted=_flag(data, "result", False))
        return cls(accepted=True, transaction=SmartTransaction.from_json(data))


@dataclass(frozen=True)
class DeviceCode:
    """First answer of the device grant: what the screen shows while the merchant confirms."""

    device_code: str
    user_code: str
    verification_url: str
    expires_in: int
    interval: int

    @classmethod
    def from_json(cls, data: Any) -> "DeviceCode":
        """The codes must be non-empty text that fits a screen; `expires_in` 1 s .. 1 day
        (RFC 8628 servers say minutes); `interval` below 1 s reads as 1 s, above 10 min is
        refused (polling would outlast most codes)."""
        if not isinstance(data, Mapping):
            raise ModelError("device code answer is not an object")
        texts = {}
        for key in ("device_code", "user_code", "verification_url"):
            value = data.get(key)
            if not isinstance(value, str) or not value or len(value) > _MAX_DEVICE_TEXT:
                raise ModelError(f"device code answer incomplete: {key} is not text of 1 to "
                                 f"{_MAX_DEVICE_TEXT} characters")
            texts[key] = value
        expires_in = json_int(data.get("expires_in", 1200), "expires_in")
        interval = max(1, json_int(data.get("interval", 5), "interval"))
        if not 1 <= expires_in <= 86_400:
            raise ModelError(f"device code answer: expires_in {expires_in} s outside 1..86400")
        if interval > 600:
            raise ModelError(f"device code answer: interval {interval} s above 600")
        return cls(**texts, expires_in=expires_in, interval=interval)


_MAX_DEVICE_TEXT = 512  # a user code is a few characters; an address fits a QR code


def bound_receipt(lines: Iterable[ReceiptLine]) -> tuple[ReceiptLine, ...]:
    """At most MAX_RECEIPT_LINES clipped lines; a longer receipt ends in a RECEIPT_CUT_TEXT line.

    Idempotent, and reads no more than MAX_RECEIPT_LINES + 1 lines of `lines`.
    """
    kept = [line.clipped() for line in islice(lines, MAX_RECEIPT_LINES + 1)]
    if len(kept) <= MAX_RECEIPT_LINES:
        return tuple(kept)
    cut = ReceiptLine(type="textline", text=RECEIPT_CUT_TEXT)
    return (*kept[:MAX_RECEIPT_LINES - 1], cut)


def ascii_int(text: str) -> int | None:
    """The integer `text` spells in ASCII digits (optional leading "-") within 64 bits, or None.

    str.isdigit() and int() also take "²", "٣" and "１５", never meant where the API writes numbers.
    """
    if not _ASCII_INT_RE.fullmatch(text):
        return None
    number = int(text)
    return number if -INT64_MAX - 1 <= number <= INT64_MAX else None


def json_int(value: Any, field: str) -> int:
    """A JSON integer field: an int, an integral float or ASCII-digit text, within 64 bits.

    Absent (None) or "" reads as 0; anything else (true, 12.5, inf, "--5", "²", a list)
    raises ModelError naming `field`: a malformed amount must not pass as 0.
    """
    if value is None or value == "":
        return 0
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value if -INT64_MAX - 1 <= value <= INT64_MAX else None
    elif isinstance(value, float):
        if math.isfinite(value) and value.is_integer() and abs(value) < 2.0**63:
            number = int(value)
    elif isinstance(value, str):
        number = ascii_int(value)
    if number is None:
        raise ModelError(f"{field}: not an integer within 64 bits: {_snippet(value)!r}")
    return number


def json_text(value: Any) -> str:
    """A JSON text field: strings as they are, numbers and booleans written out, None and
    everything else (objects, arrays) "" - never str() of a container, which can recurse."""
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, (bool, float)):
        return str(value)
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # over the interpreter's int -> str digit limit
            return ""
    return ""



def _flag(data: Mapping[str, Any], key: str, default: bool) -> bool:
    value = data.get(key, default)
    if not isinstance(value, bool):
        raise ModelError(f"{key} is not true or false: {_snippet(value)!r}")
    return value


def _clip(text: str) -> str:
    if len(text) <= MAX_RECEIPT_TEXT:
        return text
    masked = mask_card_numbers_in_text(text[:MAX_RECEIPT_TEXT + _MASK_LOOKAHEAD])
    return masked[:MAX_RECEIPT_TEXT - len(_CUT_SUFFIX)] + _CUT_SUFFIX


def _list(value: Any) -> list[Any]:
    """A JSON array field; anything else (absent, null, a number...) reads as empty."""
    return value if isinstance(value, list) else []


def _snippet(value: Any) -> str:
    """A short, masked rendering of a bad value for an error message (it ends up in logs)."""
    return mask_card_numbers_in_text(json_text(value)[:40])
