"""The money-moving procedure: journal the intent, call the API, resolve unknown outcomes, recover on boot."""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, field
from enum import Enum
from typing import Callable, Protocol

from kiosk.cards import check_card_number, mask_card
from kiosk.config import Config
from kiosk.journal import MONEY_OPEN, Journal, JournalError, State, TopupRow
from kiosk.money import format_amount
from kiosk.secuconnect.client import START_TYPES
from kiosk.secuconnect.errors import (
    ApiError,
    AuthError,
    NotSentError,
    SecuconnectError,
)
from kiosk.secuconnect.models import (
    CardValidation,
    MerchantCard,
    ModelError,
    ReceiptLine,
    SmartTransaction,
)

log = logging.getLogger(__name__)


class Outcome(str, Enum):
    """What a top-up came to, in terms a customer can act on. Never "failed" while unknown."""

    CONFIRMED = "confirmed"  # the card is credited
    NOT_EXECUTED = "not_executed"  # a transaction existed but did not run: nothing charged
    REFUSED = "refused"  # refused before any money could move
    UNRESOLVED = "unresolved"  # not settled on the spot: claim slip, support settles it


class Reason(str, Enum):
    """Stable reason codes: printed on slips, kept in the journal, mapped to text by the UI."""

    # refusals before anything was sent
    CARD_INVALID = "card_invalid"
    AMOUNT_BELOW_MINIMUM = "amount_below_minimum"
    AMOUNT_ABOVE_MAXIMUM = "amount_above_maximum"
    RECOVERY_PENDING = "recovery_pending"
    # the API's verdicts
    CARD_UNKNOWN = "card_unknown"
    CARD_LOCKED = "card_locked"
    CARD_FOREIGN = "card_foreign"
    CARD_PASSCODE = "card_passcode"
    AMOUNT_REFUSED = "amount_refused"
    SERVICE_UNAVAILABLE = "service_unavailable"
    API_UNREACHABLE = "api_unreachable"
    TECHNICAL_ERROR = "technical_error"
    # not executed after a transaction existed
    NOT_CREATED = "not_created"
    START_REFUSED = "start_refused"
    PAYMENT_DECLINED = "payment_declined"
    ABORTED = "aborted"
    INTERRUPTED = "interrupted"
    PAYMENT_REVERSED = "payment_reversed"
    # claims: the outcome could not be settled on the spot
    UNRESOLVED_CREATE = "unresolved_create"
    UNRESOLVED_START = "unresolved_start"
    REVERSAL_FAILED = "reversal_failed"
    SERVER_MISMATCH = "server_mismatch"
    STUCK_IN_PROGRESS = "stuck_in_progress"


# Operator/technician text (CLI, logs). The UI has its own translated strings per reason code.
REASON_TEXT: dict[Reason, str] = {
    Reason.CARD_INVALID: "this is not a valid card number",
    Reason.AMOUNT_BELOW_MINIMUM: "the amount is below the minimum top-up",
    Reason.AMOUNT_ABOVE_MAXIMUM: "the amount is above the maximum top-up",
    Reason.RECOVERY_PENDING: "an earlier top-up is still being resolved; not charged",
    Reason.CARD_UNKNOWN: "the card is not known",
    Reason.CARD_LOCKED: "the card is locked",
    Reason.CARD_FOREIGN: "the card is not valid at this merchant",
    Reason.CARD_PASSCODE: "the card is protected by a passcode and cannot be topped up here",
    Reason.AMOUNT_REFUSED: "the amount was refused by the payment service",
    Reason.SERVICE_UNAVAILABLE: "the payment service refused the kiosk (authorisation); out of "
                                "service",
    Reason.API_UNREACHABLE: "the payment service cannot be reached; not charged",
    Reason.TECHNICAL_ERROR: "the payment service reported an error; not charged",
    Reason.NOT_CREATED: "the payment service has no record of the top-up; not charged",
    Reason.START_REFUSED: "the payment service refused to carry out the top-up; not charged",
    Reason.PAYMENT_DECLINED: "the payment was declined; not charged",
    Reason.ABORTED: "the top-up was aborted; not charged",
    Reason.INTERRUPTED: "the kiosk was interrupted before the payment; not charged",
    Reason.PAYMENT_REVERSED: "the payment was reversed because the card could not be credited; "
                             "not charged",
    Reason.UNRESOLVED_CREATE: "the payment service did not answer; the outcome is being checked",
    Reason.UNRESOLVED_START: "the payment service did not answer; the outcome is being checked",
    Reason.REVERSAL_FAILED: "the payment went through but the card was not credited, and the "
                            "reversal was refused; support will settle it",
    Reason.SERVER_MISMATCH: "the payment service holds a different transaction than the kiosk "
                            "sent; support will settle it",
    Reason.STUCK_IN_PROGRESS: "the transaction stayed in progress; support will settle it",
}

