"""The customer session as a state machine: pure (no I/O, no clock), events in, state out.

`step(state, event, now, settings)` returns the next state and the commands the shell must
execute. Every command that answers carries a request number; an answer whose number is not
the one the flow waits for (the customer left, the screen timed out) is ignored, so a late
result can never reach the next customer.
"""

from __future__ import annotations

from dataclasses import replace

from kiosk import flow_cash
from kiosk.cards import check_card_number, mask_card
from kiosk.flow_admin import admin_done, admin_press, admin_scanned
from kiosk.flow_card import balance_printed, card_checked, card_press, pin_checked, reject
from kiosk.flow_events import (
    Action, AdminDone, ApiStatus, BalancePrinted, CardChecked, ClockStatus, CardProblemReason,
    CardScanned, CheckCard, CheckPrinter, Command, Event, JournalLoaded,
    JournalStatus, PinChecked, PlaySound, Press, PrinterChecked,
    Printed, PrintReceipt, PrintSlip, ReaderStatus, Recovering, RegistrationDone,
    RegistrationPending, SetupNeeded, SpeechMode, StartTopup, StillHere, TerminalStatus, Tick,
    TopupFinished,
)
# The state and its queries live in kiosk.flow_state; callers keep importing them from here.
from kiosk.flow_state import (  # noqa: F401
    ADMIN_LOCKOUT_AFTER, ADMIN_SCREENS, BEFORE_PAYMENT, COUNTDOWN_S, DONE_HOLD_S, IDLE_SCREENS,
    PIN_MAX_LENGTH,
    PIN_MIN_LENGTH,
    SCAN_STARTS_SESSION, WAITING_FOR_WORKER, AdminGuard, AdminView, Registration, Screen,
    Session, Settings, State, admin_delay_s, admin_wait_left, card_maximum, countdown, deadline,
    end_session,
    done_held, entry_unit_cents, idle_screen, initial_state, may_continue_without_receipt,
    take_request, typed_cents,
)

# Screens where a different card's scan is asked about before the customer's session is dropped.
ASK_BEFORE_REPLACING = frozenset({Screen.CARD, Screen.AMOUNT, Screen.OTHER_AMOUNT,
                                  Screen.CONFIRM, Screen.PRINTER_PROBLEM})


def step(state: State, event: Event, now: float, settings: Settings) -> tuple[State, list[Command]]:
    """One transition. Pure: the same inputs always give the same outputs."""
    before = state.screen
    new, commands = _dispatch(state, event, now, settings)
    if new.screen != before:
        # A new screen restarts the idle timer, so result screens get their full time.
        new = replace(new, last_input=now, entered=now)
    if new.last_input != state.last_input and new.warned:
        new = replace(new, warned=False)     # a new idle period earns a new countdown sound
    return new, commands


# --- internals ---------------------------------------------------------------------------------


def _dispatch(s: State, e: Event, now: float, cfg: Settings) -> tuple[State, list[Command]]:
    cash = flow_cash.on_event(s, e, cfg)
    if cash is not None:
        return cash
    if isinstance(e, Tick):
        return _tick(s, now, cfg)
    if isinstance(e, StillHere):
        return replace(s, last_input=now), []
    if isinstance(e, SpeechMode):
        return replace(s, speech=e.on, last_input=now), []
    if isinstance(e, Press):
        return _press(replace(s, last_input=now), e, now, cfg)
    if isinstance(e, CardScanned):
        return _scanned(s, e, now, cfg)
    if isinstance(e, CardChecked):
        return card_checked(s, e, cfg)
    if isinstance(e, PinChecked):
        return pin_checked(s, e, cfg)
    if isinstance(e, BalancePrinted):
        return balance_printed(s, e)
    if isinstance(e, PrinterChecked):
        return _printer_checked(s, e, cfg)
    if isinstance(e, TopupFinished):
        return _topup_finished(s, e)
    if isinstance(e, Printed):
        return _printed(s, e)
    if isinstance(e, AdminDone):
        return admin_done(s, e)
    if isinstance(e, JournalLoaded):
        if e.request != s.pending or s.screen not in ADMIN_SCREENS:
            return s, []
        admin = replace(s.admin, journal=e.rows, message="", page=0)
        return replace(s, pending=0, admin=admin, screen=Screen.ADMIN_JOURNAL), []
    if isinstance(e, TerminalStatus):
        return _terminal_status(s, e, cfg), []
    if isinstance(e, (ApiStatus, JournalStatus, ClockStatus)):
        if isinstance(e, ApiStatus):
            s = replace(s, api_ok=e.ok, api_detail=e.detail)
        elif isinstance(e, ClockStatus):
            s = replace(s, clock_ok=e.ok, clock_detail=e.detail)
        else:
            s = replace(s, journal_ok=e.ok, journal_detail=e.detail)
        if not e.ok and s.screen in BEFORE_PAYMENT:
            s = end_session(s, cfg)   # nothing can be done for this customer now
        return _settle_idle(s), []
    if isinstance(e, ReaderStatus):
        return _settle_idle(replace(s, reader_ok=e.ok, reader_detail=e.detail)), []
    if isinstance(e, Recovering):
        return _settle_idle(replace(s, recovering=e.active)), []
    if isinstance(e, RegistrationPending):
        return _settle_idle(replace(s, registration=Registration(e.user_code,
                                                                 e.verification_url))), []
    if isinstance(e, SetupNeeded):
        return _settle_idle(replace(s, setup=e)), []
    if isinstance(e, RegistrationDone):
        return _settle_idle(replace(s, registration=None)), []
    raise TypeError(f"not a flow event: {e!r}")


