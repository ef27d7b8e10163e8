"""API checks: is the host reachable, and does it hand this kiosk a token that works?"""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

from kiosk.config import Config, ConfigError
from kiosk.diagnose import Check
from kiosk.diagnose.secret import with_secret_resolved
from kiosk.secuconnect.auth import DeviceAuth
from kiosk.secuconnect.client import SecuconnectClient
from kiosk.secuconnect.errors import (
    ApiError,
    AuthError,
    NotSentError,
    OutcomeUnknownError,
    SecuconnectError,
)
from kiosk.secuconnect.transport import new_session


def check_reachable(config: Config) -> str:
    """Any HTTP answer from the API host counts: this checks network, DNS and TLS only."""
    url = config.api.base_url
    host = urlsplit(url).netloc
    session = new_session()
    try:
        response = session.get(url, timeout=(config.api.connect_timeout, config.api.read_timeout),
                               allow_redirects=False)
    except requests.exceptions.SSLError as exc:
        raise NotSentError(f"{host}: TLS handshake or certificate refused: {exc}") from None
    except requests.exceptions.ConnectionError as exc:
        raise NotSentError(f"{host}: cannot connect ({_short(exc)}); check network, DNS and "
                           f"[api] base_url") from None
    except requests.exceptions.Timeout:
        raise NotSentError(f"{host}: no answer within {config.api.read_timeout:g} s") from None
    finally:
        session.close()
    return f"{host} answers (HTTP {response.status_code})"


def check_auth(config: Config) -> list[Check]:
    """"authentication" and "API call"; the secret is read where the service reads it."""
    try:
        client = SecuconnectClient.from_config(with_secret_resolved(config))
    except ConfigError as exc:
        return [Check("authentication", False, str(exc))]
    if isinstance(client.auth, DeviceAuth):
        client.close()
        return [_check_registration(client.auth)]
    try:
        try:
            client.auth.access_token()
        except AuthError as exc:
            hint = "register the kiosk: `kiosk register`" if exc.error == "not_registered" else \
                "check [api] client_id and the client secret"
            return [Check("authentication", False, f"refused: {exc}; {hint}")]
        except SecuconnectError as exc:
            return [Check("authentication", False,
                          f"token endpoint {config.api.resolved_token_url}: {exc}")]
        checks = [Check("authentication", True, f"access token obtained ({config.api.auth_mode})")]
        try:
            client.ping()
        except ApiError as exc:
            checks.append(Check("API call", False, f"refused: {exc}"))
        except (NotSentError, OutcomeUnknownError, AuthError) as exc:
            checks.append(Check("API call", False, str(exc)))
        else:
            checks.append(Check("API call", True, "Smart Transactions answer with this token"))
        return checks
    finally:
        client.close()


def _check_registration(auth: DeviceAuth) -> Check:
    """Device grant: the refresh token is only looked at. Exchanging it may rotate it, and a
    rotated token written by doctor (often root) would lock the service out of its own file."""
    path = auth.refresh_token_path
    if not auth.is_registered:
        return Check("authentication", False, f"{path}: not registered yet; run `kiosk register` "
                                              f"(README: Registering the kiosk)")
    return Check("authentication", True, f"{path} present (device grant; the token itself is "
                                         f"exchanged by the kiosk only)")


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 160 else text[:157] + "..."
