"""secuconnect OAuth: one cached access token, fetched by one thread at a time; device flow."""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import requests

from kiosk.config import ApiConfig, ConfigError, read_secret_file, write_private_file
from kiosk.secuconnect.errors import AuthError, OutcomeUnknownError, SecuconnectError
from kiosk.secuconnect.models import DeviceCode, ModelError, ascii_int, json_text
from kiosk.secuconnect.transport import body_hint, json_body, send

log = logging.getLogger(__name__)

# The SDKs treat a token as expired this many seconds early, so a call never carries a token
# that expires while it travels.
TOKEN_MARGIN_S = 10.0
REFRESH_TOKEN_FILE = "secuconnect-refresh-token"
_PENDING = frozenset({"authorization_pending", "slow_down"})
# A token lifetime is believed up to a day (secuconnect says 3600 s): a longer or endless one
# would keep a revoked token for ever, and threading waits refuse absurd timeouts.
MAX_TOKEN_LIFETIME_S = 86_400.0
# Tokens travel in an HTTP header: visible ASCII only (RFC 6750 b64token is a subset), bounded.
_TOKEN_RE = re.compile(r"[\x21-\x7e]{1,4096}")


@dataclass(frozen=True)
class AccessToken:
    value: str
    usable_until: float  # time.monotonic() deadline, TOKEN_MARGIN_S before the real expiry


class TokenEndpoint:
    """Posts grants to the OAuth token endpoint and sorts its answers."""

    def __init__(self, session: requests.Session, api: ApiConfig, client_secret: str) -> None:
        self.session = session
        self.api = api
        self.url = api.resolved_token_url
        self.client_secret = client_secret

    def post(self, grant_type: str, **params: str) -> dict[str, Any]:
        """The endpoint's JSON answer; AuthError for an OAuth refusal (including
        authorization_pending), NotSentError / OutcomeUnknownError for transport trouble."""
        form = {"grant_type": grant_type, "client_id": self.api.client_id,
                "client_secret": self.client_secret, **params}
        what = f"POST {self.url} ({grant_type})"
        response = send(self.session, "POST", self.url, data=form, what=what,
                        connect_timeout=self.api.connect_timeout,
                        read_timeout=self.api.read_timeout)
        return sort_token_answer(response.status_code, json_body(response), what=what,
                                 hint=body_hint(response))


def sort_token_answer(status: int, data: Any, *, what: str, hint: str) -> dict[str, Any]:
    """A token endpoint's decoded answer: the JSON object of a 200, AuthError for an OAuth
    refusal (a 4xx whose `error` is text), OutcomeUnknownError for anything else.

    `what` names the call and `hint` describes the body, for the message.
    """
    if status == 200 and isinstance(data, dict):
        return data
    if 400 <= status < 500 and isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, str) and error:
            description = json_text(data.get("error_description")) or json_text(
                data.get("error_details"))
            raise AuthError(error, description)
    raise OutcomeUnknownError(f"{what}: unexpected answer HTTP {status}, {hint}")


def token_from_answer(data: dict[str, Any], now: float) -> AccessToken:
    """The access token of a token answer, usable until `now` + its lifetime - TOKEN_MARGIN_S.

    OutcomeUnknownError when `access_token` is missing or could not go into a header. A
    lifetime that is not a finite, non-negative number of seconds (ASCII digits in text) counts
    as 0 - the token serves the call at hand only -, and one above MAX_TOKEN_LIFETIME_S as that.
    """
    value = data.get("access_token")
    if not isinstance(value, str) or not _TOKEN_RE.fullmatch(value):
        raise OutcomeUnknownError("token endpoint answered without a usable access_token")
    return AccessToken(value, now + _lifetime(data.get("expires_in")) - TOKEN_MARGIN_S)


def _lifetime(value: Any) -> float:
    seconds: float | None = None
    if isinstance(value, bool):
        seconds = None
    elif isinstance(value, int):
        seconds = float(min(value, int(MAX_TOKEN_LIFETIME_S)))
    elif isinstance(value, float) and math.isfinite(value):
        seconds = value
    elif isinstance(value, str):
        number = ascii_int(value)
        seconds = None if number is None else float(min(number, int(MAX_TOKEN_LIFETIME_S)))
    if seconds is None or seconds < 0:
        return 0.0
    return min(seconds, MAX_TOKEN_LIFETIME_S)


