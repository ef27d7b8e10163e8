"""The limits a config value must keep (timeouts, amounts, baud rates, API URLs), in one place."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

# Upper bounds for seconds: beyond them a value is a typo, not a wish, and a float such as
# 1e300 would overflow the timers that receive it. kiosk.example.toml quotes them.
MAX_CONNECT_TIMEOUT_S = 60.0
MAX_READ_TIMEOUT_S = 300.0
# The customer pays at the card terminal meanwhile; the terminal itself gives up sooner.
MAX_START_CASHLESS_TIMEOUT_S = 900.0
MAX_HEALTH_INTERVAL_S = 3600.0
MAX_WRITE_TIMEOUT_S = 60.0
MAX_DEBOUNCE_S = 3600.0
MAX_GAP_TIMEOUT_MS = 10_000
MAX_IDLE_TIMEOUT_S = 3600
MAX_SCREEN_PIXELS = 10_000  # width or height of a window
# Pixel density: touch targets are sized in millimetres from it, so a tiny value would shrink
# every button and text to nothing. Real panels lie well inside.
MIN_DPI = 50.0
MAX_DPI = 1000.0

# An amount (preset, minimum, maximum) in cents: a top-up kiosk never takes 10 000 € at once.
MAX_AMOUNT_CENTS = 1_000_000
# The cashbox of the NV9 USB+ (the smallest of the family the kiosk drives) holds about 300
# notes; the NV200's holds up to 1000 (its largest cashbox option is 2200).
DEFAULT_CASHBOX_CAPACITY = 300
MAX_CASHBOX_CAPACITY = 10_000

# Retention is counted in days back from today: ten years covers any bookkeeping duty and stays
# far from the calendar's end. The free-space floor is capped at 1 TB (1 000 000 MB).
MAX_RETENTION_DAYS = 3650
MAX_MIN_FREE_MB = 1_000_000

# The rates serial printers and scanners offer; anything else is a typo that shows up only as
# garbage on the paper or silence from the scanner.
STANDARD_BAUDRATES: tuple[int, ...] = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200,
                                       230400)

_PRINTABLE_ASCII = re.compile(r"[!-~]+")


def is_loopback_host(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1: traffic that never leaves the machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def api_url_problem(url: str) -> str | None:
    """Why `url` cannot be an API address, or None when it can.

    Plain http is allowed only to a loopback host (the sandbox): anywhere else the client
    secret, the access token and card numbers would cross the network in cleartext.
    """
    if not _PRINTABLE_ASCII.fullmatch(url):
        return "an https:// URL without spaces or non-ASCII characters"
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        return "an https:// URL with a valid host and port"
    if parts.scheme not in ("https", "http") or not host:
        return "an https:// URL such as \"https://connect.secucard.com/api/v2\""
    if parts.scheme == "http" and not is_loopback_host(host):
        return ("https:// (plain http:// only to 127.0.0.1, ::1 or localhost): over http the "
                "client secret, the access token and card numbers would cross the network "
                "in cleartext")
    return None
