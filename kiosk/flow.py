"""The customer session as a state machine: pure (no I/O, no clock), events in, state out.

`step(state, event, now, settings)` returns the next state and the commands the shell must
execute. Every command that answers carries a request number; an answer whose number is not
the one the flow waits for (the customer left, the screen timed out) is ignored, so a late
result can never reach the next customer.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Literal

from kiosk.cards import DEFAULT_PREFIXES, check_card_number, mask_card
from kiosk.flow_events import (
    Action, ApiStatus, CardChecked, CardInfo, CardProblem, CardProblemReason, CardScanned,
    CheckCard, CheckPrinter, Command, Event, JournalLoaded, JournalRow, JournalStatus,
    LoadJournal, PlaySound,
    Press, PrinterChecked, PrinterState, Printed, PrintReceipt, PrintResult, PrintSlip,
    ReaderStatus, Recovering, RegistrationDone, RegistrationPending, ReprintLast, Restart,
    StartTopup, PrintTestPage, StillHere, Tick, TopupFinished, TopupOutcome,
)

COUNTDOWN_S = 10          # the last seconds before an idle timeout are counted down on screen
PIN_MIN_LENGTH = 6
PIN_MAX_LENGTH = 12
ADMIN_DELAY_AFTER = 3     # failures before each further attempt must wait
ADMIN_LOCKOUT_AFTER = 10  # failures that lock admin access until the kiosk restarts
ADMIN_BASE_DELAY_S = 5.0
ADMIN_MAX_DELAY_S = 300.0


class Screen(str, Enum):
    ATTRACT = "attract"
    CHECKING_CARD = "checking_card"
    CARD = "card"
    AMOUNT = "amount"
    OTHER_AMOUNT = "other_amount"
    CONFIRM = "confirm"
    CHECKING_PRINTER = "checking_printer"
    PRINTER_PROBLEM = "printer_problem"
    PAYING = "paying"
    PRINTING = "printing"
    DONE = "done"
    REJECTED = "rejected"
    NOT_CHARGED = "not_charged"
    CLAIM = "claim"
    OUT_OF_SERVICE = "out_of_service"
    REGISTRATION = "registration"
    ADMIN_PIN = "admin_pin"
    ADMIN_MENU = "admin_menu"
    ADMIN_JOURNAL = "admin_journal"


# Screens where the kiosk waits for the worker; the customer cannot leave them (money may move).
WAITING_FOR_WORKER = frozenset({Screen.PAYING, Screen.PRINTING})
# Screens without a customer: nothing to time out.
IDLE_SCREENS = frozenset({Screen.ATTRACT, Screen.OUT_OF_SERVICE, Screen.REGISTRATION})
# Screens where a customer is on their way but no money has moved yet.
BEFORE_PAYMENT = frozenset({Screen.CHECKING_CARD, Screen.CARD, Screen.AMOUNT,
                            Screen.OTHER_AMOUNT, Screen.CONFIRM, Screen.CHECKING_PRINTER,
                            Screen.PRINTER_PROBLEM})
# Screens where a new scan starts a new session for that card.
SCAN_STARTS_SESSION = frozenset({Screen.ATTRACT, Screen.CARD, Screen.AMOUNT,
                                 Screen.OTHER_AMOUNT, Screen.CONFIRM, Screen.PRINTER_PROBLEM,
                                 Screen.DONE, Screen.REJECTED, Screen.NOT_CHARGED,
                                 Screen.CLAIM})
ADMIN_SCREENS = frozenset({Screen.ADMIN_PIN, Screen.ADMIN_MENU, Screen.ADMIN_JOURNAL})


@dataclass(frozen=True)
class Settings:
    """What the flow needs from the configuration (built by kiosk.ui.settings from Config)."""

    default_language: Literal["de", "en"] = "de"
    presets: tuple[int, ...] = (1000, 2000, 5000)
    minimum_cents: int = 500
    maximum_cents: int = 20000
    currency: str = "EUR"
    start_type: Literal["cash", "cashless"] = "cash"
    card_prefixes: tuple[str, ...] = DEFAULT_PREFIXES
    allow_without_receipt: bool = True
    idle_timeout_s: float = 45.0
    admin_cards: tuple[str, ...] = field(default=(), repr=False)
    # None: no PIN file configured, admin mode is off.
    admin_pin: str | None = field(default=None, repr=False)
    version: str = ""
    kiosk_id: str = ""
    merchant_name: str = ""           # shown in the header; the generic brand when empty


@dataclass(frozen=True)
class Session:
    """Everything about the current customer; replaced by a fresh Session when they leave."""

    number: str = field(default="", repr=False)   # full card number: only for commands
    masked: str = ""
    balance_cents: int | None = None
    amount_cents: int | None = None
    typed: str = ""                   # whole euros typed on the keypad
    entry_error: str = ""             # catalog key: amount_too_low / amount_too_high / empty
    problem: CardProblemReason | None = None
    printer: PrinterState | None = None
    with_receipt: bool = True
    outcome: TopupOutcome | None = None
    printed: PrintResult | None = None   # receipt or slip of this session


@dataclass(frozen=True)
class AdminGuard:
    """PIN attempt bookkeeping; kept in memory across sessions (not across restarts)."""

    failures: int = 0
    wait_until: float = 0.0

    @property
    def locked(self) -> bool:
        return self.failures >= ADMIN_LOCKOUT_AFTER


@dataclass(frozen=True)
class AdminView:
    """What the admin screens show; cleared when admin mode is left."""

    pin: str = field(default="", repr=False)
    message: str = ""                 # catalog key of the last result
    printer: PrinterState | None = None
    journal: tuple[JournalRow, ...] = ()
    page: int = 0                     # journal page; the screen clamps it to what exists


@dataclass(frozen=True)
class Registration:
    user_code: str
    verification_url: str


@dataclass(frozen=True)
class State:
    screen: Screen = Screen.ATTRACT
    session: Session = Session()
    language: Literal["de", "en"] = "de"
    last_input: float = 0.0           # when the idle timer was last restarted
    pending: int = 0                  # request number the flow waits for; 0: none
    next_request: int = 1
    api_ok: bool = True
    api_detail: str = ""
    reader_ok: bool = True
    reader_detail: str = ""
    recovering: bool = False
    journal_ok: bool = True           # False: journal damaged or state directory nearly full
    journal_detail: str = ""
    registration: Registration | None = None
    admin_guard: AdminGuard = AdminGuard()
    admin: AdminView = AdminView()

    @property
    def in_service(self) -> bool:
        return self.api_ok and self.reader_ok and self.journal_ok and not self.recovering


def initial_state(settings: Settings, now: float = 0.0) -> State:
    return State(language=settings.default_language, last_input=now)


def deadline(state: State, settings: Settings) -> float | None:
    """When the current screen times out back to attract; None where nothing times out."""
    if state.screen in IDLE_SCREENS or state.screen in WAITING_FOR_WORKER:
        return None
    return state.last_input + settings.idle_timeout_s


def countdown(state: State, settings: Settings, now: float) -> int | None:
    """Whole seconds left to show, during the last COUNTDOWN_S seconds; else None."""
    end = deadline(state, settings)
    if end is None:
        return None
    left = end - now
    if left > COUNTDOWN_S:
        return None
    return max(0, int(left + 0.999))


def admin_wait_left(state: State, now: float) -> float:
    return max(0.0, state.admin_guard.wait_until - now)


def admin_delay_s(failures: int) -> float:
    """The wait imposed after `failures` wrong PINs: none for the first 3, then doubling."""
    if failures < ADMIN_DELAY_AFTER:
        return 0.0
    return min(ADMIN_MAX_DELAY_S, ADMIN_BASE_DELAY_S * 2 ** (failures - ADMIN_DELAY_AFTER))


def step(state: State, event: Event, now: float, settings: Settings) -> tuple[State, list[Command]]:
    """One transition. Pure: the same inputs always give the same outputs."""
    before = state.screen
    new, commands = _dispatch(state, event, now, settings)
    if new.screen != before:
        # A new screen restarts the idle timer, so result screens get their full time.
        new = replace(new, last_input=now)
    return new, commands


# --- internals ---------------------------------------------------------------------------------


def _dispatch(s: State, e: Event, now: float, cfg: Settings) -> tuple[State, list[Command]]:
    if isinstance(e, Tick):
        return _tick(s, now, cfg), []
    if isinstance(e, StillHere):
        return replace(s, last_input=now), []
    if isinstance(e, Press):
        return _press(replace(s, last_input=now), e, now, cfg)
    if isinstance(e, CardScanned):
        return _scanned(s, e, now, cfg)
    if isinstance(e, CardChecked):
        return _card_checked(s, e, cfg)
    if isinstance(e, PrinterChecked):
        return _printer_checked(s, e, cfg)
    if isinstance(e, TopupFinished):
        return _topup_finished(s, e)
    if isinstance(e, Printed):
        return _printed(s, e)
    if isinstance(e, JournalLoaded):
        if e.request != s.pending or s.screen not in ADMIN_SCREENS:
            return s, []
        admin = replace(s.admin, journal=e.rows, message="", page=0)
        return replace(s, pending=0, admin=admin, screen=Screen.ADMIN_JOURNAL), []
    if isinstance(e, (ApiStatus, JournalStatus)):
        if isinstance(e, ApiStatus):
            s = replace(s, api_ok=e.ok, api_detail=e.detail)
        else:
            s = replace(s, journal_ok=e.ok, journal_detail=e.detail)
        if not e.ok and s.screen in BEFORE_PAYMENT:
            s = _end_session(s, cfg)   # nothing can be done for this customer now
        return _settle_idle(s), []
    if isinstance(e, ReaderStatus):
        return _settle_idle(replace(s, reader_ok=e.ok, reader_detail=e.detail)), []
    if isinstance(e, Recovering):
        return _settle_idle(replace(s, recovering=e.active)), []
    if isinstance(e, RegistrationPending):
        return _settle_idle(replace(s, registration=Registration(e.user_code,
                                                                 e.verification_url))), []
    if isinstance(e, RegistrationDone):
        return _settle_idle(replace(s, registration=None)), []
    raise TypeError(f"not a flow event: {e!r}")


def _idle_screen(s: State) -> Screen:
    if s.registration is not None:
        return Screen.REGISTRATION
    if not s.in_service:
        return Screen.OUT_OF_SERVICE
    return Screen.ATTRACT


def _settle_idle(s: State) -> State:
    """On a screen without a customer, show what the kiosk's health calls for."""
    if s.screen in IDLE_SCREENS:
        return replace(s, screen=_idle_screen(s))
    return s


