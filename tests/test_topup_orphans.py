"""The orphan sweep: a create the API executes after the kiosk concluded "not created" is found
by a later search and aborted; rows older than a day are left alone (issue 9, finding 11)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hardware.sim.sandbox import Fault
from kiosk.journal import State
from kiosk.topup import Outcome, Reason
from tests.fixtures.sandbox import CARD
from tests.test_cli_topup import run  # noqa: F401 - the fixture


def not_created(env):
    """A top-up whose create runs at the API only after the kiosk gave up on it."""
    env.sandbox.inject("create", Fault.late())
    result = env.service.topup(CARD, 1500)
    assert (result.outcome, result.reason) == (Outcome.NOT_EXECUTED, Reason.NOT_CREATED)
    assert env.sandbox.transactions == []
    assert env.sandbox.commit_late() == 1
    [late] = env.sandbox.transactions
    assert (late["status"], late["merchantRef"]) == ("created", result.reference)
    return result, late


def test_a_late_create_is_found_and_aborted(env):
    result, late = not_created(env)
    assert env.service.sweep_orphans() == [late["id"]]
    assert [s["status"] for s in env.sandbox.transactions] == ["aborted"]
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
    assert [s["status"] for s in env.sandbox.transactions] == ["created"]
    assert env.service.sweep_orphans(force=True) == [late["id"]]


def test_rows_older_than_a_day_are_not_searched(env):
    not_created(env)
    searches = env.sandbox.attempts("search")
    tomorrow = datetime.now(timezone.utc) + timedelta(hours=24, minutes=1)
    assert env.service.sweep_orphans(force=True, now=tomorrow) == []
    assert env.sandbox.attempts("search") == searches
    assert [s["status"] for s in env.sandbox.transactions] == ["created"]


def test_kiosk_recover_sweeps_orphans(run, sandbox):
    sandbox.inject("create", Fault.late())
    code, out, _ = run("topup", "--card", CARD, "--amount", "15")
    assert code == 1 and "reason: not_created" in out
    sandbox.commit_late()
    code, out, _ = run("recover")
    [late] = sandbox.transactions
    assert code == 0 and out == (f"aborted late transaction {late['id']} of a top-up found "
                                 "not created\nnothing to recover\n")
    assert late["status"] == "aborted"
