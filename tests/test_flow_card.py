"""The card gates of the customer session (kiosk.flow_card): PIN screen, card limit, lock
reason, balance slip - pure transitions."""

from __future__ import annotations

import pytest

from kiosk.flow import Flow, Screen, Session
from kiosk.flow_events import (
    Action, BalancePrinted, CardChecked, CardInfo, CardProblem, CardProblemReason, CardScanned,
    CheckCard, CheckPin, CheckPrinter, PinChecked, Press, PrintBalance, PrinterChecked,
    PrinterState, PrintResult, StartTopup, Tick,
)
from tests.fixtures.ui import VALID_CARD, ui_settings

MASKED = "9276 •••• •••• 2845"


@pytest.fixture
def flow() -> Flow:
    return Flow(ui_settings(), now=1000.0)


def run(flow: Flow, *events):
    out = []
    for e in events:
        out += flow.handle(e, flow.state.last_input)
    return out


def one(commands, kind):
    matches = [c for c in commands if isinstance(c, kind)]
    assert len(matches) == 1, commands
    return matches[0]


def scanned(flow: Flow, info: CardInfo | CardProblem):
    check = one(run(flow, CardScanned(VALID_CARD)), CheckCard)
    return run(flow, CardChecked(check.request, info))


def pin_card(flow: Flow) -> None:
    scanned(flow, CardInfo(MASKED, 1250, None, True, "MCD_1"))
    assert flow.state.screen == Screen.CARD
    run(flow, Press(Action.CONTINUE))
    assert flow.state.screen == Screen.PIN_ENTRY


def type_pin(flow: Flow, digits: str) -> CheckPin:
    run(flow, *[Press(Action.DIGIT, int(d)) for d in digits])
    return one(run(flow, Press(Action.KEYPAD_OK)), CheckPin)


def test_a_card_needing_its_pin_reaches_the_amounts_only_through_the_pin_check(flow):
    pin_card(flow)
    run(flow, Press(Action.DIGIT, 0), Press(Action.DIGIT, 8), Press(Action.DIGIT, 1))
    assert run(flow, Press(Action.KEYPAD_OK)) == []          # three digits: too short
    assert flow.state.session.pin_message == "pin.too_short"
    run(flow, Press(Action.DIGIT, 5))
    check = one(run(flow, Press(Action.KEYPAD_OK)), CheckPin)
    assert (check.number, check.card_id, check.pin) == (VALID_CARD, "MCD_1", "0815")
    assert "0815" not in repr(check) and "0815" not in repr(flow.state)   # never in logs
    assert run(flow, Press(Action.DIGIT, 1)) == [] and flow.state.session.pin == "0815"
    run(flow, PinChecked(check.request, "ok"))
    assert flow.state.screen == Screen.AMOUNT and flow.state.session.pin == ""
    run(flow, Press(Action.BACK), Press(Action.CONTINUE))    # checked once per session
    assert flow.state.screen == Screen.AMOUNT


def test_three_wrong_pins_end_the_session_without_any_topup(flow):
    pin_card(flow)
    commands = []
    for attempt in range(3):
        check = type_pin(flow, "1234")
        commands += run(flow, PinChecked(check.request, "wrong"))
        if attempt < 2:
            assert flow.state.screen == Screen.PIN_ENTRY
            assert flow.state.session.pin_message == "pin.wrong"
    assert flow.state.screen == Screen.REJECTED
    assert flow.state.session.problem == CardProblemReason.PIN_TRIES
    assert not any(isinstance(c, (StartTopup, CheckPrinter)) for c in commands)


def test_pin_verdicts_locked_and_unreachable(flow):
    pin_card(flow)
    run(flow, PinChecked(type_pin(flow, "1234").request, "locked"))
    assert flow.state.screen == Screen.CARD_LOCKED and flow.state.session.number == ""
    pin_card(flow)
    run(flow, PinChecked(type_pin(flow, "1234").request, "unreachable"))
    assert flow.state.screen == Screen.OUT_OF_SERVICE and flow.state.session == Session()


def test_a_late_pin_verdict_reaches_nobody(flow):
    pin_card(flow)
    check = type_pin(flow, "4711")
    run(flow, Press(Action.CANCEL))
    run(flow, PinChecked(check.request, "ok"))
    assert flow.state.screen == Screen.ATTRACT and not flow.state.session.pin_ok


def test_pin_screen_times_out_like_any_customer_screen(flow):
    pin_card(flow)
    flow.handle(Tick(), flow.state.last_input + 46)
    assert flow.state.screen == Screen.ATTRACT and flow.state.session == Session()


def test_the_amounts_stop_at_the_cards_largest_topup(flow):
    scanned(flow, CardInfo(MASKED, 12000, 3000, False, "MCD_1"))
    run(flow, Press(Action.CONTINUE))
    run(flow, Press(Action.AMOUNT, 5000))                    # a preset above the room left
    assert flow.state.screen == Screen.AMOUNT
    run(flow, Press(Action.OTHER_AMOUNT), *[Press(Action.DIGIT, d) for d in (4, 0, 0, 0)])
    assert flow.state.session.entry_error == "amount_too_high"   # 40,00: refused as typed
    assert flow.state.session.typed == "400"
    run(flow, *[Press(Action.ERASE)] * 3, *[Press(Action.DIGIT, d) for d in (3, 0, 0, 0)],
        Press(Action.KEYPAD_OK))
    assert flow.state.screen == Screen.CONFIRM and flow.state.session.amount_cents == 3000
    check = one(run(flow, Press(Action.CONFIRM)), CheckPrinter)
    start = one(run(flow, PrinterChecked(check.request, PrinterState(True))), StartTopup)
    assert start.amount_cents == 3000


def test_card_problems_of_the_gates_have_their_screens(flow):
    scanned(flow, CardProblem(CardProblemReason.AT_LIMIT, balance_cents=14800,
                              limit_cents=15000))
    assert flow.state.screen == Screen.CARD_LIMIT
    assert (flow.state.session.balance_cents, flow.state.session.limit_cents) == (14800, 15000)
    run(flow, Press(Action.FINISH))
    assert flow.state.screen == Screen.ATTRACT
    scanned(flow, CardProblem(CardProblemReason.LOCKED, lock_reason=1, lock_text="Karte verloren"))
    assert flow.state.screen == Screen.CARD_LOCKED
    assert (flow.state.session.lock_reason, flow.state.session.lock_text) == (1, "Karte verloren")


def test_balance_slip_prints_beside_the_session(flow):
    scanned(flow, CardInfo(MASKED, 1250, None, False, "MCD_1"))
    slip = one(run(flow, Press(Action.PRINT_BALANCE)), PrintBalance)
    assert (slip.number, slip.card_id) == (VALID_CARD, "MCD_1")
    assert run(flow, Press(Action.PRINT_BALANCE)) == []      # one at a time
    run(flow, Press(Action.CONTINUE))                        # the customer goes on meanwhile
    run(flow, BalancePrinted(slip.request, PrintResult(True)))
    assert flow.state.session.balance_slip == PrintResult(True)
    run(flow, Press(Action.BACK))
    assert flow.state.screen == Screen.CARD
    again = one(run(flow, Press(Action.PRINT_BALANCE)), PrintBalance)
    run(flow, Press(Action.CANCEL))
    run(flow, BalancePrinted(again.request, PrintResult(False, "paper_out")))
    assert flow.state.session == Session()                   # the customer left: dropped


def test_no_balance_slip_for_a_card_the_api_did_not_name(flow):
    scanned(flow, CardInfo(MASKED, 1250))
    assert run(flow, Press(Action.PRINT_BALANCE)) == []
