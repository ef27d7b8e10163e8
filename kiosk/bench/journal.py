"""Journal at scale and memory over many top-ups: hot query times, bytes per row, retention, RSS."""

from __future__ import annotations

import gc
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from hardware.sim.sandbox import DEMO_CARDS
from kiosk.bench.report import Section
from kiosk.config import JournalConfig, load_config
from kiosk.journal import JOURNAL_FILE, Journal, State
from kiosk.journal_maint import journal_bytes, prune
from kiosk.secuconnect.client import SecuconnectClient
from kiosk.topup import Outcome, TopupService

AMOUNT = 1500
MIB = 1024 * 1024
# The simulated journal spans this many days, so that retention (400 days) and receipt
# retention (90 days) both have work to do, as on a kiosk that has run for a while.
SPAN_DAYS = 500
CARD_MASKED = "9276 •••• •••• 2845"


def bench_journal(workdir: Path, *, rows: int, growth_topups: int,
                  reps: int = 20) -> tuple[Section, Section]:
    """Sections "journal" (queries at `rows` rows, size, retention) and "growth" (RSS and gc
    objects over `growth_topups` top-ups in one process, the API in another process)."""
    growth = Section("growth", f"Memory over {growth_topups} top-ups in one process "
                               f"(TopupService + journal; sandbox API in its own process)")
    with _SandboxProcess(workdir / "sandbox") as config_path:
        receipt = _growth(growth, config_path, growth_topups)
    scale = Section("journal", f"Journal at {rows} rows (SQLite, WAL, synchronous=FULL)")
    _scale(scale, workdir / "journal", rows, receipt, reps)
    return scale, growth


# --- memory over many top-ups ---------------------------------------------------------------


