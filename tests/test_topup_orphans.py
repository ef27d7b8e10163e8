"""The orphan sweep: a create the API executes after the kiosk concluded "not created" is found
by a later (quoted) search, aborted and read back; rows older than a day are left alone."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hardware.sim.sandbox import Fault
from kiosk.journal import State
from kiosk.topup import Outcome, Reason
from tests.fixtures.sandbox import CARD
from tests.test_cli_topup import run  # noqa: F401 - the fixture


def not_created(env):
    """A top-up whose creates (the first and the one under a new reference) run at the API
    only after the kiosk gave up on them; the transaction of the second, the customer's."""
    env.sandbox.inject("create", Fault.late(), times=2)
    result = env.service.topup(CARD, 1500)
    assert (result.outcome, result.reason) == (Outcome.NOT_EXECUTED, Reason.NOT_CREATED)
    assert env.sandbox.transactions == []
    assert env.sandbox.commit_late() == 2
    first, late = env.sandbox.transactions
    assert (late["status"], late["merchantRef"]) == ("created", result.reference)
    assert first["status"] == "created" and first["merchantRef"] != result.reference
    return result, late


def test_a_late_create_is_found_and_aborted(env):
    result, late = not_created(env)
    first = env.sandbox.transactions[0]
    assert sorted(env.service.sweep_orphans()) == sorted([first["id"], late["id"]])
    assert [s["status"] for s in env.sandbox.transactions] == ["aborted", "aborted"]
    # Cleanup only: the row keeps its outcome, nothing moved.
    row = env.journal.get(result.reference)
    assert (row.state, row.reason) == (State.NOT_EXECUTED, "not_created")
    assert env.sandbox.ledger == []
    # Dealt with: later sweeps neither search for it again nor abort anything.
    searches = env.sandbox.attempts("search")
    assert env.service.sweep_orphans(force=True) == []
    assert env.sandbox.attempts("search") == searches


def test_the_sweep_runs_at_most_once_per_interval_unless_forced(env):
    result, late = not_created(env)
    env.sandbox.inject("search", Fault.drop_before_commit())
    assert env.service.sweep_orphans() == []   # API away: try again later
    assert env.service.sweep_orphans() == []   # too soon: no request at all
    assert [s["status"] for s in env.sandbox.transactions] == ["created", "created"]
    assert late["id"] in env.service.sweep_orphans(force=True)


def test_rows_older_than_a_day_are_not_searched(env):
    not_created(env)
    searches = env.sandbox.attempts("search")
    tomorrow = datetime.now(timezone.utc) + timedelta(hours=24, minutes=1)
    assert env.service.sweep_orphans(force=True, now=tomorrow) == []
    assert env.sandbox.attempts("search") == searches
    assert [s["status"] for s in env.sandbox.transactions] == ["created", "created"]


def test_kiosk_recover_sweeps_orphans(run, sandbox):
    sandbox.inject("create", Fault.late(), times=2)
    code, out, _ = run("topup", "--card", CARD, "--amount", "15")
    assert code == 1 and "reason: not_created" in out
    sandbox.commit_late()
    code, out, _ = run("recover")
    lates = sandbox.transactions
    assert code == 0 and sorted(out.splitlines()) == sorted(
        [f"aborted late transaction {late['id']} of a top-up found not created"
         for late in lates] + ["nothing to recover"])
    assert [late["status"] for late in lates] == ["aborted", "aborted"]


def test_an_orphan_abort_counts_only_once_a_read_confirms_it(env):
    # The abort answers `{"result": true}` but the transaction stays `created` (the API did not
    # do it): the sweep does not report it aborted and tries again at the next sweep.
    result, late = not_created(env)
    env.sandbox.state.cancel_shape = "result"
    env.sandbox.state.unheeded = 2
    assert env.service.sweep_orphans(force=True) == []
    assert [s["status"] for s in env.sandbox.transactions] == ["created", "created"]
    env.sandbox.state.unheeded = 0
    assert len(env.service.sweep_orphans(force=True)) == 2
    assert [s["status"] for s in env.sandbox.transactions] == ["aborted", "aborted"]
