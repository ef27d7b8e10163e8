"""The journal on a real SQLite file: settings, transitions, card-number erasure, queries."""

import os
import sqlite3
import stat
import threading

import pytest

from kiosk.journal import (
    FINAL,
    MONEY_OPEN,
    TRANSITIONS,
    Journal,
    JournalError,
    State,
)
from kiosk.secuconnect.models import ReceiptLine

CARD = "9276004429942845"


@pytest.fixture
def journal(tmp_path):
    with Journal.open_in(tmp_path / "state") as j:
        yield j


def test_sqlite_settings(journal):
    db = sqlite3.connect(journal.path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()
    # synchronous and secure_delete are per connection: read them on the journal's own.
    assert journal._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert journal._db.execute("PRAGMA secure_delete").fetchone()[0] == 1
    assert journal._db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    assert stat.S_IMODE(os.stat(journal.path).st_mode) == 0o600


def test_begin_commits_intent_with_card_number(journal):
    row = journal.begin(card_number=CARD, amount=1500, currency="EUR", start_type="cash")
    assert row.state is State.INTENT and row.card_number == CARD
    assert row.card_masked == "9276 •••• •••• 2845"
    assert len(row.reference) == 36 and row.created_at.endswith("+00:00")
    # Visible from another connection: it is committed, not just buffered.
    other = sqlite3.connect(journal.path)
    assert other.execute("SELECT state FROM topups").fetchall() == [("INTENT",)]
    other.close()


def test_happy_path_erases_card_number_when_settled(journal):
    row = journal.begin(card_number=CARD, amount=1500, currency="EUR", start_type="cash")
    ref = row.reference
    journal.advance(ref, State.CREATED, stx_id="STX_1")
    assert journal.get(ref).card_number == CARD
    journal.advance(ref, State.STARTING)
    lines = [ReceiptLine(type="name-value", name="Kartennummer:", value=CARD),
             ReceiptLine(type="textline", text="15,00 EUR", decorations=("important",))]
    done = journal.advance(ref, State.CONFIRMED, trans_id="29218171", receipt=lines,
                           new_balance=1500)
    assert done.card_number is None
    assert done.receipt[0].value == "9276 •••• •••• 2845"
    assert done.receipt[1] == lines[1]
    assert done.new_balance == 1500 and done.stx_id == "STX_1" and done.trans_id == "29218171"
    assert journal.unfinished() == [done]
    journal.advance(ref, State.DONE)
    assert journal.unfinished() == []
    assert journal.last_receipt().reference == ref


def test_illegal_transitions_are_refused(journal):
    ref = journal.begin(card_number=CARD, amount=500, currency="EUR", start_type="cash").reference
    with pytest.raises(JournalError, match="INTENT -> CONFIRMED"):
        journal.advance(ref, State.CONFIRMED)
    journal.advance(ref, State.NOT_EXECUTED, reason="api_unreachable")
    for state in State:
        with pytest.raises(JournalError, match="refusing transition"):
            journal.advance(ref, state)
    with pytest.raises(JournalError, match="no top-up"):
        journal.advance("nope", State.DONE)


def test_every_settled_state_erases_and_open_states_keep(journal):
    for state in State:
        if state is State.INTENT:
            continue
        path = {
            State.CREATED: [State.CREATED],
            State.STARTING: [State.CREATED, State.STARTING],
            State.UNKNOWN: [State.UNKNOWN],
            State.CONFIRMED: [State.CREATED, State.STARTING, State.CONFIRMED],
            State.RECEIPT_OWED: [State.CREATED, State.STARTING, State.CONFIRMED,
                                 State.RECEIPT_OWED],
            State.DONE: [State.CREATED, State.STARTING, State.CONFIRMED, State.DONE],
            State.NOT_EXECUTED: [State.NOT_EXECUTED],
            State.CLAIM: [State.UNKNOWN, State.CLAIM],
        }[state]
        ref = journal.begin(card_number=CARD, amount=700, currency="EUR",
                            start_type="cash").reference
        for step in path:
            row = journal.advance(ref, step)
        assert (row.card_number is not None) == (state in MONEY_OPEN), state


def test_the_database_refuses_a_settled_row_with_a_card_number(journal):
    ref = journal.begin(card_number=CARD, amount=700, currency="EUR", start_type="cash").reference
    db = sqlite3.connect(journal.path)
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE topups SET state='DONE' WHERE reference=?", (ref,))
    db.close()


def test_errors_are_masked_and_kept(journal):
    ref = journal.begin(card_number=CARD, amount=700, currency="EUR", start_type="cash").reference
    journal.note_error(ref, f"card {CARD} refused", "abc123")
    row = journal.advance(ref, State.NOT_EXECUTED, reason="card_unknown")
    assert CARD not in row.last_error and "2845" in row.last_error
    assert row.support_id == "abc123" and row.reason == "card_unknown"


def test_queries(journal):
    refs = []
    for amount in (500, 600, 700, 800):
        refs.append(journal.begin(card_number=CARD, amount=amount, currency="EUR",
                                  start_type="cash").reference)
    journal.advance(refs[0], State.NOT_EXECUTED)
    journal.advance(refs[1], State.UNKNOWN)
    journal.advance(refs[2], State.CREATED, stx_id="STX_3")
    journal.advance(refs[2], State.STARTING)
    journal.advance(refs[2], State.CONFIRMED, receipt=[ReceiptLine(type="space")])
    journal.advance(refs[2], State.RECEIPT_OWED)
    assert [r.reference for r in journal.unfinished()] == [refs[1], refs[3]]
    assert [r.amount for r in journal.recent(3)] == [800, 700, 600]
    assert journal.recent(0) == []
    assert [r.reference for r in journal.receipts_owed()] == [refs[2]]
    assert journal.last_receipt().reference == refs[2]
    counts = journal.counts()
    assert counts[State.NOT_EXECUTED] == 1 and counts[State.UNKNOWN] == 1
    assert counts[State.RECEIPT_OWED] == 1 and counts[State.INTENT] == 1
    assert sum(counts.values()) == 4 and set(counts) == set(State)


def test_reopen_keeps_rows_and_schema(tmp_path):
    with Journal.open_in(tmp_path) as j:
        ref = j.begin(card_number=CARD, amount=900, currency="EUR", start_type="cash").reference
    with Journal.open_in(tmp_path) as j:
        assert j.get(ref).state is State.INTENT


def test_newer_schema_is_refused(tmp_path):
    Journal.open_in(tmp_path).close()
    db = sqlite3.connect(tmp_path / "journal.sqlite3")
    db.execute("PRAGMA user_version=99")
    db.close()
    with pytest.raises(JournalError, match="schema 99 is newer"):
        Journal.open_in(tmp_path)


def test_unwritable_place_names_the_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(JournalError, match=str(blocker)):
        Journal(blocker / "journal.sqlite3")


def test_concurrent_writers_serialise(tmp_path):
    # Two connections (as two processes would have) writing at once: BEGIN IMMEDIATE plus the
    # busy timeout make both succeed without "database is locked".
    a, b = Journal.open_in(tmp_path), Journal.open_in(tmp_path)
    errors = []

    def write(j):
        try:
            for _ in range(30):
                r = j.begin(card_number=CARD, amount=100, currency="EUR", start_type="cash")
                j.advance(r.reference, State.NOT_EXECUTED)
        except Exception as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(j,)) for j in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert a.counts()[State.NOT_EXECUTED] == 60
    a.close()
    b.close()


def test_no_card_number_on_disk_once_settled(tmp_path):
    with Journal.open_in(tmp_path) as j:
        ref = j.begin(card_number=CARD, amount=900, currency="EUR", start_type="cash").reference
        j.advance(ref, State.UNKNOWN)
        j.advance(ref, State.NOT_EXECUTED)
        for f in tmp_path.iterdir():
            assert CARD.encode() not in f.read_bytes(), f


def test_transition_table_is_closed():
    for source, targets in TRANSITIONS.items():
        if source in FINAL:
            assert targets == frozenset()
        assert State.INTENT not in targets
