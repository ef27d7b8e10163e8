"""Settling a top-up whose outcome is unknown, by reading the API: never sends start twice."""

from __future__ import annotations

from typing import Callable

from kiosk.journal import State, TopupRow
from kiosk.secuconnect.errors import ApiError, SecuconnectError
from kiosk.secuconnect.models import STATUS_CREATED, ModelError, SmartTransaction
from kiosk.topup.backoff import Backoff
from kiosk.topup.core import ServiceCore
from kiosk.topup.reasons import Reason, reason_for_api_error
from kiosk.topup.results import TopupResult

# How many times a lost start must read as still "created" before the kiosk aborts it (a slow
# request may still be in flight).
CREATED_READS_BEFORE_ABORT = 3


class Resolver(ServiceCore):
    """Reads the API until a lost start is settled, or its deadline passes.

    Only the transaction's own status decides, read by its id: "ok" is credited, "failed" and
    "aborted" are not executed, "cancelled" is reversed; any other word (documented or not)
    is read again until the deadline, then handed over as a claim - never called failed.
    """

    def _resolve_started(
        self,
        ref: str,
        stx_id: str,
        clock: Backoff,
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
            if stx.status == STATUS_CREATED:
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
            elif stx.reversed:
                return self._not_executed(ref, Reason.PAYMENT_REVERSED,
                                          f"transaction {stx_id} is {stx.status}")
            elif stx.status == "approved" and refusal is not None and row.start_type == "cashless":
                # The terminal took the payment but the top-up was refused: reverse it.
                return self._reverse(ref, stx_id, clock, deadline)
            else:
                # In progress, an e-commerce word, or a word this kiosk does not know: either
                # way not settled - read again, then claim; never "failed".
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

    def _reverse(self, ref: str, stx_id: str, clock: Backoff,
                 deadline: float | None) -> TopupResult:
        """Cancel a payment that went through while the top-up did not.

        Whatever the cancel answers (a transaction or `{"result": ...}`), only a read that
        shows the transaction cancelled makes it "reversed". A refusal (e.g. 1007: not the
        card's last transaction) is a claim at once, not a retry loop; an accepted cancel is
        only read again, never sent twice; a lost answer is sent again after a pause.
        """
        accepted = False
        refused: Exception | None = None
        while True:
            if not accepted and refused is None:
                try:
                    answer = self.client.cancel(stx_id)
                except ApiError as exc:
                    self._note(ref, exc)
                    refused = exc
                except (SecuconnectError, ModelError) as exc:
                    self._note(ref, exc)
                else:
                    accepted = answer.accepted
                    if not accepted:
                        refused = RuntimeError(f"cancel of {stx_id} answered result false")
            try:
                stx = self.client.get_transaction(stx_id)
            except (SecuconnectError, ModelError) as exc:
                self._note(ref, exc)
            else:
                if stx.reversed:
                    return self._not_executed(ref, Reason.PAYMENT_REVERSED,
                                              f"transaction {stx_id} {stx.status}")
                if refused is not None:
                    return self._claim(ref, Reason.REVERSAL_FAILED,
                                       f"{refused}; transaction {stx_id} reads {stx.status}",
                                       getattr(refused, "support_id", "") or None)
            if self._expired(deadline):
                return self._unresolved(ref, Reason.UNRESOLVED_START)
            clock.pause()
