"""A full disk (SQLITE_FULL on a real file, via PRAGMA max_page_count) is a JournalError everywhere."""

import pytest

from kiosk.journal import Journal, JournalError, State
from kiosk.secuconnect.models import ReceiptLine

CARD = "9276004429942845"


def _fill(journal: Journal) -> None:
    """Cap the file at its current size: the next page SQLite needs is refused as SQLITE_FULL."""
    pages = journal._db.execute("PRAGMA page_count").fetchone()[0]
    journal._db.execute(f"PRAGMA max_page_count={pages}")


def _begin_until_full(journal: Journal) -> list[str]:
    refs = []
    with pytest.raises(JournalError, match="disk is full.*free space") as caught:
        for _ in range(10_000):
            refs.append(journal.begin(card_number=CARD, amount=100, currency="EUR",
                                      start_type="cash").reference)
    # The cause is SQLite's, and no "cannot rollback" replaced it.
    assert "cannot rollback" not in str(caught.value)
    assert str(journal.path) in str(caught.value)
    return refs


def test_begin_on_a_full_disk_raises_journal_error(tmp_path):
    with Journal.open_in(tmp_path) as journal:
        _fill(journal)
        refs = _begin_until_full(journal)
        assert journal.unfinished()[-1].reference == refs[-1]   # nothing half-written


def test_advance_and_note_error_on_a_full_disk_raise_journal_error(tmp_path):
    with Journal.open_in(tmp_path) as journal:
        ref = journal.begin(card_number=CARD, amount=100, currency="EUR",
                            start_type="cash").reference
        journal.advance(ref, State.CREATED, stx_id="STX_1")
        journal.advance(ref, State.STARTING)
        _fill(journal)
        big = [ReceiptLine(type="textline", text="x" * 4000) for _ in range(50)]
        with pytest.raises(JournalError, match="disk is full"):
            journal.advance(ref, State.CONFIRMED, receipt=big, new_balance=100)
        assert journal.get(ref).state is State.STARTING        # rolled back, still open
        with pytest.raises(JournalError, match="disk is full"):
            journal.note_error(ref, "e" * 200_000)
        # Space comes back: the journal works again on the same connection.
        journal._db.execute("PRAGMA max_page_count=1073741823")
        journal.advance(ref, State.CONFIRMED, receipt=big, new_balance=100)
        assert journal.get(ref).state is State.CONFIRMED
