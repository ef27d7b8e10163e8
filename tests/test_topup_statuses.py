"""Statuses are free strings: every documented status and unknown ones, at each point of the
procedure where the kiosk reads one (start answer, read after a lost answer, recovery, the
reversal's read, the orphan sweep). Only `ok` credits; `failed`/`aborted` are not executed;
`cancelled` is reversed; every other word is read again, then claimed - never failed."""

from __future__ import annotations

import pytest

from hardware.sim.sandbox import Fault
from kiosk.journal import State
from kiosk.secuconnect.errors import ApiError
from kiosk.secuconnect.models import DOCUMENTED_STATUSES
from kiosk.topup import Outcome, Reason
from tests.fixtures.sandbox import CARD
from tests.test_topup_env import make_service

UNKNOWN_WORDS = ("finished", "timeout", "deleted", "OK", "in_progress", "canceled_by_terminal")
STATUSES = DOCUMENTED_STATUSES + ("canceled",) + UNKNOWN_WORDS
# Written out, not derived from the code: what each word means once a start was sent.
SETTLES = {
    "ok": (Outcome.CONFIRMED, None),
    "failed": (Outcome.NOT_EXECUTED, Reason.PAYMENT_DECLINED),
    "aborted": (Outcome.NOT_EXECUTED, Reason.ABORTED),
    "cancelled": (Outcome.NOT_EXECUTED, Reason.PAYMENT_REVERSED),
    "canceled": (Outcome.NOT_EXECUTED, Reason.PAYMENT_REVERSED),
    # "created" after a sent start: read a few times, aborted, and the read confirms it
    "created": (Outcome.NOT_EXECUTED, Reason.ABORTED),
}


def fast_service(env, **kw):
    """The env's service on a fake clock: pauses cost no real time."""
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    options = dict(resolve_timeout_s=30.0, stuck_after_s=600.0, backoff_base_s=1.0,
                   backoff_max_s=10.0, sleep=sleep, monotonic=lambda: now[0])
    options.update(kw)
    return make_service(env.client, env.journal, env.config, **options)


def the_stx(env, reference):
    return next(s for s in env.sandbox.transactions if s["merchantRef"] == reference)


def settle(env, service, result, status="failed"):
    """The server settles an open top-up at last and recovery reads it (the env fixture
    wants every row settled: no full card number left on disk)."""
    env.sandbox.state.set_status(the_stx(env, result.reference)["id"], status)
    [recovered] = service.recover()
    assert recovered.outcome is Outcome.NOT_EXECUTED


def check(env, service, result, status):
    """The outcome `status` must lead to, and the money to match it."""
    outcome, reason = SETTLES.get(status, (Outcome.UNRESOLVED, Reason.UNRESOLVED_START))
    assert (result.outcome, result.reason) == (outcome, reason), status
    row = env.journal.get(result.reference)
    credits = [c.amount for c in env.sandbox.ledger if c.merchant_ref == result.reference]
    if outcome is Outcome.CONFIRMED:
        assert credits == [1500] and row.state is State.CONFIRMED
    elif outcome is Outcome.NOT_EXECUTED:
        assert credits == [] and row.state is State.NOT_EXECUTED
        assert "not charged" in result.message
    else:
        # Read again, then a claim slip; the row stays open for recovery, no "failed" said.
        assert row.state is State.UNKNOWN and "not charged" not in result.message
        assert env.sandbox.attempts("get") >= 2
        assert env.sandbox.attempts("abort") == 0
        settle(env, service, result)


@pytest.mark.parametrize("status", STATUSES)
def test_status_in_the_start_answer(env, status):
    env.sandbox.state.start_statuses = [status]
    service = fast_service(env)
    check(env, service, service.topup(CARD, 1500), status)
    assert env.sandbox.attempts("start") == 1


@pytest.mark.parametrize("status", STATUSES)
def test_status_read_after_a_lost_start_answer(env, status):
    env.sandbox.state.start_statuses = [status]
    env.sandbox.inject("start", Fault.drop_after_commit())
    service = fast_service(env)
    check(env, service, service.topup(CARD, 1500), status)
    assert env.sandbox.attempts("start") == 1   # never sent twice


@pytest.mark.parametrize("status", STATUSES)
def test_status_read_by_recovery(env, status):
    # A claim slip was handed out for an unsettled word; at recovery the server shows
    # `status`: the same meanings, and a word that never settles ends as a claim for support.
    env.sandbox.state.start_statuses = ["pending"]
    service = fast_service(env)
    first = service.topup(CARD, 1500)
    assert first.outcome is Outcome.UNRESOLVED
    env.sandbox.state.set_status(the_stx(env, first.reference)["id"], status)
    [result] = service.recover()
    outcome, reason = SETTLES.get(status, (Outcome.UNRESOLVED, Reason.STUCK_IN_PROGRESS))
    if status in ("created", "aborted"):
        reason = Reason.INTERRUPTED   # recovery: nobody was waiting any more
    assert (result.outcome, result.reason) == (outcome, reason), status
    state = env.journal.get(first.reference).state
    assert state is {Outcome.CONFIRMED: State.RECEIPT_OWED, Outcome.NOT_EXECUTED:
                     State.NOT_EXECUTED, Outcome.UNRESOLVED: State.CLAIM}[outcome]
    credited = [c.amount for c in env.sandbox.ledger]
    assert credited == ([1500] if outcome is Outcome.CONFIRMED else [])
    assert env.sandbox.attempts("start") == 1


