"""The cash part of the flow (kiosk.flow_cash): choice, note screen, till wait, outcomes; pure."""

from __future__ import annotations

from dataclasses import replace

from kiosk.flow import Flow, Screen, deadline
from kiosk.flow_cash_events import (
    CancelCash, CashEnded, CashOutcome, CashStatus, CashUpdate, CashView, FinishCash,
    StartCash, StartTill, TillScan,
)
from kiosk.flow_events import (
    Action, CardChecked, CardInfo, CardScanned, CheckCard, CheckPrinter, PrinterChecked,
    PrinterState, Press, PrintResult, StartTopup, Tick,
)
from tests.fixtures.ui import ADMIN_CARD, VALID_CARD, ui_settings
from tests.test_flow import at_card, request_of, run

STAFF = "9276000000008888"


def cash_flow(mode: str = "validator", start_type: str = "cashless") -> Flow:
    settings = replace(ui_settings(), cash_mode=mode, start_type=start_type)  # type: ignore[arg-type]
    return Flow(settings, now=1000.0)


def to_notes(flow: Flow) -> StartCash:
    at_card(flow)
    run(flow, Press(Action.CONTINUE))
    assert flow.state.screen == Screen.PAY_CHOICE
    check = request_of(run(flow, Press(Action.PAY_CASH)), CheckPrinter)
    assert flow.state.screen == Screen.CHECKING_PRINTER
    start = request_of(run(flow, PrinterChecked(check.request, PrinterState(True))), StartCash)
    assert flow.state.screen == Screen.INSERT_NOTES
    return start


def test_without_cash_the_card_goes_straight_to_the_amount():
    flow = cash_flow(mode="none")
    at_card(flow)
    run(flow, Press(Action.CONTINUE))
    assert flow.state.screen == Screen.AMOUNT


def test_card_chosen_is_the_card_flow_unchanged():
    flow = cash_flow()
    at_card(flow)
    run(flow, Press(Action.CONTINUE), Press(Action.PAY_CARD), Press(Action.AMOUNT, 2000))
    check = request_of(run(flow, Press(Action.CONFIRM)), CheckPrinter)
    topup = request_of(run(flow, PrinterChecked(check.request, PrinterState(True))), StartTopup)
    assert topup.start_type == "cashless" and topup.amount_cents == 2000


def test_note_session_starts_after_the_printer_check_with_the_maximum_as_cap():
    flow = cash_flow()
    start = to_notes(flow)
    assert start.number == VALID_CARD and start.cap_cents == flow.settings.maximum_cents
    assert start.with_receipt
    assert deadline(flow.state, flow.settings) is None    # notes may come in: no idle timeout


def test_notes_are_capped_at_what_the_card_may_still_take():
    flow = cash_flow()
    check = request_of(run(flow, CardScanned(VALID_CARD)), CheckCard)
    run(flow, CardChecked(check.request, CardInfo("9276 •••• •••• 2845", 19000, max_cents=1000)))
    run(flow, Press(Action.CONTINUE))
    check = request_of(run(flow, Press(Action.PAY_CASH)), CheckPrinter)
    start = request_of(run(flow, PrinterChecked(check.request, PrinterState(True))), StartCash)
    assert start.cap_cents == 1000 < flow.settings.maximum_cents   # the group's balance limit


def test_fertig_only_with_money_in_and_abbrechen_only_without():
    flow = cash_flow()
    start = to_notes(flow)
    view = CashView("REF", 0, (5, 10, 20, 50), 20000)
    run(flow, CashUpdate(start.request, view))
    assert run(flow, Press(Action.FINISH)) == []          # nothing in: nothing to finish
    run(flow, CashUpdate(start.request, replace(view, total_cents=2000)))
    assert flow.state.session.cash.total_cents == 2000
    assert run(flow, Press(Action.CANCEL)) == []          # a note is stacked: no cancel
    assert run(flow, Press(Action.BACK)) == []
    assert run(flow, Press(Action.FINISH)) == [FinishCash()]
    assert flow.state.session.cash.finishing
    assert run(flow, Press(Action.FINISH)) == []          # once is enough
    # A late update keeps "finishing" (the screen shows "wird gebucht").
    run(flow, CashUpdate(start.request, replace(view, total_cents=2000)))
    assert flow.state.session.cash.finishing