def _end_session(s: State, cfg: Settings) -> State:
    """Back to the idle screen; nothing of the customer (or the admin) survives."""
    return replace(s, screen=_idle_screen(s), session=Session(), admin=AdminView(),
                   pending=0, language=cfg.default_language)


def _request(s: State) -> tuple[State, int]:
    number = s.next_request
    return replace(s, next_request=number + 1, pending=number), number


def _tick(s: State, now: float, cfg: Settings) -> State:
    end = deadline(s, cfg)
    if end is not None and now >= end:
        return _end_session(s, cfg)
    return s


def _scanned(s: State, e: CardScanned, now: float, cfg: Settings) -> tuple[State, list[Command]]:
    number = e.number.replace(" ", "")
    if number and number in cfg.admin_cards and s.screen in (SCAN_STARTS_SESSION
                                                             | {Screen.OUT_OF_SERVICE}):
        s = _end_session(s, cfg)
        if cfg.admin_pin is None:
            session = Session(problem=CardProblemReason.ADMIN_DISABLED)
            return replace(s, screen=Screen.REJECTED, session=session,
                           last_input=now), [PlaySound("rejected")]
        return replace(s, screen=Screen.ADMIN_PIN, last_input=now), []
    if s.screen not in SCAN_STARTS_SESSION or not s.in_service:
        return s, []
    # A new session, but in the language the person at the kiosk chose before scanning.
    s = replace(_end_session(s, cfg), last_input=now, language=s.language)
    if e.unreadable:
        return _reject(s, CardProblemReason.UNREADABLE)
    check = check_card_number(number, cfg.card_prefixes)
    if not check.ok:
        return _reject(s, CardProblemReason.MALFORMED)
    assert check.number is not None
    s, request = _request(s)
    session = Session(number=check.number, masked=mask_card(check.number))
    return replace(s, screen=Screen.CHECKING_CARD, session=session), [
        CheckCard(request, check.number)]


