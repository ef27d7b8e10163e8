"""The durable top-up journal: one SQLite row per top-up, each state committed before its side effect."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Any, Iterable, Iterator, NamedTuple
from uuid import uuid4

from kiosk.cards import mask_card, mask_card_numbers_in_text
from kiosk.journal_check import JournalDamage, inspect, marker_for
from kiosk.journal_schema import (
    SCHEMA, SCHEMA_VERSION, SELECT_ROWS, SHORT_REF_INDEX, UPGRADE_FROM_1, UPGRADE_TO_3,
)
from kiosk.secuconnect.models import ReceiptLine
from kiosk.shortref import normalize, short_reference

JOURNAL_FILE = "journal.sqlite3"
BUSY_TIMEOUT_S = 10.0

# Test hook (documented in tests/test_recovery_crash.py): when set to a state name, the process
# kills itself with SIGKILL right after the commit that put a row into that state. It lets the
# crash tests stop the kiosk deterministically at every journal step.
CRASH_ENV = "KIOSK_TEST_CRASH_AFTER"


class State(str, Enum):
    """Where a top-up stands. See DESIGN.md "The top-up procedure" for the arrows."""

    INTENT = "INTENT"  # written before the first byte leaves; create may have been sent
    CREATED = "CREATED"  # the API answered create; start certainly not sent yet
    STARTING = "STARTING"  # written just before start is sent; start may have run
    UNKNOWN = "UNKNOWN"  # a money-moving call lost its answer; resolve by reading server state
    CONFIRMED = "CONFIRMED"  # the card is credited; receipt not yet printed
    RECEIPT_OWED = "RECEIPT_OWED"  # credited, printing failed or was never done; reprint pending
    DONE = "DONE"  # credited and receipt handed out
    NOT_EXECUTED = "NOT_EXECUTED"  # definitely nothing charged, nothing credited
    CLAIM = "CLAIM"  # the server's state is known but could not be put right: support settles it


# The money outcome is still open: recovery must read the server before anything else happens.
MONEY_OPEN = frozenset({State.INTENT, State.CREATED, State.STARTING, State.UNKNOWN})
# Rows recovery has to look at on start-up: money open, or credited without a decision on the
# receipt (the process died between the credit and the printer).
UNFINISHED = MONEY_OPEN | {State.CONFIRMED}
FINAL = frozenset({State.DONE, State.NOT_EXECUTED, State.CLAIM})

# The only arrows a row may take; anything else is a programming error and is refused.
TRANSITIONS: dict[State, frozenset[State]] = {
    State.INTENT: frozenset({State.CREATED, State.UNKNOWN, State.NOT_EXECUTED, State.CLAIM}),
    State.CREATED: frozenset({State.STARTING, State.UNKNOWN, State.NOT_EXECUTED, State.CLAIM}),
    State.STARTING: frozenset({State.CONFIRMED, State.UNKNOWN, State.NOT_EXECUTED, State.CLAIM}),
    State.UNKNOWN: frozenset(
        {State.UNKNOWN, State.CREATED, State.CONFIRMED, State.NOT_EXECUTED, State.CLAIM}
    ),
    State.CONFIRMED: frozenset({State.DONE, State.RECEIPT_OWED}),
    State.RECEIPT_OWED: frozenset({State.DONE}),
    State.DONE: frozenset(),
    State.NOT_EXECUTED: frozenset(),
    State.CLAIM: frozenset(),
}

class JournalError(Exception):
    """The journal cannot be opened or written, or a caller asked for an impossible transition."""


class JournalDamaged(JournalError):
    """The journal file exists but is damaged; it is left untouched for support."""

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            f"{path}: the journal is damaged: {detail}. The file is kept as it is for support; "
            f"restore it from a backup, or move {path.name}* and {marker_for(path).name} "
            f"away to start an empty journal"
        )
        self.path = path
        self.detail = detail


@dataclass(frozen=True)
class TopupRow:
    """One top-up as the journal holds it. `card_number` is None once the money is settled."""

    reference: str
    short_ref: str          # what people read and type: kiosk.shortref.short_reference
    amount: int
    currency: str
    card_masked: str
    card_number: str | None
    start_type: str
    state: State
    stx_id: str | None
    trans_id: str | None
    receipt: tuple[ReceiptLine, ...]
    new_balance: int | None
    last_error: str | None
    support_id: str | None
    reason: str | None
    created_at: str
    updated_at: str

    @property
    def finished(self) -> bool:
        return self.state not in UNFINISHED


def utc_now() -> str:
    """UTC timestamp in ISO 8601 with milliseconds, e.g. 2026-11-24T03:00:00.123+00:00."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def new_reference() -> str:
    """The kiosk's own reference for a top-up; also sent to the API as merchantRef."""
    return str(uuid4())


