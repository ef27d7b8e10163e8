"""The admin menu's cash actions in the pure flow: offered with a validator only, one job at a time, stale answers ignored."""

from __future__ import annotations

import pytest

from kiosk.flow import Flow, Screen
from kiosk.flow_events import (
    Action, AdminDone, AdminResult, CardScanned, CreditOwed, EmptyCashbox, PlaySound, Press,
)
from kiosk.ui.backend import execute
from tests.fixtures.ui import ADMIN_CARD, VALID_CARD, MemoryBackend, ui_settings
from tests.test_flow import T0, enter_pin, request_of, run, ADMIN_PIN


def admin_flow(cash_mode: str) -> Flow:
    flow = Flow(ui_settings(cash_mode=cash_mode), T0)
    run(flow, CardScanned(ADMIN_CARD))
    enter_pin(flow, ADMIN_PIN)
    assert flow.state.screen == Screen.ADMIN_MENU
    return flow


@pytest.mark.parametrize("mode", ["none", "till"])
def test_no_cash_actions_without_a_validator(mode):
    flow = admin_flow(mode)
    assert run(flow, Press(Action.ADMIN_CASHBOX_EMPTIED), Press(Action.ADMIN_OWED)) == []
    assert not flow.state.admin.owed_scan
    assert run(flow, CardScanned(VALID_CARD)) == []     # a scan asks nothing of anyone


def test_cashbox_emptied_asks_the_backend_and_shows_its_answer():
    flow = admin_flow("validator")
    job = request_of(run(flow, Press(Action.ADMIN_CASHBOX_EMPTIED)), EmptyCashbox)
    assert run(flow, Press(Action.ADMIN_OWED)) == [] and not flow.state.admin.owed_scan
    run(flow, AdminDone(job.request + 7, AdminResult("admin.cashbox_emptied", "stale")))
    assert flow.state.admin.message == "admin.working"       # not the answer it waits for
    run(flow, AdminDone(job.request, AdminResult("admin.cashbox_emptied", "2 · 30,00 €")))
    assert (flow.state.admin.message, flow.state.admin.detail) == ("admin.cashbox_emptied",
                                                                   "2 · 30,00 €")
    assert flow.state.pending == 0


def test_owed_waits_for_the_card_then_credits_that_card():
    flow = admin_flow("validator")
    assert run(flow, Press(Action.ADMIN_OWED)) == []
    assert flow.state.admin.owed_scan and flow.state.admin.message == "admin.owed_scan"
    assert run(flow, CardScanned("", unreadable=True)) == [PlaySound("rejected")]
    assert flow.state.admin.owed_scan                       # still waiting
    credit = request_of(run(flow, CardScanned(f"{VALID_CARD[:4]} {VALID_CARD[4:]}")),
                        CreditOwed)
    assert credit.number == VALID_CARD and VALID_CARD not in repr(credit)
    assert not flow.state.admin.owed_scan
    assert run(flow, CardScanned(VALID_CARD)) == []         # one credit per scan asked for
    run(flow, AdminDone(credit.request, AdminResult("admin.owed_credited", "x")))
    assert flow.state.admin.message == "admin.owed_credited"
    run(flow, Press(Action.ADMIN_EXIT))
    assert flow.state.screen == Screen.ATTRACT and not flow.state.admin.owed_scan


def test_a_backend_without_cash_answers_with_the_failure_message():
    answer = execute(MemoryBackend(), CreditOwed(3, VALID_CARD))
    assert isinstance(answer, AdminDone) and answer.request == 3
    assert answer.result.message == "admin.cash_failed" and VALID_CARD not in answer.result.detail