def _reject(s: State, reason: CardProblemReason) -> tuple[State, list[Command]]:
    session = Session(masked=s.session.masked, problem=reason)
    return replace(s, screen=Screen.REJECTED, session=session, pending=0), [PlaySound("rejected")]


def _card_checked(s: State, e: CardChecked, cfg: Settings) -> tuple[State, list[Command]]:
    if e.request != s.pending or s.screen != Screen.CHECKING_CARD:
        return s, []
    s = replace(s, pending=0)
    if isinstance(e.result, CardProblem):
        if e.result.reason == CardProblemReason.UNREACHABLE:
            return _end_session(replace(s, api_ok=False, api_detail=e.result.detail), cfg), []
        return _reject(s, e.result.reason)
    info: CardInfo = e.result
    session = replace(s.session, masked=info.masked or s.session.masked,
                      balance_cents=info.balance_cents)
    return replace(s, screen=Screen.CARD, session=session), [PlaySound("accepted")]


def _printer_checked(s: State, e: PrinterChecked, cfg: Settings) -> tuple[State, list[Command]]:
    if e.request != s.pending:
        return s, []
    s = replace(s, pending=0)
    if s.screen in ADMIN_SCREENS:
        return replace(s, admin=replace(s.admin, printer=e.state, message="")), []
    if s.screen != Screen.CHECKING_PRINTER:
        return s, []
    if e.state.ok:
        return _start_topup(s, cfg, with_receipt=True)
    session = replace(s.session, printer=e.state)
    return replace(s, screen=Screen.PRINTER_PROBLEM, session=session), []