def _terminal_status(s: State, e: TerminalStatus, cfg: Settings) -> State:
    """Card payment withdrawn or back. It takes the kiosk out of service only when card payment
    is the only way to pay; a kiosk that also takes cash keeps serving without it."""
    card_ok = e.ok or cfg.start_type != "cashless"
    blocks = not card_ok and not cfg.cash_offered
    s = replace(s, card_payment_ok=card_ok, card_payment_detail=e.detail,
                no_payment_left=blocks)
    if blocks and s.screen in BEFORE_PAYMENT:
        s = end_session(s, cfg)   # nothing can be paid for this customer now
    return _settle_idle(s)


def _settle_idle(s: State) -> State:
    """On a screen without a customer, show what the kiosk's health calls for."""
    if s.screen in IDLE_SCREENS:
        return replace(s, screen=idle_screen(s))
    return s


def _tick(s: State, now: float, cfg: Settings) -> tuple[State, list[Command]]:
    end = deadline(s, cfg)
    if end is not None and now >= end:
        return end_session(s, cfg), []
    if not s.warned and countdown(s, cfg, now) is not None:
        return replace(s, warned=True), [PlaySound("countdown")]
    return s, []


def _scanned(s: State, e: CardScanned, now: float, cfg: Settings) -> tuple[State, list[Command]]:
    owed = admin_scanned(s, e)
    if owed is not None:
        return owed
    number = e.number.replace(" ", "")
    if number and number in cfg.admin_cards and s.screen in (SCAN_STARTS_SESSION
                                                             | {Screen.OUT_OF_SERVICE}):
        s = end_session(s, cfg)
        if cfg.admin_pin is None:
            session = Session(problem=CardProblemReason.ADMIN_DISABLED)
            return replace(s, screen=Screen.REJECTED, session=session,
                           last_input=now), [PlaySound("rejected")]
        return replace(s, screen=Screen.ADMIN_PIN, last_input=now), []
    if s.screen not in SCAN_STARTS_SESSION or not s.in_service:
        return s, []
    check = check_card_number(number, cfg.card_prefixes)
    if s.screen in ASK_BEFORE_REPLACING:
        # Mid-way, a stray or repeated scan changes nothing, and another card is asked about:
        # the customer's typed amount is theirs until they say otherwise.
        if e.unreadable or not check.ok or check.number == s.session.number:
            return s, []
        assert check.number is not None
        return replace(s, session=replace(s.session, second_card=check.number),
                       last_input=now), []
    if e.unreadable:
        return reject(_fresh_session(s, now, cfg), CardProblemReason.UNREADABLE)
    if not check.ok:
        return reject(_fresh_session(s, now, cfg), CardProblemReason.MALFORMED)
    assert check.number is not None
    return _check_card(_fresh_session(s, now, cfg), check.number)


def _fresh_session(s: State, now: float, cfg: Settings) -> State:
    """A new session, but in the language, speech mode and view the person at the kiosk chose
    before scanning."""
    return replace(end_session(s, cfg), last_input=now, language=s.language, speech=s.speech,
                   easy_view=s.easy_view)


def _check_card(s: State, number: str) -> tuple[State, list[Command]]:
    s, request = take_request(s)
    session = Session(number=number, masked=mask_card(number))
    return replace(s, screen=Screen.CHECKING_CARD, session=session), [
        CheckCard(request, number)]


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


