"""Recovery: settle every unfinished top-up in the journal, oldest first, retrying while the API is away."""

from __future__ import annotations

import threading

from kiosk.journal import State, TopupRow
from kiosk.topup.backoff import Backoff, Stopped
from kiosk.topup.core import log
from kiosk.topup.reasons import Outcome
from kiosk.topup.resolve import Resolver
from kiosk.topup.results import TopupResult


class Recovery(Resolver):
    """Resolves the journal's open rows when no customer is waiting for them."""

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
        results: list[TopupResult] = []
        try:
            rows = self.journal.unfinished()
        except Exception:   # noqa: BLE001 - the caller retries; it must learn why in the log
            log.exception("recovery: cannot read the unfinished top-ups; trying again later")
            return results
        for row in rows:
            if stop is not None and stop.is_set():
                break
            try:
                result = self._settle(row, self._clock(stop))
            except Stopped:
                break
            except Exception:   # noqa: BLE001 - one row's trouble must not end recovery
                # The row stays open as it is; the next recovery run tries it again.
                log.exception("recovery of top-up %s failed; it stays open for the next run",
                              row.reference)
                continue
            results.append(result)
        return results

    def _settle(self, row: TopupRow, clock: Backoff) -> TopupResult:
        result = self._recover_row(row, clock)
        if result.credited and result.state is State.CONFIRMED and result.reference:
            # Nobody is waiting at the kiosk for this receipt any more: keep it for reprint.
            owed = self.journal.advance(result.reference, State.RECEIPT_OWED)
            result = TopupResult.from_row(owed, Outcome.CONFIRMED)
        detail = result.reason or result.state
        log.info("recovered top-up %s: %s (%s)", row.reference, result.outcome.value,
                 detail.value if detail else "-")
        return result

    def _recover_row(self, row: TopupRow, clock: Backoff) -> TopupResult:
        ref = row.reference
        if row.state is State.CONFIRMED:
            return TopupResult.from_row(row, Outcome.CONFIRMED)
        if row.state is State.CREATED:
            # Crashed between create and start: start was never sent. Abandon it.
            assert row.stx_id
            return self._resolve_started(ref, row.stx_id, clock, None, abort_now=True,
                                         interrupted=True)
        if row.stx_id is None:  # INTENT, or UNKNOWN after create
            return self._resolve_create(ref, clock, None)
        # STARTING, or UNKNOWN after start
        return self._resolve_started(ref, row.stx_id, clock, None, interrupted=True)
