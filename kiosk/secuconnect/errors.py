"""Typed secuconnect failures: refused (ApiError), not sent, outcome unknown, auth refused."""

from __future__ import annotations

from typing import Any, Mapping

from kiosk.cards import mask_card_numbers_in_text
from kiosk.secuconnect.models import ascii_int, json_text


class SecuconnectError(Exception):
    """Base of every failure of a secuconnect call."""


class ApiError(SecuconnectError):
    """The API answered with a definite refusal: a 4xx carrying the API's error JSON.

    A refused call did not execute, so money did not move. `support_id` is what secupay's
    support asks for; `error_user` is German text meant for end users.
    """

    def __init__(
        self,
        status: int,
        error: str,
        *,
        code: int | None = None,
        error_details: str = "",
        error_user: str = "",
        support_id: str = "",
        code_text: str = "",
    ) -> None:
        self.status = status
        self.error = error
        # `code` is documented as a string ("HTTP code") and sent as an int in the examples:
        # both read into `code`; text that is no number is kept in `code_text`, for logs only.
        self.code = code
        self.code_text = code_text if code is None else ""
        self.error_details = error_details
        self.error_user = error_user
        self.support_id = support_id
        super().__init__(self._describe())

    def _describe(self) -> str:
        text = f"HTTP {self.status} {self.error or 'error'}"
        if self.code is not None:
            text += f" (code {self.code})"
        elif self.code_text:
            text += f" (code {mask_card_numbers_in_text(self.code_text[:40])!r})"
        if self.error_details:
            # Details may echo what was sent (a card number): messages end up in logs.
            text += f": {mask_card_numbers_in_text(self.error_details)}"
        if self.support_id:
            text += f" [supportId {self.support_id}]"
        return text

    @classmethod
    def from_payload(cls, status: int, payload: Any) -> "ApiError | None":
        """The API's error JSON as an ApiError, or None when `payload` is not that shape.

        Shape: {"status":"error","error":"...Exception","error_details","error_user","code",
        "supportId"}. Only `error` is required; the rest is read leniently (total: any
        `payload` gives an ApiError or None).
        """
        if not isinstance(payload, Mapping):
            return None
        error = payload.get("error")
        if not isinstance(error, str) or not error:
            return None
        if payload.get("status") not in (None, "error"):
            return None
        return cls(
            status,
            error,
            code=_code(payload.get("code")),
            code_text=json_text(payload.get("code")).strip(),
            error_details=json_text(payload.get("error_details")),
            error_user=json_text(payload.get("error_user")),
            support_id=json_text(payload.get("supportId", payload.get("support_id"))),
        )


class NotSentError(SecuconnectError):
    """The request certainly did not reach the API (connect refused, DNS, connect timeout,
    or the access token needed to send it could not be obtained): nothing happened."""


class OutcomeUnknownError(SecuconnectError):
    """The request may have been executed: read timeout, connection lost after sending, 5xx,
    or an answer that is not the API's JSON. Resolve by reading the server's state, never
    by assuming failure."""

    def __init__(self, message: str, *, api_error: ApiError | None = None) -> None:
        self.api_error = api_error
        if api_error is not None:
            message = f"{message}: {api_error}"
        super().__init__(message)

    @property
    def support_id(self) -> str:
        return self.api_error.support_id if self.api_error else ""


class AuthError(SecuconnectError):
    """Authentication refused: bad client credentials, refresh token revoked, device code
    expired or denied, or the kiosk not registered yet. No API call was sent."""

    def __init__(self, error: str, description: str = "") -> None:
        self.error = error
        self.description = description
        super().__init__(f"{error}: {description}" if description else error)


def _code(value: Any) -> int | None:
    """The API's internal error code: an int, or ASCII digits in text; None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= _MAX_CODE else None
    if isinstance(value, str):
        code = ascii_int(value.strip())
        return code if code is not None and 0 <= code <= _MAX_CODE else None
    return None


_MAX_CODE = 2**31 - 1  # the API's codes are four digits; anything past 32 bits is no code