# The API's error names (secuconnect-api.md "Errors") and what each means for a customer.
ERROR_REASONS: dict[str, Reason] = {
    "ProductException": Reason.TECHNICAL_ERROR,
    "ProductUnauthorizedException": Reason.SERVICE_UNAVAILABLE,
    "ProductNotAllowedException": Reason.SERVICE_UNAVAILABLE,
    "ProductNotEnoughBalanceException": Reason.AMOUNT_REFUSED,
    "ProductBlacklistedException": Reason.CARD_LOCKED,
    "ProductInternalException": Reason.TECHNICAL_ERROR,
    "ProductFormatException": Reason.AMOUNT_REFUSED,
    "ProductNotFoundException": Reason.CARD_UNKNOWN,
    "ProductMethodNotAllowedException": Reason.TECHNICAL_ERROR,
    "ProductUpdateFailedException": Reason.TECHNICAL_ERROR,
    "ProductDuplicateException": Reason.TECHNICAL_ERROR,
    "ProductSecurityException": Reason.SERVICE_UNAVAILABLE,
    "ProductBackendproviderException": Reason.SERVICE_UNAVAILABLE,
    "ProductPasscodeIncorrectException": Reason.CARD_PASSCODE,
}
# Internal codes are more specific than names and win over them.
CODE_REASONS: dict[int, Reason] = {
    1001: Reason.AMOUNT_REFUSED,  # invalid params: card and form are checked locally first
    1003: Reason.TECHNICAL_ERROR,  # transaction creation failed
    1007: Reason.REVERSAL_FAILED,  # could not cancel loyalty transaction
    2003: Reason.SERVICE_UNAVAILABLE,  # valid auth token required
}
# 1016 "card validation failed": which card problem, by the error's name; any other name
# (e.g. ProductNotAllowedException) means the card is not valid at this merchant.
CARD_VALIDATION_FAILED = 1016
CARD_ERROR_REASONS: dict[str, Reason] = {
    "ProductNotFoundException": Reason.CARD_UNKNOWN,
    "ProductBlacklistedException": Reason.CARD_LOCKED,
    "ProductPasscodeIncorrectException": Reason.CARD_PASSCODE,
}

# How many times a lost create must be searched without a hit, and a lost start read as still
# "created", before the kiosk concludes it did not run (a slow request may still be in flight).
NOT_FOUND_CONFIRMATIONS = 3
CREATED_READS_BEFORE_ABORT = 3

_BALANCE_RE = re.compile(r"(-?\d{1,3}(?:\.\d{3})+|-?\d+),(\d{2})")


def reason_for_api_error(error: ApiError, call: str = "create") -> Reason:
    """The customer outcome of a definite refusal by the API.

    `call` matters for "not found": on create it is the card; on start, the transaction.
    """
    if error.code == CARD_VALIDATION_FAILED:
        # 1016 is the code of every card refusal; the name tells which one.
        return CARD_ERROR_REASONS.get(error.error, Reason.CARD_FOREIGN)
    if error.code in CODE_REASONS:
        return CODE_REASONS[error.code]
    reason = ERROR_REASONS.get(error.error, Reason.TECHNICAL_ERROR)
    if call != "create" and reason in (Reason.CARD_UNKNOWN, Reason.AMOUNT_REFUSED):
        return Reason.START_REFUSED
    return reason


def balance_from_receipt(lines: tuple[ReceiptLine, ...]) -> int | None:
    """The new balance as the API printed it: the amount after the last "Aktuelles Guthaben".

    The card data inside the answer shows the balance before the top-up (see the seed), so the
    receipt is the source of the new balance.
    """
    found = None
    for index, line in enumerate(lines):
        label = line.text or line.name
        if "guthaben" not in label.lower():
            continue
        candidates = [line.value] if line.type == "name-value" else []
        candidates += [n.text or n.value for n in lines[index + 1:index + 2]]
        for text in candidates:
            match = _BALANCE_RE.search(text or "")
            if match:
                found = int(match.group(1).replace(".", "")) * 100 + int(match.group(2))
                break
    return found


