"""The cash part of the customer flow: choosing cash, the till wait, the note screen and their outcomes (pure)."""

from __future__ import annotations

from dataclasses import replace

from kiosk.flow_cash_events import (
    CancelCash, CashEnded, CashOutcome, CashStatus, CashUpdate, CashView, FinishCash,
    StartCash, StartTill, TillScan,
)
from kiosk.flow_events import (
    Action, CardScanned, CheckPrinter, Command, Event, PlaySound, Press, TopupOutcome,
)
from kiosk.flow_state import Screen, Settings, State, card_maximum, end_session, take_request

# Screens whose presses this module answers (before the card flow's generic ones).
CASH_SCREENS = frozenset({Screen.PAY_CHOICE, Screen.INSERT_NOTES, Screen.TILL,
                          Screen.CASH_FAULT, Screen.CASH_OWED})

Step = tuple[State, list[Command]]


def cash_on(cfg: Settings) -> bool:
    return cfg.cash_mode != "none"


def choice_offered(cfg: Settings) -> bool:
    """Card payment and cash both on: the customer chooses on screen."""
    return cash_on(cfg) and cfg.start_type == "cashless"


def after_card(s: State, cfg: Settings) -> Step | None:
    """"Weiter" on the card screen; None: the card flow goes on as without cash."""
    if not cash_on(cfg):
        return None
    if choice_offered(cfg):
        return replace(s, screen=Screen.PAY_CHOICE), []
    return _choose_cash(s, cfg)


def on_event(s: State, e: Event | object, cfg: Settings) -> Step | None:
    """The cash thread's events, and a scan while the till waits; None: not for cash."""
    if isinstance(e, CashUpdate):
        if e.request != s.pending or s.screen not in (Screen.INSERT_NOTES, Screen.TILL):
            return s, []
        finishing = s.session.cash.finishing
        return replace(s, session=replace(s.session, cash=replace(
            e.view, finishing=finishing))), []
    if isinstance(e, CashEnded):
        if e.request != s.pending:
            return s, []
        return _ended(replace(s, pending=0), e.outcome, cfg)
    if isinstance(e, CashStatus):
        return replace(s, cash_ok=e.ok, cash_detail=e.detail), []
    if isinstance(e, CardScanned) and s.screen == Screen.TILL:
        number = e.number.replace(" ", "")
        return s, ([TillScan(number)] if number and not e.unreadable else [])
    return None


def press(s: State, e: Press, cfg: Settings) -> Step | None:
    """A press on a cash screen (the language toggle excepted); None: not a cash screen."""
    if s.screen not in CASH_SCREENS or e.action == Action.TOGGLE_LANGUAGE:
        return None
    return _press(s, e, cfg)


def start(s: State, cfg: Settings, with_receipt: bool) -> Step:
    """The printer is ready (or waived): open the note session or the till wait."""
    session = replace(s.session, with_receipt=with_receipt, cash=CashView())
    s, request = take_request(replace(s, session=session))
    if session.payment == "till":
        assert session.amount_cents is not None
        return replace(s, screen=Screen.TILL), [
            StartTill(request, session.number, session.amount_cents, with_receipt,
                      s.language)]
    return replace(s, screen=Screen.INSERT_NOTES), [
        # Notes only up to what the card may still take (its group's balance limit).
        StartCash(request, session.number, card_maximum(s, cfg), with_receipt, s.language)]


def back_from_printer(s: State) -> Screen:
    """Where "Zurück" on the printer problem leads: the note session has no confirm screen."""
    return Screen.CARD if s.session.payment == "validator" else Screen.CONFIRM


def abort_allowed(s: State) -> bool:
    """Abbrechen on the note screen: only while nothing is stacked (a held note goes back)."""
    return s.session.cash.total_cents == 0 and not s.session.cash.finishing


# --- internals ---------------------------------------------------------------------------------


def _choose_cash(s: State, cfg: Settings) -> Step:
    if not s.cash_ok:
        outcome = CashOutcome("refused", fault="out_of_service", out_of_service=True)
        return replace(s, screen=Screen.CASH_FAULT, session=replace(
            s.session, cash_outcome=outcome)), [PlaySound("rejected")]
    if cfg.cash_mode == "till":
        return replace(s, screen=Screen.AMOUNT,
                       session=replace(s.session, payment="till")), []
    s, request = take_request(replace(s, session=replace(s.session, payment="validator")))
    return replace(s, screen=Screen.CHECKING_PRINTER), [CheckPrinter(request)]


def _press(s: State, e: Press, cfg: Settings) -> Step:
    a, screen = e.action, s.screen
    if screen == Screen.PAY_CHOICE:
        if a == Action.PAY_CARD and s.card_payment_ok:
            return replace(s, screen=Screen.AMOUNT, session=replace(s.session, payment="")), []
        if a == Action.PAY_CASH and s.cash_ok:
            return _choose_cash(s, cfg)
        if a == Action.BACK:
            return replace(s, screen=Screen.CARD), []
        if a == Action.CANCEL:
            return end_session(s, cfg), []
        return s, []
    if screen in (Screen.CASH_FAULT, Screen.CASH_OWED):
        if a in (Action.FINISH, Action.BACK, Action.CANCEL):
            return end_session(s, cfg), []
        return s, []
    cash = s.session.cash
    if screen == Screen.INSERT_NOTES:
        if a == Action.FINISH and cash.total_cents > 0 and not cash.finishing:
            return _finishing(s), [FinishCash()]
        if a in (Action.CANCEL, Action.BACK) and abort_allowed(s):
            return _finishing(s), [CancelCash()]
        return s, []
    if screen == Screen.TILL and a in (Action.CANCEL, Action.BACK) and not cash.finishing:
        return _finishing(s), [CancelCash()]
    return s, []


def _finishing(s: State) -> State:
    return replace(s, session=replace(s.session, cash=replace(s.session.cash, finishing=True)))


def _ended(s: State, o: CashOutcome, cfg: Settings) -> Step:
    # The card number is not needed any more: drop it as soon as the session has ended.
    session = replace(s.session, number="", cash_outcome=o, printed=o.printed)
    if o.out_of_service:
        s = replace(s, cash_ok=False, cash_detail=o.fault)
    if o.kind == "credited":
        topup = TopupOutcome("credited", o.reference, o.new_balance_cents)
        session = replace(session, outcome=topup, amount_cents=o.total_cents)
        return replace(s, screen=Screen.DONE, session=session), [PlaySound("done")]
    if o.kind in ("owed", "claim"):
        return replace(s, screen=Screen.CASH_OWED, session=session), [PlaySound("rejected")]
    # Cancelled, timed out, refused, a fault: the fault screen says what became of the money.
    return replace(s, screen=Screen.CASH_FAULT, session=session), [PlaySound("rejected")]
