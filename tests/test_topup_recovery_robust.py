"""Recovery that never dies: a back-off that stays capped after any number of pauses, and no
exception escaping `recover()` unlogged (issue 9, finding 1)."""

from __future__ import annotations

import logging

from hardware.sim.sandbox import Fault
from kiosk.journal import State
from kiosk.topup.backoff import Backoff
from tests.fixtures.sandbox import CARD
from tests.test_topup_env import make_service


def test_backoff_stays_capped_and_jittered_after_any_number_of_pauses():
    # base * 2**attempt overflowed a float after ~1,024 pauses (the API down for ~4 hours).
    delays: list[float] = []
    clock = Backoff(delays.append, 0.5, 15.0)
    for _ in range(5000):
        clock.pause()
    assert len(delays) == 5000
    assert max(delays) <= 15.0
    steady = delays[100:]
    assert min(steady) >= 15.0 / 2   # jitter spreads a fleet's retries, never to zero
    assert len(set(steady)) > 100    # ... and does spread them
    assert delays[0] <= 0.5 and delays[0] < delays[8]   # it still grows from the base


def test_an_exception_inside_recovery_is_logged_and_recovery_can_run_again(env, caplog):
    env.service.resolve_timeout_s = 0.2
    env.sandbox.inject("start", Fault.drop_after_commit())
    env.sandbox.inject("get", Fault.drop_before_commit(), times=1000)
    claim = env.service.topup(CARD, 1500)
    assert env.journal.get(claim.reference).state is State.UNKNOWN

    def broken_sleep(seconds: float) -> None:
        raise RuntimeError("clock broke")

    env.service._sleep = broken_sleep
    with caplog.at_level(logging.ERROR, logger="kiosk.topup"):
        assert env.service.recover() == []
    [record] = [r for r in caplog.records if r.exc_info]
    assert claim.reference in record.getMessage() and "clock broke" in str(record.exc_info[1])
    assert env.journal.get(claim.reference).state is State.UNKNOWN   # kept for the next run
    assert not env.service.busy
    env.sandbox.faults.clear()
    env.service._sleep = None
    [settled] = env.service.recover()
    assert settled.credited and env.credits() == [1500]
    env.service.receipt_printed(settled.reference)
