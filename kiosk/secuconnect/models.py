"""Typed results of the secuconnect calls the kiosk uses, parsed leniently from the API's JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

# Status values of a Smart Transaction, grouped by what they mean for a top-up.
STATUS_SUCCESS = frozenset({"ok", "finished"})
STATUS_NOT_EXECUTED = frozenset({"created", "failed", "aborted", "cancelled", "canceled",
                                 "timeout", "deleted"})
STATUS_IN_PROGRESS = frozenset({"processing", "pending", "approved"})


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
    def from_json(cls, data: Mapping[str, Any]) -> "ReceiptLine":
        value = data.get("value") or {}
        if not isinstance(value, Mapping):
            value = {}
        decorations = value.get("decoration") or ()
        if not isinstance(decorations, (list, tuple)):
            decorations = ()
        return cls(
            type=str(data.get("type", "")),
            caption=_text(value.get("caption")),
            name=_text(value.get("name")),
            value=_text(value.get("value")),
            text=_text(value.get("text")),
            decorations=tuple(str(d) for d in decorations),
        )

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

    @property
    def locked(self) -> bool:
        return self.lock_status not in ("unlocked", "")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "MerchantCard":
        card = data.get("card") or {}
        return cls(
            id=_text(data.get("id")),
            cardnumber=_text(card.get("cardnumber") if isinstance(card, Mapping) else ""),
            balance=_int(data.get("balance")),
            cash_balance=_int(data.get("cash_balance")),
            bonus_balance=_int(data.get("bonus_balance")),
            points=_int(data.get("points")),
            lock_status=_text(data.get("lock_status")),
            stock_status=_text(data.get("stock_status")),
        )


@dataclass(frozen=True)
class CardValidation:
    """Answer of validateMerchantcard."""

    is_valid: bool
    is_locked: bool = False
    has_passcode: bool = False

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "CardValidation":
        if "isValid" not in data:
            raise ModelError("validateMerchantcard answer has no isValid")
        return cls(
            is_valid=bool(data.get("isValid")),
            is_locked=bool(data.get("isLocked", False)),
            has_passcode=bool(data.get("hasPasscode", False)),
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
        return self.status in STATUS_NOT_EXECUTED

    @classmethod
    def from_json(cls, data: Any) -> "SmartTransaction":
        if not isinstance(data, Mapping) or not data.get("id") or not data.get("status"):
            raise ModelError("answer is not a Smart Transaction (no id or status)")
        basket_info = data.get("basket_info") or {}
        merchant = data.get("merchant") or {}
        card = None
        for ident in _list(data.get("idents")):
            if isinstance(ident, Mapping) and isinstance(ident.get("merchantcard"), Mapping):
                card = MerchantCard.from_json(ident["merchantcard"])
                break
        receipt = tuple(
            ReceiptLine.from_json(line) for line in _list(data.get("receipt"))
            if isinstance(line, Mapping)
        )
        return cls(
            id=str(data["id"]),
            status=str(data["status"]),
            merchant_ref=_text(data.get("merchantRef")),
            trans_id=_text(data.get("trans_id")),
            amount=_int(basket_info.get("sum") if isinstance(basket_info, Mapping) else 0),
            currency=_text(basket_info.get("currency") if isinstance(basket_info, Mapping) else ""),
            payment_method=_text(data.get("payment_method")),
            created=_text(data.get("created")),
            merchant_name=_text(merchant.get("companyname") if isinstance(merchant, Mapping) else ""),
            receipt=receipt,
            card=card,
            is_demo=bool(data.get("is_demo", False)),
            raw=data,
        )


@dataclass(frozen=True)
class DeviceCode:
    """First answer of the device grant: what the screen shows while the merchant confirms."""

    device_code: str
    user_code: str
    verification_url: str
    expires_in: int
    interval: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "DeviceCode":
        try:
            return cls(
                device_code=str(data["device_code"]),
                user_code=str(data["user_code"]),
                verification_url=str(data["verification_url"]),
                expires_in=int(data.get("expires_in", 1200)),
                interval=max(1, int(data.get("interval", 5))),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"device code answer incomplete: {exc}") from None


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return 0


def _list(value: Any) -> list[Any]:
    """A JSON array field; anything else (absent, null, a number...) reads as empty."""
    return value if isinstance(value, list) else []
