"""The cash sessions, their notes and the cashbox periods, in the journal's SQLite file."""

from __future__ import annotations

import os
import signal
import sqlite3
from dataclasses import dataclass
from enum import Enum
from typing import Any

from kiosk.cards import mask_card
from kiosk.journal import CRASH_ENV, Journal, JournalError, new_reference, utc_now


class CashState(str, Enum):
    """Where a cash session stands; each state is committed before what follows it."""

    OPEN = "OPEN"  # committed before the validator is enabled; notes are being taken
    ENDED = "ENDED"  # validator disabled, total final; the top-up is (being) made
    CREDITED = "CREDITED"  # the stacked total is on the card (topup row confirmed)
    CLAIM = "CLAIM"  # a claim slip is out: the last top-up attempt's outcome is not known yet
    OWED = "OWED"  # not credited: an owed slip is out (or no slip: support settles it)
    SETTLED = "SETTLED"  # an owed session credited later by an admin action
    EMPTY = "EMPTY"  # ended with nothing stacked


# The money of these is settled: nothing credits them automatically.
CASH_FINAL = frozenset({CashState.CREDITED, CashState.SETTLED, CashState.EMPTY})
# Only these may still credit the card on their own, so only they keep the full card number;
# an owed session is credited when the customer's card is scanned again (CashSettler).
KEEPS_CARD = frozenset({CashState.OPEN, CashState.ENDED})
CASH_ARROWS: dict[CashState, frozenset[CashState]] = {
    CashState.OPEN: frozenset({CashState.ENDED}),
    CashState.ENDED: frozenset({CashState.CREDITED, CashState.CLAIM, CashState.OWED,
                                CashState.EMPTY}),
    CashState.CLAIM: frozenset({CashState.CREDITED, CashState.OWED}),
    CashState.OWED: frozenset({CashState.SETTLED}),
    CashState.CREDITED: frozenset(),
    CashState.SETTLED: frozenset(),
    CashState.EMPTY: frozenset(),
}


class NoteFate(str, Enum):
    CREDITED = "credited"  # the unit reported a credit: in the total
    CLEARED = "cleared"  # cleared into the cashbox at a power-up: in the total
    UNCERTAIN = "uncertain"  # jammed before any credit: on the slip, not in the total


_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS cash_sessions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        reference TEXT NOT NULL UNIQUE,
        card_masked TEXT NOT NULL,
        card_number TEXT,
        currency TEXT NOT NULL,
        cap INTEGER NOT NULL,
        state TEXT NOT NULL,
        escrow_channel INTEGER NOT NULL DEFAULT 0,
        escrow_value INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        slip TEXT,
        reason TEXT,
        validator_serial INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        CHECK (card_number IS NULL OR state IN ('OPEN', 'ENDED')))""",
    "CREATE INDEX IF NOT EXISTS cash_sessions_state ON cash_sessions (state)",
    """CREATE TABLE IF NOT EXISTS cash_notes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        session INTEGER NOT NULL REFERENCES cash_sessions (id),
        value INTEGER NOT NULL,
        channel INTEGER NOT NULL,
        fate TEXT NOT NULL,
        validator_serial INTEGER,
        period INTEGER NOT NULL,
        at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS cash_notes_session ON cash_notes (session)",
    "CREATE INDEX IF NOT EXISTS cash_notes_period ON cash_notes (period)",
    """CREATE TABLE IF NOT EXISTS cashbox_periods (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at TEXT NOT NULL,
        emptied_at TEXT)""",
)


@dataclass(frozen=True)
class CashNote:
    value: int  # cents
    channel: int
    fate: NoteFate


@dataclass(frozen=True)
class CashSessionRow:
    reference: str
    card_masked: str
    card_number: str | None
    currency: str
    cap: int
    state: CashState
    escrow_channel: int
    escrow_value: int
    attempts: int
    slip: str | None  # the kind of slip handed out ("owed", "claim"), None = none yet
    reason: str | None
    created_at: str
    notes: tuple[CashNote, ...]

    @property
    def total(self) -> int:
        """Cents in the cashbox for this session that the card is owed."""
        return sum(n.value for n in self.notes if n.fate is not NoteFate.UNCERTAIN)

    @property
    def uncertain(self) -> tuple[CashNote, ...]:
        return tuple(n for n in self.notes if n.fate is NoteFate.UNCERTAIN)

    def topup_reference(self, attempt: int | None = None) -> str:
        """The topups row of an attempt: derived, so a crash cannot lose the link."""
        return f"{self.reference}-{self.attempts if attempt is None else attempt}"


