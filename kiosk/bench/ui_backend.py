"""An in-memory Backend for the UI benchmark: instant card checks, a top-up that can be held."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Literal

from kiosk.cards import mask_card
from kiosk.flow_events import (
    CardInfo,
    CardProblem,
    JournalRow,
    PrinterState,
    PrintResult,
    TopupOutcome,
)

HOLD_LIMIT_S = 120.0  # a held top-up never blocks the worker for longer than this


class BenchBackend:
    """Every card is known with a balance; every print succeeds; no I/O at all.

    `hold()` makes the next top-ups wait until `release()`, so the UI stays on the paying
    screen for as long as the benchmark measures it.
    """

    def __init__(self, balance_cents: int = 1250) -> None:
        self.balance_cents = balance_cents
        self._gate = threading.Event()
        self._gate.set()
        self.topups = 0

    def hold(self) -> None:
        self._gate.clear()

    def release(self) -> None:
        self._gate.set()

    def check_card(self, number: str) -> CardInfo | CardProblem:
        return CardInfo(mask_card(number), self.balance_cents)

    def check_printer(self) -> PrinterState:
        return PrinterState(True)

    def start_topup(self, number: str, amount_cents: int,
                    start_type: Literal["cash", "cashless"], with_receipt: bool) -> TopupOutcome:
        self._gate.wait(HOLD_LIMIT_S)
        self.topups += 1
        return TopupOutcome("credited", f"BENCH-{self.topups:04d}",
                            self.balance_cents + amount_cents, with_receipt)

    def print_receipt(self, reference: str, language: str = "de") -> PrintResult:
        return PrintResult(True)

    def print_slip(self, reference: str, kind: Literal["claim", "not_charged"],
                   language: str = "de") -> PrintResult:
        return PrintResult(True)

    def reprint_last(self) -> PrintResult:
        return PrintResult(True)

    def test_print(self) -> PrintResult:
        return PrintResult(True)

    def journal_rows(self, limit: int) -> Sequence[JournalRow]:
        return ()

    def restart(self) -> None:
        """Nothing to restart in a benchmark."""
