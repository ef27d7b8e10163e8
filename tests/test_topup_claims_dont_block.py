"""Claims don't block: an unresolved top-up handed to its customer as a claim no longer keeps
the next customer out while recovery settles it; a row without a claim blocks only until
recovery hands it over (issue 9, finding 10)."""

from __future__ import annotations

import threading

import pytest

from hardware.sim.sandbox import Fault
from kiosk.journal import State
from kiosk.topup import Outcome, Reason
from tests.fixtures.sandbox import CARD, FUNDED_CARD
from tests.test_topup_env import make_service


class Crash(BaseException):
    """The process dying right after a journal commit, in-process."""


def test_a_claim_being_settled_does_not_keep_the_next_customer_out(env):
    service = env.service
    service.resolve_timeout_s = 0.2
    env.sandbox.inject("start", Fault.drop_after_commit())
    env.sandbox.inject("get", Fault.drop_before_commit(), times=100_000)
    claim = service.topup(CARD, 1500)
    assert claim.outcome is Outcome.UNRESOLVED
    # Recovery works on the claim in the background and keeps failing to read it.
    stop, pausing = threading.Event(), threading.Event()

    def sleep(seconds: float) -> None:
        pausing.set()
        stop.wait()

    service._sleep = sleep
    recovery = threading.Thread(target=service.recover, args=(stop,))
    recovery.start()
    try:
        assert pausing.wait(10)
        served = service.topup(FUNDED_CARD, 1000)
        assert served.credited, served
        service.receipt_printed(served.reference)
    finally:
        stop.set()
        recovery.join(10)
    env.sandbox.faults.clear()
    service._sleep = None
    [settled] = service.recover()
    assert settled.reference == claim.reference and settled.credited
    assert env.credits() == [1500] and env.credits(FUNDED_CARD) == [1000]


def test_a_row_without_a_claim_blocks_only_until_recovery_hands_it_over(env):
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    service = make_service(env.client, env.journal, env.config, resolve_timeout_s=30.0,
                           backoff_base_s=1.0, backoff_max_s=8.0, sleep=sleep,
                           monotonic=lambda: now[0])

    def die(state: State) -> None:
        if state is State.STARTING:
            raise Crash()

    with pytest.raises(Crash):
        service.topup(CARD, 2000, on_progress=die)
    env.sandbox.inject("get", Fault.drop_before_commit(), times=100_000)
    assert service.topup(FUNDED_CARD, 1000).reason is Reason.RECOVERY_PENDING
    # Before the first customer: recovery tries for resolve_timeout_s, then hands the row
    # over as a claim and leaves it to the background.
    assert service.recover(claims=False) == []
    [row] = env.journal.unfinished()
    assert (row.state, row.reason) == (State.UNKNOWN, "unresolved_start")
    assert 30.0 <= now[0] <= 30.0 + 8.0
    served = service.topup(FUNDED_CARD, 1000)
    assert served.credited
    service.receipt_printed(served.reference)
    env.sandbox.faults.clear()
    [settled] = service.recover()
    # Start was never sent: abandoned, nobody charged.
    assert (settled.outcome, settled.reason) == (Outcome.NOT_EXECUTED, Reason.INTERRUPTED)
    assert env.credits() == [] and env.sandbox.attempts("start") == 1
