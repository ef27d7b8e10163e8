"""The sandbox's API payloads, pure: error shapes, the create-body check, top-up receipt lines."""

from __future__ import annotations

import secrets
import string
from typing import Any

Answer = tuple[int, Any]  # HTTP status and the JSON payload

TOPUP_EANS = frozenset({"4260447149502", "4260447149519"})
_ID_CHARS = string.ascii_uppercase + string.digits


def new_id(prefix: str) -> str:
    return prefix + "_" + "".join(secrets.choice(_ID_CHARS) for _ in range(30))


def api_error(status: int, error: str, details: str, code: int | str | None = None) -> Answer:
    """The API's error payload, with a fresh supportId like the real service."""
    user = "Es ist ein unbekannter Fehler aufgetreten"
    if code is not None:
        user += f" (Code {code})"
    return status, {"status": "error", "error": error, "error_details": details,
                    "error_user": user, "code": code, "supportId": secrets.token_hex(16)}


def oauth_error(status: int, error: str, description: str) -> Answer:
    return status, {"error": error, "error_description": description}


def euro_text(cents: int) -> str:
    """German amount as on secupay receipts: "1.234,50 EUR"."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    return f"{sign}{euros:,}".replace(",", ".") + f",{rest:02d} EUR"


def format_error(details: str) -> Answer:
    return api_error(400, "ProductFormatException", details, 1001)


def stx_not_found(stx_id: str) -> Answer:
    return api_error(404, "ProductNotFoundException", f"Transaction {stx_id} not found")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_create_body(body: Any, currency: str) -> str:
    """What is wrong with a create body for a card top-up, or "" when it is acceptable."""
    if not isinstance(body, dict):
        return "Request body must be a JSON object"
    if body.get("intent") != "sale":
        return "intent must be 'sale'"
    idents = body.get("idents")
    if not isinstance(idents, list) or not any(
            isinstance(i, dict) and i.get("type") == "card" and isinstance(i.get("value"), str)
            for i in idents):
        return "idents must contain a card"
    basket = body.get("basket")
    products = basket.get("products") if isinstance(basket, dict) else None
    if not isinstance(products, list) or not products:
        return "basket.products must not be empty"
    total = 0
    for product in products:
        if not isinstance(product, dict):
            return "basket.products entries must be objects"
        price, quantity = product.get("priceOne"), product.get("quantity")
        if not _is_int(price) or not _is_int(quantity) or quantity < 1:
            return "priceOne and quantity must be whole numbers (cents), quantity >= 1"
        if product.get("ean") not in TOPUP_EANS:
            return f"Article {product.get('ean')!r} cannot charge a card"
        if price <= 0:
            return "The amount must be greater than 0"
        total += price * quantity
    info = body.get("basket_info")
    if not isinstance(info, dict) or not _is_int(info.get("sum")):
        return "basket_info.sum is required (cents)"
    if info["sum"] != total:
        return f"basket_info.sum {info['sum']} does not match the basket total {total}"
    if info.get("currency") != currency:
        return f"currency must be {currency}"
    ref = body.get("merchantRef")
    if ref is not None and not isinstance(ref, str):
        return "merchantRef must be a text"
    return ""


def topup_receipt(number: str, amount: int, old_balance: int, new_balance: int,
                  ta_sale: str, ta_charge: str) -> list[dict[str, Any]]:
    """The receipt lines of a card top-up, shaped like secupay's (German, two blocks)."""

    def pair(name: str, value: str) -> dict[str, Any]:
        return {"type": "name-value", "value": {"name": name, "value": value, "decoration": []}}

    def text(value: str, *decoration: str) -> dict[str, Any]:
        return {"type": "textline", "value": {"text": value, "decoration": list(decoration)}}

    space = {"type": "space"}
    return [
        {"type": "separator", "value": {"caption": "Kundenkarte"}},
        pair("Kartennummer: ", number), pair("TA Code: ", ta_sale), space,
        text("Umsatz erfasst:"), text(euro_text(amount), "important"), space,
        text("Aktuelles Guthaben"), text(euro_text(old_balance), "important"),
        {"type": "separator", "value": {"caption": "Kundenkarte Aufladung"}},
        pair("Kartennummer:", number), pair("TA Code:", ta_charge), space,
        text("Folgender Betrag"), text("wurde aufgeladen:"), text(euro_text(amount), "important"),
        space, text("Aktuelles Guthaben:"), text(euro_text(new_balance), "important"),
    ]
