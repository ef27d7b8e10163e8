"""The card gates of the customer session: the card check's verdict, the PIN screen, the balance slip.

Pure transitions used by kiosk.flow; a top-up can only be started after every gate passed
(a card that needs its PIN reaches the amount screen only after the API accepted the PIN).
"""

from __future__ import annotations

from dataclasses import replace

from kiosk import flow_cash
from kiosk.flow_events import (
    Action, BalancePrinted, CardChecked, CardInfo, CardProblemReason, CheckPin, Command,
    PinChecked, PlaySound, PrintBalance, Press,
)
from kiosk.flow_state import Screen, Session, Settings, State, end_session, take_request

PIN_TRIES = 3            # the API locks a card after three wrong PINs; the kiosk stops there too
PIN_MIN_DIGITS = 4
PIN_MAX_DIGITS = 8
CARD_GATE_SCREENS = frozenset({Screen.PIN_ENTRY, Screen.CARD_LIMIT, Screen.CARD_LOCKED})


def reject(s: State, reason: CardProblemReason) -> tuple[State, list[Command]]:
    session = Session(masked=s.session.masked, problem=reason)
    return replace(s, screen=Screen.REJECTED, session=session, pending=0), [PlaySound("rejected")]


def card_checked(s: State, e: CardChecked, cfg: Settings) -> tuple[State, list[Command]]:
    if e.request != s.pending or s.screen != Screen.CHECKING_CARD:
        return s, []
    s = replace(s, pending=0)
    result = e.result
    if isinstance(result, CardInfo):
        session = replace(s.session, masked=result.masked or s.session.masked,
                          balance_cents=result.balance_cents, max_cents=result.max_cents,
                          pin_required=result.pin_required, card_id=result.card_id)
        return replace(s, screen=Screen.CARD, session=session), [PlaySound("accepted")]
    if result.reason == CardProblemReason.UNREACHABLE:
        return end_session(replace(s, api_ok=False, api_detail=result.detail), cfg), []
    masked = s.session.masked
    if result.reason == CardProblemReason.LOCKED:
        session = Session(masked=masked, problem=result.reason, lock_reason=result.lock_reason,
                          lock_text=result.lock_text)
        return replace(s, screen=Screen.CARD_LOCKED, session=session), [PlaySound("rejected")]
    if result.reason == CardProblemReason.AT_LIMIT:
        session = Session(masked=masked, problem=result.reason,
                          balance_cents=result.balance_cents, limit_cents=result.limit_cents)
        return replace(s, screen=Screen.CARD_LIMIT, session=session), [PlaySound("rejected")]
    return reject(s, result.reason)


def card_press(s: State, e: Press, cfg: Settings) -> tuple[State, list[Command]] | None:
    """A press on the card screen or a card gate screen; None when kiosk.flow handles it."""
    a, screen = e.action, s.screen
    if screen == Screen.CARD and a == Action.CONTINUE:
        if s.session.pin_required and not s.session.pin_ok:
            return replace(s, screen=Screen.PIN_ENTRY,
                           session=replace(s.session, pin="", pin_message="")), []
        return after_card(s, cfg)
    if screen == Screen.CARD and a == Action.PRINT_BALANCE:
        return _print_balance(s)
    if screen == Screen.PIN_ENTRY:
        return _pin_press(s, e, cfg)
    if screen in (Screen.CARD_LIMIT, Screen.CARD_LOCKED) and a in (Action.FINISH, Action.BACK):
        return end_session(s, cfg), []
    return None


def after_card(s: State, cfg: Settings) -> tuple[State, list[Command]]:
    """Past the card's gates: the way to pay (kiosk.flow_cash) or straight to the amounts."""
    return flow_cash.after_card(s, cfg) or (replace(s, screen=Screen.AMOUNT), [])


def _print_balance(s: State) -> tuple[State, list[Command]]:
    session = s.session
    if session.balance_slip_pending or not session.card_id or not session.number:
        return s, []
    # A request number of its own, not the one the flow waits for: the customer may go on to
    # the amounts while the slip prints, and the answer still finds its session.
    request = s.next_request
    session = replace(session, balance_slip=None, balance_slip_pending=True,
                      balance_slip_request=request)
    return replace(s, next_request=request + 1, session=session), [
        PrintBalance(request, session.number, session.card_id)]


def balance_printed(s: State, e: BalancePrinted) -> tuple[State, list[Command]]:
    session = s.session
    if not session.balance_slip_pending or e.request != session.balance_slip_request:
        return s, []   # another customer's, or a session that ended meanwhile
    return replace(s, session=replace(session, balance_slip=e.result,
                                      balance_slip_pending=False)), []


def _pin_press(s: State, e: Press, cfg: Settings) -> tuple[State, list[Command]]:
    session, a = s.session, e.action
    if a == Action.BACK:
        return replace(s, screen=Screen.CARD, pending=0,
                       session=replace(session, pin="", pin_message="")), []
    if session.pin_message == "pin.checking":
        return s, []    # the API is asked; the answer decides
    if a == Action.DIGIT and e.value is not None and 0 <= e.value <= 9:
        pin = session.pin + str(e.value) if len(session.pin) < PIN_MAX_DIGITS else session.pin
        return replace(s, session=replace(session, pin=pin, pin_message="")), []
    if a == Action.ERASE:
        return replace(s, session=replace(session, pin=session.pin[:-1], pin_message="")), []
    if a == Action.KEYPAD_OK:
        if len(session.pin) < PIN_MIN_DIGITS:
            return replace(s, session=replace(session, pin_message="pin.too_short")), []
        s, request = take_request(s)
        return replace(s, session=replace(session, pin_message="pin.checking")), [
            CheckPin(request, session.number, session.card_id, session.pin)]
    return s, []


def pin_checked(s: State, e: PinChecked, cfg: Settings) -> tuple[State, list[Command]]:
    if e.request != s.pending or s.screen != Screen.PIN_ENTRY:
        return s, []
    s = replace(s, pending=0)
    session = replace(s.session, pin="", pin_message="")
    if e.verdict == "ok":
        s, commands = after_card(replace(s, session=replace(session, pin_ok=True)), cfg)
        return s, [PlaySound("accepted"), *commands]
    if e.verdict == "wrong":
        failures = session.pin_failures + 1
        if failures >= PIN_TRIES:
            return reject(replace(s, session=session), CardProblemReason.PIN_TRIES)
        return replace(s, session=replace(session, pin_failures=failures,
                                          pin_message="pin.wrong")), [PlaySound("rejected")]
    if e.verdict == "locked":
        locked = Session(masked=session.masked, problem=CardProblemReason.LOCKED)
        return replace(s, screen=Screen.CARD_LOCKED, session=locked), [PlaySound("rejected")]
    # No verdict: the API cannot be asked now; nothing was charged.
    return end_session(replace(s, api_ok=False, api_detail="PIN check: no answer"), cfg), []


def pin_tries_left(session: Session) -> int:
    return max(0, PIN_TRIES - session.pin_failures)
