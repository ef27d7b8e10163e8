"""Money-path review: cases where a top-up could be left open for good."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from hardware.sim.sandbox import Fault
from kiosk.flow_events import Recovering
from kiosk.journal import State
from kiosk.monitor import Supervisor
from kiosk.secuconnect.models import ModelError, SmartTransaction
from kiosk.topup import Outcome, Reason
from tests.fixtures.sandbox import CARD, FUNDED_CARD
from tests.test_topup_env import make_service


class Crash(BaseException):
    """The process dying right after a journal commit, in-process. A BaseException, as
    nothing in a dying process handles its death."""


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


def test_running_kiosk_settles_an_unresolved_top_up_without_a_restart(env):
    # A top-up handed out a claim slip (the API did not answer in time); its row stays open
    # and every later customer is refused until it is settled. The running kiosk must settle
    # it once the API is back, not only at the next boot.
    events = []
    settled = threading.Event()

    def post(event):
        events.append(event)
        if event == Recovering(False):
            settled.set()

    supervisor = Supervisor(env.service, env.client.ping, post, interval=0.05).start()
    try:
        assert supervisor.recovered.wait(10)
        env.service.resolve_timeout_s = 0.3
        env.sandbox.inject("start", Fault.drop_after_commit())
        env.sandbox.inject("get", Fault.drop_before_commit(), times=1000)
        result = env.service.topup(CARD, 1500)
        assert (result.outcome, result.reason) == (Outcome.UNRESOLVED, Reason.UNRESOLVED_START)
        env.sandbox.faults.clear()
        supervisor.nudge()
        assert settled.wait(10), "the unresolved top-up was never settled while running"
        assert Recovering(True) in events
        row = env.journal.get(result.reference)
        assert row.state is State.RECEIPT_OWED and env.credits() == [1500]
        assert env.service.topup(FUNDED_CARD, 1000).credited
    finally:
        supervisor.stop()
    for row in env.journal.recent():
        if row.state is State.CONFIRMED:
            env.service.receipt_printed(row.reference)


def test_recovery_never_touches_the_top_up_in_progress(env):
    # A customer's cashless top-up waits at the terminal (row STARTING): a recovery asked for
    # meanwhile must leave it alone (no read-and-abort racing the customer's payment), and a
    # second top-up is refused while it runs.
    env.sandbox.terminal(wait=30.0)
    results = []
    worker = threading.Thread(
        target=lambda: results.append(env.service.topup(CARD, 2000, start_type="cashless")))
    worker.start()
    try:
        assert env.sandbox.terminal_waiting.wait(10)
        assert env.service.recover(wait=False) == []   # the row in progress is not its own
        assert env.service.topup(FUNDED_CARD, 1000).reason is Reason.RECOVERY_PENDING
        assert env.sandbox.attempts("get") == 0 and env.sandbox.attempts("abort") == 0
    finally:
        env.sandbox.release_terminal("ok")
        worker.join(10)
    [result] = results
    assert result.credited and env.credits() == [2000]
    env.service.receipt_printed(result.reference)


SEED = json.loads((Path(__file__).parent / "fixtures" / "seed-start-cash-response.json")
                  .read_text(encoding="utf-8"))
# Every top-level field replaced by a value of each JSON kind (and nested odd shapes).
ODD_VALUES = (None, 0, 5, -1, 1.5, True, "", "x", [], [1], ["x"], [[1]], [{"value": 5}], {},
              {"a": 1}, {"sum": "x", "currency": 5}, [{"merchantcard": 5}],
              [{"type": "textline", "value": {"decoration": 5}}])


@pytest.mark.parametrize("field", sorted(SEED))
def test_odd_transaction_answer_is_a_model_error_never_a_crash(field):
    # An answer the client cannot read must become "outcome unknown" (ModelError), not an
    # exception that escapes the procedure with the money open (and stops recovery).
    for value in ODD_VALUES:
        try:
            SmartTransaction.from_json(dict(SEED, **{field: value}))
        except ModelError:
            pass
