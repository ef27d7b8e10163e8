"""A lost start/cashless answer: the transaction is never aborted while the terminal may still
be taking the customer's payment; a lost start/cash answer is settled at once."""

from __future__ import annotations

from hardware.sim.sandbox import Fault
from kiosk.journal import State
from kiosk.topup import Outcome, Reason
from tests.fixtures.sandbox import CARD
from tests.test_topup_env import make_service


class FakeClock:
    """Time that passes only when the procedure pauses: long waits cost nothing."""

    def __init__(self) -> None:
        self.now = 0.0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def test_lost_cashless_start_is_not_aborted_within_the_terminal_window(env):
    window = env.config.api.start_cashless_timeout
    clock = FakeClock()
    service = make_service(env.client, env.journal, env.config, sleep=clock.sleep,
                           monotonic=clock.monotonic, resolve_timeout_s=window / 2,
                           backoff_max_s=1.0)
    # start's answer is lost and the server did nothing: the transaction reads "created".
    env.sandbox.inject("start", Fault.drop_before_commit())
    result = service.topup(CARD, 1500, start_type="cashless")
    # On the spot the kiosk cannot know whether the terminal is still busy: a claim, no abort.
    assert result.outcome is Outcome.UNRESOLVED
    assert env.sandbox.attempts("abort") == 0
    assert [s["status"] for s in env.sandbox.transactions] == ["created"]
    assert env.journal.get(result.reference).state is State.UNKNOWN

    # Recovery waits out the terminal window, then abandons the transaction.
    before = clock.now
    [settled] = service.recover()
    assert clock.now - before >= window
    assert (settled.outcome, settled.reason) == (Outcome.NOT_EXECUTED, Reason.INTERRUPTED)
    assert env.sandbox.attempts("abort") == 1
    assert [s["status"] for s in env.sandbox.transactions] == ["aborted"]
    assert env.sandbox.ledger == [] and env.journal.unfinished() == []


def test_lost_cash_start_is_aborted_after_a_few_reads(env):
    clock = FakeClock()
    service = make_service(env.client, env.journal, env.config, sleep=clock.sleep,
                           monotonic=clock.monotonic)
    env.sandbox.inject("start", Fault.drop_before_commit())
    result = service.topup(CARD, 1500, start_type="cash")
    assert (result.outcome, result.reason) == (Outcome.NOT_EXECUTED, Reason.ABORTED)
    assert env.sandbox.attempts("abort") == 1 and env.sandbox.ledger == []
    assert clock.now < env.config.api.start_cashless_timeout
