"""Card terminal check: routed to the kiosk, online, its diagnosis now and the kiosk's last ones."""

from __future__ import annotations

import sqlite3

from kiosk.config import Config, ConfigError
from kiosk.diagnose import Check
from kiosk.diagnose.secret import with_secret_resolved
from kiosk.diagnose.storage import open_read_only
from kiosk.journal import JOURNAL_FILE
from kiosk.secuconnect.client import SecuconnectClient
from kiosk.secuconnect.errors import ApiError, SecuconnectError
from kiosk.terminal import EVENT_DAY_CLOSE, EVENT_DIAGNOSIS

NAME = "card terminal"


def check_terminal(config: Config, *, live: bool = True) -> Check:
    """`live`: ask the API (routing, online, diagnosis); else only the journal's record."""
    where = config.source or "config"
    if config.topup.start_type != "cashless":
        return Check(NAME, True, f"not used ([topup] start_type = \"{config.topup.start_type}\")")
    device = config.api.device_id
    if not device:
        return Check(NAME, True, f"{where}: [api] device_id is empty: card payment is offered "
                                 f"without asking whether a terminal is routed and online, and "
                                 f"no end of day runs; set the kiosk's SDV_ id", warning=True)
    recorded = recorded_events(config)
    if not live or config.api.auth_mode == "device":
        # Device grant: only the kiosk exchanges its token (see diagnose.api).
        return Check(NAME, True, f"{recorded}; live check left to the kiosk")
    try:
        client = SecuconnectClient.from_config(with_secret_resolved(config))
    except ConfigError as exc:
        return Check(NAME, False, str(exc))
    try:
        try:
            routing = client.terminal_routing(device)
        except ApiError as exc:
            return Check(NAME, False, f"{device}: {exc}; assign a terminal to this device in "
                                      f"SecuOffice (Smart Routing); {recorded}")
        if not routing.online:
            return Check(NAME, False, f"terminal {routing.terminal_id} routed to {device} is "
                                      f"offline (status {routing.status or 'not given'}): card "
                                      f"payment is not offered; {recorded}")
        try:
            report = client.terminal_call(routing.terminal_id, "diagnosis")
        except ApiError as exc:
            return Check(NAME, False, f"terminal {routing.terminal_id} routed to {device}: "
                                      f"diagnosis FAILED: {exc}; {recorded}")
    except SecuconnectError as exc:
        return Check(NAME, False, f"{device}: {exc}; {recorded}")
    finally:
        client.close()
    verdict = "passed" if report.ok else "FAILED"
    return Check(NAME, report.ok, f"terminal {routing.terminal_id} routed to {device}, online, "
                                  f"diagnosis {verdict} ({report.summary or 'no text'}); "
                                  f"{recorded}")


def recorded_events(config: Config) -> str:
    """The kiosk's last diagnosis and end of day from the journal's event log, read-only."""
    path = config.state_dir / JOURNAL_FILE
    if not path.exists():
        return "no journal yet"
    parts = []
    try:
        db = open_read_only(path)
        try:
            for kind, label in ((EVENT_DIAGNOSIS, "last start-up diagnosis"),
                                (EVENT_DAY_CLOSE, "last end of day")):
                row = db.execute("SELECT at, result, detail FROM events WHERE kind = ?"
                                 " ORDER BY id DESC LIMIT 1", (kind,)).fetchone()
                parts.append(f"{label}: " + (f"{row[1]} at {row[0]} ({row[2]})" if row
                                             else "none recorded"))
        finally:
            db.close()
    except sqlite3.Error as exc:
        return f"{path}: event log not readable ({exc})"
    return "; ".join(parts)