class Authenticator(ABC):
    """Caches the access token; a lock makes sure only one token is ever being fetched.

    secuconnect keeps one valid access token per device session: a second fetch would
    invalidate the token other threads are using, so fetching happens under the lock and the
    threads that waited for it reuse its result.
    """

    def __init__(self, endpoint: TokenEndpoint) -> None:
        self.endpoint = endpoint
        self._lock = threading.Lock()
        self._token: AccessToken | None = None

    def access_token(self) -> str:
        """A token usable for at least TOKEN_MARGIN_S more seconds, fetched if needed."""
        with self._lock:
            token = self._token
            if token is not None and time.monotonic() < token.usable_until:
                return token.value
            self._token = None
            data = self._fetch()
            return self._remember(data).value

    def invalidate(self, token: str) -> None:
        """Forget `token` after the API refused it; a newer token fetched meanwhile stays."""
        with self._lock:
            if self._token is not None and self._token.value == token:
                self._token = None

    @abstractmethod
    def _fetch(self) -> dict[str, Any]:
        """Fetch a new token from the token endpoint (each grant its own way)."""

    def _remember(self, data: dict[str, Any]) -> AccessToken:
        now = time.monotonic()
        token = token_from_answer(data, now)
        self._token = token
        log.debug("new access token, valid for %.0f s", token.usable_until + TOKEN_MARGIN_S - now)
        return token


class ClientCredentialsAuth(Authenticator):
    """`client_credentials` grant: client id and secret buy a token; no refresh token."""

    def _fetch(self) -> dict[str, Any]:
        return self.endpoint.post("client_credentials")


class DeviceAuth(Authenticator):
    """`device` grant: registered once (a code confirmed in SecuOffice), then refresh tokens.

    The refresh token lives in the state directory, readable by its owner only.
    """

    def __init__(self, endpoint: TokenEndpoint, *, device_uuid: str, state_dir: Path) -> None:
        super().__init__(endpoint)
        self.device_uuid = device_uuid
        self.refresh_token_path = Path(state_dir) / REFRESH_TOKEN_FILE

    @property
    def is_registered(self) -> bool:
        """True once a refresh token has been persisted."""
        return self.refresh_token_path.is_file()

    def request_device_code(self) -> DeviceCode:
        """Step 1: a code for the merchant to confirm; show `user_code` and `verification_url`."""
        data = self.endpoint.post("device", uuid=self.device_uuid)
        try:
            return DeviceCode.from_json(data)
        except ModelError as exc:
            raise OutcomeUnknownError(f"device code request: {exc}") from None

    def wait_for_device_confirmation(
        self,
        code: DeviceCode,
        on_pending: Callable[[float], None] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        """Step 2: poll every `code.interval` s until the merchant confirmed the code.

        Returns once the refresh token is persisted and an access token cached.
        `on_pending(seconds_left)` is called after each "not yet". Raises AuthError when the
        code expired, was denied, or `stop` was set (error "cancelled"). Network trouble while
        polling is logged and polling goes on until the code expires.
        """
        stop = stop or threading.Event()
        interval = float(code.interval)
        deadline = time.monotonic() + code.expires_in
        while True:
            try:
                data = self.endpoint.post("device", code=code.device_code)
            except AuthError as exc:
                if exc.error not in _PENDING:
                    raise
                if exc.error == "slow_down":  # RFC 8628: back off by 5 s for good
                    interval += 5.0
            except SecuconnectError as exc:
                log.warning("device confirmation poll failed, will retry: %s", exc)
            else:
                self._store_registration(data)
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise AuthError("expired_token",
                                "the device code expired before it was confirmed in SecuOffice")
            if on_pending is not None:
                on_pending(left)
            if stop.wait(min(interval, left)):
                raise AuthError("cancelled", "device registration was cancelled")

    def _store_registration(self, data: dict[str, Any]) -> None:
        refresh = data.get("refresh_token")
        if not isinstance(refresh, str) or not _TOKEN_RE.fullmatch(refresh):
            raise OutcomeUnknownError("device confirmed, but the answer has no usable "
                                      "refresh_token")
        with self._lock:
            write_private_file(self.refresh_token_path, refresh + "\n")
            self._remember(data)
        log.info("device registered; refresh token stored in %s", self.refresh_token_path)

    def _fetch(self) -> dict[str, Any]:
        if not self.is_registered:
            raise AuthError("not_registered",
                            f"no refresh token in {self.refresh_token_path}; register this kiosk "
                            f"(device code confirmed in SecuOffice) first")
        try:
            refresh = read_secret_file(self.refresh_token_path, "refresh token")
        except ConfigError as exc:
            raise AuthError("refresh_token_unreadable", str(exc)) from None
        try:
            data = self.endpoint.post("refresh_token", refresh_token=refresh)
        except AuthError as exc:
            raise AuthError(exc.error, f"{exc.description} (refresh token in "
                            f"{self.refresh_token_path} refused; register this kiosk again)"
                            ) from None
        renewed = data.get("refresh_token")
        if isinstance(renewed, str) and _TOKEN_RE.fullmatch(renewed) and renewed != refresh:
            write_private_file(self.refresh_token_path, renewed + "\n")
        return data