def paid_at_terminal_but_refused(env, status_after_cancel):
    """A cashless start: the terminal approves, the top-up part is refused; the cancel is
    answered but leaves the transaction in `status_after_cancel`."""
    def approve(state):
        if state is State.STARTING:
            row = env.journal.recent()[0]
            env.sandbox.state.set_status(row.stx_id, "approved")

    env.sandbox.inject("start", Fault.refuse("ProductBackendproviderException", code="1003"))
    env.sandbox.state.unheeded = 1 if status_after_cancel != "cancelled" else 0
    return approve


@pytest.mark.parametrize("shape", ["transaction", "result"])
def test_reversal_counts_only_once_a_read_shows_it(env, shape):
    env.sandbox.state.cancel_shape = shape
    approve = paid_at_terminal_but_refused(env, "cancelled")
    result = fast_service(env).topup(CARD, 1500, start_type="cashless", on_progress=approve)
    assert (result.outcome, result.reason) == (Outcome.NOT_EXECUTED, Reason.PAYMENT_REVERSED)
    assert the_stx(env, result.reference)["status"] == "cancelled"
    assert env.sandbox.attempts("cancel") == 1 and env.sandbox.attempts("get") >= 1


@pytest.mark.parametrize("shape", ["transaction", "result"])
def test_accepted_cancel_that_the_read_does_not_show_is_never_called_reversed(env, shape):
    # The API answers the cancel as accepted (either shape) and does nothing: the kiosk keeps
    # reading (never re-sends it) and hands out a claim slip - the journal never says reversed.
    env.sandbox.state.cancel_shape = shape
    approve = paid_at_terminal_but_refused(env, "approved")
    service = fast_service(env)
    result = service.topup(CARD, 1500, start_type="cashless", on_progress=approve)
    assert (result.outcome, result.reason) == (Outcome.UNRESOLVED, Reason.UNRESOLVED_START)
    assert env.journal.get(result.reference).state is State.UNKNOWN
    assert env.sandbox.attempts("cancel") == 1 and env.sandbox.attempts("get") > 2
    settle(env, service, result, "cancelled")   # the reversal shows at last


@pytest.mark.parametrize("code", [1007, "1007"])
def test_loyalty_cancel_refused_with_1007_is_a_claim_not_a_retry_loop(env, code):
    approve = paid_at_terminal_but_refused(env, "cancelled")
    env.sandbox.inject("cancel", Fault.refuse("ProductNotAllowedException", code=code,
                                              details="Could not cancel loyalty transaction"))
    result = fast_service(env).topup(CARD, 1500, start_type="cashless", on_progress=approve)
    assert (result.outcome, result.reason) == (Outcome.UNRESOLVED, Reason.REVERSAL_FAILED)
    assert env.journal.get(result.reference).state is State.CLAIM
    assert env.sandbox.attempts("cancel") == 1 and result.support_id


def test_sandbox_refuses_to_cancel_a_booking_that_is_not_the_cards_last(env):
    # The real API's rule (secuconnect-api.md, Cancel), with codes as text.
    env.sandbox.state.string_codes = True
    service = fast_service(env)
    first, second = service.topup(CARD, 1500), service.topup(CARD, 500)
    with pytest.raises(ApiError) as refused:
        env.client.cancel(the_stx(env, first.reference)["id"])
    assert refused.value.code == 1007 and refused.value.error == "ProductNotAllowedException"
    env.sandbox.state.cancel_selected = True
    answer = env.client.cancel(the_stx(env, first.reference)["id"])
    assert answer.accepted and answer.transaction.reversed
    assert env.sandbox.balance(CARD) == 500
    service.receipt_printed(first.reference)
    service.receipt_printed(second.reference)


@pytest.mark.parametrize("status", STATUSES)
def test_orphan_sweep_aborts_only_created_orphans(env, status):
    env.sandbox.inject("create", Fault.late(), times=2)
    service = fast_service(env)
    result = service.topup(CARD, 1500)
    assert result.reason is Reason.NOT_CREATED
    env.sandbox.commit_late()
    with env.sandbox.state.lock:   # whatever became of them at the API (no credit made here)
        for stx in env.sandbox.state.transactions.values():
            stx["status"] = status
    aborted = service.sweep_orphans(force=True)
    assert len(aborted) == (2 if status == "created" else 0)
    assert env.sandbox.attempts("start") == 0
    assert env.journal.get(result.reference).state is State.NOT_EXECUTED
