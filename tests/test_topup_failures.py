"""An unexpected exception inside a top-up after its journal row exists: the caller still gets
the row's reference, "not charged" when nothing was sent, and the truth when money moved
(issue 9, finding 5)."""

from __future__ import annotations

import logging

from kiosk.journal import State
from kiosk.topup import Outcome, Reason
from tests.fixtures.sandbox import CARD


class Glitch(Exception):
    """A bug somewhere in the kiosk, raised from inside the procedure."""


def fail_at(at: State):
    def progress(state: State) -> None:
        if state is at:
            raise Glitch(f"glitch at {state.value}")
    return progress


def test_failure_before_anything_was_sent_is_not_charged_with_the_reference(env, caplog):
    with caplog.at_level(logging.ERROR, logger="kiosk.topup"):
        result = env.service.topup(CARD, 1500, on_progress=fail_at(State.INTENT))
    assert (result.outcome, result.reason) == (Outcome.NOT_EXECUTED, Reason.INTERRUPTED)
    assert result.reference and "not charged" in result.message
    row = env.journal.get(result.reference)
    assert row.state is State.NOT_EXECUTED and "glitch at INTENT" in row.last_error
    assert env.sandbox.attempts("create") == 0
    assert any(r.exc_info and result.reference in r.getMessage() for r in caplog.records)
    assert not env.service.busy


def test_failure_after_a_request_left_is_a_claim_with_the_reference(env):
    result = env.service.topup(CARD, 1500, on_progress=fail_at(State.STARTING))
    assert (result.outcome, result.reason) == (Outcome.UNRESOLVED, Reason.UNRESOLVED_START)
    assert result.reference and result.stx_id
    row = env.journal.get(result.reference)
    assert row.state is State.UNKNOWN and "glitch at STARTING" in row.last_error
    # Start was never sent: recovery abandons the transaction, nobody was charged.
    [settled] = env.service.recover()
    assert settled.reference == result.reference and settled.outcome is Outcome.NOT_EXECUTED
    assert env.sandbox.attempts("start") == 0 and env.sandbox.ledger == []


def test_failure_after_the_credit_still_says_credited(env):
    result = env.service.topup(CARD, 1500, on_progress=fail_at(State.CONFIRMED))
    assert result.credited and result.reference and env.credits() == [1500]
    assert env.journal.get(result.reference).state is State.CONFIRMED
    env.service.receipt_printed(result.reference)