def may_continue_without_receipt(s: State, cfg: Settings) -> bool:
    printer = s.session.printer
    return bool(cfg.allow_without_receipt and printer is not None
                and printer.can_continue_without_receipt)


def _start_topup(s: State, cfg: Settings, with_receipt: bool) -> tuple[State, list[Command]]:
    session = s.session
    assert session.amount_cents is not None and session.number
    s, request = _request(s)
    s = replace(s, screen=Screen.PAYING, session=replace(session, with_receipt=with_receipt))
    return s, [StartTopup(request, session.number, session.amount_cents, cfg.start_type,
                          with_receipt)]


def _topup_finished(s: State, e: TopupFinished) -> tuple[State, list[Command]]:
    if e.request != s.pending or s.screen != Screen.PAYING:
        return s, []
    outcome = e.outcome
    # The card number is not needed any more: drop it as soon as the money has moved.
    session = replace(s.session, outcome=outcome, number="")
    s = replace(s, pending=0, session=session)
    if outcome.kind == "credited":
        if session.with_receipt:
            s, request = _request(s)
            return replace(s, screen=Screen.PRINTING), [PrintReceipt(request, outcome.reference)]
        return replace(s, screen=Screen.DONE), [PlaySound("done")]
    if outcome.kind in ("claim", "not_charged"):
        screen = Screen.CLAIM if outcome.kind == "claim" else Screen.NOT_CHARGED
        if session.with_receipt:
            s, request = _request(s)
            return replace(s, screen=screen), [PrintSlip(request, outcome.reference,
                                                         outcome.kind)]
        return replace(s, screen=screen), []
    if outcome.kind == "unreachable":
        s = replace(s, api_ok=False, api_detail=outcome.reason)
    # refused / unreachable: nothing was charged, and there is nothing to print.
    return replace(s, screen=Screen.NOT_CHARGED), [PlaySound("rejected")]


def _printed(s: State, e: Printed) -> tuple[State, list[Command]]:
    if e.request != s.pending:
        return s, []
    s = replace(s, pending=0)
    if s.screen in ADMIN_SCREENS:
        key = "admin.printed_ok" if e.result.ok else "admin.printed_failed"
        return replace(s, admin=replace(s.admin, message=key)), []
    s = replace(s, session=replace(s.session, printed=e.result))
    if s.screen == Screen.PRINTING:
        return replace(s, screen=Screen.DONE), [PlaySound("done")]
    return s, []   # a slip on the claim / not-charged screen: the screen shows the result


def _press(s: State, e: Press, now: float, cfg: Settings) -> tuple[State, list[Command]]:
    a = e.action
    if a == Action.TOGGLE_LANGUAGE:
        return replace(s, language="en" if s.language == "de" else "de"), []
    screen = s.screen
    if screen in WAITING_FOR_WORKER or screen in IDLE_SCREENS:
        return s, []
    if screen in ADMIN_SCREENS:
        return _admin_press(s, e, now, cfg)
    if a == Action.CANCEL or (a == Action.BACK and screen in (
            Screen.CARD, Screen.CHECKING_CARD, Screen.CHECKING_PRINTER)):
        return _end_session(s, cfg), []
    if a in (Action.FINISH, Action.BACK) and screen in (
            Screen.DONE, Screen.REJECTED, Screen.NOT_CHARGED, Screen.CLAIM):
        return _end_session(s, cfg), []
    session = s.session
    if screen == Screen.CARD and a == Action.CONTINUE:
        return replace(s, screen=Screen.AMOUNT), []
    if screen == Screen.AMOUNT:
        if a == Action.BACK:
            return replace(s, screen=Screen.CARD), []
        if a == Action.AMOUNT and e.value in cfg.presets:
            return replace(s, screen=Screen.CONFIRM,
                           session=replace(session, amount_cents=e.value)), []
        if a == Action.OTHER_AMOUNT:
            return replace(s, screen=Screen.OTHER_AMOUNT,
                           session=replace(session, typed="", entry_error="")), []
    if screen == Screen.OTHER_AMOUNT:
        return _keypad(s, e, cfg)
    if screen == Screen.CONFIRM:
        if a == Action.BACK:
            return replace(s, screen=Screen.AMOUNT), []
        if a == Action.CONFIRM:
            s, request = _request(s)
            return replace(s, screen=Screen.CHECKING_PRINTER), [CheckPrinter(request)]
    if screen == Screen.PRINTER_PROBLEM:
        if a == Action.BACK:
            return replace(s, screen=Screen.CONFIRM), []
        if a == Action.RETRY_PRINTER:
            s, request = _request(s)
            return replace(s, screen=Screen.CHECKING_PRINTER), [CheckPrinter(request)]
        if a == Action.WITHOUT_RECEIPT and may_continue_without_receipt(s, cfg):
            return _start_topup(s, cfg, with_receipt=False)
    return s, []


