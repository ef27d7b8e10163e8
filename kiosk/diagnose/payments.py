"""Payment settings check: demo mode does not protect card-terminal payments on the live host."""

from __future__ import annotations

from urllib.parse import urlsplit

from kiosk.config import Config
from kiosk.diagnose import Check

# secuconnect's live API host (secuconnect-api.md, "Hosts"); the testing host is another.
LIVE_HOST = "connect.secucard.com"


def check_payment_settings(config: Config) -> Check:
    """WARN when card payments go to the live host under demo settings: `is_demo` does not
    stop `start/cashless` from charging the real card at the terminal."""
    start_types = config.topup.start_type
    cashless = "cashless" in ((start_types,) if isinstance(start_types, str) else start_types)
    host = (urlsplit(config.api.base_url).hostname or "").lower()
    where = f"{config.source or 'config'}: [api] base_url {host}"
    if cashless and config.api.is_demo and host == LIVE_HOST:
        return Check("payment settings", True,
                     f"{where} is the live host and [api] is_demo = true with [topup] "
                     f"start_type cashless: demo mode does NOT protect terminal payments - "
                     f"real cards are charged; test with a few cents or use the testing host",
                     warning=True)
    mode = "demo" if config.api.is_demo else "productive"
    return Check("payment settings", True,
                 f"{where}, {mode} transactions, start type {start_types}")
