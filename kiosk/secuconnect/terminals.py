"""The API's terminal answers: the zvt device routed to the kiosk, and endOfDay / diagnosis results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kiosk.secuconnect.models import ModelError

# Status strings that mean "reachable" when an answer carries no `online` flag (unconfirmed).
_ONLINE_STATUSES = frozenset({"online", "ok", "active", "connected"})


@dataclass(frozen=True)
class TerminalRouting:
    """`GET /Smart/Devices/{kiosk SDV}/routing/zvt`: which terminal, and whether it is online."""

    terminal_id: str
    online: bool
    status: str = ""

    @classmethod
    def from_json(cls, data: Any) -> "TerminalRouting":
        # A list answer ({"count", "data": [...]}) is read as its first device: the semantics
        # of the routing call are unconfirmed, so both shapes are accepted.
        if isinstance(data, Mapping) and isinstance(data.get("data"), list):
            items = data["data"]
            data = items[0] if items else {}
        if not isinstance(data, Mapping):
            raise ModelError("routing answer is not an object")
        terminal = data.get("id")
        if not isinstance(terminal, str) or not terminal:
            raise ModelError("routing answer names no device id")
        status = data.get("status")
        status = status if isinstance(status, str) else ""
        online = data.get("online")
        if not isinstance(online, bool):
            # Only a status from the reachable list counts; anything else is offline.
            online = status.lower() in _ONLINE_STATUSES
        return cls(terminal_id=terminal, online=online, status=status)


@dataclass(frozen=True)
class TerminalReport:
    """Answer of a blocking `endOfDay` or `diagnosis`: accepted or not, and its printable lines."""

    ok: bool
    lines: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Any) -> "TerminalReport":
        if not isinstance(data, Mapping):
            raise ModelError("terminal answer is not an object")
        result = data.get("result", True)
        status = data.get("status")
        ok = result is True and status not in ("error", "failed")
        raw = data.get("receipt")
        lines = tuple(str(line) for line in raw) if isinstance(raw, list) else ()
        return cls(ok=ok, lines=lines)

    @property
    def summary(self) -> str:
        return "; ".join(self.lines)[:200]