def _growth(section: Section, config_path: Path, topups: int) -> str:
    """Run the top-ups; returns the receipt column of the last row (a real one, for _scale)."""
    config = load_config(config_path)
    journal = Journal.open_in(config.state_dir)
    client = SecuconnectClient.from_config(config)
    try:
        service = TopupService(client, journal, config)
        card = DEMO_CARDS["fresh"][0]

        def one() -> str:
            result = service.topup(card, AMOUNT, start_type="cash")
            if result.outcome is not Outcome.CONFIRMED or not result.reference:
                raise RuntimeError(f"benchmark top-up not credited: {result.outcome.value}: "
                                   f"{result.error}")
            service.receipt_printed(result.reference)
            return result.reference

        # Warm-up: connections, token, caches and SQLite's page cache fill before measuring.
        warm = max(20, topups // 10)
        for _ in range(warm):
            one()
        rss0, objects0 = _memory()
        start = time.perf_counter()
        reference = ""
        for _ in range(topups):
            reference = one()
        seconds = time.perf_counter() - start
        rss1, objects1 = _memory()
        section.add("topups", "top-ups measured (after warm-up)", topups, "",
                    f"{warm} warm-up top-ups first")
        section.add("rss_start_mib", "RSS after warm-up", rss0 / MIB, "MiB")
        section.add("rss_growth_mib", "RSS growth over the top-ups", (rss1 - rss0) / MIB,
                    "MiB", "target: within 1 MiB over 10,000")
        section.add("rss_per_topup_b", "RSS growth per top-up", (rss1 - rss0) / topups, "B")
        section.add("objects_start", "gc objects after warm-up", objects0, "")
        section.add("objects_growth", "gc objects growth over the top-ups",
                    objects1 - objects0, "")
        section.add("topup_ms", "mean top-up (journal + loopback HTTP)",
                    1e3 * seconds / topups, "ms")
        section.add("bytes_per_row_real", "journal bytes per real top-up row",
                    journal_bytes(journal.path) / (warm + topups), "B")
        row = journal.get(reference)
        assert row is not None
        # The receipt column as the journal writes it: the same JSON for every filler row.
        return json.dumps([line.to_json() for line in row.receipt], ensure_ascii=False)
    finally:
        client.close()
        journal.close()


def _memory() -> tuple[int, int]:
    gc.collect()
    rss = 0
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
    return rss, len(gc.get_objects())


class _SandboxProcess:
    """`kiosk sandbox --port 0 --write-config` in a child process: its ledger grows, not ours."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> Path:
        config = self.folder / "kiosk.toml"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk.cli", "sandbox", "--port", "0", "--write-config",
             str(config)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("config written to "):
                return config
        raise RuntimeError(f"kiosk sandbox exited ({self.proc.wait()}) before writing {config}")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)


# --- queries at scale -------------------------------------------------------------------------


def _scale(section: Section, folder: Path, rows: int, receipt: str, reps: int) -> None:
    path = folder / JOURNAL_FILE
    with Journal(path) as journal:
        build_s = _fill(journal, rows, receipt)
    size = journal_bytes(path)
    start = time.perf_counter()
    journal = Journal(path)    # includes the quick_check of a boot
    open_s = time.perf_counter() - start
    try:
        section.add("rows", "rows in the journal", rows, "",
                    f"settled rows spread over {SPAN_DAYS} days, a few open; built in "
                    f"{build_s:.1f} s")
        section.add("bytes_per_row", "file bytes per row (before retention)", size / rows, "B")
        section.add("open_ms", "open at boot (integrity quick_check + schema)", open_s * 1e3,
                    "ms")
        reference = journal.recent(1)[0].reference
        queries: list[tuple[str, str, Callable[[], Any]]] = [
            ("get_ms", "get(reference)", lambda: journal.get(reference)),
            ("unfinished_ms", "unfinished()", journal.unfinished),
            ("receipts_owed_ms", "receipts_owed()", journal.receipts_owed),
            ("last_receipt_ms", "last_receipt()", journal.last_receipt),
            ("recent_ms", "recent(20)", journal.recent),
            ("counts_ms", "counts() (every metrics scrape)", journal.counts),
        ]
        for key, label, query in queries:
            section.add(key, label, _median_ms(query, reps), "ms", f"median of {reps}")
        section.add("topup_rows_ms", "one top-up's journal writes (begin + 4 advances)",
                    _median_ms(lambda: _topup_rows(journal), max(3, reps // 4)), "ms",
                    "synchronous=FULL: fsync per commit")
        start = time.perf_counter()
        pruned = prune(journal, JournalConfig())
        prune_s = time.perf_counter() - start
        left = sum(journal.counts().values())
        section.add("prune_s", "retention run (400 d rows, 90 d receipts, vacuum)", prune_s,
                    "s", f"{pruned.rows} rows removed, {pruned.receipts} receipts dropped")
        section.add("bytes_per_row_after", "file bytes per row after retention",
                    journal_bytes(path) / max(1, left), "B", f"{left} rows left")
        section.add("journal_mib_after", "journal size after retention",
                    journal_bytes(path) / MIB, "MiB", f"before: {size / MIB:.1f} MiB")
    finally:
        journal.close()


def _fill(journal: Journal, rows: int, receipt: str) -> float:
    """`rows` settled rows, oldest first, plus one open row and two owed receipts."""
    start = time.perf_counter()
    now = datetime.now(timezone.utc)
    step = timedelta(days=SPAN_DAYS) / rows
    batch: list[tuple[Any, ...]] = []
    with journal.maintenance() as db:
        for i in range(rows):
            stamp = (now - step * (rows - i)).isoformat(timespec="milliseconds")
            state = State.RECEIPT_OWED if i in (rows // 2, rows - 2) else State.DONE
            batch.append((f"bench-{i:08d}-{'0' * 22}", AMOUNT, "EUR", CARD_MASKED, "cash",
                          state.value, f"STX_{i:030d}", f"{29218171 + i}",
                          AMOUNT * (i + 1), stamp, stamp))
        db.executemany(
            "INSERT INTO topups (reference, amount, currency, card_masked, start_type, state,"
            " stx_id, trans_id, new_balance, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?)", batch)
        db.execute("INSERT INTO receipts (id, lines) SELECT id, ? FROM topups", (receipt,))
    journal.checkpoint()
    journal.begin(card_number=DEMO_CARDS["fresh"][0], amount=AMOUNT, currency="EUR",
                  start_type="cash")   # one open row, as after a lost answer
    return time.perf_counter() - start


def _topup_rows(journal: Journal) -> None:
    ref = journal.begin(card_number=DEMO_CARDS["fresh"][0], amount=AMOUNT, currency="EUR",
                        start_type="cash").reference
    journal.advance(ref, State.CREATED, stx_id="STX_BENCH")
    journal.advance(ref, State.STARTING)
    journal.advance(ref, State.CONFIRMED, trans_id="1", new_balance=AMOUNT)
    journal.advance(ref, State.DONE)


def _median_ms(call: Callable[[], Any], reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)

