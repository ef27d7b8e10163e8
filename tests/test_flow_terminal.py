"""The flow and the card terminal's status: card payment withdrawn, out of service only when nothing remains."""

from __future__ import annotations

from kiosk.flow import Flow, Screen
from kiosk.flow_events import Action, CheckPrinter, Press, TerminalStatus
from tests.fixtures.ui import ui_settings
from tests.test_flow import T0, at_card, at_confirm, at_paying, run  # noqa: F401


def test_terminal_offline_takes_a_card_only_kiosk_out_of_service_and_back():
    flow = Flow(ui_settings(start_type="cashless"), T0)
    run(flow, TerminalStatus(False, "terminal SDV_T1 offline"))
    assert flow.state.screen == Screen.OUT_OF_SERVICE and not flow.state.in_service
    assert flow.state.card_payment_detail == "terminal SDV_T1 offline"
    run(flow, TerminalStatus(True))
    assert flow.state.screen == Screen.ATTRACT and flow.state.card_payment_ok


def test_terminal_loss_ends_a_card_only_session_before_payment_but_not_during_it():
    flow = Flow(ui_settings(start_type="cashless"), T0)
    at_card(flow)
    run(flow, TerminalStatus(False, "no terminal routed"))
    assert flow.state.screen == Screen.OUT_OF_SERVICE and flow.state.session.number == ""
    run(flow, TerminalStatus(True))
    at_paying(flow)
    run(flow, TerminalStatus(False, "offline"))
    assert flow.state.screen == Screen.PAYING     # the payment in progress goes on


def test_a_kiosk_that_also_takes_cash_keeps_serving_and_offers_only_cash():
    flow = Flow(ui_settings(start_type="cashless", cash_mode="till"), T0)
    run(flow, TerminalStatus(False, "offline"))
    assert flow.state.screen == Screen.ATTRACT and flow.state.in_service
    at_card(flow)
    run(flow, Press(Action.CONTINUE))
    assert flow.state.screen == Screen.PAY_CHOICE
    assert run(flow, Press(Action.PAY_CARD)) == []     # card payment is withdrawn
    assert flow.state.screen == Screen.PAY_CHOICE
    run(flow, Press(Action.PAY_CASH))                  # cash at the till still works
    assert flow.state.screen == Screen.AMOUNT and flow.state.session.payment == "till"
    run(flow, Press(Action.BACK), Press(Action.CONTINUE))   # back to the card, on again
    assert flow.state.screen == Screen.PAY_CHOICE
    run(flow, TerminalStatus(True))
    run(flow, Press(Action.PAY_CARD))                  # and card again once the terminal is back
    assert flow.state.screen == Screen.AMOUNT and flow.state.session.payment == ""


def test_a_cash_start_type_kiosk_ignores_the_terminal():
    flow = Flow(ui_settings(start_type="cash"), T0)
    run(flow, TerminalStatus(False, "offline"))
    assert flow.state.in_service and flow.state.card_payment_ok
    at_confirm(flow)
    assert any(isinstance(c, CheckPrinter) for c in run(flow, Press(Action.CONFIRM)))
