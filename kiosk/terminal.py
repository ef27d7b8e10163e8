"""The card terminal seen from the kiosk: routing and online check, daily end of day, start-up diagnosis."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Protocol

from kiosk.config import Config
from kiosk.flow_events import Event, TerminalStatus
from kiosk.journal import MONEY_OPEN, Journal
from kiosk.metrics import KioskMetrics
from kiosk.secuconnect.errors import ApiError
from kiosk.secuconnect.terminals import TerminalReport, TerminalRouting

log = logging.getLogger(__name__)

# After a failed end of day: try again this much later (the terminal may be busy or offline).
DAY_CLOSE_RETRY_S = 600.0
# Journal event kinds (Journal.record_event).
EVENT_DAY_CLOSE = "terminal_day_close"
EVENT_DIAGNOSIS = "terminal_diagnosis"


class TerminalApi(Protocol):
    """What the watch needs of kiosk.secuconnect.client.SecuconnectClient."""

    def terminal_routing(self, device_id: str) -> TerminalRouting: ...
    def terminal_call(self, device_id: str, call: str) -> TerminalReport: ...


def parse_day_close(text: str) -> time:
    """"HH:MM" ([api] terminal_day_close, checked by kiosk.config) as a time of day."""
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def next_day_close(after: datetime, at: time) -> datetime:
    """The first `at` o'clock strictly after `after` (local wall-clock time)."""
    candidate = after.replace(hour=at.hour, minute=at.minute, second=0, microsecond=0)
    return candidate if candidate > after else candidate + timedelta(days=1)


class DayCloseSchedule:
    """Pure: when the next end of day is due; a success moves it to the next day, a failure
    retries after `retry_s`."""

    def __init__(self, at: time, now: datetime, retry_s: float = DAY_CLOSE_RETRY_S) -> None:
        self.at = at
        self.retry = timedelta(seconds=retry_s)
        self.due = next_day_close(now, at)

    def is_due(self, now: datetime) -> bool:
        return now >= self.due

    def succeeded(self, now: datetime) -> None:
        self.due = next_day_close(now, self.at)

    def failed(self, now: datetime) -> None:
        self.due = now + self.retry


class TerminalWatch:
    """Run by the supervisor's health pass (one thread): never per customer.

    `wait(seconds)` is the supervisor's stop event's wait (True: stop); the blocking endOfDay and
    diagnosis calls run on a helper thread while the supervisor checks in through it.
    """

    def __init__(
        self,
        api: TerminalApi,
        device_id: str,
        journal: Journal,
        post: Callable[[Event], None],
        *,
        day_close_at: str = "03:00",
        customer_present: Callable[[], bool] = lambda: False,
        metrics: KioskMetrics | None = None,
        clock: Callable[[], datetime] = datetime.now,
        wait: Callable[[float], bool] | None = None,
    ) -> None:
        self.api = api
        self.device_id = device_id
        self.journal = journal
        self.post = post
        self.customer_present = customer_present
        self.metrics = metrics
        self.clock = clock
        self.wait = wait if wait is not None else threading.Event().wait
        self.schedule = DayCloseSchedule(parse_day_close(day_close_at), clock())
        self.terminal_id: str | None = None   # the routed terminal, once seen
        self.online: bool | None = None

    def pass_once(self) -> None:
        """One health pass: routing and online state, then the end of day if it is due."""
        self.check()
        self.close_day_if_due()

    def check(self) -> bool:
        """Ask which terminal is routed to the kiosk and whether it is online; tell the flow."""
        device = self.device_id
        try:
            routing = self.api.terminal_routing(device)
        except ApiError as exc:
            ok, detail = False, f"no card terminal routed to device {device}: {exc}"
        except Exception as exc:  # noqa: BLE001 - not sent, no answer, foreign body
            ok, detail = False, f"cannot ask which card terminal is routed to {device}: {exc}"
        else:
            self.terminal_id = routing.terminal_id
            ok = routing.online
            detail = "" if ok else (f"card terminal {routing.terminal_id} (routed to {device}) "
                                    f"is offline (status {routing.status or 'not given'})")
        if ok != self.online:
            if ok:
                log.info("card terminal %s routed to %s is online", self.terminal_id, device)
            else:
                log.error("card payment unavailable: %s", detail)
        self.online = ok
        self.post(TerminalStatus(ok, detail))
        if self.metrics is not None:
            self.metrics.set_terminal_online(ok)
        return ok

    def close_day_if_due(self) -> str | None:
        """The end of day when due: "ok", "failed", "skipped" (a customer or an open top-up)
        or None (not due)."""
        now = self.clock()
        if not self.schedule.is_due(now):
            return None
        if self.customer_present():
            return "skipped"   # tried again at the next pass
        if any(row.state in MONEY_OPEN for row in self.journal.unfinished()):
            return "skipped"   # every card top-up resolved first: a reversal needs the day open
        ok, detail = self._blocking("endOfDay")
        (log.info if ok else log.error)("terminal end of day: %s", detail)
        self.journal.record_event(EVENT_DAY_CLOSE, "ok" if ok else "failed", detail)
        if self.metrics is not None:
            self.metrics.terminal_day_closed(ok)
        if ok:
            self.schedule.succeeded(self.clock())
        else:
            self.schedule.failed(self.clock())
        return "ok" if ok else "failed"

    def diagnose(self) -> tuple[bool, str]:
        """The terminal's diagnosis (at start-up): logged and kept in the event log."""
        ok, detail = self._blocking("diagnosis")
        (log.info if ok else log.error)("terminal diagnosis: %s", detail)
        self.journal.record_event(EVENT_DIAGNOSIS, "ok" if ok else "failed", detail)
        return ok, detail

    def _blocking(self, call: str) -> tuple[bool, str]:
        outcome: list[tuple[bool, str]] = []
        helper = threading.Thread(target=lambda: outcome.append(self._call(call)),
                                  name=f"terminal-{call}", daemon=True)
        helper.start()
        while True:
            helper.join(1.0)
            if not helper.is_alive():
                break
            if self.wait(0):   # checks in with the supervisor's liveness; True: stopping
                return False, f"{call} not awaited: the kiosk is stopping"
        return outcome[0] if outcome else (False, f"{call}: no result")

    def _call(self, call: str) -> tuple[bool, str]:
        # Which device id the API wants here (kiosk's or terminal's) is unconfirmed: the
        # routed terminal's once known, else the kiosk's own.
        device = self.terminal_id or self.device_id
        try:
            report = self.api.terminal_call(device, call)
        except ApiError as exc:
            return False, f"{call} on {device} refused: {exc}"
        except Exception as exc:  # noqa: BLE001 - not sent, no answer, foreign body
            return False, f"{call} on {device}: no answer ({exc})"
        if not report.ok:
            return False, f"{call} on {device} reported a failure: {report.summary}"
        return True, f"{call} on {device}: {report.summary or 'done'}"


def watch_from_config(config: Config, api: TerminalApi, journal: Journal,
                      post: Callable[[Event], None], *, customer_present: Callable[[], bool],
                      metrics: KioskMetrics | None = None) -> TerminalWatch | None:
    """The watch a card-paying kiosk needs; None when it pays otherwise or cannot ask."""
    if config.topup.start_type != "cashless":
        return None
    if not config.api.device_id:
        log.warning("%s: [api] device_id is empty: card payment is offered without asking "
                    "whether a terminal is routed and online, and no end of day runs",
                    config.source or "<config>")
        return None
    return TerminalWatch(api, config.api.device_id, journal, post,
                         day_close_at=config.api.terminal_day_close,
                         customer_present=customer_present, metrics=metrics)
