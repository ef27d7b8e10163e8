"""The cash ledger on a real journal file: arrows, card number erasure, cashbox periods."""

from __future__ import annotations

import pytest

from kiosk.cash.ledger import CashLedger, CashState, NoteFate
from kiosk.journal import Journal, JournalError

CARD = "9276004429942845"


@pytest.fixture
def ledger(tmp_path):
    with Journal.open_in(tmp_path) as journal:
        yield CashLedger(journal)


def test_session_arrows_and_card_number_kept_only_while_it_can_credit(ledger, tmp_path):
    row = ledger.open(card_number=CARD, currency="EUR", cap=20000)
    assert row.state is CashState.OPEN and row.card_number == CARD
    ledger.escrow(row.reference, 3, 2000)
    assert ledger.get(row.reference).escrow_value == 2000
    ledger.book_note(row.reference, 2000, 3, NoteFate.CREDITED, 12345678)
    ledger.book_note(row.reference, 5000, 4, NoteFate.UNCERTAIN)
    row = ledger.get(row.reference)
    assert row.total == 2000 and [n.value for n in row.uncertain] == [5000]
    assert row.escrow_value == 0  # booked: no note in escrow any more
    with pytest.raises(JournalError, match="refusing transition OPEN -> CREDITED"):
        ledger.advance(row.reference, CashState.CREDITED)
    ledger.advance(row.reference, CashState.ENDED)
    assert ledger.next_attempt(row.reference).topup_reference() == f"{row.reference}-1"
    owed = ledger.advance(row.reference, CashState.OWED, slip="owed")
    assert owed.card_number is None and owed.slip == "owed"
    assert CARD.encode() not in b"".join(p.read_bytes() for p in tmp_path.glob("journal*"))
    with pytest.raises(JournalError, match="OWED -> CREDITED"):
        ledger.advance(row.reference, CashState.CREDITED)  # after a slip: only SETTLED
    assert [r.reference for r in ledger.owed()] == [row.reference]


def test_cashbox_counts_every_note_in_the_box_per_period(ledger):
    ref = ledger.open(card_number=CARD, currency="EUR", cap=20000).reference
    for value, fate in ((1000, NoteFate.CREDITED), (1000, NoteFate.CLEARED),
                        (5000, NoteFate.CREDITED)):
        ledger.book_note(ref, value, 2, fate)
    count = ledger.cashbox()
    assert (count.notes, count.total, count.count) == ({1000: 2, 5000: 1}, 7000, 3)
    emptied = ledger.cashbox_emptied()
    assert emptied.notes == count.notes and emptied.emptied_at is not None
    assert ledger.cashbox().notes == {} and ledger.cashbox().period == count.period + 1
    ledger.advance(ref, CashState.ENDED)
    ledger.advance(ref, CashState.CREDITED)
