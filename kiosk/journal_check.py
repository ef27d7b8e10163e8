"""Is the journal file intact? Checked read-only before the journal is opened for writing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

# Written beside the journal once its schema exists: from then on a missing, empty or
# schema-less journal is damage, not a fresh start.
MARKER_FILE = "journal.created"
SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_BYTES = 100
# quick_check lists at most this many problems; the first few are enough for support.
PROBLEMS_SHOWN = 3


class JournalDamage(Exception):
    """What is wrong with the journal file, in words for the operator (the caller adds the path)."""


def marker_for(path: Path) -> Path:
    return path.with_name(MARKER_FILE)


def inspect(path: Path) -> bool:
    """True if the journal at `path` exists and is intact, False if there is none yet.

    Raises JournalDamage if it is damaged. Never writes to the journal file itself: a damaged
    file stays exactly as it was, for support.
    """
    marked = marker_for(path).exists()
    wal = path.with_name(path.name + "-wal")
    if not path.exists():
        if marked:
            raise JournalDamage(f"the journal file is missing although {MARKER_FILE} says "
                                f"one was created")
        return False
    size = path.stat().st_size
    if size == 0:
        if marked:
            raise JournalDamage(f"the journal file is empty (0 bytes) although {MARKER_FILE} "
                                f"says one was created")
        if _has_wal(wal):
            raise JournalDamage("the journal file is empty (0 bytes) but its -wal file is not")
        return False   # made, then the process stopped before the schema was written
    with path.open("rb") as f:
        header = f.read(HEADER_BYTES)
    if len(header) < HEADER_BYTES or not header.startswith(SQLITE_MAGIC):
        raise JournalDamage(f"not an SQLite database ({size} bytes of something else)")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # The page count is valid when its "valid-for" number matches the change counter; and
    # with a non-empty WAL an interrupted checkpoint may have left the file short, which
    # SQLite mends from the WAL: then quick_check decides.
    counted = header[92:96] == header[24:28]
    if counted and not _has_wal(wal) and size < page_size * pages:
        raise JournalDamage(f"truncated: {size} bytes where the header says "
                            f"{pages} pages of {page_size} bytes")
    _check_contents(path, marked)
    return True


def _has_wal(wal: Path) -> bool:
    return wal.exists() and wal.stat().st_size > 0


def _check_contents(path: Path, marked: bool) -> None:
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise JournalDamage(f"cannot be read: {exc}") from exc
    try:
        problems = [row[0] for row in db.execute("PRAGMA quick_check").fetchall()]
        if problems != ["ok"]:
            raise JournalDamage("integrity check failed: " + "; ".join(problems[:PROBLEMS_SHOWN]))
        tables = db.execute(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'topups'"
        ).fetchone()[0]
        if not tables and marked:
            raise JournalDamage(f"the top-up table is missing although {MARKER_FILE} says "
                                f"the journal was created")
    except sqlite3.Error as exc:
        raise JournalDamage(f"integrity check failed: {exc}") from exc
    finally:
        db.close()
