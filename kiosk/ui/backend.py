"""The boundary to the kiosk's services: the Backend protocol the UI's worker thread calls.

The real backend (top-up procedure, journal, printer, card lookups) is wired by `kiosk run`
and `kiosk simulate`; tests use an in-memory one. Each method may block (the worker thread
calls it); none is ever called from the pygame thread. `execute` turns one flow command into
the backend call and its answer into the flow event to post back.
"""

from __future__ import annotations

import logging
from typing import Literal, Protocol, Sequence

from kiosk.flow_events import (
    AdminDone, AdminResult, BalancePrinted, CardChecked, CardInfo, CardProblem, CardProblemReason,
    CheckCard, CheckPin, CheckPrinter, Command, CreditOwed, EmptyCashbox, Event, JournalLoaded,
    JournalRow, LoadJournal, PinChecked, PinVerdict, PrintBalance, PrinterChecked, PrinterState,
    Printed,
    PrintReceipt, PrintResult, PrintSlip, ReprintLast, Restart, StartTopup, PrintTestPage,
    TopupFinished, TopupOutcome,
)

__all__ = ["AdminResult", "Backend", "CardInfo", "CardProblem", "CardProblemReason",
           "PrinterState", "TopupOutcome", "PrintResult", "JournalRow", "execute"]

log = logging.getLogger(__name__)


class Backend(Protocol):
    def check_card(self, number: str) -> CardInfo | CardProblem:
        """Look the card up (balance, lock, merchant); UNREACHABLE when the API cannot be asked."""

    def check_printer(self) -> PrinterState:
        """Readiness before payment (paper, cover, online)."""

    def verify_pin(self, number: str, card_id: str, pin: str) -> PinVerdict:
        """Ask the API whether `pin` is this card's PIN (it counts the tries)."""

    def print_balance(self, number: str, card_id: str) -> PrintResult:
        """Print the card's balance slip (from the API's balance receipt)."""

    def start_topup(self, number: str, amount_cents: int,
                    start_type: Literal["cash", "cashless"], with_receipt: bool) -> TopupOutcome:
        """Run the whole money-moving procedure (journal + API) and say how it ended."""

    def print_receipt(self, reference: str, language: str = "de") -> PrintResult:
        """Print the receipt of the top-up with this kiosk reference, in the customer's language."""

    def print_slip(self, reference: str, kind: Literal["claim", "not_charged"],
                   language: str = "de") -> PrintResult:
        """Print a claim or "not charged" slip for this reference."""

    def reprint_last(self) -> PrintResult:
        """Print the last receipt again, marked as a copy."""

    def test_print(self) -> PrintResult:
        """A short test page."""

    def journal_rows(self, limit: int) -> Sequence[JournalRow]:
        """The last `limit` top-ups, newest first, card numbers masked."""

    def cashbox_emptied(self) -> AdminResult:
        """Print the cashbox's count report; once printed, a new period begins."""

    def credit_owed(self, number: str) -> AdminResult:
        """Credit the owed cash of this card (scanned again) through the settle path."""

    def restart(self) -> None:
        """Ask the service manager for a restart (e.g. exit so that systemd starts us again)."""


def execute(backend: Backend, command: Command) -> Event | None:
    """Run one command on the backend; an exception becomes the safe answer for its kind."""
    try:
        return _execute(backend, command)
    except Exception as exc:   # the worker must answer every request, whatever happened
        log.exception("backend failed on %s", type(command).__name__)
        return _failure(command, exc)


def _execute(backend: Backend, c: Command) -> Event | None:
    if isinstance(c, CheckCard):
        return CardChecked(c.request, backend.check_card(c.number))
    if isinstance(c, CheckPrinter):
        return PrinterChecked(c.request, backend.check_printer())
    if isinstance(c, CheckPin):
        return PinChecked(c.request, backend.verify_pin(c.number, c.card_id, c.pin))
    if isinstance(c, PrintBalance):
        return BalancePrinted(c.request, backend.print_balance(c.number, c.card_id))
    if isinstance(c, StartTopup):
        return TopupFinished(c.request, backend.start_topup(c.number, c.amount_cents,
                                                            c.start_type, c.with_receipt))
    if isinstance(c, PrintReceipt):
        return Printed(c.request, backend.print_receipt(c.reference, c.language))
    if isinstance(c, PrintSlip):
        return Printed(c.request, backend.print_slip(c.reference, c.kind, c.language))
    if isinstance(c, ReprintLast):
        return Printed(c.request, backend.reprint_last())
    if isinstance(c, PrintTestPage):
        return Printed(c.request, backend.test_print())
    if isinstance(c, LoadJournal):
        return JournalLoaded(c.request, tuple(backend.journal_rows(c.limit)))
    if isinstance(c, EmptyCashbox):
        return AdminDone(c.request, backend.cashbox_emptied())
    if isinstance(c, CreditOwed):
        return AdminDone(c.request, backend.credit_owed(c.number))
    if isinstance(c, Restart):
        backend.restart()
        return None
    raise TypeError(f"not a backend command: {c!r}")


def _failure(c: Command, exc: Exception) -> Event | None:
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(c, CheckCard):
        return CardChecked(c.request, CardProblem(CardProblemReason.UNREACHABLE, detail))
    if isinstance(c, CheckPrinter):
        return PrinterChecked(c.request, PrinterState(False, True, "error"))
    if isinstance(c, CheckPin):
        return PinChecked(c.request, "unreachable")   # no verdict: never "ok"
    if isinstance(c, PrintBalance):
        return BalancePrinted(c.request, PrintResult(False, "error"))
    if isinstance(c, StartTopup):
        # Money may have moved before the failure: never "not charged", always a claim.
        return TopupFinished(c.request, TopupOutcome("claim", reason=detail))
    if isinstance(c, (PrintReceipt, PrintSlip, ReprintLast, PrintTestPage)):
        return Printed(c.request, PrintResult(False, "error"))
    if isinstance(c, LoadJournal):
        return JournalLoaded(c.request, ())
    if isinstance(c, (EmptyCashbox, CreditOwed)):
        return AdminDone(c.request, AdminResult("admin.cash_failed", detail))
    return None
