"""The real UI backend: the top-up procedure, the journal, the receipt printer and the metrics."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from hardware.printer.escpos import Document
from hardware.printer.status import Condition, PrinterStatus
from hardware.printer.transport import PrintError
from kiosk.cards import mask_card
from kiosk.config import Config
from kiosk.flow_events import (
    AdminResult,
    CardInfo,
    CardProblem,
    CardProblemReason,
    JournalRow,
    PinVerdict,
    PrinterState,
    PrintResult,
    TopupOutcome,
)
from kiosk.journal import JournalError, State, TopupRow
from kiosk.metrics import KioskMetrics
from kiosk.money import format_amount
from kiosk.printers import ReceiptPrinter
from kiosk.receipt import balance_slip, claim_slip, not_charged_slip, topup_receipt
from kiosk.secuconnect.errors import SecuconnectError
from kiosk.secuconnect.models import ModelError
from kiosk.testprint import build_test_page
from kiosk.topup import (
    REASON_TEXT,
    CardStatus,
    Outcome,
    PinResult,
    Reason,
    TopupResult,
    TopupService,
)

if TYPE_CHECKING:   # the desk brings the validator driver: only validator kiosks load it
    from kiosk.cash.desk import CashDesk

log = logging.getLogger(__name__)

# Printer conditions as the screens' catalog names them ("printer.<reason>").
PRINTER_REASONS: dict[Condition, str] = {
    Condition.GONE: "offline",
    Condition.UNKNOWN: "no_answer",
    Condition.UNRECOVERABLE_ERROR: "error",
    Condition.CUTTER_ERROR: "error",
    Condition.COVER_OPEN: "cover_open",
    Condition.PAPER_OUT: "paper_out",
    Condition.OFFLINE: "offline",
    Condition.PAPER_NEAR_END: "paper_near_end",
    Condition.READY: "",
}
CARD_REASONS: dict[CardStatus, CardProblemReason] = {
    CardStatus.INVALID: CardProblemReason.MALFORMED,
    CardStatus.UNKNOWN: CardProblemReason.UNKNOWN,
    CardStatus.LOCKED: CardProblemReason.LOCKED,
    CardStatus.FOREIGN: CardProblemReason.NOT_VALID_HERE,
    CardStatus.EXPIRED: CardProblemReason.EXPIRED,
    CardStatus.AT_LIMIT: CardProblemReason.AT_LIMIT,
    # The API could not be asked, or refused the kiosk itself: out of service, not the card.
    CardStatus.UNREACHABLE: CardProblemReason.UNREACHABLE,
    CardStatus.API_ERROR: CardProblemReason.UNREACHABLE,
}


def printer_reason(status: PrinterStatus) -> str:
    return PRINTER_REASONS.get(status.condition, "unknown")


def topup_outcome(result: TopupResult) -> TopupOutcome:
    """The procedure's result in the flow's terms (which screen, which slip)."""
    reason = result.reason.value if result.reason else ""
    reference = result.reference or ""
    if result.outcome is Outcome.CONFIRMED:
        return TopupOutcome("credited", reference, result.new_balance, bool(result.receipt))
    if result.outcome is Outcome.NOT_EXECUTED:
        return TopupOutcome("not_charged", reference, reason=reason)
    if result.outcome is Outcome.UNRESOLVED:
        return TopupOutcome("claim", reference, reason=reason)
    if result.reason is Reason.API_UNREACHABLE:
        return TopupOutcome("unreachable", reference, reason=reason)
    return TopupOutcome("refused", reference, reason=reason)


def metrics_outcome(result: TopupResult) -> str | None:
    """The metrics label of a top-up that ended without a receipt to print (None: it has one)."""
    if result.outcome is Outcome.CONFIRMED:
        return None
    if result.outcome is Outcome.REFUSED:
        return "rejected"
    if result.outcome is Outcome.NOT_EXECUTED:
        return "not_executed"
    return "unknown" if result.state is State.UNKNOWN else "claim"


class KioskBackend:
    """Implements kiosk.ui.backend.Backend; its methods run in the UI's one worker thread.

    `on_api_trouble` is called when a call found the API unreachable (the monitor then probes
    at once, so out of service shows and clears promptly); `on_restart` when the admin asks
    for a restart.
    """

    def __init__(
        self,
        config: Config,
        service: TopupService,
        printer: ReceiptPrinter,
        metrics: KioskMetrics | None = None,
        *,
        on_api_trouble: Callable[[str], None] | None = None,
        on_restart: Callable[[], None] | None = None,
    ) -> None:
        self.config = config
        self.service = service
        self.journal = service.journal
        self.printer = printer
        self.metrics = metrics
        self.on_api_trouble = on_api_trouble
        self.on_restart = on_restart
        # Full card number of the top-up in progress, for its "not charged" slip only (the
        # journal has erased it once the money was settled). Replaced by the next top-up.
        self._slip_card: tuple[str, str] | None = None
        self._lock = threading.Lock()   # the worker is one thread; admin tools may share us
        # The note validator's desk ([cash] mode = "validator"), set when the cash thread opens:
        # the admin menu's "cashbox emptied" and "owed cash: credit now" act on it.
        self.cash_desk: CashDesk | None = None

    # --- cards --------------------------------------------------------------------------------

    def check_card(self, number: str) -> CardInfo | CardProblem:
        result = self.service.check_card(number)
        if result.ok:
            return CardInfo(result.card_masked, result.balance or 0, result.max_amount,
                            result.pin_required, result.merchantcard_id)
        reason = CARD_REASONS.get(result.status, CardProblemReason.UNREACHABLE)
        detail = result.error or (REASON_TEXT[result.reason] if result.reason else "")
        if result.support_id:
            detail += f" (supportId {result.support_id})"
        if reason is CardProblemReason.UNREACHABLE:
            log.warning("card check %s: payment service not usable: %s", result.card_masked, detail)
            self._api_trouble(detail)
        return CardProblem(reason, detail, lock_reason=result.lock_reason,
                           lock_text=result.lock_text, balance_cents=result.balance,
                           limit_cents=result.balance_limit)

    def verify_pin(self, number: str, card_id: str, pin: str) -> PinVerdict:
        verdict = self.service.verify_pin(number, card_id, pin)
        if verdict is PinResult.UNREACHABLE:
            self._api_trouble("PIN check: payment service not usable")
        return verdict.value   # type: ignore[return-value]

    def print_balance(self, number: str, card_id: str) -> PrintResult:
        masked = mask_card(number)
        try:
            answer = self.service.balance_receipt(number, card_id)
        except (SecuconnectError, ModelError) as exc:
            log.warning("balance slip %s: no balance receipt from the API: %s", masked, exc)
            return PrintResult(False, "no_balance")
        document = balance_slip(self.config.kiosk, when=datetime.now(), card_number=number,
                                header=answer.header, lines=answer.lines,
                                balance=answer.balance, currency=self.config.topup.currency)
        return self._print(document, f"balance slip {masked}")

    # --- printer ------------------------------------------------------------------------------

    def check_printer(self) -> PrinterState:
        readiness = self.printer.ready()
        self._printer_metric(readiness.status)
        if readiness.ready:
            if readiness.warning:
                log.warning("printer: %s", readiness.warning)
            return PrinterState(True)
        log.warning("printer not ready before payment: %s", readiness.reason)
        return PrinterState(False, True, printer_reason(readiness.status))

    # --- the top-up ---------------------------------------------------------------------------

    def start_topup(self, number: str, amount_cents: int,
                    start_type: Literal["cash", "cashless"], with_receipt: bool) -> TopupOutcome:
        with self._lock:
            self._slip_card = None
        result = self.service.topup(number, amount_cents, start_type=start_type)
        outcome = topup_outcome(result)
        if result.reference:
            with self._lock:
                self._slip_card = (result.reference, number)
        try:
            self._after_topup(result, outcome, amount_cents, with_receipt)
        except Exception:   # bookkeeping only: the customer must still see the journal's outcome
            log.exception("bookkeeping after top-up %s failed; its outcome stands",
                          result.reference or "(no row)")
        return outcome

    def _after_topup(self, result: TopupResult, outcome: TopupOutcome, amount_cents: int,
                     with_receipt: bool) -> None:
        """Owed receipt, metrics and API trouble after a top-up; never changes its outcome."""
        label = metrics_outcome(result)
        if label is None and not with_receipt and result.reference:
            # The customer chose to go on without a receipt: it stays owed, for a reprint.
            self.service.receipt_owed(result.reference)
            label = "receipt_owed"
        if label is not None and self.metrics is not None:
            self.metrics.topup_finished(label, amount_cents)
        if outcome.kind == "unreachable":
            self._api_trouble(result.error or "payment service unreachable")

    # --- printing -----------------------------------------------------------------------------

    def print_receipt(self, reference: str, language: str = "de", *,
                      paid_cash: bool = False) -> PrintResult:
        row = self._row(reference)
        document = receipt_document(self.config, row, copy=False, language=language,
                                    paid_cash=paid_cash)
        result = self._print(document, f"receipt {reference}")
        if result.ok:
            self.service.receipt_printed(reference)
            label = "done"
        else:
            self.service.receipt_owed(reference)
            label = "receipt_owed"
            log.error("receipt %s not printed; kept for a reprint (admin menu or `kiosk "
                      "reprint`)", reference)
        if self.metrics is not None:
            self.metrics.topup_finished(label, row.amount)
        return result

    def print_slip(self, reference: str, kind: Literal["claim", "not_charged"],
                   language: str = "de") -> PrintResult:
        row = self._row(reference)
        with self._lock:
            card = self._slip_card[1] if self._slip_card and self._slip_card[0] == reference \
                else ""
        when = _local(row.updated_at)
        if kind == "claim":
            document = claim_slip(self.config.kiosk, when=when, reference=reference,
                                  amount=row.amount, currency=row.currency, card_number=card,
                                  reason_code=row.reason or "unresolved")
        else:
            document = not_charged_slip(self.config.kiosk, when=when, reference=reference,
                                        amount=row.amount, currency=row.currency,
                                        card_number=card,
                                        reason=customer_reason(row.reason, language))
        return self._print(document, f"{kind} slip {reference}")

    def reprint_last(self) -> PrintResult:
        row = self.journal.last_receipt()
        if row is None:
            log.warning("reprint: no receipt in the journal")
            return PrintResult(False, "unknown")
        document = receipt_document(self.config, row, copy=True, language=self.config.ui.language)
        result = self._print(document, f"copy of receipt {row.reference}")
        if result.ok and row.state is State.RECEIPT_OWED:
            self.service.receipt_printed(row.reference)   # the owed receipt is handed out now
        return result

    def test_print(self) -> PrintResult:
        return self._print(build_test_page(self.config, datetime.now()), "test page")

    def journal_rows(self, limit: int) -> Sequence[JournalRow]:
        return [JournalRow(_local(row.created_at).strftime("%Y-%m-%d %H:%M"), row.reference,
                           row.card_masked, row.amount, row.state.value)
                for row in self.journal.recent(limit)]

    # --- the admin's cash actions (validator mode) ---------------------------------------------

    def cashbox_emptied(self) -> AdminResult:
        desk = self._desk()
        count, emptied = desk.empty_cashbox(
            lambda document: self._print(document, "cashbox count report").ok,
            when=datetime.now())
        if not emptied:
            return AdminResult("admin.cashbox_not_printed")
        log.info("cashbox emptied: period %d, %d notes, %s", count.period, count.count,
                 format_amount(count.total, self.config.topup.currency))
        return AdminResult("admin.cashbox_emptied",
                           f"{count.count} · {format_amount(count.total, self.config.topup.currency)}")

    def credit_owed(self, number: str) -> AdminResult:
        """The one settle path of `kiosk cash owed --credit`; a receipt ("bar bezahlt") for
        the customer standing there when a top-up ran now."""
        desk = self._desk()
        from kiosk.cash.desk import NothingOwed   # loaded only on a validator kiosk
        try:
            result = desk.credit_owed(number)
        except NothingOwed:
            log.warning("owed cash: card %s is owed nothing", mask_card(number))
            return AdminResult("admin.owed_none", mask_card(number))
        except JournalError as exc:
            log.warning("owed cash not credited: %s", exc)
            return AdminResult("admin.owed_refused", str(exc))
        row = result.session
        detail = f"{row.card_masked} · {format_amount(row.total, row.currency)}"
        if not result.credited:
            reason = result.topup.reason.value if result.topup and result.topup.reason else ""
            log.warning("owed cash session %s not credited: %s", row.reference, reason or "-")
            return AdminResult("admin.owed_not_credited", f"{detail} {reason}".strip())
        log.info("owed cash session %s credited (%s)", row.reference, detail)
        if result.topup is not None and result.topup.reference:
            self.print_receipt(result.topup.reference, self.config.ui.language, paid_cash=True)
        return AdminResult("admin.owed_credited", detail)

    def _desk(self) -> CashDesk:
        if self.cash_desk is None:
            raise RuntimeError("no note validator: [cash] mode is not \"validator\"")
        return self.cash_desk

    def restart(self) -> None:
        log.info("restart asked for from the admin menu")
        if self.on_restart is not None:
            self.on_restart()

    # --- internals ----------------------------------------------------------------------------

    def _row(self, reference: str) -> TopupRow:
        row = self.journal.get(reference)
        if row is None:
            raise LookupError(f"journal has no top-up {reference}")
        return row

    def print_document(self, document: Document, what: str) -> PrintResult:
        """Print any document (a cash slip); the printer metric follows."""
        return self._print(document, what)

    def _print(self, document: Document, what: str) -> PrintResult:
        try:
            done = self.printer.print_document(document)
        except PrintError as exc:
            status = exc.status or self.printer.last_status
            self._printer_metric(status)
            log.error("%s not printed: %s", what, exc)
            return PrintResult(False, printer_reason(status) or "error")
        self._printer_metric(done.status)
        log.info("%s printed", what)
        return PrintResult(True)

    def _printer_metric(self, status: PrinterStatus) -> None:
        if self.metrics is not None:
            condition = status.condition
            self.metrics.set_device_status("printer",
                                           "ok" if condition is Condition.READY else condition.value)

    def _api_trouble(self, detail: str) -> None:
        if self.on_api_trouble is not None:
            self.on_api_trouble(detail)


def receipt_document(config: Config, row: TopupRow, *, copy: bool,
                     language: str | None = None, paid_cash: bool = False) -> Document:
    """The receipt of a credited top-up from its journal row; `copy` marks a reprint,
    `paid_cash` a top-up paid in cash (till or note validator): "bar bezahlt".

    `language`: the customer's; a copy printed later (admin menu, `kiosk reprint`) is in the
    kiosk's default language, [ui] language.
    """
    return topup_receipt(config.kiosk, when=_local(row.updated_at), lines=row.receipt,
                         stx_id=row.stx_id or "-", reference=row.reference,
                         amount=row.amount, currency=row.currency, start_type=row.start_type,
                         language=language or config.ui.language, copy=copy,
                         paid_cash=paid_cash)


def customer_reason(code: str | None, language: str) -> str:
    """Why a top-up was not carried out, in the customer's words and language (as on screen)."""
    from kiosk.ui.strings import has, text   # the screens' catalog: one wording for both
    if code and has(language, f"reason.{code}"):
        return text(language, f"reason.{code}")
    reason = Reason(code) if code in Reason._value2member_map_ else None
    return REASON_TEXT[reason] if reason else "-"


def _local(iso: str) -> datetime:
    """A journal timestamp (UTC, ISO 8601) in the kiosk's local time, for receipts and screens."""
    try:
        return datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return datetime.now()
