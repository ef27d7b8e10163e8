"""Cashless starts at the card terminal, and the cases that end in a claim for support."""

from __future__ import annotations

import threading

import pytest

from hardware.sim.sandbox import Fault
from kiosk.journal import State
from kiosk.topup import Outcome, Reason
from tests.fixtures.sandbox import CARD
from tests.test_topup_env import make_service


class Crash(BaseException):
    """The process dying right after a journal commit, in-process. A BaseException, as
    nothing in a dying process handles its death."""


def crash_at(at: State):
    def die(state):
        if state is at:
            raise Crash()
    return die


def stx_of(env, reference):
    with env.sandbox.state.lock:
        return next(s for s in env.sandbox.state.transactions.values()
                    if s["merchantRef"] == reference)


def test_cashless_start_is_committed_before_the_customer_pays(env):
    env.sandbox.terminal(wait=30.0)
    results = []
    worker = threading.Thread(
        target=lambda: results.append(env.service.topup(CARD, 2000, start_type="cashless")))
    worker.start()
    assert env.sandbox.terminal_waiting.wait(10)
    [row] = env.journal.recent()
    assert row.state is State.STARTING and row.start_type == "cashless"
    env.sandbox.release_terminal("ok")
    worker.join(10)
    [result] = results
    assert result.credited and result.new_balance == 2000
    env.service.receipt_printed(result.reference)


def test_cashless_declined_at_the_terminal(env):
    env.sandbox.terminal(outcome="failed")
    result = env.service.topup(CARD, 2000, start_type="cashless")
    assert (result.outcome, result.reason) == (Outcome.NOT_EXECUTED, Reason.PAYMENT_DECLINED)
    assert env.sandbox.ledger == []


def test_unknown_start_type_is_refused_before_writing(env):
    with pytest.raises(ValueError, match="start type"):
        env.service.topup(CARD, 2000, start_type="crypto")
    assert env.journal.recent() == []


def test_payment_taken_but_topup_refused_and_reversal_refused_is_a_claim(env):
    # The terminal approved the payment, the top-up part was refused, and the API will not
    # cancel: a claim, settled by support; the card number is erased all the same.
    def approve_payment(state):
        if state is State.STARTING:
            row = env.journal.recent()[0]
            with env.sandbox.state.lock:
                env.sandbox.state.transactions[row.stx_id]["status"] = "approved"

    env.sandbox.inject("start", Fault.refuse("ProductBackendproviderException", status=400))
    env.sandbox.inject("cancel", Fault.refuse("ProductNotAllowedException", code=1007))
    result = env.service.topup(CARD, 2000, start_type="cashless", on_progress=approve_payment)
    assert (result.outcome, result.reason) == (Outcome.UNRESOLVED, Reason.REVERSAL_FAILED)
    assert "not charged" not in result.message and result.support_id
    row = env.journal.get(result.reference)
    assert row.state is State.CLAIM and row.card_number is None
    assert env.sandbox.attempts("cancel") == 1 and env.sandbox.ledger == []


def test_server_holding_a_different_amount_is_a_claim(env):
    with pytest.raises(Crash):
        env.service.topup(CARD, 2000, on_progress=crash_at(State.STARTING))
    ref = env.journal.recent()[0].reference
    with env.sandbox.state.lock:
        stx_of(env, ref)["basket_info"]["sum"] = 9900
    [result] = env.service.recover()
    assert (result.outcome, result.reason) == (Outcome.UNRESOLVED, Reason.SERVER_MISMATCH)
    assert env.journal.get(ref).state is State.CLAIM
    assert env.sandbox.attempts("abort") == 0


def test_transaction_stuck_in_progress_becomes_a_claim_during_recovery(env):
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    service = make_service(env.client, env.journal, env.config, stuck_after_s=600.0,
                           backoff_base_s=1.0, backoff_max_s=60.0, sleep=sleep,
                           monotonic=lambda: now[0])
    with pytest.raises(Crash):
        service.topup(CARD, 2000, on_progress=crash_at(State.STARTING))
    ref = env.journal.recent()[0].reference
    with env.sandbox.state.lock:
        stx_of(env, ref)["status"] = "processing"
    [result] = service.recover()
    assert (result.outcome, result.reason) == (Outcome.UNRESOLVED, Reason.STUCK_IN_PROGRESS)
    assert now[0] >= 600.0 and env.sandbox.attempts("abort") == 0
    assert env.journal.get(ref).state is State.CLAIM and env.journal.unfinished() == []


def test_crash_before_start_is_aborted_on_recovery(env):
    with pytest.raises(Crash):
        env.service.topup(CARD, 2000, on_progress=crash_at(State.CREATED))
    [result] = env.service.recover()
    assert (result.outcome, result.reason) == (Outcome.NOT_EXECUTED, Reason.INTERRUPTED)
    assert env.sandbox.attempts("start") == 0
    assert [s["status"] for s in env.sandbox.transactions] == ["aborted"]
