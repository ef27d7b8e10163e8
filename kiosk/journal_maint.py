"""Keeping the journal small and the state directory usable: retention, vacuum, free-space floor."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from kiosk.config import JournalConfig
from kiosk.journal import FINAL, Journal

log = logging.getLogger(__name__)

MIB = 1024 * 1024
PRUNE_EVERY_S = 24 * 3600.0
# Pages handed back to the file system per incremental_vacuum step; a step holds the write
# lock, so many small steps keep a top-up from waiting long behind the job.
VACUUM_PAGES_PER_STEP = 256
# Rows removed per transaction, for the same reason.
DELETE_BATCH = 2000
_FINAL = tuple(sorted(state.value for state in FINAL))


@dataclass(frozen=True)
class Pruned:
    rows: int             # settled rows older than retention_days, deleted
    receipts: int         # receipts of settled rows dropped (older than receipt_retention_days)
    bytes_freed: int      # journal file bytes handed back by the vacuum


def free_bytes(directory: str | Path) -> int:
    """Bytes an unprivileged process may still write in `directory`'s file system."""
    return shutil.disk_usage(directory).free


def journal_bytes(path: Path) -> int:
    """The journal's size on disk: the database file and its -wal and -shm files."""
    total = 0
    for name in (path.name, path.name + "-wal", path.name + "-shm"):
        try:
            total += (path.with_name(name)).stat().st_size
        except FileNotFoundError:
            pass
    return total


def storage_problem(directory: Path, min_free_mb: int) -> str | None:
    """Why the state directory cannot take a top-up now (free space below the floor), or None."""
    try:
        free = free_bytes(directory)
    except OSError as exc:
        return f"{directory}: cannot read the free space: {exc}"
    if free < min_free_mb * MIB:
        return (f"{directory}: only {free / MIB:.1f} MB free, below [journal] min_free_mb = "
                f"{min_free_mb}; free space on that file system")
    return None


def prune(journal: Journal, config: JournalConfig, now: datetime | None = None) -> Pruned:
    """Delete settled rows past retention_days, drop receipts past receipt_retention_days,
    then give the freed pages back. Open rows (money open, CONFIRMED, RECEIPT_OWED) are never
    touched: their receipts may still be owed and their money may still be moving."""
    now = now or datetime.now(timezone.utc)
    rows_before = _cutoff(now, config.retention_days)
    receipts_before = _cutoff(now, config.receipt_retention_days)
    marks = ",".join("?" for _ in _FINAL)
    # A row's receipt goes with it (trigger topups_counted_delete).
    rows = _in_batches(journal, f"DELETE FROM topups WHERE id IN (SELECT id FROM topups"
                                f" INDEXED BY topups_updated WHERE updated_at < ?"
                                f" AND state IN ({marks}) LIMIT ?)", (rows_before, *_FINAL))
    receipts = _in_batches(journal, f"DELETE FROM receipts WHERE id IN (SELECT receipts.id"
                                    f" FROM receipts CROSS JOIN topups ON topups.id = receipts.id"
                                    f" WHERE topups.updated_at < ? AND topups.state IN ({marks})"
                                    f" LIMIT ?)", (receipts_before, *_FINAL))
    before = journal_bytes(journal.path)
    _vacuum(journal)
    freed = max(0, before - journal_bytes(journal.path))
    if rows or receipts:
        log.info("journal retention: %d settled row(s) older than %d days removed, %d "
                 "receipt(s) older than %d days dropped, %d bytes freed", rows,
                 config.retention_days, receipts, config.receipt_retention_days, freed)
    return Pruned(rows, receipts, freed)


def _cutoff(now: datetime, days: int) -> str:
    # Same format as journal.utc_now(), so the text comparison orders by time.
    return (now - timedelta(days=days)).isoformat(timespec="milliseconds")


def _in_batches(journal: Journal, sql: str, params: tuple[str, ...]) -> int:
    total = 0
    while True:
        with journal.maintenance() as db:
            changed = db.execute(sql, (*params, DELETE_BATCH)).rowcount
        total += changed
        if changed < DELETE_BATCH:
            return total


def _vacuum(journal: Journal) -> None:
    with journal.maintenance() as db:
        mode = db.execute("PRAGMA auto_vacuum").fetchone()[0]
    if mode != 2:
        # A journal made before auto_vacuum=INCREMENTAL: one full VACUUM switches it over.
        log.info("journal %s: switching to incremental vacuum (one full VACUUM)", journal.path)
        journal.vacuum_full("PRAGMA auto_vacuum=INCREMENTAL")
        return
    while journal.vacuum_step(VACUUM_PAGES_PER_STEP):
        pass
    journal.checkpoint()


class StorageWatch:
    """The supervisor's view of the state directory: floor check on every call, retention at
    the first call and then once a day. `check()` returns why the kiosk must not take money,
    or None."""

    def __init__(self, journal: Journal, config: JournalConfig,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.journal = journal
        self.config = config
        self.clock = clock
        self._next_prune: float | None = None

    def check(self) -> str | None:
        if self._next_prune is None or self.clock() >= self._next_prune:
            self._next_prune = self.clock() + PRUNE_EVERY_S
            try:
                prune(self.journal, self.config)
            except Exception:   # noqa: BLE001 - retention can wait a day; serving cannot
                log.exception("journal retention failed; trying again in a day")
        return storage_problem(self.journal.path.parent, self.config.min_free_mb)

