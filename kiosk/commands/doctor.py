"""`kiosk doctor`: check config, state directory, journal, secret, API reachability and authentication."""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

import requests

from kiosk.cli import add_config_argument
from kiosk.config import Config, ConfigError, load_config, read_secret_file
from kiosk.journal import Journal, JournalError
from kiosk.secuconnect.client import SecuconnectClient
from kiosk.secuconnect.errors import (
    ApiError,
    AuthError,
    NotSentError,
    OutcomeUnknownError,
    SecuconnectError,
)
from kiosk.secuconnect.transport import new_session


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'OK  ' if self.ok else 'FAIL'}  {self.name}: {self.detail}"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("doctor", help="check configuration, storage and the payment service",
                            description="Run each check and print OK or FAIL with the reason. "
                                        "Exit code 0 only when every check passed.")
    add_config_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    checks = run_checks(args.config)
    for check in checks:
        print(check.line())
    return 0 if all(c.ok for c in checks) else 1


def run_checks(config_path: str) -> list[Check]:
    """Every check in order; a check that others depend on stops those that cannot run."""
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        return [Check("config", False, str(exc))]
    checks = [Check("config", True, f"{config_path} loaded")]
    checks.append(_guard("state directory", lambda: _check_state_dir(config)))
    checks.append(_guard("journal", lambda: _check_journal(config)))
    checks.append(_guard("speech", lambda: _check_speech(config)))
    secret = _guard("client secret", lambda: _check_secret(config))
    checks.append(secret)
    reachable = _guard("API reachable", lambda: _check_reachable(config))
    checks.append(reachable)
    if secret.ok and reachable.ok:
        checks.extend(_check_api(config))
    else:
        checks.append(Check("authentication", False,
                            "skipped: needs a readable client secret and a reachable API"))
    return checks


def _guard(name: str, check: Callable[[], str]) -> Check:
    """Run one check: its return value is the OK detail, an exception the FAIL reason."""
    try:
        return Check(name, True, check())
    except (ConfigError, JournalError, SecuconnectError) as exc:
        return Check(name, False, str(exc))
    except OSError as exc:
        return Check(name, False, f"{exc.filename or ''} {exc.strerror or exc}".strip())


def _check_state_dir(config: Config) -> str:
    directory = config.state_dir
    if not directory.is_dir():
        raise ConfigError(f"{directory}: state directory does not exist ([state] directory in "
                          f"{config.source}); create it, owned by the kiosk user")
    try:
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".doctor-"):
            pass
    except OSError as exc:
        raise ConfigError(f"{directory}: state directory is not writable: {exc.strerror}") from None
    return f"{directory} is writable"


def _check_journal(config: Config) -> str:
    with Journal.open_in(config.state_dir) as journal:
        open_rows = len(journal.unfinished())
        total = sum(journal.counts().values())
    if open_rows:
        raise JournalError(f"{journal.path}: {open_rows} unfinished top-up(s); run `kiosk "
                           f"recover` (the kiosk also settles them before its first customer)")
    return f"{journal.path}: {total} top-up(s), none unfinished"


def _check_speech(config: Config) -> str:
    from kiosk.speech.setup import check_speech
    from kiosk.speech.synth import SynthesisError
    try:
        return check_speech(config)
    except SynthesisError as exc:
        raise ConfigError(str(exc).removeprefix("speech: ")) from None


def _check_secret(config: Config) -> str:
    path = config.api.credentials_file
    if not path:
        raise ConfigError(f"{config.source}: [api] credentials_file is empty; name the file "
                          f"holding the client secret (chmod 600)")
    read_secret_file(path, "client secret")
    return f"{path} is readable by its owner only"


def _check_reachable(config: Config) -> str:
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


def _check_api(config: Config) -> list[Check]:
    try:
        client = SecuconnectClient.from_config(config)
    except ConfigError as exc:
        return [Check("authentication", False, str(exc))]
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


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 160 else text[:157] + "..."

