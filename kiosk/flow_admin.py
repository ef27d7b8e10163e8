"""Admin mode of the customer session: the PIN entry (with delays and lockout) and the menu."""

from __future__ import annotations

import hmac
from dataclasses import replace

from kiosk.flow_events import (
    Action, Command, CheckPrinter, LoadJournal, PlaySound, Press, PrintTestPage, ReprintLast,
    Restart,
)
from kiosk.flow_state import (
    PIN_MAX_LENGTH, PIN_MIN_LENGTH, AdminGuard, AdminView, Screen, Settings, State,
    admin_delay_s, end_session, take_request,
)


def admin_press(s: State, e: Press, now: float, cfg: Settings) -> tuple[State, list[Command]]:
    """A press on one of the admin screens (ADMIN_SCREENS)."""
    a = e.action
    if s.screen == Screen.ADMIN_PIN:
        return _admin_pin(s, e, now, cfg)
    if s.screen == Screen.ADMIN_JOURNAL:
        if a == Action.BACK:
            return replace(s, screen=Screen.ADMIN_MENU), []
        if a in (Action.ADMIN_EXIT, Action.CANCEL):
            return end_session(s, cfg), []
        if a == Action.PAGE and e.value in (1, -1):
            page = max(0, s.admin.page + e.value)
            return replace(s, admin=replace(s.admin, page=page)), []
        return s, []
    # ADMIN_MENU
    if a in (Action.ADMIN_EXIT, Action.BACK, Action.CANCEL):
        return end_session(s, cfg), []
    if s.pending:
        return s, []   # one admin job at a time; the worker answers in order
    if a == Action.ADMIN_RESTART:
        return replace(s, admin=replace(s.admin, message="admin.restarting")), [Restart()]
    make = {Action.ADMIN_PRINTER: CheckPrinter, Action.ADMIN_TEST_PRINT: PrintTestPage,
            Action.ADMIN_REPRINT: ReprintLast, Action.ADMIN_JOURNAL: LoadJournal}.get(a)
    if make is None:
        return s, []
    s, request = take_request(s)
    return replace(s, admin=replace(s.admin, message="admin.working")), [make(request)]


def _admin_pin(s: State, e: Press, now: float, cfg: Settings) -> tuple[State, list[Command]]:
    a, admin, guard = e.action, s.admin, s.admin_guard
    if a in (Action.BACK, Action.CANCEL, Action.ADMIN_EXIT):
        return end_session(s, cfg), []
    if a == Action.DIGIT and e.value is not None and 0 <= e.value <= 9:
        pin = admin.pin + str(e.value) if len(admin.pin) < PIN_MAX_LENGTH else admin.pin
        return replace(s, admin=replace(admin, pin=pin, message="")), []
    if a == Action.ERASE:
        return replace(s, admin=replace(admin, pin=admin.pin[:-1], message="")), []
    if a != Action.KEYPAD_OK:
        return s, []
    if guard.locked:
        return replace(s, admin=replace(admin, pin="", message="admin.locked")), []
    if now < guard.wait_until:
        return replace(s, admin=replace(admin, pin="", message="admin.wait")), []
    expected = cfg.admin_pin or ""
    good = (len(expected) >= PIN_MIN_LENGTH
            and hmac.compare_digest(admin.pin.encode(), expected.encode()))
    if good:
        return replace(s, screen=Screen.ADMIN_MENU, admin_guard=AdminGuard(),
                       admin=AdminView()), []
    failures = guard.failures + 1
    guard = AdminGuard(failures=failures, wait_until=now + admin_delay_s(failures))
    message = "admin.locked" if guard.locked else (
        "admin.wait" if guard.wait_until > now else "admin.wrong_pin")
    return replace(s, admin_guard=guard, admin=replace(admin, pin="", message=message)), [
        PlaySound("rejected")]
