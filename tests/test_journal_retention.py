"""Retention, incremental vacuum, the free-space floor and the query plans of the hot queries."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from kiosk.config import JournalConfig
from kiosk.journal import Journal, State
from kiosk.journal_maint import (
    MIB,
    StorageWatch,
    free_bytes,
    journal_bytes,
    prune,
    storage_problem,
)
from kiosk.secuconnect.models import ReceiptLine

CARD = "9276004429942845"
NOW = datetime.now(timezone.utc)   # StorageWatch prunes against the real clock
RECEIPT = [ReceiptLine(type="textline", text=f"line {i} " + "r" * 60) for i in range(20)]
PATHS = {   # how each state is reached from INTENT
    State.DONE: [State.CREATED, State.STARTING, State.CONFIRMED, State.DONE],
    State.RECEIPT_OWED: [State.CREATED, State.STARTING, State.CONFIRMED, State.RECEIPT_OWED],
    State.CONFIRMED: [State.CREATED, State.STARTING, State.CONFIRMED],
    State.NOT_EXECUTED: [State.NOT_EXECUTED],
    State.CLAIM: [State.CREATED, State.STARTING, State.CLAIM],
    State.UNKNOWN: [State.CREATED, State.STARTING, State.UNKNOWN],
    State.INTENT: [],
}


def _row(journal: Journal, state: State, days_old: float) -> str:
    ref = journal.begin(card_number=CARD, amount=100, currency="EUR",
                        start_type="cash").reference
    for step in PATHS[state]:
        journal.advance(ref, step, receipt=RECEIPT if step is State.CONFIRMED else None)
    stamp = (NOW - timedelta(days=days_old)).isoformat(timespec="milliseconds")
    # Ageing a row is test set-up: written through a second connection on the real file.
    db = sqlite3.connect(journal.path)
    db.execute("UPDATE topups SET updated_at = ?, created_at = ? WHERE reference = ?",
               (stamp, stamp, ref))
    db.commit()
    db.close()
    return ref


@pytest.fixture
def journal(tmp_path):
    with Journal.open_in(tmp_path / "state") as j:
        yield j


def test_prune_removes_old_settled_rows_and_receipts_only(journal):
    old = {state: _row(journal, state, 500) for state in PATHS}
    middle = _row(journal, State.DONE, 200)
    recent = _row(journal, State.DONE, 10)
    result = prune(journal, JournalConfig(), now=NOW)
    assert result.rows == 3 and result.receipts == 1
    for state in (State.DONE, State.NOT_EXECUTED, State.CLAIM):
        assert journal.get(old[state]) is None
    # Open rows keep everything, however old: money may be moving, a receipt may be owed.
    for state in (State.RECEIPT_OWED, State.CONFIRMED, State.UNKNOWN, State.INTENT):
        row = journal.get(old[state])
        assert row is not None and row.state is state
    assert journal.get(old[State.RECEIPT_OWED]).receipt
    assert journal.get(middle).receipt == () and journal.get(middle).state is State.DONE
    assert len(journal.get(recent).receipt) == len(RECEIPT)
    counts = journal.counts()
    assert counts[State.DONE] == 2 and counts[State.NOT_EXECUTED] == 0
    assert sum(counts.values()) == len(journal.recent(100))
    assert prune(journal, JournalConfig(), now=NOW).rows == 0    # nothing left to do


def test_prune_gives_the_space_back(journal):
    refs = [_row(journal, State.DONE, 500) for _ in range(300)]
    grown = journal_bytes(journal.path)
    result = prune(journal, JournalConfig(), now=NOW)
    assert result.rows == len(refs)
    assert journal_bytes(journal.path) < grown / 2
    assert journal._db.execute("PRAGMA freelist_count").fetchone()[0] == 0


def test_an_old_journal_is_switched_to_incremental_vacuum(journal):
    db = sqlite3.connect(journal.path)
    db.executescript("PRAGMA auto_vacuum=NONE; VACUUM;")
    assert db.execute("PRAGMA auto_vacuum").fetchone()[0] == 0
    db.close()
    _row(journal, State.DONE, 500)
    prune(journal, JournalConfig(), now=NOW)
    assert journal._db.execute("PRAGMA auto_vacuum").fetchone()[0] == 2


def test_free_space_floor(tmp_path):
    free_mb = free_bytes(tmp_path) // MIB
    assert storage_problem(tmp_path, 1) is None
    problem = storage_problem(tmp_path, free_mb + 1024)
    assert problem is not None and str(tmp_path) in problem and "min_free_mb" in problem


def test_storage_watch_prunes_at_start_and_then_daily(journal):
    now = [0.0]
    watch = StorageWatch(journal, replace(JournalConfig(), retention_days=1),
                         clock=lambda: now[0])
    _row(journal, State.DONE, 2)
    assert watch.check() is None
    assert journal.recent() == []                       # pruned at the first check
    _row(journal, State.DONE, 2)
    now[0] = 3600.0
    watch.check()
    assert len(journal.recent()) == 1                   # not again within the day
    now[0] = 24 * 3600.0
    watch.check()
    assert journal.recent() == []
    floor = free_bytes(journal.path.parent) // MIB + 1024
    assert "min_free_mb" in StorageWatch(journal, JournalConfig(min_free_mb=floor)).check()


def test_hot_queries_use_an_index(journal):
    for state in PATHS:
        _row(journal, state, 1)
    seen: list[str] = []
    journal._db.set_trace_callback(seen.append)
    journal.get("no-such-reference")
    journal.unfinished()
    journal.receipts_owed()
    journal.last_receipt()
    journal.recent()
    journal.counts()
    journal.not_executed_since("not_created", "2026-01-01T00:00:00+00:00")   # orphan sweep
    prune(journal, JournalConfig(), now=NOW)
    journal._db.set_trace_callback(None)
    queries = [q for q in seen if q.lstrip().upper().startswith(("SELECT", "DELETE", "UPDATE"))
               and "topups" in q]
    assert len(queries) >= 7
    plans = {query: [row[3] for row in journal._db.execute("EXPLAIN QUERY PLAN " + query)]
             for query in queries}
    for query, plan in plans.items():
        assert not any("TEMP B-TREE" in step for step in plan if "ORDER BY" in query
                       and "LIMIT" in query), (query, plan)
        for step in plan:
            if step.startswith("SCAN") and "INDEX" not in step:
                if query.startswith("DELETE FROM receipts"):
                    # Daily receipt retention reads the receipts, oldest first: at most
                    # receipt_retention_days of them, never the whole journal.
                    assert step == "SCAN receipts", (query, plan)
                    continue
                # Else only reading the newest rows backwards by rowid, stopping at the limit.
                assert "DESC LIMIT" in query, (query, plan)
                assert step in ("SCAN topups", "SCAN receipts"), (query, plan)
        assert any("INDEX" in step or "PRIMARY KEY" in step or "DESC LIMIT" in query
                   for step in plan), (query, plan)
    # Rows per state come from the trigger-kept table, never from counting topups.
    assert not any("GROUP BY" in q for q in queries)


def test_a_vacuum_step_frees_many_pages_at_once(journal):
    """PRAGMA incremental_vacuum through execute() frees one page per call: 170 s of commits
    for a 100k-row journal's first retention run, instead of about one second."""
    for _ in range(200):
        _row(journal, State.DONE, 500)
    prune(journal, JournalConfig(), now=NOW)     # vacuums to the end
    for _ in range(200):
        _row(journal, State.DONE, 500)
    with journal.maintenance() as db:
        db.execute("DELETE FROM topups")
    free = journal._db.execute("PRAGMA freelist_count").fetchone()[0]
    assert free > 40
    assert journal.vacuum_step(32) == free - 32
    assert journal.vacuum_step(10_000) == 0
