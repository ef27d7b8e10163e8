"""Recovery: settle every unfinished top-up in the journal, oldest first, retrying while the API is away."""

from __future__ import annotations

import threading
from typing import Callable

from kiosk.journal import MONEY_OPEN, State, TopupRow
from kiosk.topup.backoff import Backoff, Stopped
from kiosk.topup.core import handed_over, log
from kiosk.topup.reasons import Outcome, Reason
from kiosk.topup.resolve import Resolver
from kiosk.topup.results import TopupResult


class _LeftAsClaim(Exception):
    """The row became a claim and this run leaves claims to a later one."""


class Recovery(Resolver):
    """Resolves the journal's open rows when no customer is waiting for them."""

    # --- recovery -----------------------------------------------------------------------------

    def recover(self, stop: threading.Event | None = None, *, wait: bool = True,
                claims: bool = True) -> list[TopupResult] | None:
        """Resolve every unfinished row, oldest first, retrying while the API is unreachable.

        Returns when all are resolved, or early (with what was resolved) when `stop` is set.
        Credited rows whose receipt was never decided become RECEIPT_OWED. Never touches the
        row of a top-up in progress. Waits for another recovery run to end first; with
        `wait=False` returns None instead.

        A row no customer holds a claim for blocks new customers, so it is handed over as a
        claim once it has resisted for `resolve_timeout_s`; recovery then keeps settling it,
        or, with `claims=False` (before the first customer), leaves claims to a later run.
        """
        if not self._recovery_lock.acquire(blocking=wait):
            return None
        try:
            return self._recover(stop, claims)
        finally:
            self._recovery_lock.release()

    def _recover(self, stop: threading.Event | None, claims: bool) -> list[TopupResult]:
        results: list[TopupResult] = []
        try:
            rows = self.journal.unfinished()
        except Exception:   # noqa: BLE001 - the caller retries; it must learn why in the log
            log.exception("recovery: cannot read the unfinished top-ups; trying again later")
            return results
        for listed in rows:
            if stop is not None and stop.is_set():
                break
            if not self._own(listed.reference):
                continue   # a top-up in progress: its own procedure settles it
            try:
                row = self.journal.get(listed.reference)   # as it is now that it is ours
                if row is None or row.finished or (handed_over(row) and not claims):
                    continue
                results.append(self._settle(row, self._clock(stop), claims))
            except Stopped:
                break
            except _LeftAsClaim:
                continue
            except Exception:   # noqa: BLE001 - one row's trouble must not end recovery
                # The row stays open as it is; the next recovery run tries it again.
                log.exception("recovery of top-up %s failed; it stays open for the next run",
                              listed.reference)
            finally:
                self._release(listed.reference)
        return results

    def _settle(self, row: TopupRow, clock: Backoff, claims: bool) -> TopupResult:
        if row.state in MONEY_OPEN and not handed_over(row):
            clock.on_pause = self._hand_over_when_due(row.reference, claims)
        result = self._recover_row(row, clock)
        if result.credited and result.state is State.CONFIRMED and result.reference:
            # Nobody is waiting at the kiosk for this receipt any more: keep it for reprint.
            owed = self.journal.advance(result.reference, State.RECEIPT_OWED)
            result = TopupResult.from_row(owed, Outcome.CONFIRMED)
        detail = result.reason or result.state
        log.info("recovered top-up %s: %s (%s)", row.reference, result.outcome.value,
                 detail.value if detail else "-")
        return result

    def _hand_over_when_due(self, ref: str, claims: bool) -> Callable[[], None]:
        """A check, run at each pause, that hands the row over as a claim once it is due."""
        due = self._monotonic() + self.resolve_timeout_s

        def check() -> None:
            if self._monotonic() < due:
                return
            row = self._row(ref)
            if row.state in MONEY_OPEN and not handed_over(row):
                reason = Reason.UNRESOLVED_START if row.stx_id else Reason.UNRESOLVED_CREATE
                self.journal.advance(ref, State.UNKNOWN, reason=reason.value)
                log.error("top-up %s: not settled after %.0f s of recovery (%s); handed to "
                          "support as a claim, new customers are served meanwhile", ref,
                          self.resolve_timeout_s, reason.value)
            if not claims:
                raise _LeftAsClaim()

        return check

    def _recover_row(self, row: TopupRow, clock: Backoff) -> TopupResult:
        ref = row.reference
        if row.state is State.CONFIRMED:
            return TopupResult.from_row(row, Outcome.CONFIRMED)
        if row.state is State.CREATED:
            # Crashed between create and start: start was never sent. Abandon it.
            assert row.stx_id
            return self._resolve_started(ref, row.stx_id, clock, None, abort_now=True,
                                         interrupted=True)
        if row.stx_id is None:  # INTENT, or UNKNOWN after create (journals of older kiosks)
            # Start is only sent for a journaled id: no money moved. An orphan the server may
            # have created is left to the orphan sweep (cleanup, not money).
            return self._not_executed(ref, Reason.NOT_CREATED,
                                      "the kiosk stopped before a transaction id was journaled")
        # STARTING, or UNKNOWN after start
        return self._resolve_started(ref, row.stx_id, clock, None, interrupted=True)
