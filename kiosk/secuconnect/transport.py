"""One HTTP exchange with secuconnect; failures sorted into "not sent" or "outcome unknown"."""

from __future__ import annotations

import json
import logging
import math
import re
import ssl
from typing import Any

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from kiosk.cards import mask_card_numbers_in_text
from kiosk.logs import CardMaskingFilter
from kiosk.secuconnect.errors import NotSentError, OutcomeUnknownError

USER_AGENT = "topup-kiosk/0.1 (+secuconnect)"

# urllib3 logs full URLs at DEBUG ("GET /api/v2/Loyalty/MerchantCards?q=card.cardnumber%3A9276...")
# and in retry/header warnings. Masking on these loggers keeps card numbers out of every
# handler, also when the application did not install kiosk.logs.setup_logging.
_URLLIB3_LOGGERS = ("urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry")


def install_log_masking() -> None:
    """Attach the card-masking filter to urllib3's loggers (idempotent)."""
    for name in _URLLIB3_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, CardMaskingFilter) for f in logger.filters):
            logger.addFilter(CardMaskingFilter())


def new_session() -> requests.Session:
    """A keep-alive session that never retries on its own.

    urllib3 must not re-send anything: a POST repeated behind our back after a lost answer
    could move money twice. Every retry decision is made above this layer.
    """
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
    return session


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    connect_timeout: float,
    read_timeout: float,
    what: str,
    **kwargs: Any,
) -> requests.Response:
    """Send one request; raise NotSentError or OutcomeUnknownError for transport failures.

    `what` names the call for messages ("POST /Smart/Transactions"). Exception texts from
    requests carry the URL, so they are masked before they reach a message.
    """
    try:
        return session.request(
            method, url, timeout=(connect_timeout, read_timeout), allow_redirects=False, **kwargs
        )
    except requests.exceptions.ConnectTimeout as exc:
        raise NotSentError(f"{what}: no connection within {connect_timeout:g} s "
                           f"({_describe(exc)})") from None
    except requests.exceptions.ReadTimeout as exc:
        raise OutcomeUnknownError(f"{what}: no answer within {read_timeout:g} s "
                                  f"({_describe(exc)})") from None
    except requests.exceptions.SSLError as exc:
        if _caused_by(exc, ssl.SSLCertVerificationError):
            raise NotSentError(f"{what}: TLS certificate refused ({_describe(exc)})") from None
        raise OutcomeUnknownError(f"{what}: TLS failure ({_describe(exc)})") from None
    except requests.exceptions.ConnectionError as exc:
        # NewConnectionError covers refused connections and DNS (NameResolutionError is a
        # subclass): no byte of the request left. Anything else (RemoteDisconnected, reset,
        # aborted - also on a stale keep-alive connection) happened after sending began.
        if _caused_by(exc, urllib3.exceptions.NewConnectionError,
                      urllib3.exceptions.ConnectTimeoutError):
            raise NotSentError(f"{what}: cannot connect ({_describe(exc)})") from None
        raise OutcomeUnknownError(f"{what}: connection lost before the answer "
                                  f"({_describe(exc)})") from None
    except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema, requests.exceptions.InvalidHeader) as exc:
        raise NotSentError(f"{what}: request not sendable ({_describe(exc)})") from None
    except requests.exceptions.RequestException as exc:
        # Chunked/decoding errors while reading the body and anything unforeseen: the
        # request went out, so the outcome is unknown.
        raise OutcomeUnknownError(f"{what}: {_describe(exc)}") from None


def json_body(response: requests.Response) -> Any:
    """The decoded JSON body, or None when the body is empty or not JSON (see decode_json)."""
    return decode_json(response.content)


def decode_json(content: bytes) -> Any:
    """`content` as JSON (RFC 8259), or None when it is empty or not JSON.

    Total: NaN, Infinity and numbers that overflow a float (1e999) are not JSON numbers and
    give None like any other non-JSON body, as do nesting deeper than the interpreter's stack
    (RecursionError), integers over its digit limit, text that is not UTF-8 and lone UTF-16
    surrogates written as escapes ("\\ud800": no str holding one can be stored or encoded).
    """
    if not content:
        return None
    try:
        data = json.loads(content, parse_constant=_refuse_constant, parse_float=_finite_float)
        if _SURROGATE_ESCAPE_RE.search(content):
            # Pairs were joined while decoding; what is left alone fails to encode.
            json.dumps(data, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):  # UnicodeError is a ValueError
        return None
    return data


_SURROGATE_ESCAPE_RE = re.compile(rb"\\u[dD][89a-fA-F]")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:20]} overflows a float")
    return number


def body_hint(response: requests.Response) -> str:
    """A short, masked description of a body that is not the API's JSON (for messages)."""
    ctype = response.headers.get("Content-Type", "?").split(";")[0]
    if not response.content:
        return f"empty body ({ctype})"
    snippet = response.content[:80].decode("utf-8", "replace").replace("\n", " ")
    return f"{ctype} body starting {mask_card_numbers_in_text(snippet)!r}"


def _describe(exc: BaseException) -> str:
    return mask_card_numbers_in_text(f"{type(exc).__name__}: {exc}")[:400]


def _caused_by(exc: BaseException, *types: type[BaseException]) -> bool:
    return any(isinstance(e, types) for e in _chain(exc))


def _chain(exc: BaseException) -> list[BaseException]:
    """exc and everything it wraps: args, urllib3's `reason`, __cause__ and __context__."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop(0)
        if any(current is s for s in seen):
            continue
        seen.append(current)
        nested = [a for a in current.args if isinstance(a, BaseException)]
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            nested.append(reason)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                nested.append(linked)
        todo.extend(nested)
    return seen
