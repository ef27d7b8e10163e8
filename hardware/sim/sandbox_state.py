"""In-memory secuconnect: OAuth grants, tokens, loyalty cards, Smart Transactions, a ledger."""

from __future__ import annotations

import copy
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, NamedTuple

# euro_text is re-exported: callers (tests) import it from here.
from hardware.sim.sandbox_cards import Card, CardBook
from hardware.sim.sandbox_payloads import (  # noqa: F401
    Answer,
    api_error,
    check_create_body,
    euro_text,
    format_error,
    new_id,
    oauth_error,
    stx_not_found,
    topup_receipt,
)


# The one search the sandbox understands: a quoted merchantRef (values are [A-Za-z0-9-]).
_QUOTED_REF = re.compile(r'merchantRef:"([A-Za-z0-9-]+)"')


class Credit(NamedTuple):
    """One change of a card's balance made by the sandbox (a cancel is a negative credit)."""

    stx_id: str
    card: str
    amount: int
    merchant_ref: str


@dataclass
class _Token:
    expires_at: float
    session: str | None  # the device session (refresh token) it belongs to


@dataclass
class _DeviceGrant:
    user_code: str
    uuid: str
    expires_at: float
    interval: int
    state: str = "pending"  # pending | confirmed | denied | used


class SandboxState:
    """Everything the sandbox knows; every method takes the lock and returns (status, JSON)."""

    def __init__(self, *, client_id: str, client_secret: str, token_lifetime: float,
                 merchant_name: str, device_code_lifetime: float, device_poll_interval: int,
                 root_url: Callable[[], str]) -> None:
        self.lock = threading.RLock()
        self.client_id = client_id
        self.client_secret = client_secret
        self.token_lifetime = token_lifetime
        self.device_code_lifetime = device_code_lifetime
        self.device_poll_interval = device_poll_interval
        self.merchant_name = merchant_name
        self.merchant_id = new_id("MRC")
        self.device_id = new_id("SDV")
        self.currency = "EUR"
        self.root_url = root_url
        self.auto_confirm_device = False
        # 401 (plain) or 403 (ProductNotAllowedException, code 2003) for a bad token.
        self.token_refusal_status = 401
        self.book = CardBook(self.merchant_id, self.lock)   # the loyalty cards' own model
        self.cards: dict[str, Card] = self.book.cards
        self.transactions: dict[str, dict[str, Any]] = {}
        self._stx_cards: dict[str, str] = {}
        self._last_booking: dict[str, str] = {}   # card -> its last credited transaction
        self.ledger: list[Credit] = []
        self.tokens: dict[str, _Token] = {}
        self._session_token: dict[str, str] = {}
        self.devices: dict[str, _DeviceGrant] = {}
        self.refresh_tokens: dict[str, str] = {}  # refresh token -> device uuid
        self.grants: list[str] = []  # grant_type of every accepted token request, in order
        self._trans_id = 29218170
        # The card terminal for start/cashless
        self.terminal_wait = 0.0
        self.terminal_outcome = "ok"
        self.terminal_waiting = threading.Event()
        self.terminal_release = threading.Event()
        self.terminal_released_outcome: str | None = None
        # The API as it really is (secuconnect-api.md): statuses are free strings, cancel and
        # abort answer in two shapes, error codes may be text.
        # Statuses the next starts end in instead of "ok" (one per start; "ok" credits).
        self.start_statuses: list[str] = []
        # (reads, status): a transaction left in a planned start status turns into `status`
        # after that many reads ("ok" credits it) - the API finishing late, as it may.
        self.start_settles: tuple[int, str] | None = None
        self._settling: dict[str, list[Any]] = {}
        self.cancel_shape = "transaction"   # or "result": {"result": true|false}
        self.unheeded = 0        # the next cancels/aborts are answered as accepted, not done
        self.refused_cancels = 0  # the next cancels are refused: 1007, or {"result": false}
        self.string_codes = False            # error codes as text ("1007") instead of ints
        self.cancel_selected = False         # card group may cancel any, not only the last

    # --- OAuth ----------------------------------------------------------------------------

    def token(self, form: dict[str, str]) -> Answer:
        with self.lock:
            if (form.get("client_id") != self.client_id
                    or form.get("client_secret") != self.client_secret):
                return oauth_error(400, "invalid_client", "Client credentials are invalid")
            grant = form.get("grant_type", "")
            self.grants.append(grant)
            if grant == "client_credentials":
                return 200, self._issue(None)
            if grant == "device":
                if form.get("code"):
                    return self._poll_device(form["code"])
                if form.get("uuid"):
                    return self._new_device_code(form["uuid"])
                return oauth_error(400, "invalid_request", "uuid or code required")
            if grant == "refresh_token":
                refresh = form.get("refresh_token", "")
                if refresh not in self.refresh_tokens:
                    return oauth_error(400, "invalid_grant", "Refresh token is invalid")
                return 200, self._issue(refresh)
            return oauth_error(400, "unsupported_grant_type", f"Unsupported grant {grant!r}")

    def _issue(self, session: str | None) -> dict[str, Any]:
        value = secrets.token_hex(13)
        if session is not None:
            # One valid access token per device session: the new one invalidates the old.
            old = self._session_token.pop(session, None)
            self.tokens.pop(old or "", None)
            self._session_token[session] = value
        self.tokens[value] = _Token(time.monotonic() + self.token_lifetime, session)
        return {"access_token": value, "expires_in": int(self.token_lifetime),
                "token_type": "bearer", "scope": "https://scope.secucard.com/e/api"}

    def _new_device_code(self, uuid: str) -> Answer:
        device_code = secrets.token_hex(16)
        user_code = "".join(secrets.choice("BCDFGHJKLMNPQRSTVWXZ") for _ in range(8))
        self.devices[device_code] = _DeviceGrant(
            user_code, uuid, time.monotonic() + self.device_code_lifetime,
            self.device_poll_interval)
        return 200, {"device_code": device_code, "user_code": user_code,
                     "verification_url": self.root_url() + "/device",
                     "expires_in": int(self.device_code_lifetime),
                     "interval": self.device_poll_interval}

    def _poll_device(self, device_code: str) -> Answer:
        grant = self.devices.get(device_code)
        if grant is None or grant.state == "used":
            return oauth_error(400, "invalid_grant", "Device code is invalid")
        if time.monotonic() >= grant.expires_at:
            return oauth_error(400, "expired_token", "Device code has expired")
        if grant.state == "denied":
            return oauth_error(400, "access_denied", "The device was not authorised")
        if grant.state == "pending" and self.auto_confirm_device:
            grant.state = "confirmed"
        if grant.state == "pending":
            return oauth_error(401, "authorization_pending", "Device not confirmed yet")
        grant.state = "used"
        refresh = secrets.token_hex(16)
        self.refresh_tokens[refresh] = grant.uuid
        return 200, {**self._issue(refresh), "refresh_token": refresh}

    def _device(self, user_code: str) -> _DeviceGrant:
        for grant in self.devices.values():
            if grant.user_code == user_code.strip().upper() and grant.state == "pending":
                return grant
        raise KeyError(f"no pending device code {user_code!r}")

    def confirm_device(self, user_code: str) -> None:
        with self.lock:
            self._device(user_code).state = "confirmed"

    def deny_device(self, user_code: str) -> None:
        with self.lock:
            self._device(user_code).state = "denied"

    def expire_device_codes(self) -> None:
        with self.lock:
            for grant in self.devices.values():
                grant.expires_at = 0.0

    def expire_tokens(self) -> None:
        with self.lock:
            self.tokens.clear()
            self._session_token.clear()

    def check_bearer(self, header: str) -> Answer | None:
        """None when the Authorization header carries a live token, else the refusal."""
        with self.lock:
            token = header[7:].strip() if header[:7].lower() == "bearer " else ""
            record = self.tokens.get(token)
            if record is not None and time.monotonic() < record.expires_at:
                return None
            if self.token_refusal_status == 403:
                return api_error(403, "ProductNotAllowedException", "Valid auth token required",
                                 2003)
            return api_error(401, "ProductUnauthorizedException",
                             "Access token missing, invalid or expired")

    def expire_token(self, header: str) -> None:
        with self.lock:
            token = header[7:].strip() if header[:7].lower() == "bearer " else ""
            self.tokens.pop(token, None)

    # --- cards ----------------------------------------------------------------------------

    def add_card(self, number: str, *, balance: int = 0, locked: bool = False,
                 foreign: bool = False, **details: Any) -> Card:
        """A card; `details` are further Card fields (group, pin, passcode, expiry_date...)."""
        with self.lock:
            return self.book.add(Card(number, balance, locked, foreign, **details))

    def _merchantcard(self, card: Card) -> dict[str, Any]:
        return self.book.merchantcard(card)

    # --- Smart Transactions ---------------------------------------------------------------

    def create(self, body: Any) -> Answer:
        problem = check_create_body(body, self.currency)
        if problem:
            return format_error(problem)
        number = next(i["value"] for i in body["idents"] if i.get("type") == "card")
        with self.lock:
            card = self.cards.get(number)
            if card is None:
                return api_error(400, "ProductNotFoundException", "Card not found", 1016)
            if card.foreign:
                return api_error(400, "ProductNotAllowedException",
                                 "Card is not valid for this merchant", 1016)
            refused = self.book.refusal(card, body["basket_info"]["sum"])
            if refused is not None:
                return refused
            products = [{"id": p.get("id", n), "parent": None, "articleNumber": "",
                         "ean": p["ean"], "desc": str(p.get("desc", "")),
                         "quantity": p["quantity"], "priceOne": p["priceOne"],
                         "tax": p.get("tax", 0), "group": [], "serialNumber": None,
                         "item_type": "article", "reference_id": None, "contract_id": None,
                         "sum": None}
                        for n, p in enumerate(body["basket"]["products"], start=1)]
            stx_id = new_id("STX")
            stx = {
                "object": "smart.transactions", "id": stx_id,
                "merchant": {"object": "general.merchants", "id": self.merchant_id,
                             "companyname": self.merchant_name},
                "device_source": {"object": "smart.devices", "id": self.device_id},
                "transactions": [],
                "created": datetime.now().astimezone().isoformat(timespec="seconds"),
                "status": "created", "transactionRef": None,
                "merchantRef": body.get("merchantRef"), "intent": "sale",
                "basket": {"products": products, "texts": [], "type": "default"},
                "receipt": [],
                "basket_info": {"sum": body["basket_info"]["sum"], "gratuity": None,
                                "currency": body["basket_info"]["currency"]},
                "idents": [{"object": "smart.idents", "id": "smi_1", "prefix": number[:4],
                            "name": "secucard Kundenkarte", "type": "card", "value": number,
                            "valid": True, "merchantcard": self._merchantcard(card),
                            "customer": None}],
                "payment_method": None, "trans_id": None,
                "is_demo": bool(body.get("is_demo", False)),
                "application_context": {"locks": {"customer": False}, "return_urls": None,
                                        "iframe_opts": None},
                "checkout_links": None, "payment_links": None,
            }
            self.transactions[stx_id] = stx
            self._stx_cards[stx_id] = number
            return 200, copy.deepcopy(stx)

    def get(self, stx_id: str) -> Answer:
        with self.lock:
            stx = self.transactions.get(stx_id)
            if stx is None:
                return stx_not_found(stx_id)
            settling = self._settling.get(stx_id)
            if settling is not None:
                settling[0] -= 1
                if settling[0] <= 0:
                    del self._settling[stx_id]
                    self.set_status(stx_id, settling[1])
            return 200, copy.deepcopy(stx)

    def search(self, query: dict[str, str]) -> Answer:
        q = query.get("q", "")
        try:
            count = int(query.get("count", "20"))
        except ValueError:
            return format_error("count must be a number")
        with self.lock:
            found = list(self.transactions.values())
            if q:
                match = _QUOTED_REF.fullmatch(q)
                if match is None:
                    return format_error('Unsupported query; expected q=merchantRef:"<ref>"')
                ref = match.group(1)
                found = [s for s in found if s.get("merchantRef") == ref]
            found.reverse()  # newest first
            return 200, {"count": len(found), "data": copy.deepcopy(found[:max(count, 0)])}

    def begin_start(self, stx_id: str, start_type: str) -> Answer | None:
        """Check a start and, for cashless, mark it `processing`; None when it may go on."""
        if start_type not in ("cash", "cashless"):
            return api_error(400, "ProductMethodNotAllowedException",
                             f"Start type {start_type!r} is not available for this device")
        with self.lock:
            stx = self.transactions.get(stx_id)
            if stx is None:
                return stx_not_found(stx_id)
            if stx["status"] != "created":
                return api_error(400, "ProductNotAllowedException",
                                 f"Transaction in status {stx['status']} cannot be started")
            card = self.cards[self._stx_cards[stx_id]]
            refused = self.book.start_refusal(card, stx["basket_info"]["sum"])
            if refused is not None:
                stx["status"] = "failed"
                return refused
            stx["payment_method"] = start_type
            if start_type == "cashless":
                stx["status"] = "processing"
            return None

    def finish_start(self, stx_id: str, outcome: str) -> Answer:
        """Complete a started transaction: `ok` credits the card, anything else fails it,
        unless `start_statuses` plans another status for this start."""
        with self.lock:
            if outcome == "ok" and self.start_statuses:
                outcome = self.start_statuses.pop(0)
                if outcome not in ("ok", "failed"):
                    self.transactions[stx_id]["status"] = outcome   # not credited (yet)
                    if self.start_settles is not None:
                        self._settling[stx_id] = list(self.start_settles)
                    return 200, copy.deepcopy(self.transactions[stx_id])
            return self._finish(stx_id, outcome)

    def set_status(self, stx_id: str, status: str) -> None:
        """Move a transaction on, as the API may do later: "ok" credits it (once)."""
        with self.lock:
            if status == "ok" and self.transactions[stx_id]["status"] != "ok":
                self._finish(stx_id, "ok")
            else:
                self.transactions[stx_id]["status"] = status

    def _finish(self, stx_id: str, outcome: str) -> Answer:
        with self.lock:
            stx = self.transactions[stx_id]
            if outcome != "ok":
                stx["status"] = "failed"
                return 200, copy.deepcopy(stx)
            number = self._stx_cards[stx_id]
            card = self.cards[number]
            amount = stx["basket_info"]["sum"]
            old_balance = card.balance
            self.book.credit(card, amount)   # plus the card group's bonus, if any
            self.ledger.append(Credit(stx_id, number, amount, stx.get("merchantRef") or ""))
            self._last_booking[number] = stx_id
            ta_sale, ta_charge = self._trans_id + 1, self._trans_id + 3
            self._trans_id += 4
            stx.update({
                "status": "ok", "trans_id": str(ta_sale),
                "transactions": [{"object": "loyalty.transactions", "id": new_id("LTX")}],
                "receipt": topup_receipt(number, amount, old_balance, card.balance,
                                         str(ta_sale), str(ta_charge)),
            })
            stx["idents"][0]["merchantcard"] = self._merchantcard(card)
            return 200, copy.deepcopy(stx)

    def cancel(self, stx_id: str) -> Answer:
        """Reverse an `ok` loyalty booking - only the card's last one unless the card group
        has cancel_selected (else error 1007, like the real API)."""
        with self.lock:
            stx = self.transactions.get(stx_id)
            if stx is None:
                return stx_not_found(stx_id)
            if self.refused_cancels > 0:
                self.refused_cancels -= 1
                if self.cancel_shape == "result":
                    return 200, {"result": False}
                return self._error(400, "ProductNotAllowedException",
                                   "Could not cancel loyalty transaction", 1007)
            if stx["status"] == "approved":
                # A card payment authorised at the terminal, nothing booked on the card yet.
                if not self._unheeded():
                    stx["status"] = "cancelled"
                return self._cancel_answer(stx, True)
            if stx["status"] != "ok":
                return self._error(400, "ProductNotAllowedException",
                                   f"Transaction in status {stx['status']} cannot be "
                                   f"cancelled", 1007)
            number = self._stx_cards[stx_id]
            card = self.cards[number]
            amount = stx["basket_info"]["sum"]
            if not self.cancel_selected and self._last_booking.get(number) != stx_id:
                return self._error(400, "ProductNotAllowedException",
                                   "Could not cancel loyalty transaction: not the card's "
                                   "last transaction", 1007)
            if card.balance < amount:
                return self._error(400, "ProductNotEnoughBalanceException",
                                   "Could not cancel loyalty transaction", 1007)
            if self._unheeded():
                return self._cancel_answer(stx, True)
            card.balance -= amount
            self.ledger.append(Credit(stx_id, number, -amount, stx.get("merchantRef") or ""))
            stx["status"] = "cancelled"
            stx["idents"][0]["merchantcard"] = self._merchantcard(card)
            return self._cancel_answer(stx, True)

    def abort(self, stx_id: str) -> Answer:
        with self.lock:
            stx = self.transactions.get(stx_id)
            if stx is None:
                return stx_not_found(stx_id)
            if stx["status"] != "created":
                if self.cancel_shape == "result":
                    return 200, {"result": False}
                return self._error(400, "ProductNotAllowedException",
                                   f"Transaction in status {stx['status']} cannot be aborted")
            if not self._unheeded():
                stx["status"] = "aborted"
            return self._cancel_answer(stx, True)

    def _unheeded(self) -> bool:
        """Whether this cancel/abort is answered as accepted without being done."""
        if self.unheeded > 0:
            self.unheeded -= 1
            return True
        return False

    def _cancel_answer(self, stx: dict[str, Any], result: bool) -> Answer:
        if self.cancel_shape == "result":
            return 200, {"result": result}
        return 200, copy.deepcopy(stx)

    def _error(self, status: int, error: str, details: str, code: int | None = None) -> Answer:
        """api_error, with the code as text when `string_codes` (the docs call it a string)."""
        return api_error(status, error, details,
                         str(code) if self.string_codes and code is not None else code)