def mask_receipt(lines: Iterable[ReceiptLine]) -> tuple[ReceiptLine, ...]:
    """The API prints the full card number in its own receipt lines; we never keep or print it."""
    out = []
    for line in lines:
        out.append(
            ReceiptLine(
                type=line.type,
                caption=mask_card_numbers_in_text(line.caption),
                name=mask_card_numbers_in_text(line.name),
                value=mask_card_numbers_in_text(line.value),
                text=mask_card_numbers_in_text(line.text),
                decorations=line.decorations,
            )
        )
    return tuple(out)


class JournalEvent(NamedTuple):
    """One row of the event log: UTC time, what, how it ended, details for the operator."""

    at: str
    kind: str
    result: str
    detail: str


class Journal:
    """The top-up journal in `<state dir>/journal.sqlite3`. Thread-safe; one writer at a time."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                inspect(self.path)   # read-only: a damaged file is never written to
            except JournalDamage as damage:
                raise JournalDamaged(self.path, str(damage)) from damage
            if not self.path.exists():
                # Created owner-only: until a row is settled it holds a full card number.
                # SQLite gives the -wal and -shm files the database file's permissions.
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            self._db = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
            self._db.row_factory = sqlite3.Row
            # Takes effect only while the file has no tables (a new journal); older files are
            # converted once by the retention job (kiosk.journal_maint).
            self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise JournalError(f"{self.path}: cannot switch the journal to WAL mode ({mode})")
            # FULL: a commit survives power loss (NORMAL may lose the last commits in WAL mode).
            self._db.execute("PRAGMA synchronous=FULL")
            # Erased card numbers are overwritten with zeros, not left in free page space.
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
            self._create_schema()
            marker = marker_for(self.path)
            if not marker.exists():
                marker.write_text(f"journal {self.path.name} created {utc_now()}\n")
        except sqlite3.Error as exc:
            raise JournalError(f"{self.path}: cannot open the journal: {exc}") from exc
        except OSError as exc:
            raise JournalError(f"{self.path}: cannot create the journal: {exc}") from exc

    def _create_schema(self) -> None:
        with self._write():
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise JournalError(
                    f"{self.path}: journal schema {version} is newer than this kiosk "
                    f"understands ({SCHEMA_VERSION}); update the kiosk software"
                )
            for statement in SCHEMA:
                self._db.execute(statement)
            if version == 1:
                for statement in UPGRADE_FROM_1:
                    self._db.execute(statement)
            if version in (1, 2):
                self._db.create_function("short_ref", 1, short_reference, deterministic=True)
                for statement in UPGRADE_TO_3:
                    self._db.execute(statement)
            self._db.execute(SHORT_REF_INDEX)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @classmethod
    def open_in(cls, state_dir: str | os.PathLike[str]) -> "Journal":
        return cls(Path(state_dir) / JOURNAL_FILE)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> "Journal":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- writing ----------------------------------------------------------------------------

    def begin(
        self,
        *,
        card_number: str,
        amount: int,
        currency: str,
        start_type: str,
        reference: str | None = None,
    ) -> TopupRow:
        """Commit the INTENT row; only after this returns may the create request be sent."""
        if amount <= 0:
            raise JournalError(f"refusing to journal a top-up of {amount} cents")
        reference = reference or new_reference()
        now = utc_now()
        with self._write():
            self._db.execute(
                "INSERT INTO topups (reference, short_ref, amount, currency, card_masked,"
                " card_number, start_type, state, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                (reference, short_reference(reference), amount, currency,
                 mask_card(card_number), card_number, start_type, State.INTENT.value, now, now),
            )
        self._after_commit(State.INTENT)
        row = self.get(reference)
        assert row is not None
        return row

    def advance(
        self,
        reference: str,
        state: State,
        *,
        stx_id: str | None = None,
        trans_id: str | None = None,
        receipt: Iterable[ReceiptLine] | None = None,
        new_balance: int | None = None,
        error: str | None = None,
        support_id: str | None = None,
        reason: str | None = None,
    ) -> TopupRow:
        """Move a row to `state` and commit; given fields are set, others kept.

        Reaching a settled state (anything but INTENT, CREATED, STARTING, UNKNOWN) erases the
        full card number in the same transaction.
        """
        with self._write():
            current = self._db.execute(
                "SELECT state FROM topups WHERE reference = ?", (reference,)
            ).fetchone()
            if current is None:
                raise JournalError(f"no top-up with reference {reference} in {self.path}")
            old = State(current["state"])
            if state not in TRANSITIONS[old]:
                raise JournalError(
                    f"top-up {reference}: refusing transition {old.value} -> {state.value}"
                )
            sets = ["state = ?", "updated_at = ?"]
            values: list[Any] = [state.value, utc_now()]
            for column, value in (
                ("stx_id", stx_id),
                ("trans_id", trans_id),
                ("new_balance", new_balance),
                ("support_id", support_id),
                ("reason", reason),
            ):
                if value is not None:
                    sets.append(f"{column} = ?")
                    values.append(value)
            if error is not None:
                sets.append("last_error = ?")
                values.append(mask_card_numbers_in_text(error))
            if state not in MONEY_OPEN:
                sets.append("card_number = NULL")
            values.append(reference)
            self._db.execute(f"UPDATE topups SET {', '.join(sets)} WHERE reference = ?", values)
            if receipt is not None:
                lines = json.dumps([line.to_json() for line in mask_receipt(receipt)],
                                   ensure_ascii=False)
                self._db.execute(
                    "INSERT INTO receipts (id, lines) SELECT id, ? FROM topups WHERE reference = ?"
                    " ON CONFLICT (id) DO UPDATE SET lines = excluded.lines", (lines, reference))
        if state not in MONEY_OPEN and old in MONEY_OPEN:
            self._drop_old_frames()
        self._after_commit(state)
        row = self.get(reference)
        assert row is not None
        return row

    def note_error(self, reference: str, error: str, support_id: str | None = None) -> None:
        """Record the latest error of a row without changing its state (e.g. while retrying)."""
        with self._write():
            self._db.execute(
                "UPDATE topups SET last_error = ?, support_id = COALESCE(?, support_id),"
                " updated_at = ? WHERE reference = ?",
                (mask_card_numbers_in_text(error), support_id, utc_now(), reference),
            )

    def record_event(self, kind: str, result: str, detail: str = "") -> None:
        """One line of the event log (e.g. "terminal_day_close", "ok"); card numbers masked."""
        with self._write():
            self._db.execute("INSERT INTO events (at, kind, result, detail) VALUES (?, ?, ?, ?)",
                             (utc_now(), kind, result, mask_card_numbers_in_text(detail)))

    # --- reading ----------------------------------------------------------------------------

    def events(self, kind: str | None = None, limit: int = 20) -> list[JournalEvent]:
        """The newest events first, all or of one kind."""
        where, params = ("WHERE kind = ?", (kind,)) if kind else ("", ())
        with self._lock:
            try:
                rows = self._db.execute(f"SELECT * FROM events {where} ORDER BY id DESC LIMIT ?",
                                        (*params, max(0, limit))).fetchall()
            except sqlite3.Error as exc:
                raise JournalError(f"{self.path}: cannot read the journal: {exc}") from exc
        return [JournalEvent(r["at"], r["kind"], r["result"], r["detail"]) for r in rows]

    def get(self, reference: str) -> TopupRow | None:
        rows = self._query(f"{SELECT_ROWS} WHERE topups.reference = ?", (reference,))
        return rows[0] if rows else None

    def unfinished(self) -> list[TopupRow]:
        """Rows recovery must resolve before a new top-up is accepted, oldest first."""
        marks = ",".join("?" for _ in UNFINISHED)
        return self._query(
            f"{SELECT_ROWS} WHERE topups.state IN ({marks}) ORDER BY topups.id",
            tuple(s.value for s in UNFINISHED),
        )

    def find(self, text: str) -> list[TopupRow]:
        """Rows whose short reference (as a person types it) or full reference is `text`."""
        short = normalize(text)
        return self._query(
            f"{SELECT_ROWS} WHERE topups.short_ref = ? OR topups.reference = ?"
            " ORDER BY topups.id DESC", (short, text.strip()))

    def recent(self, limit: int = 20) -> list[TopupRow]:
        """The newest rows first, for `kiosk journal` and the admin screen."""
        return self._query(f"{SELECT_ROWS} ORDER BY topups.id DESC LIMIT ?", (max(0, limit),))

    def last_receipt(self) -> TopupRow | None:
        """The newest credited top-up with receipt lines, for a reprint."""
        rows = self._query(
            # From the newest receipt backwards; CROSS JOIN keeps that order (the planner
            # would walk the state index, and DONE is nearly every row).
            "SELECT topups.*, receipts.lines AS receipt_lines FROM receipts"
            " CROSS JOIN topups ON topups.id = receipts.id WHERE topups.state IN (?,?,?)"
            " ORDER BY receipts.id DESC LIMIT 1",
            (State.CONFIRMED.value, State.RECEIPT_OWED.value, State.DONE.value),
        )
        return rows[0] if rows else None

    def receipts_owed(self) -> list[TopupRow]:
        return self._query(
            f"{SELECT_ROWS} WHERE topups.state = ? ORDER BY topups.id", (State.RECEIPT_OWED.value,)
        )

    def not_executed_since(self, reason: str, since: str) -> list[TopupRow]:
        """NOT_EXECUTED rows with `reason`, created at or after `since` (UTC ISO), oldest first."""
        return self._query(
            f"{SELECT_ROWS} WHERE topups.state = ? AND topups.reason = ?"
            " AND topups.created_at >= ? ORDER BY topups.id",
            (State.NOT_EXECUTED.value, reason, since),
        )

    def counts(self) -> dict[State, int]:
        """Rows per state (every state present, zero when none), for metrics."""
        counts = {state: 0 for state in State}
        with self._lock:
            try:
                for row in self._db.execute("SELECT state, n FROM state_counts"):
                    counts[State(row[0])] = row[1]
            except sqlite3.Error as exc:
                raise JournalError(f"{self.path}: cannot read the journal: {exc}") from exc
        return counts

    # --- maintenance (kiosk.journal_maint) ----------------------------------------------------

    @contextlib.contextmanager
    def maintenance(self) -> Iterator[sqlite3.Connection]:
        """The connection inside one write transaction (committed on leaving), for retention."""
        with self._write():
            yield self._db

    def vacuum_full(self, before: str) -> None:
        """`before` (a PRAGMA), then VACUUM: rewrites the whole file, outside any transaction."""
        with self._lock:
            try:
                self._db.execute(before)
                self._db.execute("VACUUM")
            except sqlite3.Error as exc:
                raise JournalError(f"{self.path}: cannot vacuum the journal: "
                                   f"{_explain(exc)}") from exc
        self.checkpoint()

    def vacuum_step(self, pages: int) -> int:
        """Hand up to `pages` free pages back to the file system; returns the free pages left."""
        with self._lock:
            try:
                # executescript: the pragma frees one page per step of its statement, and
                # execute() steps a statement once.
                self._db.executescript(
                    f"BEGIN IMMEDIATE; PRAGMA incremental_vacuum({int(pages)}); COMMIT;")
                return int(self._db.execute("PRAGMA freelist_count").fetchone()[0])
            except sqlite3.Error as exc:
                _rollback(self._db)
                raise JournalError(f"{self.path}: cannot vacuum the journal: "
                                   f"{_explain(exc)}") from exc

    def checkpoint(self) -> None:
        """Copy the WAL into the database file and truncate it (frees its disk space)."""
        self._drop_old_frames()

    # --- internals --------------------------------------------------------------------------

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[TopupRow]:
        with self._lock:
            try:
                rows = self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise JournalError(f"{self.path}: cannot read the journal: {exc}") from exc
        return [_row(r) for r in rows]

    def _write(self) -> "_WriteTransaction":
        return _WriteTransaction(self)

    def _drop_old_frames(self) -> None:
        # The WAL still holds the page images written while the card number was stored. Copy
        # them into the database (where secure_delete has zeroed the old cell) and truncate the
        # WAL, so the number does not linger on disk. Busy readers only postpone this.
        with self._lock:
            try:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                pass

    @staticmethod
    def _after_commit(state: State) -> None:
        if os.environ.get(CRASH_ENV) == state.value:
            os.kill(os.getpid(), signal.SIGKILL)


class _WriteTransaction:
    """BEGIN IMMEDIATE ... COMMIT under the journal's lock; rolls back on any error."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def __enter__(self) -> None:
        self.journal._lock.acquire()
        try:
            self.journal._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            self.journal._lock.release()
            raise JournalError(f"{self.journal.path}: cannot write the journal: {exc}") from exc

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        journal = self.journal
        try:
            if exc_type is None:
                try:
                    journal._db.execute("COMMIT")
                except sqlite3.Error as error:
                    _rollback(journal._db)
                    raise JournalError(f"{journal.path}: cannot write the journal: "
                                       f"{_explain(error)}") from error
            else:
                _rollback(journal._db)
                if isinstance(exc, sqlite3.Error):
                    raise JournalError(
                        f"{journal.path}: cannot write the journal: {_explain(exc)}"
                    ) from exc
        finally:
            journal._lock.release()



