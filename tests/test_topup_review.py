"""Money-path review: cases where a top-up could be left open for good."""

from __future__ import annotations

import pytest

from hardware.sim.sandbox import Fault
from kiosk.journal import State
from kiosk.topup import Outcome, Reason
from tests.fixtures.sandbox import CARD
from tests.test_topup_env import make_service


class Crash(Exception):
    """The process dying right after a journal commit, in-process."""


def crash_at(at: State):
    def die(state):
        if state is at:
            raise Crash()
    return die


class PauseLimit(Exception):
    """Recovery kept pausing far beyond what settling this row needs."""


def counting_sleep(limit: int):
    pauses = [0]

    def sleep(seconds):
        pauses[0] += 1
        if pauses[0] > limit:
            raise PauseLimit()
    return sleep


def test_refused_abort_is_sent_again_so_recovery_ends(env):
    # The API refuses the first abort of a transaction start was never sent for (e.g. a
    # request limit): the transaction stays "created". Recovery must try the abort again,
    # not read "created" for ever while the kiosk turns every customer away.
    service = make_service(env.client, env.journal, env.config, sleep=counting_sleep(50))
    with pytest.raises(Crash):
        service.topup(CARD, 2000, on_progress=crash_at(State.CREATED))
    env.sandbox.inject("abort", Fault.refuse("ProductSecurityException", status=429))
    [result] = service.recover()
    assert (result.outcome, result.reason) == (Outcome.NOT_EXECUTED, Reason.INTERRUPTED)
    assert env.sandbox.attempts("abort") == 2 and env.sandbox.attempts("start") == 0
    assert [s["status"] for s in env.sandbox.transactions] == ["aborted"]
    assert env.journal.unfinished() == [] and env.sandbox.ledger == []


def test_abort_refused_for_good_becomes_a_claim_during_recovery(env):
    now = [0.0]

    def sleep(seconds):
        now[0] += seconds

    service = make_service(env.client, env.journal, env.config, stuck_after_s=600.0,
                           backoff_base_s=1.0, backoff_max_s=60.0, sleep=sleep,
                           monotonic=lambda: now[0])
    with pytest.raises(Crash):
        service.topup(CARD, 2000, on_progress=crash_at(State.CREATED))
    env.sandbox.inject("abort", Fault.refuse("ProductInternalException", status=400), times=1000)
    [result] = service.recover()
    assert (result.outcome, result.reason) == (Outcome.UNRESOLVED, Reason.STUCK_IN_PROGRESS)
    assert now[0] >= 600.0 and env.sandbox.attempts("abort") > 1
    assert env.sandbox.attempts("start") == 0 and env.sandbox.ledger == []
    assert env.journal.unfinished() == []