class SecuconnectApi(Protocol):
    """What the procedure needs of kiosk.secuconnect.client.SecuconnectClient."""

    def create_topup(self, *, merchant_ref: str, card_number: str, amount: int, currency: str,
                     ean: str, tax: float, text: str, is_demo: bool) -> SmartTransaction: ...
    def get_transaction(self, stx_id: str) -> SmartTransaction: ...
    def find_by_merchant_ref(self, ref: str) -> list[SmartTransaction]: ...
    def start(self, stx_id: str, start_type: str) -> SmartTransaction: ...
    def cancel(self, stx_id: str) -> SmartTransaction | None: ...
    def abort(self, stx_id: str) -> SmartTransaction | None: ...
    def lookup_card(self, card_number: str) -> MerchantCard | None: ...
    def validate_card(self, card_number: str) -> CardValidation: ...


@dataclass(frozen=True)
class TopupResult:
    """A top-up's outcome with everything a screen, a slip or the CLI shows."""

    outcome: Outcome
    reference: str | None  # None: refused before a journal row was written
    amount: int
    currency: str
    card_masked: str
    reason: Reason | None = None
    state: State | None = None
    stx_id: str | None = None
    trans_id: str | None = None  # the "TA code"
    receipt: tuple[ReceiptLine, ...] = ()  # card numbers already masked
    new_balance: int | None = None
    support_id: str | None = None
    error: str | None = None  # technical detail for the operator

    @property
    def credited(self) -> bool:
        return self.outcome is Outcome.CONFIRMED

    @property
    def message(self) -> str:
        if self.outcome is Outcome.CONFIRMED:
            return f"{format_amount(self.amount, self.currency)} credited"
        text = REASON_TEXT.get(self.reason, "not charged") if self.reason else "not charged"
        if self.support_id:
            text += f" (supportId {self.support_id})"
        return text

    @classmethod
    def from_row(cls, row: TopupRow, outcome: Outcome) -> "TopupResult":
        return cls(
            outcome=outcome, reference=row.reference, amount=row.amount, currency=row.currency,
            card_masked=row.card_masked,
            # A credited row may carry the reason of a claim slip handed out before it was
            # settled; the journal keeps it, the result of a credit has no reason.
            reason=(Reason(row.reason) if row.reason in Reason._value2member_map_
                    and outcome is not Outcome.CONFIRMED else None),
            state=row.state, stx_id=row.stx_id, trans_id=row.trans_id, receipt=row.receipt,
            new_balance=row.new_balance, support_id=row.support_id, error=row.last_error,
        )


class CardStatus(str, Enum):
    OK = "ok"
    INVALID = "invalid"  # not a card number by form
    UNKNOWN = "unknown"
    LOCKED = "locked"
    FOREIGN = "foreign"  # a card, but not valid at this merchant
    UNREACHABLE = "unreachable"
    API_ERROR = "api_error"


@dataclass(frozen=True)
class CardCheckResult:
    status: CardStatus
    card_masked: str
    balance: int | None = None
    reason: Reason | None = None
    support_id: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is CardStatus.OK


class _Stopped(Exception):
    """Recovery was asked to stop; the row stays as it is for the next attempt."""


@dataclass
class _Backoff:
    """Exponential back-off between reads; the sleep is injectable so tests need not wait."""

    sleep: Callable[[float], None] | None
    base: float
    cap: float
    stop: threading.Event | None = None
    attempt: int = field(default=0)

    def pause(self) -> None:
        delay = min(self.cap, self.base * (2 ** self.attempt))
        self.attempt += 1
        if self.stop is not None and self.stop.is_set():
            raise _Stopped()
        if self.sleep is not None:
            self.sleep(delay)
        elif self.stop is not None:
            self.stop.wait(delay)
        else:
            time.sleep(delay)
        if self.stop is not None and self.stop.is_set():
            raise _Stopped()