def test_abbrechen_while_nothing_is_stacked():
    flow = cash_flow()
    start = to_notes(flow)
    run(flow, CashUpdate(start.request, CashView("REF", 0, (5,), 20000)))
    assert run(flow, Press(Action.CANCEL)) == [CancelCash()]
    run(flow, CashEnded(start.request, CashOutcome("cancelled", "REF")))
    assert flow.state.screen == Screen.CASH_FAULT
    run(flow, Press(Action.FINISH))
    assert flow.state.screen == Screen.ATTRACT


def test_stale_cash_events_are_ignored():
    flow = cash_flow()
    start = to_notes(flow)
    run(flow, CashUpdate(start.request + 7, CashView("OLD", 5000)))
    assert flow.state.session.cash.total_cents == 0
    run(flow, CashEnded(start.request - 1, CashOutcome("credited", "OLD", 5000, True)))
    assert flow.state.screen == Screen.INSERT_NOTES


def test_credited_goes_to_done_with_the_printed_receipt():
    flow = cash_flow()
    start = to_notes(flow)
    out = run(flow, CashEnded(start.request, CashOutcome(
        "credited", "TOPUP-REF", 3000, True, new_balance_cents=5500,
        printed=PrintResult(True))))
    s = flow.state
    assert s.screen == Screen.DONE and s.pending == 0 and s.session.number == ""
    assert s.session.outcome.new_balance_cents == 5500 and s.session.printed.ok
    assert s.session.amount_cents == 3000 and out and out[0].name == "done"


def test_owed_goes_to_the_owed_screen_and_a_fault_takes_cash_out_of_service():
    flow = cash_flow()
    start = to_notes(flow)
    run(flow, CashEnded(start.request, CashOutcome("owed", "CASH-REF", 3000)))
    assert flow.state.screen == Screen.CASH_OWED
    run(flow, Press(Action.FINISH))
    start = to_notes(flow)
    run(flow, CashEnded(start.request, CashOutcome("fault", "R", 2000, True, fault="jam",
                                                   out_of_service=True)))
    assert flow.state.screen == Screen.CASH_FAULT and not flow.state.cash_ok
    run(flow, Press(Action.FINISH))
    at_card(flow)
    run(flow, Press(Action.CONTINUE))
    assert run(flow, Press(Action.PAY_CASH)) == []        # cash is off; card still works
    assert flow.state.screen == Screen.PAY_CHOICE
    run(flow, CashStatus(True))
    assert run(flow, Press(Action.PAY_CASH))


def test_cash_only_out_of_service_says_so_at_once():
    flow = cash_flow(start_type="cash")
    run(flow, CashStatus(False, "unplugged"))
    at_card(flow)
    run(flow, Press(Action.CONTINUE))
    assert flow.state.screen == Screen.CASH_FAULT
    assert flow.state.session.cash_outcome.out_of_service


def to_till(flow: Flow) -> StartTill:
    at_card(flow)
    run(flow, Press(Action.CONTINUE))
    assert flow.state.screen == Screen.AMOUNT and flow.state.session.payment == "till"
    run(flow, Press(Action.AMOUNT, 2000))
    check = request_of(run(flow, Press(Action.CONFIRM)), CheckPrinter)
    return request_of(run(flow, PrinterChecked(check.request, PrinterState(True))), StartTill)


def test_till_waits_for_scans_and_never_times_out_by_itself():
    flow = cash_flow(mode="till", start_type="cash")
    start = to_till(flow)
    assert (start.number, start.amount_cents) == (VALID_CARD, 2000)
    assert flow.state.screen == Screen.TILL
    assert run(flow, CardScanned(STAFF)) == [TillScan(STAFF)]
    # Even the admin card is only handed to the till (which knows it is no staff card).
    assert run(flow, CardScanned(ADMIN_CARD)) == [TillScan(ADMIN_CARD)]
    assert run(flow, CardScanned("", unreadable=True)) == []
    run(flow, Tick(), now=flow.state.last_input + 10_000)
    assert flow.state.screen == Screen.TILL
    assert run(flow, Press(Action.CANCEL)) == [CancelCash()]
    run(flow, CashEnded(start.request, CashOutcome("cancelled", "REF")))
    assert flow.state.screen == Screen.CASH_FAULT


def test_language_toggles_on_the_cash_screens():
    flow = cash_flow()
    to_notes(flow)
    run(flow, Press(Action.TOGGLE_LANGUAGE))
    assert flow.state.language == "en" and flow.state.screen == Screen.INSERT_NOTES
