"""What the top-up procedure and recovery share: the API, the journal, the clocks, and how an outcome is written."""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Protocol

from kiosk.config import Config
from kiosk.journal import MONEY_OPEN, Journal, JournalError, State, TopupRow
from kiosk.secuconnect.errors import ApiError, SecuconnectError
from kiosk.secuconnect.models import (
    CancelAnswer,
    CardValidation,
    MerchantCard,
    ModelError,
    SmartTransaction,
)
from kiosk.topup.backoff import Backoff
from kiosk.topup.balance import balance_from_receipt
from kiosk.topup.reasons import Outcome, Reason
from kiosk.topup.results import TopupResult

# One logger for the whole package: log lines read "kiosk.topup: ..." whichever module writes.
log = logging.getLogger(__package__)


class SecuconnectApi(Protocol):
    """What the procedure needs of kiosk.secuconnect.client.SecuconnectClient."""

    def create_topup(self, *, merchant_ref: str, card_number: str, amount: int, currency: str,
                     ean: str, tax: float, text: str, is_demo: bool) -> SmartTransaction: ...
    def get_transaction(self, stx_id: str) -> SmartTransaction: ...
    def find_by_merchant_ref(self, ref: str) -> list[SmartTransaction]: ...
    def start(self, stx_id: str, start_type: str) -> SmartTransaction: ...
    def cancel(self, stx_id: str) -> CancelAnswer: ...
    def abort(self, stx_id: str) -> CancelAnswer: ...
    def lookup_card(self, card_number: str) -> MerchantCard | None: ...
    def validate_card(self, card_number: str) -> CardValidation: ...


# Reasons of a top-up handed to its customer as a claim while its row stays open (UNKNOWN).
CLAIM_REASONS = frozenset({Reason.UNRESOLVED_CREATE.value, Reason.UNRESOLVED_START.value})


def handed_over(row: TopupRow) -> bool:
    """An open row whose customer already has a claim slip: it blocks nobody any more and
    recovery settles it in the background."""
    return row.state in MONEY_OPEN and row.reason in CLAIM_REASONS


class ServiceCore:
    """The state and the journal writes every part of the top-up service uses. Knows no screens."""

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
        self._topup_lock = threading.Lock()      # one customer top-up at a time
        self._recovery_lock = threading.Lock()   # one recovery run at a time
        # Rows being worked on, by a top-up or by recovery: neither ever touches the other's
        # row (no read-and-abort racing a customer's payment), yet a recovery that keeps
        # settling a claim does not keep the next customer waiting.
        self._owned: set[str] = set()
        self._owned_lock = threading.Lock()

    @property
    def busy(self) -> bool:
        """A top-up or a recovery run is in progress."""
        return self._topup_lock.locked() or self._recovery_lock.locked()

    def _own(self, reference: str) -> bool:
        """Take `reference` for this thread's work; False when another already works on it."""
        with self._owned_lock:
            if reference in self._owned:
                return False
            self._owned.add(reference)
            return True

    def _release(self, reference: str) -> None:
        with self._owned_lock:
            self._owned.discard(reference)

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
            answer = self.client.abort(stx_id)
        except ApiError as exc:
            self._note(ref, exc)
            log.warning("top-up %s: abort of %s refused: %s", ref, stx_id, exc)
            return True
        except (SecuconnectError, ModelError) as exc:
            self._note(ref, exc)
            log.warning("top-up %s: abort of %s got no answer: %s", ref, stx_id, exc)
            return False
        if not answer.accepted:
            log.warning("top-up %s: abort of %s answered result false", ref, stx_id)
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

    def _clock(self, stop: threading.Event | None) -> Backoff:
        return Backoff(self._sleep, self._backoff[0], self._backoff[1], stop)

