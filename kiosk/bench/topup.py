"""Top-up and card-check round trips: TopupService over loopback HTTP to the sandbox, real journal."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from hardware.sim.sandbox import DEMO_CARDS, SandboxServer
from kiosk.bench.report import Section, summarise
from kiosk.commands.sandbox import write_client_config
from kiosk.config import load_config
from kiosk.journal import Journal, State
from kiosk.secuconnect.client import SecuconnectClient
from kiosk.topup import Outcome, TopupService

AMOUNT = 1500  # the seed's "Kartenaufladung 15 EUR"


class TimedJournal(Journal):
    """The real journal, with the time spent in it and its commits counted.

    Only the outermost call is timed (advance() reads the row back through get()).
    """

    def __init__(self, path: Any) -> None:
        self.seconds = 0.0
        self.commits = 0
        self.checkpoints = 0
        self._depth = 0
        super().__init__(path)

    def reset_counts(self) -> None:
        self.seconds, self.commits, self.checkpoints = 0.0, 0, 0

    def _timed(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        self._depth += 1
        start = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            self._depth -= 1
            if self._depth == 0:
                self.seconds += time.perf_counter() - start

    def begin(self, **kwargs: Any) -> Any:  # type: ignore[override]
        return self._timed(super().begin, **kwargs)

    def advance(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self._timed(super().advance, *args, **kwargs)

    def note_error(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        return self._timed(super().note_error, *args, **kwargs)

    def get(self, reference: str) -> Any:
        return self._timed(super().get, reference)

    def unfinished(self) -> Any:
        return self._timed(super().unfinished)

    def _write(self) -> Any:
        self.commits += 1  # every write transaction ends in one COMMIT (synchronous=FULL)
        return super()._write()

    def _drop_old_frames(self) -> None:
        self.checkpoints += 1
        super()._drop_old_frames()


def bench_topup(workdir: Path, *, topups: int, checks: int) -> tuple[Section, Section]:
    """Section "topup" (round trip, requests, connections, journal) and "card_check"."""
    top = Section("topup", "Top-up round trip (TopupService -> sandbox over loopback HTTP, "
                           "SQLite journal synchronous=FULL)")
    check = Section("card_check", "Card check (lookup + validate + card group over loopback HTTP)")
    with SandboxServer() as sandbox:
        sandbox.seed_demo_cards()
        config = load_config(write_client_config(sandbox, workdir / "kiosk.toml"))
        journal = TimedJournal(Path(config.state_dir) / "journal.sqlite3")
        client = SecuconnectClient.from_config(config)
        try:
            service = TopupService(client, journal, config)
            card = DEMO_CARDS["fresh"][0]

            # The first top-up also fetches the token and opens the connection.
            start = time.perf_counter()
            first = service.topup(card, AMOUNT, start_type="cash")
            first_s = time.perf_counter() - start
            _require_credit(first)
            service.receipt_printed(first.reference or "")
            first_requests = len(sandbox.requests)
            first_connections = sandbox.connections_opened

            journal.reset_counts()
            requests_before = len(sandbox.requests)
            connections_before = sandbox.connections_opened
            latencies, journal_s, journal_in_topup, commits = [], [], [], []
            for _ in range(topups):
                journal_before, commits_before = journal.seconds, journal.commits
                start = time.perf_counter()
                result = service.topup(card, AMOUNT, start_type="cash")
                latencies.append(time.perf_counter() - start)
                journal_in_topup.append(journal.seconds - journal_before)
                _require_credit(result)
                service.receipt_printed(result.reference or "")  # the DONE commit
                journal_s.append(journal.seconds - journal_before)
                commits.append(journal.commits - commits_before)
            requests = sandbox.requests[requests_before:]
            new_connections = sandbox.connections_opened - connections_before
            expected = (1 + topups) * AMOUNT
            if sandbox.balance(card) != expected or len(sandbox.ledger) != 1 + topups:
                raise RuntimeError(f"sandbox credited {sandbox.balance(card)} cents in "
                                   f"{len(sandbox.ledger)} credits; expected {expected} in "
                                   f"{1 + topups}")
            unfinished = journal.unfinished()
            if unfinished:
                raise RuntimeError(f"{len(unfinished)} journal rows left unfinished")

            top.add("topups", "top-ups measured (after the first)", topups, "")
            top.add("first_ms", "first top-up (token + connect)", first_s * 1e3, "ms",
                    f"{first_requests} requests, {first_connections} connection(s)")
            summarise(top, "latency", "top-up latency", latencies)
            top.add("requests_per_topup", "HTTP requests per top-up", len(requests) / topups,
                    "", _request_kinds(requests, topups))
            top.add("connections_opened", "TCP connections opened (after the first)",
                    new_connections, "", f"{sandbox.connections_opened} in all")
            top.add("commits_per_topup", "journal commits per top-up",
                    sum(commits) / topups, "",
                    f"incl. the DONE commit; {journal.checkpoints / topups:g} WAL "
                    f"checkpoint(s) per top-up")
            summarise(top, "journal", "journal time per top-up", journal_s,
                      note="all commits incl. DONE, reads, checkpoint")
            top.add("journal_per_commit_ms", "journal time per commit (mean)",
                    1e3 * sum(journal_s) / max(1, sum(commits)), "ms",
                    "fsync cost of the state directory's file system dominates")
            top.add("journal_share", "journal share of the top-up latency",
                    100 * sum(journal_in_topup) / max(1e-9, sum(latencies)), "%",
                    "journal work inside topup() (all but the DONE commit)")

            # Card check: what the kiosk asks when a card is scanned.
            requests_before = len(sandbox.requests)
            connections_before = sandbox.connections_opened
            check_s = []
            for _ in range(checks):
                start = time.perf_counter()
                result_check = service.check_card(card)
                check_s.append(time.perf_counter() - start)
                if not result_check.ok:
                    raise RuntimeError(f"card check failed: {result_check.status.value}")
            requests = sandbox.requests[requests_before:]
            check.add("checks", "card checks measured", checks, "")
            summarise(check, "latency", "card check latency", check_s)
            check.add("requests_per_check", "HTTP requests per check", len(requests) / checks,
                      "", _request_kinds(requests, checks))
            check.add("connections_opened", "TCP connections opened",
                      sandbox.connections_opened - connections_before, "")
        finally:
            client.close()
            journal.close()
    return top, check


def _require_credit(result: Any) -> None:
    if result.outcome is not Outcome.CONFIRMED or result.state is not State.CONFIRMED:
        raise RuntimeError(f"benchmark top-up not credited: {result.outcome.value} "
                           f"({result.reason.value if result.reason else '-'}): {result.error}")


def _request_kinds(requests: list[Any], per: int) -> str:
    """"POST /Smart/Transactions x1, POST .../start/cash x1" per operation, ids elided."""
    counts: dict[str, int] = {}
    for record in requests:
        path = record.path.split("?")[0]
        parts = [("{id}" if part.startswith(("STX_", "MCD_")) else part)
                 for part in path.split("/")]
        name = f"{record.method} {'/'.join(parts).replace('/api/v2', '')}"
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"{name} x{count / per:g}" for name, count in counts.items())
