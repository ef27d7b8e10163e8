"""SecuconnectClient: the Smart Transaction and Loyalty calls of a top-up, one session."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path
from typing import Any, Callable, TypeVar
from urllib.parse import quote

import requests

from kiosk.cards import mask_card
from kiosk.config import ApiConfig, Config, ConfigError, read_secret_file
from kiosk.secuconnect.auth import (
    Authenticator,
    ClientCredentialsAuth,
    DeviceAuth,
    TokenEndpoint,
)
from kiosk.secuconnect.card_models import (
    BalanceReceipt, CardGroup, card_lock_reason, lock_reasons, result_flag,
)
from kiosk.secuconnect.errors import (
    ApiError,
    AuthError,
    NotSentError,
    OutcomeUnknownError,
)
from kiosk.secuconnect.models import (
    CancelAnswer,
    CardValidation,
    MerchantCard,
    ModelError,
    SmartTransaction,
)
from kiosk.secuconnect.terminals import TerminalReport, TerminalRouting
from kiosk.secuconnect.transport import (
    body_hint,
    install_log_masking,
    json_body,
    new_session,
    send,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

START_TYPES = ("cash", "cashless")
TERMINAL_CALLS = ("endOfDay", "diagnosis")
# checkPasscode's answer to a wrong PIN.
PASSCODE_INCORRECT = "ProductPasscodeIncorrectException"
# The API's answer to an expired or invalid token besides a plain 401.
TOKEN_REFUSED_CODE = 2003
# The kiosk's references (merchantRef): UUIDs, safe inside a quoted search value.
_REFERENCE_RE = re.compile(r"[A-Za-z0-9-]{1,64}")


class SecuconnectClient:
    """One client per process: a keep-alive session, a token cache, typed calls and errors.

    Every call raises ApiError (refused: nothing happened), NotSentError (never reached the
    server), OutcomeUnknownError (may have happened) or AuthError (credentials refused).

    Re-authentication: a call answered 401, or 403 with code 2003, is re-sent once with a new
    token. That is safe even for `create` and `start`, because those answers mean the server
    refused the request at its door, before executing anything; the retry is the first
    execution, not a second one. Only those two answers trigger it: a timeout, a reset or a
    5xx never leads to a re-send here, since the first request may have run.
    """

    def __init__(
        self,
        api: ApiConfig,
        *,
        client_secret: str,
        state_dir: Path,
        session: requests.Session | None = None,
    ) -> None:
        install_log_masking()
        self.api = api
        self.base_url = api.base_url.rstrip("/")
        self.session = session if session is not None else new_session()
        endpoint = TokenEndpoint(self.session, api, client_secret)
        self.auth: Authenticator
        if api.auth_mode == "device":
            self.auth = DeviceAuth(endpoint, device_uuid=api.device_uuid, state_dir=Path(state_dir))
        else:
            self.auth = ClientCredentialsAuth(endpoint)

    @classmethod
    def from_config(cls, config: Config) -> "SecuconnectClient":
        """A client for `config`; the client secret comes from [api] credentials_file."""
        if not config.api.credentials_file:
            raise ConfigError(f"{config.source or '<config>'}: [api] credentials_file: required "
                              f"(a file holding the client secret, chmod 600)")
        secret = read_secret_file(config.api.credentials_file, "client secret")
        return cls(config.api, client_secret=secret, state_dir=config.state_dir)

    # --- Smart Transactions ---------------------------------------------------------------

    def create_topup(
        self,
        *,
        merchant_ref: str,
        card_number: str,
        amount: int,
        currency: str,
        ean: str,
        tax: float,
        text: str,
        is_demo: bool,
    ) -> SmartTransaction:
        """Create the "Kartenaufladung" Smart Transaction (status `created`)."""
        body = {
            "intent": "sale",
            "merchantRef": merchant_ref,
            "idents": [{"type": "card", "value": card_number}],
            "basket": {"products": [{"id": 1, "ean": ean, "desc": text, "quantity": 1,
                                     "priceOne": amount, "tax": _number(tax)}]},
            "basket_info": {"sum": amount, "currency": currency},
            "is_demo": is_demo,
        }
        stx = self._call("POST", "/Smart/Transactions", SmartTransaction.from_json, json=body,
                         note=f"create {merchant_ref} {mask_card(card_number)} {amount}")
        return stx

    def get_transaction(self, stx_id: str) -> SmartTransaction:
        return self._call("GET", f"/Smart/Transactions/{_seg(stx_id)}", SmartTransaction.from_json)

    def find_by_merchant_ref(self, merchant_ref: str) -> list[SmartTransaction]:
        """Transactions carrying exactly `merchant_ref`: for orphan cleanup only.

        Whether the real API can search merchantRef is unconfirmed, and its index may miss a
        fresh transaction: no money decision may rest on a hit or a miss. The value is quoted
        and limited to [A-Za-z0-9-], so it cannot change the query.
        """
        if not _REFERENCE_RE.fullmatch(merchant_ref):
            raise ValueError(f"reference {merchant_ref!r} is not [A-Za-z0-9-]{{1,64}}")
        found = self._call("GET", "/Smart/Transactions", _transaction_list,
                           params={"q": f'merchantRef:"{merchant_ref}"', "count": 10})
        # The search is a query language, not an exact lookup: keep only exact matches.
        return [stx for stx in found if stx.merchant_ref == merchant_ref]

    def start(self, stx_id: str, start_type: str) -> SmartTransaction:
        """Execute the payment. `cashless` blocks while the customer pays at the terminal."""
        if start_type not in START_TYPES:
            raise ValueError(f"start type must be one of {START_TYPES}, not {start_type!r}")
        timeout = self.api.start_cashless_timeout if start_type == "cashless" else None
        return self._call("POST", f"/Smart/Transactions/{_seg(stx_id)}/start/{start_type}",
                          SmartTransaction.from_json, json={}, read_timeout=timeout)

    def cancel(self, stx_id: str) -> CancelAnswer:
        """Ask to reverse a transaction. The answer (a transaction or `{"result": bool}`)
        proves nothing: confirm with get_transaction before anyone is told."""
        return self._call("POST", f"/Smart/Transactions/{_seg(stx_id)}/cancel",
                          CancelAnswer.from_json, json={})

    def abort(self, stx_id: str) -> CancelAnswer:
        """Ask to abandon a transaction never started; confirm with get_transaction."""
        return self._call("POST", f"/Smart/Transactions/{_seg(stx_id)}/abort",
                          CancelAnswer.from_json, json={})

    # --- Loyalty cards --------------------------------------------------------------------

    def lookup_card(self, card_number: str) -> MerchantCard | None:
        """The merchant's view of a card (balance, lock status), or None if unknown to it."""
        cards = self._call("GET", "/Loyalty/MerchantCards", _card_list,
                           params={"q": f'card.cardnumber:"{card_number}"', "count": 1},
                           note=f"lookup {mask_card(card_number)}")
        for card in cards:
            if card.cardnumber == card_number:
                return card
        return cards[0] if cards else None

    def validate_card(self, card_number: str) -> CardValidation:
        return self._call("POST", "/Loyalty/MerchantCards/me/validateMerchantcard",
                          CardValidation.from_json, json={"cardnumber": card_number},
                          note=f"validate {mask_card(card_number)}")

    # --- terminals (for `cashless`) -------------------------------------------------------

    def terminal_routing(self, device_id: str) -> TerminalRouting:
        """The zvt terminal routed to the kiosk's device `device_id`, and whether it is online."""
        return self._call("GET", f"/Smart/Devices/{_seg(device_id)}/routing/zvt",
                          TerminalRouting.from_json)

    def terminal_call(self, device_id: str, call: str) -> TerminalReport:
        """`endOfDay` or `diagnosis` on `device_id`: blocking, hence the long timeout."""
        if call not in TERMINAL_CALLS:
            raise ValueError(f"terminal call must be one of {TERMINAL_CALLS}, not {call!r}")
        return self._call("POST", f"/Smart/Transactions/{_seg(device_id)}/{call}",
                          TerminalReport.from_json, json={},
                          read_timeout=self.api.start_cashless_timeout)
    def get_cardgroup(self, cardgroup_id: str) -> CardGroup:
        """The card group (its balance_limit is not in the card's embedded cardgroup)."""
        return self._call("GET", f"/Loyalty/Cardgroups/{_seg(cardgroup_id)}",
                          CardGroup.from_json)

    def lock_reasons(self) -> dict[int, str]:
        """The API's lock reasons, {id: German text}."""
        return self._call("GET", "/Loyalty/MerchantCards/me/lockReasons", lock_reasons)

    def card_lock_reason(self, merchantcard_id: str) -> int | None:
        """Why this card is locked (a lock reason id), None when the API names no reason."""
        return self._call("GET", f"/Loyalty/MerchantCards/{_seg(merchantcard_id)}/lock",
                          card_lock_reason)

    def passcode_enabled(self, cardgroup_id: str, card_number: str,
                         action: str = "charge") -> bool:
        """Does `action` on this card ask for its PIN?"""
        return self._call("POST", f"/Loyalty/Cardgroups/{_seg(cardgroup_id)}/checkPasscodeEnabled",
                          result_flag, json={"action": action, "cardnumber": card_number},
                          note=f"passcode enabled {mask_card(card_number)}")

    def check_passcode(self, merchantcard_id: str, card_number: str, pin: str) -> bool:
        """True for the card's PIN, False for a wrong one (the API counts the tries).

        The API takes the PIN as an integer, so "0815" goes out as 815: its leading zeros are
        not part of what the server compares (secuconnect-api.md, an inference it marks
        unconfirmed). Other refusals (a locked card) raise ApiError.
        """
        if not pin.isascii() or not pin.isdigit():
            raise ValueError("a PIN is ASCII digits")
        try:
            return self._call("POST", f"/Loyalty/MerchantCards/{_seg(merchantcard_id)}"
                              "/checkPasscode", result_flag,
                              json={"cardnumber": card_number, "pin": int(pin)},
                              note=f"check passcode {mask_card(card_number)}")
        except ApiError as exc:
            if exc.error == PASSCODE_INCORRECT:
                return False
            raise

    def card_balance_receipt(self, merchantcard_id: str, card_number: str,
                             terminal_id: str) -> BalanceReceipt:
        """The card's balances with printable lines (`getCardBalanceReceipt`)."""
        return self._call("POST", f"/Loyalty/MerchantCards/{_seg(merchantcard_id)}"
                          "/getCardBalanceReceipt", BalanceReceipt.from_json,
                          json={"cardnumber": card_number, "terminal_id": terminal_id},
                          note=f"balance receipt {mask_card(card_number)}")

    # --- housekeeping ---------------------------------------------------------------------

    def ping(self) -> None:
        """Authenticate (or reuse the token) and make one cheap read, for `kiosk doctor`."""
        self._call("GET", "/Smart/Transactions", _transaction_list, params={"count": 1})

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "SecuconnectClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- one call -------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        parse: Callable[[Any], T],
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        read_timeout: float | None = None,
        note: str = "",
    ) -> T:
        url = self.base_url + path
        what = f"{method} {path}"  # never the query: it may hold a card number
        timeout = read_timeout if read_timeout is not None else self.api.read_timeout
        for attempt in (1, 2):
            token = self._token_for(what)
            started = time.monotonic()
            response = send(self.session, method, url, json=json, params=params,
                            headers={"Authorization": f"Bearer {token}"}, what=what,
                            connect_timeout=self.api.connect_timeout, read_timeout=timeout)
            took = time.monotonic() - started
            log.debug("%s -> %d in %.3f s %s", what, response.status_code, took, note)
            if attempt == 1 and _token_refused(response):
                # Refused at the door (see class docstring): safe to send once more.
                log.info("%s: access token refused (HTTP %d), re-authenticating once",
                         what, response.status_code)
                self.auth.invalidate(token)
                continue
            return self._interpret(what, response, parse)
        raise AssertionError("unreachable")  # the loop returns or raises on attempt 2

    def _token_for(self, what: str) -> str:
        try:
            return self.auth.access_token()
        except AuthError:
            raise
        except (NotSentError, OutcomeUnknownError) as exc:
            # Whatever happened at the token endpoint, the API call itself was not sent.
            raise NotSentError(f"{what} not sent: no access token ({exc})") from None

    def _interpret(self, what: str, response: requests.Response, parse: Callable[[Any], T]) -> T:
        status = response.status_code
        data = json_body(response)
        if 200 <= status < 300:
            if data is None:
                raise OutcomeUnknownError(f"{what}: HTTP {status} with {body_hint(response)}")
            try:
                return parse(data)
            except ModelError as exc:
                raise OutcomeUnknownError(f"{what}: HTTP {status}, {exc}") from None
        api_error = ApiError.from_payload(status, data)
        if 400 <= status < 500:
            if api_error is not None:
                log.warning("%s refused: %s", what, api_error)
                raise api_error
            if status == 401:
                # A 401 is a refusal whatever its body looks like.
                raise ApiError(401, "Unauthorized", error_details=body_hint(response))
            # A 4xx without the API's JSON may come from a proxy that did or did not pass the
            # request on: the outcome is unknown.
            raise OutcomeUnknownError(f"{what}: HTTP {status} with {body_hint(response)}")
        if api_error is not None:
            raise OutcomeUnknownError(f"{what}: HTTP {status}", api_error=api_error)
        raise OutcomeUnknownError(f"{what}: HTTP {status} with {body_hint(response)}")


def _token_refused(response: requests.Response) -> bool:
    if response.status_code == 401:
        return True
    if response.status_code == 403:
        error = ApiError.from_payload(403, json_body(response))
        return error is not None and error.code == TOKEN_REFUSED_CODE
    return False


def _transaction_list(data: Any) -> list[SmartTransaction]:
    return [SmartTransaction.from_json(item) for item in _data_list(data)]


def _card_list(data: Any) -> list[MerchantCard]:
    return [MerchantCard.from_json(item) for item in _data_list(data) if isinstance(item, dict)]


def _data_list(data: Any) -> list[Any]:
    """The `data` of a search answer {"count": n, "data": [...]}; count 0 may omit data."""
    if not isinstance(data, dict) or "count" not in data:
        raise ModelError("search answer has no count")
    items = data.get("data") or []
    if not isinstance(items, list):
        raise ModelError("search answer's data is not a list")
    return items


def _seg(value: str) -> str:
    """One URL path segment: an id must never be able to change the path."""
    return quote(value, safe="")


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value
