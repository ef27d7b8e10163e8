"""The UI backend that serves nothing (journal unusable at boot, setup needed): the screen stays up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, NoReturn, Sequence

from kiosk.flow_events import (
    AdminResult,
    CardInfo, CardProblem, JournalRow, PrinterState, PrintResult, TopupOutcome,
)


class RefusingBackend:
    """Every request is refused with the error that keeps the kiosk from serving (the UI's
    worker turns a raise into the safe answer for its kind); only an admin restart does
    something.

    Without it `kiosk run` would exit, systemd would start it again every few seconds, and the
    customer would face a black screen instead of "out of service".
    """

    def __init__(self, error: Exception, on_restart: Callable[[], None]) -> None:
        self.error = error
        self.on_restart = on_restart

    def _refuse(self) -> NoReturn:
        raise self.error

    def check_card(self, number: str) -> CardInfo | CardProblem:
        self._refuse()

    def check_printer(self) -> PrinterState:
        self._refuse()

    def start_topup(self, number: str, amount_cents: int,
                    start_type: Literal["cash", "cashless"], with_receipt: bool) -> TopupOutcome:
        self._refuse()

    def print_receipt(self, reference: str, language: str = "de") -> PrintResult:
        self._refuse()

    def print_slip(self, reference: str, kind: Literal["claim", "not_charged"],
                   language: str = "de") -> PrintResult:
        self._refuse()

    def reprint_last(self) -> PrintResult:
        self._refuse()

    def test_print(self) -> PrintResult:
        self._refuse()

    def journal_rows(self, limit: int) -> Sequence[JournalRow]:
        self._refuse()

    def cashbox_emptied(self) -> AdminResult:
        self._refuse()

    def credit_owed(self, number: str) -> AdminResult:
        self._refuse()

    def restart(self) -> None:
        self.on_restart()