@dataclass(frozen=True)
class CashboxCount:
    period: int
    started_at: str
    emptied_at: str | None
    notes: dict[int, int]  # cents per note -> count

    @property
    def total(self) -> int:
        return sum(value * n for value, n in self.notes.items())

    @property
    def count(self) -> int:
        return sum(self.notes.values())


class CashLedger:
    """Cash tables beside the top-ups in the journal file; every write one committed transaction.

    Test hook: KIOSK_TEST_CRASH_AFTER=CASH_<STATE> (or CASH_NOTE, CASH_ESCROW, CASH_ATTEMPT), optionally ":n" for the n-th such commit of the process, SIGKILLs the process
    right after that commit, like the journal's own hook.
    """

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._commits: dict[str, int] = {}
        with journal.maintenance() as db:
            for statement in _SCHEMA:
                db.execute(statement)
            if db.execute("SELECT COUNT(*) FROM cashbox_periods").fetchone()[0] == 0:
                db.execute("INSERT INTO cashbox_periods (started_at) VALUES (?)", (utc_now(),))

    # --- the session -----------------------------------------------------------------------

    def open(self, *, card_number: str, currency: str, cap: int) -> CashSessionRow:
        """Commit the session before the validator is enabled."""
        ref, now = new_reference(), utc_now()
        with self.journal.maintenance() as db:
            db.execute(
                "INSERT INTO cash_sessions (reference, card_masked, card_number, currency, cap,"
                " state, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?)",
                (ref, mask_card(card_number), card_number, currency, cap,
                 CashState.OPEN.value, now, now))
        self._after("CASH_OPEN")
        return self.get(ref)

    def escrow(self, ref: str, channel: int, value: int) -> None:
        """The note the unit holds: a cleared event with channel 0 takes its value from here."""
        self._update(ref, "escrow_channel = ?, escrow_value = ?", (channel, value))
        self._after("CASH_ESCROW")

    def book_note(self, ref: str, value: int, channel: int, fate: NoteFate,
                  serial: int | None = None) -> None:
        """One note, committed before the next packet goes to the validator."""
        with self.journal.maintenance() as db:
            sid = self._id(db, ref)
            period = db.execute("SELECT MAX(id) FROM cashbox_periods").fetchone()[0]
            db.execute("INSERT INTO cash_notes (session, value, channel, fate, validator_serial,"
                       " period, at) VALUES (?,?,?,?,?,?,?)",
                       (sid, value, channel, fate.value, serial, period, utc_now()))
            db.execute("UPDATE cash_sessions SET escrow_channel = 0, escrow_value = 0,"
                       " updated_at = ? WHERE id = ?", (utc_now(), sid))
        self._after("CASH_NOTE")

    def advance(self, ref: str, state: CashState, *, reason: str | None = None,
                slip: str | None = None) -> CashSessionRow:
        with self.journal.maintenance() as db:
            current = db.execute("SELECT state FROM cash_sessions WHERE reference = ?",
                                 (ref,)).fetchone()
            if current is None:
                raise JournalError(f"no cash session {ref} in {self.journal.path}")
            old = CashState(current[0])
            if state not in CASH_ARROWS[old]:
                raise JournalError(f"cash session {ref}: refusing transition "
                                   f"{old.value} -> {state.value}")
            erase = "" if state in KEEPS_CARD else ", card_number = NULL"
            db.execute(f"UPDATE cash_sessions SET state = ?, reason = COALESCE(?, reason),"
                       f" slip = COALESCE(?, slip), updated_at = ?{erase} WHERE reference = ?",
                       (state.value, reason, slip, utc_now(), ref))
        if state not in KEEPS_CARD:
            self.journal.checkpoint()  # the WAL's old page images still hold the number
        self._after(f"CASH_{state.value}")
        return self.get(ref)

    def next_attempt(self, ref: str) -> CashSessionRow:
        """Commit the number of the next top-up attempt before its row can be begun."""
        self._update(ref, "attempts = attempts + 1", ())
        self._after("CASH_ATTEMPT")
        return self.get(ref)

    # --- reading ---------------------------------------------------------------------------

    def get(self, ref: str) -> CashSessionRow:
        rows = self._rows("WHERE reference = ?", (ref,))
        if not rows:
            raise JournalError(f"no cash session {ref} in {self.journal.path}")
        return rows[0]

    def unfinished(self) -> list[CashSessionRow]:
        """Sessions whose money is not settled, oldest first (OPEN, ENDED, CLAIM, OWED)."""
        return self._rows("WHERE state IN (?,?,?,?) ORDER BY id",
                          (CashState.OPEN.value, CashState.ENDED.value, CashState.CLAIM.value,
                           CashState.OWED.value))

    def owed(self) -> list[CashSessionRow]:
        return self._rows("WHERE state = ? ORDER BY id", (CashState.OWED.value,))

    def all_sessions(self) -> list[CashSessionRow]:
        return self._rows("ORDER BY id", ())

    # --- the cashbox -----------------------------------------------------------------------

    def cashbox(self) -> CashboxCount:
        """Notes in the cashbox since the last emptying (credited, cleared and uncertain)."""
        with self.journal.maintenance() as db:
            period, started, emptied = db.execute(
                "SELECT id, started_at, emptied_at FROM cashbox_periods ORDER BY id DESC"
                " LIMIT 1").fetchone()
            notes = dict(db.execute("SELECT value, COUNT(*) FROM cash_notes WHERE period = ?"
                                    " GROUP BY value ORDER BY value", (period,)).fetchall())
        return CashboxCount(period, started, emptied, notes)

    def cashbox_emptied(self) -> CashboxCount:
        """Close the current period (the count of what was taken out) and start a new one."""
        count = self.cashbox()
        now = utc_now()
        with self.journal.maintenance() as db:
            db.execute("UPDATE cashbox_periods SET emptied_at = ? WHERE id = ?",
                       (now, count.period))
            db.execute("INSERT INTO cashbox_periods (started_at) VALUES (?)", (now,))
        return CashboxCount(count.period, count.started_at, now, count.notes)

    # --- internals -------------------------------------------------------------------------

    def _update(self, ref: str, sets: str, values: tuple[Any, ...]) -> None:
        with self.journal.maintenance() as db:
            cur = db.execute(f"UPDATE cash_sessions SET {sets}, updated_at = ? "
                             "WHERE reference = ?", (*values, utc_now(), ref))
            if cur.rowcount != 1:
                raise JournalError(f"no cash session {ref} in {self.journal.path}")

    def _id(self, db: sqlite3.Connection, ref: str) -> int:
        row = db.execute("SELECT id FROM cash_sessions WHERE reference = ?", (ref,)).fetchone()
        if row is None:
            raise JournalError(f"no cash session {ref} in {self.journal.path}")
        return int(row[0])

    def _rows(self, where: str, params: tuple[Any, ...]) -> list[CashSessionRow]:
        with self.journal.maintenance() as db:
            sessions = db.execute(f"SELECT * FROM cash_sessions {where}", params).fetchall()
            out = []
            for s in sessions:
                notes = tuple(CashNote(v, c, NoteFate(f)) for v, c, f in db.execute(
                    "SELECT value, channel, fate FROM cash_notes WHERE session = ? ORDER BY id",
                    (s["id"],)))
                out.append(CashSessionRow(
                    reference=s["reference"], card_masked=s["card_masked"],
                    card_number=s["card_number"], currency=s["currency"], cap=s["cap"],
                    state=CashState(s["state"]), escrow_channel=s["escrow_channel"],
                    escrow_value=s["escrow_value"], attempts=s["attempts"], slip=s["slip"],
                    reason=s["reason"], created_at=s["created_at"], notes=notes))
        return out

    def _after(self, step: str) -> None:
        wanted = os.environ.get(CRASH_ENV, "")
        if not wanted.startswith("CASH_"):
            return
        name, _, nth = wanted.partition(":")
        if name != step:
            return
        self._commits[step] = self._commits.get(step, 0) + 1
        if self._commits[step] >= int(nth or 1):
            os.kill(os.getpid(), signal.SIGKILL)
