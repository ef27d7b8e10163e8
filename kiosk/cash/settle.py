"""After the notes: one top-up for the stacked total, a bounded retry, else a slip; recovery and the admin's "credit now"."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from enum import Enum
from typing import Callable

from kiosk.cards import mask_card
from kiosk.cash.ledger import CashLedger, CashSessionRow, CashState
from kiosk.journal import MONEY_OPEN, JournalError, State
from kiosk.topup import Outcome, Reason, TopupResult, TopupService

log = logging.getLogger(__name__)

START_TYPE = "cash"
# A top-up refused for one of these did not run and may run on a second try.
RETRYABLE = frozenset({Reason.API_UNREACHABLE, Reason.SERVICE_UNAVAILABLE,
                       Reason.TECHNICAL_ERROR, Reason.NOT_CREATED, Reason.INTERRUPTED,
                       Reason.RECOVERY_PENDING, Reason.ABORTED})
CREDITED_STATES = frozenset({State.CONFIRMED, State.RECEIPT_OWED, State.DONE})


class Attempt(str, Enum):
    """What the last top-up attempt of a session came to, read from its topups row."""

    NONE = "none"  # no attempt, or one that certainly did not run: a new one may start
    CREDITED = "credited"
    OPEN = "open"  # the topups row is still open: top-up recovery settles it first
    CLAIM = "claim"  # the topups row is a claim: support decides, never a second top-up


class Slip(str, Enum):
    OWED = "owed"  # "20,00 € eingezahlt, noch nicht gutgeschrieben"
    CLAIM = "claim"  # outcome being checked: the claim slip


@dataclass(frozen=True)
class CashResult:
    """How a cash session ended, for the screen, the slip or receipt, and the CLI."""

    session: CashSessionRow
    topup: TopupResult | None  # the last attempt's result, when one ran in this call
    slip: Slip | None  # the slip to hand out now (already committed in the ledger)

    @property
    def credited(self) -> bool:
        return self.session.state in (CashState.CREDITED, CashState.SETTLED)


class CashSettler:
    """Turns ended cash sessions into a credit or an owed slip; never both for one session."""

    def __init__(self, service: TopupService, ledger: CashLedger, *, retry_s: float = 30.0,
                 backoff_s: float = 0.5, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.service = service
        self.ledger = ledger
        self.retry_s = retry_s
        self.backoff_s = backoff_s
        self.sleep = sleep
        self.clock = clock

    # --- the customer is waiting ------------------------------------------------------------

    def settle(self, ref: str) -> CashResult:
        """Top up the stacked total now; retry a certain "not executed" for `retry_s`; then the
        slip (committed before it is printed) and the row stays owed."""
        row = self._ended(ref)
        if row.total == 0:
            return CashResult(self.ledger.advance(ref, CashState.EMPTY), None, None)
        deadline = self.clock() + self.retry_s
        delay = self.backoff_s
        result: TopupResult | None = None
        while True:
            status = self.attempt(row)
            if status is Attempt.CREDITED:
                return CashResult(self.ledger.advance(ref, CashState.CREDITED), result, None)
            if status is not Attempt.NONE:
                break
            result = self._try(row)
            row = self.ledger.get(ref)
            if result.outcome is Outcome.CONFIRMED:
                continue  # read back from the topups row: CREDITED
            if result.outcome is Outcome.UNRESOLVED or not self._retryable(result) \
                    or self.clock() + delay > deadline:
                break
            log.info("cash session %s: top-up not executed (%s); trying again", ref,
                     result.reason.value if result.reason else "-")
            self.sleep(delay)
            delay = min(delay * 2, 5.0)
        return self._slip(row, result)

    # --- recovery (no customer) ---------------------------------------------------------------

    def recover(self, drain: Callable[[CashSessionRow], None] | None = None) -> list[CashResult]:
        """Settle what a crash or a lost answer left. A session without a slip is completed
        automatically; after a slip only a claim's own transaction may still credit it, and
        an owed session waits for the admin. Run after the top-up recovery."""
        results = []
        for row in self.ledger.unfinished():
            try:
                results.append(self._recover_one(row, drain))
            except JournalError:
                raise
            except Exception:   # noqa: BLE001 - one session must not stop the others
                log.exception("cash session %s: recovery failed; trying again later",
                              row.reference)
        return results

    def _recover_one(self, row: CashSessionRow,
                     drain: Callable[[CashSessionRow], None] | None) -> CashResult:
        ref = row.reference
        if row.state is CashState.OPEN:
            if drain is not None:
                drain(row)  # book what the validator still reports for this session
            row = self._ended(ref)
        status = self.attempt(row)
        if row.state is CashState.CLAIM:
            if status is Attempt.CREDITED:
                return CashResult(self.ledger.advance(ref, CashState.CREDITED), None, None)
            if status is Attempt.NONE:
                return CashResult(self.ledger.advance(ref, CashState.OWED), None, None)
            return CashResult(row, None, None)
        if row.state is not CashState.ENDED or row.slip is not None:
            return CashResult(row, None, None)  # owed: the admin's, or support's
        if row.total == 0:
            return CashResult(self.ledger.advance(ref, CashState.EMPTY), None, None)
        if status is Attempt.CREDITED:
            return CashResult(self.ledger.advance(ref, CashState.CREDITED), None, None)
        if status is not Attempt.NONE:
            return CashResult(row, None, None)  # top-up recovery settles that row first
        result = self._try(row)
        row = self.ledger.get(ref)
        if self.attempt(row) is Attempt.CREDITED:
            return CashResult(self.ledger.advance(ref, CashState.CREDITED), result, None)
        if result.outcome is not Outcome.UNRESOLVED and not self._retryable(result):
            # Refused for good (card locked...): owed, for support; no slip was handed out.
            row = self.ledger.advance(ref, CashState.OWED,
                                      reason=result.reason.value if result.reason else None)
        return CashResult(row, result, None)

    # --- the admin: "owed cash: credit now" ---------------------------------------------------

    def credit_owed(self, ref: str, card_number: str) -> CashResult:
        """Credit an owed session once to the customer's card, scanned again at the admin
        screen (the journal keeps no full number for it); refuses another card, and while an
        earlier attempt is not settled."""
        row = self.ledger.get(ref)
        if row.state is not CashState.OWED:
            raise JournalError(f"cash session {ref} is {row.state.value}, not owed")
        if mask_card(card_number) != row.card_masked:
            raise JournalError(f"cash session {ref} belongs to card {row.card_masked}, "
                               f"not {mask_card(card_number)}")
        status = self.attempt(row)
        if status is Attempt.CREDITED:
            return CashResult(self.ledger.advance(ref, CashState.SETTLED), None, None)
        if status is not Attempt.NONE:
            raise JournalError(f"cash session {ref}: top-up {row.topup_reference()} is not "
                               f"settled yet; run `kiosk recover` first")
        result = self._try(row, card_number)
        row = self.ledger.get(ref)
        if self.attempt(row) is Attempt.CREDITED:
            row = self.ledger.advance(ref, CashState.SETTLED)
        return CashResult(row, result, None)

    # --- internals ------------------------------------------------------------------------

    def attempt(self, row: CashSessionRow) -> Attempt:
        if row.attempts == 0:
            return Attempt.NONE
        topup = self.service.journal.get(row.topup_reference())
        if topup is None or topup.state is State.NOT_EXECUTED:
            return Attempt.NONE
        if topup.state in CREDITED_STATES:
            return Attempt.CREDITED
        if topup.state in MONEY_OPEN:
            return Attempt.OPEN
        return Attempt.CLAIM

    def _ended(self, ref: str) -> CashSessionRow:
        row = self.ledger.get(ref)
        if row.state is CashState.OPEN:
            row = self.ledger.advance(ref, CashState.ENDED)
        return row

    def _try(self, row: CashSessionRow, card_number: str | None = None) -> TopupResult:
        number = card_number or row.card_number
        if number is None:
            raise JournalError(f"cash session {row.reference} has no card number left")
        row = self.ledger.next_attempt(row.reference)
        return self.service.topup(number, row.total, start_type=START_TYPE,
                                  reference=row.topup_reference())

    def _slip(self, row: CashSessionRow, result: TopupResult | None) -> CashResult:
        """Commit that the slip is handed out, then the caller prints it."""
        if self.attempt(row) in (Attempt.OPEN, Attempt.CLAIM):
            row = self.ledger.advance(row.reference, CashState.CLAIM, slip=Slip.CLAIM.value)
            return CashResult(row, result, Slip.CLAIM)
        reason = result.reason.value if result is not None and result.reason else None
        row = self.ledger.advance(row.reference, CashState.OWED, slip=Slip.OWED.value,
                                  reason=reason)
        return CashResult(row, result, Slip.OWED)

    @staticmethod
    def _retryable(result: TopupResult) -> bool:
        return result.outcome in (Outcome.NOT_EXECUTED, Outcome.REFUSED) \
            and result.reason in RETRYABLE