def _rollback(db: sqlite3.Connection) -> None:
    # SQLite rolls a transaction back by itself on some errors (SQLITE_FULL, IOERR): a
    # second ROLLBACK would raise "no transaction is active" and hide the real error.
    if db.in_transaction:
        try:
            db.execute("ROLLBACK")
        except sqlite3.Error:
            pass   # the error being reported is the one that matters


def _explain(error: sqlite3.Error) -> str:
    """SQLite's message, plus what the operator can do about a full disk."""
    if getattr(error, "sqlite_errorname", "") == "SQLITE_FULL" or "full" in str(error):
        return f"{error} (free space in the state directory)"
    return str(error)


def _row(r: sqlite3.Row) -> TopupRow:
    receipt: tuple[ReceiptLine, ...] = ()
    if r["receipt_lines"]:
        receipt = tuple(ReceiptLine.from_json(line) for line in json.loads(r["receipt_lines"]))
    return TopupRow(
        reference=r["reference"],
        short_ref=r["short_ref"],
        amount=r["amount"],
        currency=r["currency"],
        card_masked=r["card_masked"],
        card_number=r["card_number"],
        start_type=r["start_type"],
        state=State(r["state"]),
        stx_id=r["stx_id"],
        trans_id=r["trans_id"],
        receipt=receipt,
        new_balance=r["new_balance"],
        last_error=r["last_error"],
        support_id=r["support_id"],
        reason=r["reason"],
        created_at=r["created_at"],
        updated_at=r["updated_at"],
    )