class TopupService:
    """Runs top-ups and recovery against one journal and one API client. Knows no screens."""

    def __init__(
        self,
        client: SecuconnectApi,
        journal: Journal,
        config: Config,
        *,
        resolve_timeout_s: float = 90.0,
        stuck_after_s: float = 3600.0,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 15.0,
        sleep: Callable[[float], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.journal = journal
        self.config = config
        # How long a customer-facing top-up keeps resolving an unknown outcome before it hands
        # out a claim slip (the row stays open; recovery carries on).
        self.resolve_timeout_s = resolve_timeout_s
        # Recovery gives up on a transaction the server keeps "in progress" after this long.
        self.stuck_after_s = stuck_after_s
        self._backoff = (backoff_base_s, backoff_max_s)
        self._sleep = sleep
        self._monotonic = monotonic
        self._busy = threading.Lock()  # held by a top-up or a recovery run, never both

    @property
    def busy(self) -> bool:
        """A top-up or a recovery run is in progress."""
        return self._busy.locked()

    # --- card check ---------------------------------------------------------------------------

    def check_card(self, card_number: str) -> CardCheckResult:
        """Is this card one the kiosk may top up, and what is its balance?"""
        form = check_card_number(card_number, self.config.topup.card_prefixes)
        if not form.ok or form.number is None:
            return CardCheckResult(CardStatus.INVALID, mask_card(card_number),
                                   reason=Reason.CARD_INVALID)
        number = form.number
        masked = mask_card(number)
        try:
            card = self.client.lookup_card(number)
            validation = self.client.validate_card(number)
        except ApiError as exc:
            reason = reason_for_api_error(exc)
            status = {Reason.CARD_UNKNOWN: CardStatus.UNKNOWN,
                      Reason.CARD_LOCKED: CardStatus.LOCKED,
                      Reason.CARD_FOREIGN: CardStatus.FOREIGN}.get(reason, CardStatus.API_ERROR)
            return CardCheckResult(status, masked, reason=reason,
                                   support_id=exc.support_id or None, error=str(exc))
        except AuthError as exc:
            return CardCheckResult(CardStatus.API_ERROR, masked, reason=Reason.SERVICE_UNAVAILABLE,
                                   error=str(exc))
        except (SecuconnectError, ModelError) as exc:
            return CardCheckResult(CardStatus.UNREACHABLE, masked, reason=Reason.API_UNREACHABLE,
                                   support_id=getattr(exc, "support_id", "") or None,
                                   error=str(exc))
        if not validation.is_valid:
            if card is None:
                return CardCheckResult(CardStatus.UNKNOWN, masked, reason=Reason.CARD_UNKNOWN)
            return CardCheckResult(CardStatus.FOREIGN, masked, reason=Reason.CARD_FOREIGN)
        if validation.is_locked or (card is not None and card.locked):
            return CardCheckResult(CardStatus.LOCKED, masked, reason=Reason.CARD_LOCKED)
        return CardCheckResult(CardStatus.OK, masked, balance=card.balance if card else 0)

    # --- the top-up ---------------------------------------------------------------------------

    def topup(
        self,
        card_number: str,
        amount: int,
        *,
        start_type: str | None = None,
        on_progress: Callable[[State], None] | None = None,
    ) -> TopupResult:
        """Credit `amount` cents to the card, exactly once, or say clearly why not."""
        cfg = self.config.topup
        currency = cfg.currency
        form = check_card_number(card_number, cfg.card_prefixes)
        masked = mask_card(card_number)
        if not form.ok or form.number is None:
            return TopupResult(Outcome.REFUSED, None, amount, currency, masked,
                               reason=Reason.CARD_INVALID)
        if amount < cfg.minimum:
            return TopupResult(Outcome.REFUSED, None, amount, currency, masked,
                               reason=Reason.AMOUNT_BELOW_MINIMUM)
        if amount > cfg.maximum:
            return TopupResult(Outcome.REFUSED, None, amount, currency, masked,
                               reason=Reason.AMOUNT_ABOVE_MAXIMUM)
        # One money-moving procedure at a time: recovery (at boot or while running) must
        # never read, abort or resolve the row of a top-up in progress, nor the other way.
        if not self._busy.acquire(blocking=False):
            return TopupResult(Outcome.REFUSED, None, amount, currency, masked,
                               reason=Reason.RECOVERY_PENDING)
        try:
            return self._topup(form.number, amount, start_type, on_progress)
        finally:
            self._busy.release()

    def _topup(self, number: str, amount: int, start_type: str | None,
               on_progress: Callable[[State], None] | None) -> TopupResult:
        cfg = self.config.topup
        currency = cfg.currency
        masked = mask_card(number)
        if any(row.state in MONEY_OPEN for row in self.journal.unfinished()):
            return TopupResult(Outcome.REFUSED, None, amount, currency, masked,
                               reason=Reason.RECOVERY_PENDING)
        start_type = start_type or cfg.start_type
        if start_type not in START_TYPES:
            raise ValueError(f"start type must be one of {START_TYPES}, not {start_type!r}")
        progress = on_progress or (lambda state: None)
        clock = self._clock(None)
        deadline = self._monotonic() + self.resolve_timeout_s

        row = self.journal.begin(card_number=number, amount=amount, currency=currency,
                                 start_type=start_type)
        ref = row.reference
        log.info("top-up %s: %s to %s (%s)", ref, format_amount(amount, currency), masked,
                 start_type)
        progress(State.INTENT)
        try:
            stx = self.client.create_topup(
                merchant_ref=ref, card_number=number, amount=amount, currency=currency,
                ean=cfg.ean, tax=cfg.tax_rate,
                text=cfg.article_text.replace("{amount}", _plain_amount(amount)),
                is_demo=self.config.api.is_demo,
            )
        except ApiError as exc:
            return self._refused(ref, reason_for_api_error(exc, "create"), exc, exc.support_id)
        except AuthError as exc:
            return self._refused(ref, Reason.SERVICE_UNAVAILABLE, exc)
        except NotSentError as exc:
            return self._refused(ref, Reason.API_UNREACHABLE, exc)
        except (SecuconnectError, ModelError) as exc:
            self.journal.advance(ref, State.UNKNOWN, error=str(exc),
                                 support_id=getattr(exc, "support_id", "") or None)
            progress(State.UNKNOWN)
            log.warning("top-up %s: create answer lost (%s); searching by reference", ref, exc)
            return self._resolve_create(ref, clock, deadline, start=True, progress=progress)
        self.journal.advance(ref, State.CREATED, stx_id=stx.id)
        progress(State.CREATED)
        return self._start(ref, stx.id, start_type, clock, deadline, progress)

    def _start(self, ref: str, stx_id: str, start_type: str, clock: _Backoff,
               deadline: float | None, progress: Callable[[State], None]) -> TopupResult:
        self.journal.advance(ref, State.STARTING)
        progress(State.STARTING)
        try:
            stx = self.client.start(stx_id, start_type)
        except ApiError as exc:
            # A definite refusal; still read the transaction: for cashless, the terminal may
            # have taken the payment before the top-up part was refused.
            self.journal.note_error(ref, str(exc), exc.support_id or None)
            log.warning("top-up %s: start refused: %s", ref, exc)
            return self._resolve_started(ref, stx_id, clock, deadline, refusal=exc,
                                         progress=progress)
        except (NotSentError, AuthError) as exc:
            # The start certainly did not run: abandon the transaction.
            self.journal.note_error(ref, str(exc))
            reason = (Reason.SERVICE_UNAVAILABLE if isinstance(exc, AuthError)
                      else Reason.API_UNREACHABLE)
            self._abort_quietly(ref, stx_id)
            return self._not_executed(ref, reason, str(exc))
        except (SecuconnectError, ModelError) as exc:
            self.journal.advance(ref, State.UNKNOWN, error=str(exc),
                                 support_id=getattr(exc, "support_id", "") or None)
            progress(State.UNKNOWN)
            log.warning("top-up %s: start answer lost (%s); reading the transaction", ref, exc)
            return self._resolve_started(ref, stx_id, clock, deadline, progress=progress)
        if stx.succeeded:
            return self._confirm(ref, stx, progress)
        return self._resolve_started(ref, stx_id, clock, deadline, progress=progress, seen=stx)

    # --- receipts -----------------------------------------------------------------------------

    def receipt_printed(self, reference: str) -> TopupRow:
        """The receipt was handed out (or written to stdout by the CLI)."""
        return self.journal.advance(reference, State.DONE)

    def receipt_owed(self, reference: str) -> TopupRow:
        """Printing failed: keep the receipt for a reprint."""
        row = self.journal.get(reference)
        if row is not None and row.state is State.RECEIPT_OWED:
            return row
        return self.journal.advance(reference, State.RECEIPT_OWED)

    # --- recovery -----------------------------------------------------------------------------

    def recover(self, stop: threading.Event | None = None, *,
                wait: bool = True) -> list[TopupResult] | None:
        """Resolve every unfinished row, oldest first, retrying while the API is unreachable.

        Returns when all are resolved, or early (with what was resolved) when `stop` is set.
        Credited rows whose receipt was never decided become RECEIPT_OWED. Waits for a
        top-up in progress to end first; with `wait=False` returns None instead.
        """
        if not self._busy.acquire(blocking=wait):
            return None
        try:
            return self._recover(stop)
        finally:
            self._busy.release()

    def _recover(self, stop: threading.Event | None) -> list[TopupResult]:
        results = []
        for row in self.journal.unfinished():
            if stop is not None and stop.is_set():
                break
            clock = self._clock(stop)
            try:
                result = self._recover_row(row, clock)
            except _Stopped:
                break
            if result.credited and result.state is State.CONFIRMED and result.reference:
                # Nobody is waiting at the kiosk for this receipt any more: keep it for reprint.
                owed = self.journal.advance(result.reference, State.RECEIPT_OWED)
                result = TopupResult.from_row(owed, Outcome.CONFIRMED)
            detail = result.reason or result.state
            log.info("recovered top-up %s: %s (%s)", row.reference, result.outcome.value,
                     detail.value if detail else "-")
            results.append(result)
        return results

    def _recover_row(self, row: TopupRow, clock: _Backoff) -> TopupResult:
        ref = row.reference
        if row.state is State.CONFIRMED:
            return TopupResult.from_row(row, Outcome.CONFIRMED)
        if row.state is State.CREATED:
            # Crashed between create and start: start was never sent. Abandon it.
            assert row.stx_id
            return self._resolve_started(ref, row.stx_id, clock, None, abort_now=True,
                                         interrupted=True)
        if row.stx_id is None:  # INTENT, or UNKNOWN after create
            return self._resolve_create(ref, clock, None, start=False)
        # STARTING, or UNKNOWN after start
        return self._resolve_started(ref, row.stx_id, clock, None, interrupted=True)

    # --- resolving unknown outcomes -----------------------------------------------------------

    def _resolve_create(self, ref: str, clock: _Backoff, deadline: float | None, *, start: bool,
                        progress: Callable[[State], None] | None = None) -> TopupResult:
        """Find a create whose answer was lost, by our reference in merchantRef."""
        misses = 0
        while True:
            try:
                found = self.client.find_by_merchant_ref(ref)
            except (SecuconnectError, ModelError) as exc:
                self._note(ref, exc)
                if self._expired(deadline):
                    return self._unresolved(ref, Reason.UNRESOLVED_CREATE)
                clock.pause()
                continue
            row = self._row(ref)
            mine = [stx for stx in found if stx.merchant_ref == ref]
            if not mine:
                misses += 1
                if misses >= NOT_FOUND_CONFIRMATIONS:
                    return self._not_executed(ref, Reason.NOT_CREATED,
                                              "the payment service has no transaction with "
                                              "this reference")
                if self._expired(deadline):
                    return self._unresolved(ref, Reason.UNRESOLVED_CREATE)
                clock.pause()
                continue
            if any(stx.amount != row.amount for stx in mine) or len(mine) > 1:
                return self._mismatch(ref, mine)
            stx = mine[0]
            if stx.status == "created" and start and not self._expired(deadline):
                # The customer is still here and start was never sent: carry on.
                self.journal.advance(ref, State.CREATED, stx_id=stx.id)
                assert progress is not None
                progress(State.CREATED)
                return self._start(ref, stx.id, row.start_type, clock, deadline, progress)
            self.journal.advance(ref, State.UNKNOWN, stx_id=stx.id)
            if stx.status == "created":
                # Start was never sent for this reference: abandon the transaction.
                return self._resolve_started(ref, stx.id, clock, deadline, abort_now=True,
                                             interrupted=deadline is None, seen=stx)
            return self._resolve_started(ref, stx.id, clock, deadline, seen=stx)

    def _resolve_started(
        self,
        ref: str,
        stx_id: str,
        clock: _Backoff,
        deadline: float | None,
        *,
        refusal: ApiError | None = None,
        abort_now: bool = False,
        interrupted: bool = False,
        seen: SmartTransaction | None = None,
        progress: Callable[[State], None] | None = None,
    ) -> TopupResult:
        """Settle a transaction whose start may or may not have run, by reading it.

        Never sends start again. A transaction still "created" is aborted (after a few reads
        unless start certainly was not sent or was refused) and read again: the server's
        answer after the abort is final either way.
        """
        created_reads = 0
        first_created: float | None = None
        aborted = False
        in_progress_since: float | None = None
        row = self._row(ref)
        while True:
            stx = seen
            seen = None
            if stx is None:
                try:
                    stx = self.client.get_transaction(stx_id)
                except ApiError as exc:
                    self._note(ref, exc)
                    if exc.status == 404 or exc.error == "ProductNotFoundException":
                        return self._claim(ref, Reason.SERVER_MISMATCH,
                                           f"transaction {stx_id} not found: {exc}")
                    if self._expired(deadline):
                        return self._unresolved(ref, Reason.UNRESOLVED_START)
                    clock.pause()
                    continue
                except (SecuconnectError, ModelError) as exc:
                    self._note(ref, exc)
                    if self._expired(deadline):
                        return self._unresolved(ref, Reason.UNRESOLVED_START)
                    clock.pause()
                    continue
            if stx.amount and stx.amount != row.amount:
                return self._mismatch(ref, [stx])
            if stx.succeeded:
                return self._confirm(ref, stx, progress)
            if stx.status == "created":
                created_reads += 1
                if first_created is None:
                    first_created = self._monotonic()
                if aborted:
                    # The abort was answered but the transaction is still "created" (the
                    # abort was refused, e.g. a request limit): send it again after the
                    # pause, and hand it to support like a stuck one if it never goes.
                    aborted = False
                    now = self._monotonic()
                    if in_progress_since is None:
                        in_progress_since = now
                    if deadline is None and now - in_progress_since >= self.stuck_after_s:
                        return self._claim(ref, Reason.STUCK_IN_PROGRESS,
                                           f"transaction {stx_id} stayed created; abort refused")
                elif ((abort_now or refusal is not None
                       or (created_reads >= CREATED_READS_BEFORE_ABORT
                           and not self._terminal_may_be_busy(row, first_created)))
                      and self._abort_quietly(ref, stx_id)):
                    # Once the API has answered the abort, the next read tells the outcome;
                    # an abort that got no answer is sent again after the pause.
                    aborted = True
                    continue
            elif stx.not_executed:
                if refusal is not None:
                    reason = reason_for_api_error(refusal, "start")
                elif stx.status == "failed":
                    reason = Reason.PAYMENT_DECLINED  # e.g. the customer gave up at the terminal
                elif interrupted:
                    reason = Reason.INTERRUPTED
                else:
                    reason = Reason.ABORTED
                return self._not_executed(ref, reason, f"transaction {stx_id} is {stx.status}",
                                          support_id=refusal.support_id if refusal else None)
            elif stx.status == "approved" and refusal is not None and row.start_type == "cashless":
                # The terminal took the payment but the top-up was refused: reverse it.
                return self._reverse(ref, stx_id, clock, deadline)
            else:
                # In progress (STATUS_IN_PROGRESS), or a status word this kiosk does not know:
                # either way not settled, and never "failed".
                now = self._monotonic()
                in_progress_since = in_progress_since if in_progress_since is not None else now
                if deadline is None and now - in_progress_since >= self.stuck_after_s:
                    return self._claim(ref, Reason.STUCK_IN_PROGRESS,
                                       f"transaction {stx_id} stayed {stx.status}")
            if self._expired(deadline):
                return self._unresolved(ref, Reason.UNRESOLVED_START)
            clock.pause()

    def _terminal_may_be_busy(self, row: TopupRow, first_created: float | None) -> bool:
        """Whether a card terminal may still be taking this customer's payment.

        A `start/cashless` whose answer was lost may still be waiting at the terminal, and
        whether the API reads "created" meanwhile is not documented. Aborting then could race
        the customer's payment, so such a transaction is left alone for as long as the kiosk
        itself would have waited for the terminal (counted from the first "created" read,
        which is never earlier than the start).
        """
        if row.start_type != "cashless":
            return False
        waited = self._monotonic() - (first_created if first_created is not None
                                      else self._monotonic())
        return waited < self.config.api.start_cashless_timeout

    def _reverse(self, ref: str, stx_id: str, clock: _Backoff,
                 deadline: float | None) -> TopupResult:
        """Cancel a payment that went through while the top-up did not."""
        while True:
            try:
                self.client.cancel(stx_id)
            except ApiError as exc:
                return self._claim(ref, Reason.REVERSAL_FAILED, str(exc), exc.support_id or None)
            except (SecuconnectError, ModelError) as exc:
                self._note(ref, exc)
            try:
                stx = self.client.get_transaction(stx_id)
            except (SecuconnectError, ModelError) as exc:
                self._note(ref, exc)
            else:
                if stx.status in ("cancelled", "canceled"):
                    return self._not_executed(ref, Reason.PAYMENT_REVERSED,
                                              f"transaction {stx_id} cancelled")
            if self._expired(deadline):
                return self._unresolved(ref, Reason.UNRESOLVED_START)
            clock.pause()

    # --- outcomes -----------------------------------------------------------------------------

    def _confirm(self, ref: str, stx: SmartTransaction,
                 progress: Callable[[State], None] | None) -> TopupResult:
        row = self.journal.advance(
            ref, State.CONFIRMED, stx_id=stx.id, trans_id=stx.trans_id or None,
            receipt=stx.receipt, new_balance=balance_from_receipt(stx.receipt),
        )
        if progress is not None:
            progress(State.CONFIRMED)
        log.info("top-up %s: confirmed, %s (TA %s)", ref, stx.id, stx.trans_id)
        return TopupResult.from_row(row, Outcome.CONFIRMED)

    def _refused(self, ref: str, reason: Reason, exc: Exception,
                 support_id: str | None = None) -> TopupResult:
        row = self.journal.advance(ref, State.NOT_EXECUTED, reason=reason.value, error=str(exc),
                                   support_id=support_id or None)
        log.warning("top-up %s: refused (%s): %s", ref, reason.value, exc)
        return TopupResult.from_row(row, Outcome.REFUSED)

    def _not_executed(self, ref: str, reason: Reason, detail: str,
                      support_id: str | None = None) -> TopupResult:
        row = self.journal.advance(ref, State.NOT_EXECUTED, reason=reason.value, error=detail,
                                   support_id=support_id or None)
        log.info("top-up %s: not executed (%s): %s", ref, reason.value, detail)
        return TopupResult.from_row(row, Outcome.NOT_EXECUTED)

    def _claim(self, ref: str, reason: Reason, detail: str,
               support_id: str | None = None) -> TopupResult:
        row = self.journal.advance(ref, State.CLAIM, reason=reason.value, error=detail,
                                   support_id=support_id or None)
        log.error("top-up %s: claim (%s): %s", ref, reason.value, detail)
        return TopupResult.from_row(row, Outcome.UNRESOLVED)

    def _mismatch(self, ref: str, found: list[SmartTransaction]) -> TopupResult:
        described = ", ".join(f"{s.id} {s.status} {s.amount}" for s in found)
        return self._claim(ref, Reason.SERVER_MISMATCH,
                           f"reference {ref} matches unexpected transaction(s): {described}")

    def _unresolved(self, ref: str, reason: Reason) -> TopupResult:
        # The row stays open (UNKNOWN): recovery resolves it before the next customer. The
        # reason is recorded for the claim slip handed out now.
        row = self.journal.advance(ref, State.UNKNOWN, reason=reason.value)
        log.error("top-up %s: outcome not settled in time (%s); claim slip", ref, reason.value)
        return TopupResult.from_row(row, Outcome.UNRESOLVED)

    # --- helpers ------------------------------------------------------------------------------

    def _abort_quietly(self, ref: str, stx_id: str) -> bool:
        """Abort a transaction not started; True when the API answered (accepted or refused).

        A refusal is fine: a transaction left "created" moves no money, and the read that
        follows tells what really happened.
        """
        try:
            self.client.abort(stx_id)
        except ApiError as exc:
            self._note(ref, exc)
            log.warning("top-up %s: abort of %s refused: %s", ref, stx_id, exc)
        except (SecuconnectError, ModelError) as exc:
            self._note(ref, exc)
            log.warning("top-up %s: abort of %s got no answer: %s", ref, stx_id, exc)
            return False
        return True

    def _note(self, ref: str, exc: Exception) -> None:
        try:
            self.journal.note_error(ref, str(exc), getattr(exc, "support_id", "") or None)
        except JournalError:
            log.exception("top-up %s: cannot record error in the journal", ref)

    def _row(self, ref: str) -> TopupRow:
        row = self.journal.get(ref)
        if row is None:
            raise JournalError(f"top-up {ref} vanished from {self.journal.path}")
        return row

    def _expired(self, deadline: float | None) -> bool:
        return deadline is not None and self._monotonic() >= deadline

    def _clock(self, stop: threading.Event | None) -> _Backoff:
        return _Backoff(self._sleep, self._backoff[0], self._backoff[1], stop)


def _plain_amount(cents: int) -> str:
    """"15" for 1500, "12,50" for 1250: the article text's amount without currency."""
    whole, frac = divmod(cents, 100)
    return str(whole) if frac == 0 else f"{whole},{frac:02d}"
