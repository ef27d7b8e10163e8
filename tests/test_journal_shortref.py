"""The short reference: derived from the full one, stored and indexed, found by `kiosk journal`."""

from __future__ import annotations

import sqlite3

from kiosk.journal import JOURNAL_FILE, SCHEMA_VERSION, Journal, State
from kiosk.shortref import ALPHABET, normalize, short_reference
from tests.test_cli_topup import run  # noqa: F401 - the fixture
from tests.test_journal_damage import SCHEMA_1

CARD = "9276004429942845"


def test_short_reference_is_eight_unambiguous_characters_in_two_groups():
    codes = {short_reference(f"ref-{i}") for i in range(2000)}
    assert len(codes) == 2000                       # no collision among a day's top-ups
    for code in codes:
        head, tail = code.split("-")
        assert len(head) == len(tail) == 4
        assert set(head + tail) <= set(ALPHABET)
    assert not set("01OIL") & set(ALPHABET)
    assert short_reference("7d6b75ec-d032-48e0-8a06-c4ca3a9e248f") == "K3QA-VT2D"  # stable


def test_what_a_person_types_is_normalized():
    assert normalize(" k3qa vt2d ") == normalize("K3QAVT2D") == "K3QA-VT2D"
    assert normalize("K3QA-VT2") == "" and normalize("K3QA-VT20") == ""   # 0 is not a letter


def test_rows_carry_it_and_find_takes_short_or_full(tmp_path):
    with Journal(tmp_path / JOURNAL_FILE) as journal:
        row = journal.begin(card_number=CARD, amount=1500, currency="EUR", start_type="cash")
        other = journal.begin(card_number=CARD, amount=500, currency="EUR", start_type="cash")
        assert row.short_ref == short_reference(row.reference)
        journal.advance(row.reference, State.NOT_EXECUTED, reason="card_unknown")
        assert journal.get(row.reference).short_ref == row.short_ref
        assert [r.reference for r in journal.find(row.short_ref.lower().replace("-", ""))] == \
            [row.reference]
        assert [r.reference for r in journal.find(other.reference)] == [other.reference]
        assert journal.find("ZZZZ-ZZZZ") == [] and journal.find("nonsense") == []
        plan = journal._db.execute("EXPLAIN QUERY PLAN SELECT * FROM topups WHERE short_ref = ?",
                                   ("X",)).fetchall()
        assert "topups_short_ref" in str([tuple(p) for p in plan])


def test_an_older_journal_gets_the_column_for_every_row(tmp_path):
    path = tmp_path / JOURNAL_FILE
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_1)
    db.execute("INSERT INTO topups (reference, amount, currency, card_masked, start_type, state,"
               " created_at, updated_at) VALUES ('old-1', 700, 'EUR', 'x', 'cash', 'DONE', 't',"
               " 't')")
    db.commit()
    db.close()
    with Journal(path) as journal:
        [row] = journal.find(short_reference("old-1"))
        assert row.reference == "old-1" and row.short_ref == short_reference("old-1")
    with Journal(path) as journal:                    # opening again changes nothing
        assert journal._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_kiosk_journal_shows_and_finds_the_short_reference(run, sandbox):  # noqa: F811
    assert run("topup", "--card", CARD, "--amount", "12")[0] == 0
    code, out, _ = run("journal")
    short = next(word for word in out.split() if normalize(word) == word and "-" in word)
    assert code == 0 and f"2845  {short}  " in out
    code, found, _ = run("journal", "--find", short.lower())
    assert code == 0 and found.splitlines() == out.splitlines()[:1]
    code, out, err = run("journal", "--find", "ZZZZ-ZZZZ")
    assert code == 1 and out == "" and "no top-up with reference 'ZZZZ-ZZZZ'" in err