def _start_topup(s: State, cfg: Settings, with_receipt: bool) -> tuple[State, list[Command]]:
    session = s.session
    if session.payment:
        return flow_cash.start(s, cfg, with_receipt)
    assert session.amount_cents is not None and session.number
    s, request = take_request(s)
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
            s, request = take_request(s)
            return replace(s, screen=Screen.PRINTING), [PrintReceipt(request, outcome.reference,
                                                                           s.language)]
        return replace(s, screen=Screen.DONE), [PlaySound("done")]
    if outcome.kind in ("claim", "not_charged"):
        screen = Screen.CLAIM if outcome.kind == "claim" else Screen.NOT_CHARGED
        if session.with_receipt:
            s, request = take_request(s)
            return replace(s, screen=screen), [PrintSlip(request, outcome.reference,
                                                         outcome.kind, s.language)]
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
    if a == Action.TOGGLE_VIEW:
        return replace(s, easy_view=not s.easy_view), []
    if a == Action.STAY:
        return s, []          # the press itself restarted the idle timer
    if s.session.second_card:
        return _second_card(s, a, now, cfg)
    screen = s.screen
    cash = flow_cash.press(s, e, cfg)
    if cash is not None:
        return cash
    if screen in WAITING_FOR_WORKER or screen in IDLE_SCREENS:
        return s, []
    if screen in ADMIN_SCREENS:
        return admin_press(s, e, now, cfg)
    if a == Action.CANCEL or (a == Action.BACK and screen in (
            Screen.CARD, Screen.CHECKING_CARD, Screen.CHECKING_PRINTER)):
        return end_session(s, cfg), []
    if a in (Action.FINISH, Action.BACK) and screen in (
            Screen.DONE, Screen.REJECTED, Screen.NOT_CHARGED, Screen.CLAIM):
        if done_held(s, now):
            return s, []
        return end_session(s, cfg), []
    gated = card_press(s, e, cfg)     # the card screen and the card gates' screens
    if gated is not None:
        return gated
    session = s.session
    if screen == Screen.AMOUNT:
        if a == Action.BACK:
            return replace(s, screen=Screen.CARD), []
        if a == Action.AMOUNT and e.value in cfg.presets and e.value <= card_maximum(s, cfg):
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
            if not s.card_payment_ok and not session.payment:
                return s, []   # the screen says card payment is unavailable right now
            s, request = take_request(s)
            return replace(s, screen=Screen.CHECKING_PRINTER), [CheckPrinter(request)]
    if screen == Screen.PRINTER_PROBLEM:
        if a == Action.BACK:
            return replace(s, screen=flow_cash.back_from_printer(s)), []
        if a == Action.RETRY_PRINTER:
            s, request = take_request(s)
            return replace(s, screen=Screen.CHECKING_PRINTER), [CheckPrinter(request)]
        if a == Action.WITHOUT_RECEIPT and may_continue_without_receipt(s, cfg):
            return _start_topup(s, cfg, with_receipt=False)
    return s, []


def _second_card(s: State, a: Action, now: float, cfg: Settings) -> tuple[State, list[Command]]:
    """The "use the other card?" question: yes serves the new card, no (or back) closes it."""
    number = s.session.second_card
    if a == Action.USE_OTHER_CARD:
        return _check_card(_fresh_session(s, now, cfg), number)
    if a in (Action.KEEP_CARD, Action.BACK, Action.CANCEL):
        return replace(s, session=replace(s.session, second_card="")), []
    return s, []


def _keypad(s: State, e: Press, cfg: Settings) -> tuple[State, list[Command]]:
    """Amount entry as at a till: each digit shifts in from the right (1, 17, 175, 1750)."""
    session = s.session
    if e.action == Action.BACK:
        return replace(s, screen=Screen.AMOUNT, session=replace(session, typed="",
                                                                entry_error="")), []
    if e.action == Action.DIGIT and e.value is not None and 0 <= e.value <= 9:
        if session.typed == "" and e.value == 0:
            return s, []                      # a leading zero changes nothing on a till either
        typed = session.typed + str(e.value)
        if int(typed) * entry_unit_cents(cfg) > card_maximum(s, cfg):
            # Refused where it can be seen and heard, never cut off silently.
            return replace(s, session=replace(session, entry_error="amount_too_high")), [
                PlaySound("rejected")]
        return replace(s, session=replace(session, typed=typed, entry_error="")), []
    if e.action == Action.ERASE:
        return replace(s, session=replace(session, typed=session.typed[:-1],
                                          entry_error="")), []
    if e.action == Action.KEYPAD_OK:
        cents = typed_cents(session, cfg)
        error = ""
        if cents == 0:
            error = "amount_empty"
        elif cents < cfg.minimum_cents:
            error = "amount_too_low"
        elif cents > card_maximum(s, cfg):
            error = "amount_too_high"
        elif cents % cfg.amount_step_cents:
            error = "amount_step"
        if error:
            return replace(s, session=replace(session, entry_error=error)), [
                PlaySound("rejected")]
        return replace(s, screen=Screen.CONFIRM,
                       session=replace(session, amount_cents=cents, entry_error="")), []
    return s, []


class Flow:
    """A holder for the current state, for shells that prefer an object over `step`."""

    def __init__(self, settings: Settings, now: float = 0.0) -> None:
        self.settings = settings
        self.state = initial_state(settings, now)

    def handle(self, event: Event, now: float) -> list[Command]:
        self.state, commands = step(self.state, event, now, self.settings)
        return commands
