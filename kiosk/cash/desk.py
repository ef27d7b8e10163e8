"""The cash desk: pre-checks, the session row before enabling, the note loop, settlement, out of service."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from hardware.cash.driver import SspValidator, ValidatorError
from hardware.printer.escpos import Document
from kiosk.cards import mask_card
from kiosk.cash.ledger import CashboxCount, CashLedger, CashSessionRow
from kiosk.cash.report import empty_cashbox
from kiosk.cash.session import (
    POLL_INTERVAL_S,
    Controls,
    Fault,
    NoteSession,
    SessionEnd,
    SetupMismatch,
)
from kiosk.cash.settle import CashResult, CashSettler
from kiosk.config import Config
from kiosk.journal import JournalError
from kiosk.topup import CardStatus, TopupService

log = logging.getLogger(__name__)


class CashRefused(Exception):
    """A cash session was not opened; `reason` is a stable code for screen and CLI."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class NothingOwed(JournalError):
    """The card scanned for "owed cash: credit now" has no owed cash session."""


@dataclass(frozen=True)
class Opened:
    session: CashSessionRow
    accepted: tuple[int, ...]  # note values (euros) enabled at the start
    cap: int  # cents


class CashDesk:
    """One validator, one ledger, one top-up service. One session at a time (a lock)."""

    def __init__(self, config: Config, service: TopupService, ledger: CashLedger, *,
                 open_unit: Callable[[], SspValidator] | None = None,
                 poll_interval_s: float = POLL_INTERVAL_S, retry_s: float = 30.0,
                 backoff_s: float = 0.5) -> None:
        self.config = config
        self.service = service
        self.ledger = ledger
        cash = config.cash
        self._open_unit = open_unit or (lambda: SspValidator(cash.port,
                                                             address=cash.ssp_address))
        self.poll_interval_s = poll_interval_s
        self.settler = CashSettler(service, ledger, retry_s=retry_s, backoff_s=backoff_s)
        self.unit: SspValidator | None = None
        self.out_of_service: Fault | None = None  # cash off until cleared
        self.out_of_service_detail = ""
        self._lock = threading.Lock()

    # --- the validator ---------------------------------------------------------------------

    def notes(self) -> NoteSession:
        """A note loop on the (re)opened validator; raises ValidatorError/SetupMismatch."""
        if self.unit is None:
            unit = self._open_unit()
            unit.open()
            self.unit = unit
        return NoteSession(self.unit, self.ledger, set(self.config.cash.accept),
                           currency=self.config.topup.currency,
                           idle_timeout_s=self.config.cash.session_timeout_s,
                           poll_interval_s=self.poll_interval_s)

    def close(self) -> None:
        if self.unit is not None:
            self.unit.close()
            self.unit = None

    def check_validator(self) -> NoteSession:
        """Initialise the unit; a failure takes cash out of service with the reason."""
        try:
            notes = self.notes()
            notes.prepare()
        except (ValidatorError, SetupMismatch) as exc:
            self._out(Fault.SETUP if isinstance(exc, SetupMismatch) else Fault.UNPLUGGED, exc)
            self.close()
            raise CashRefused("validator", str(exc)) from exc
        return notes

    def clear_out_of_service(self) -> None:
        """The engineer fixed the unit (admin action)."""
        self.out_of_service, self.out_of_service_detail = None, ""

    # --- a customer's session --------------------------------------------------------------

    def open(self, card_number: str, *, receipt_ok: bool,
             cap: int | None = None) -> tuple[Opened, NoteSession]:
        """The pre-checks in order, then the session row: only then may notes come in."""
        if self.out_of_service is not None:
            raise CashRefused("out_of_service", self.out_of_service_detail)
        if not receipt_ok:
            raise CashRefused("printer", "no receipt possible and not waived by the customer")
        check = self.service.check_card(card_number)   # the API and the card in one go
        if check.status is not CardStatus.OK:
            raise CashRefused(check.reason.value if check.reason else check.status.value,
                              check.error or check.status.value)
        notes = self.check_validator()
        cap = min(cap or self.config.topup.maximum, self.config.topup.maximum)
        row = self.ledger.open(card_number=card_number, currency=self.config.topup.currency,
                               cap=cap)
        values = tuple(sorted(v for v in self.config.cash.accept if v * 100 <= cap))
        return Opened(row, values, cap), notes

    def take(self, opened: Opened, notes: NoteSession, controls: Controls) -> SessionEnd:
        end = notes.run(opened.session.reference, opened.cap, controls)
        if end.out_of_service is not None:
            self._out(end.out_of_service, None)
            self.close()
        return end

    def settle(self, ref: str) -> CashResult:
        return self.settler.settle(ref)

    def run(self, card_number: str, controls: Controls, *, receipt_ok: bool = True,
            cap: int | None = None, on_open: Callable[[Opened], None] = lambda opened: None,
            before_settle: Callable[[SessionEnd], None] = lambda end: None,
            ) -> tuple[SessionEnd, CashResult]:
        """Open, take notes, settle: the whole session for one customer. `on_open` hears of
        the session row (the screen shows its reference and notes), `before_settle` of the
        end of note-taking (the screen says "einen Moment")."""
        with self._lock:
            opened, notes = self.open(card_number, receipt_ok=receipt_ok, cap=cap)
            on_open(opened)
            end = self.take(opened, notes, controls)
            before_settle(end)
            return end, self.settle(end.reference)

    # --- the admin ------------------------------------------------------------------------

    def credit_owed(self, card_number: str, ref: str | None = None) -> CashResult:
        """"Owed cash: credit now" (admin menu and `kiosk cash owed --credit`) for the card
        scanned again; without `ref`, its oldest owed session. Raises NothingOwed when the
        card is owed nothing, JournalError when `ref` is not its owed session."""
        with self._lock:   # never beside a customer's session or the recovery
            if ref is None:
                masked = mask_card(card_number)
                owed = [row for row in self.ledger.owed() if row.card_masked == masked]
                if not owed:
                    raise NothingOwed(f"no owed cash session for card {masked}")
                ref = min(owed, key=lambda row: row.created_at).reference
            return self.settler.credit_owed(ref, card_number)

    def empty_cashbox(self, deliver: Callable[[Document], bool], *,
                      when: datetime) -> tuple[CashboxCount, bool]:
        """The admin emptied the cashbox (kiosk.cash.report.empty_cashbox), between sessions."""
        with self._lock:
            return empty_cashbox(self.ledger, deliver, kiosk_id=self.config.kiosk.id, when=when,
                                 currency=self.config.topup.currency)

    # --- recovery --------------------------------------------------------------------------

    def recover(self) -> list[CashResult]:
        """After the top-up recovery: drain the validator into a session a crash left open,
        then settle every session that has no slip."""
        def drain(row: CashSessionRow) -> None:
            try:
                self.notes().drain(row.reference, row.cap)
            except ValidatorError as exc:
                log.warning("cash session %s: validator unavailable for the drain: %s",
                            row.reference, exc)
                self.close()
        with self._lock:
            return self.settler.recover(drain)

    def _out(self, fault: Fault, exc: Exception | None) -> None:
        self.out_of_service = fault
        self.out_of_service_detail = f"{fault.value}{f': {exc}' if exc else ''}"
        log.error("cash out of service: %s", self.out_of_service_detail)