def max_typed_digits(cfg: Settings) -> int:
    return len(str(cfg.maximum_cents // 100))


def _keypad(s: State, e: Press, cfg: Settings) -> tuple[State, list[Command]]:
    session = s.session
    if e.action == Action.BACK:
        return replace(s, screen=Screen.AMOUNT, session=replace(session, typed="",
                                                                entry_error="")), []
    if e.action == Action.DIGIT and e.value is not None and 0 <= e.value <= 9:
        typed = session.typed
        if len(typed) < max_typed_digits(cfg) and not (typed == "" and e.value == 0):
            typed += str(e.value)
        return replace(s, session=replace(session, typed=typed, entry_error="")), []
    if e.action == Action.ERASE:
        return replace(s, session=replace(session, typed=session.typed[:-1],
                                          entry_error="")), []
    if e.action == Action.KEYPAD_OK:
        if not session.typed:
            return replace(s, session=replace(session, entry_error="amount_empty")), []
        cents = int(session.typed) * 100
        if cents < cfg.minimum_cents:
            return replace(s, session=replace(session, entry_error="amount_too_low")), []
        if cents > cfg.maximum_cents:
            return replace(s, session=replace(session, entry_error="amount_too_high")), []
        return replace(s, screen=Screen.CONFIRM,
                       session=replace(session, amount_cents=cents, entry_error="")), []
    return s, []


def _admin_press(s: State, e: Press, now: float, cfg: Settings) -> tuple[State, list[Command]]:
    a = e.action
    if s.screen == Screen.ADMIN_PIN:
        return _admin_pin(s, e, now, cfg)
    if s.screen == Screen.ADMIN_JOURNAL:
        if a == Action.BACK:
            return replace(s, screen=Screen.ADMIN_MENU), []
        if a in (Action.ADMIN_EXIT, Action.CANCEL):
            return _end_session(s, cfg), []
        if a == Action.PAGE and e.value in (1, -1):
            page = max(0, s.admin.page + e.value)
            return replace(s, admin=replace(s.admin, page=page)), []
        return s, []
    # ADMIN_MENU
    if a in (Action.ADMIN_EXIT, Action.BACK, Action.CANCEL):
        return _end_session(s, cfg), []
    if s.pending:
        return s, []   # one admin job at a time; the worker answers in order
    if a == Action.ADMIN_RESTART:
        return replace(s, admin=replace(s.admin, message="admin.restarting")), [Restart()]
    make = {Action.ADMIN_PRINTER: CheckPrinter, Action.ADMIN_TEST_PRINT: PrintTestPage,
            Action.ADMIN_REPRINT: ReprintLast, Action.ADMIN_JOURNAL: LoadJournal}.get(a)
    if make is None:
        return s, []
    s, request = _request(s)
    return replace(s, admin=replace(s.admin, message="admin.working")), [make(request)]


def _admin_pin(s: State, e: Press, now: float, cfg: Settings) -> tuple[State, list[Command]]:
    a, admin, guard = e.action, s.admin, s.admin_guard
    if a in (Action.BACK, Action.CANCEL, Action.ADMIN_EXIT):
        return _end_session(s, cfg), []
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


class Flow:
    """A holder for the current state, for shells that prefer an object over `step`."""

    def __init__(self, settings: Settings, now: float = 0.0) -> None:
        self.settings = settings
        self.state = initial_state(settings, now)

    def handle(self, event: Event, now: float) -> list[Command]:
        self.state, commands = step(self.state, event, now, self.settings)
        return commands
