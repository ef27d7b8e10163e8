"""Admin mode of the customer session: the PIN entry (with delays and lockout) and the menu."""

from __future__ import annotations

import hmac
from dataclasses import replace
from typing import Callable

from kiosk.flow_events import (
    Action, AdminDone, CardScanned, Command, CheckPrinter, CreditOwed, EmptyCashbox, LoadJournal,
    PlaySound, Press, PrintTestPage, ReprintLast, Restart,
)
from kiosk.flow_state import (
    PIN_MAX_LENGTH, PIN_MIN_LENGTH, ADMIN_SCREENS, AdminGuard, AdminView, Screen, Settings,
    State, admin_delay_s, end_session, take_request,
)

# The cash actions exist only with a note validator: till mode has no cashbox and owes nothing.
CASH_ACTIONS = frozenset({Action.ADMIN_CASHBOX_EMPTIED, Action.ADMIN_OWED})


def cash_actions_shown(cfg: Settings) -> bool:
    return cfg.cash_mode == "validator"


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
    if a in CASH_ACTIONS and not cash_actions_shown(cfg):
        return s, []
    if a == Action.ADMIN_RESTART:
        return replace(s, admin=replace(s.admin, message="admin.restarting", detail="",
                                        owed_scan=False)), [Restart()]
    if a == Action.ADMIN_OWED:
        # The owed row keeps only the masked number: the customer's card is scanned again.
        return replace(s, admin=replace(s.admin, message="admin.owed_scan", detail="",
                                        owed_scan=True)), []
    make = {Action.ADMIN_PRINTER: CheckPrinter, Action.ADMIN_TEST_PRINT: PrintTestPage,
            Action.ADMIN_REPRINT: ReprintLast, Action.ADMIN_JOURNAL: LoadJournal,
            Action.ADMIN_CASHBOX_EMPTIED: EmptyCashbox}.get(a)
    if make is None:
        return s, []
    return _working(s, make)


def _working(s: State, make: Callable[[int], Command]) -> tuple[State, list[Command]]:
    s, request = take_request(s)
    return replace(s, admin=replace(s.admin, message="admin.working", detail="",
                                    owed_scan=False)), [make(request)]


def admin_scanned(s: State, e: CardScanned) -> tuple[State, list[Command]] | None:
    """A card scanned while "owed cash: credit now" waits for it; None: not waited for."""
    if s.screen != Screen.ADMIN_MENU or not s.admin.owed_scan or s.pending:
        return None
    number = e.number.replace(" ", "")
    if e.unreadable or not number:
        return replace(s, admin=replace(s.admin, message="admin.owed_unreadable")), [
            PlaySound("rejected")]
    return _working(s, lambda request: CreditOwed(request, number))


def admin_done(s: State, e: AdminDone) -> tuple[State, list[Command]]:
    """The answer to a cash action: its message and figures on the menu's status panel."""
    if e.request != s.pending or s.screen not in ADMIN_SCREENS:
        return s, []
    admin = replace(s.admin, message=e.result.message, detail=e.result.detail)
    return replace(s, pending=0, admin=admin), []


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
