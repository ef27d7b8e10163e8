"""The orphan sweep: top-ups concluded "not created" are searched for again for a day, and a
transaction the API created late is aborted."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from kiosk.secuconnect.errors import ApiError, SecuconnectError
from kiosk.secuconnect.models import STATUS_CREATED, ModelError
from kiosk.topup.core import ServiceCore, log
from kiosk.topup.reasons import Reason

# A create whose answer was lost may still run at the API after the kiosk concluded "not
# created" (a slow request, a queue). Such an orphan stays `created` (it moves no money:
# nobody can start it without its id), so this is cleanup only, never money safety: search
# by merchantRef is unconfirmed at the real API (secuconnect-api.md).
ORPHAN_WINDOW = timedelta(hours=24)
# Between two sweeps of the running kiosk (each sweep searches every row in the window).
SWEEP_INTERVAL_S = 600.0


class OrphanSweep(ServiceCore):
    """Searches for late creates of top-ups the kiosk settled as "not created"."""

    _last_sweep: float | None = None
    _swept: frozenset[str] = frozenset()   # references found and dealt with

    def sweep_orphans(self, *, force: bool = False,
                      now: datetime | None = None) -> list[str]:
        """Abort late transactions of recent "not created" rows; the ids aborted.

        At most once per SWEEP_INTERVAL_S unless `force`. Never changes a journal row: the
        customer was told "not charged", and an orphan `created` moved no money.
        """
        started = self._monotonic()
        if not force and self._last_sweep is not None \
                and started - self._last_sweep < SWEEP_INTERVAL_S:
            return []
        self._last_sweep = started
        since = (now or datetime.now(timezone.utc)) - ORPHAN_WINDOW
        aborted: list[str] = []
        try:
            rows = self.journal.not_executed_since(Reason.NOT_CREATED.value,
                                                   since.isoformat(timespec="milliseconds"))
        except Exception:   # noqa: BLE001 - cleanup must never take the caller down
            log.exception("orphan sweep: cannot read the journal")
            return aborted
        for row in rows:
            if row.reference in self._swept:
                continue
            try:
                aborted += self._sweep(row.reference)
            except (SecuconnectError, ModelError) as exc:
                log.info("orphan sweep: payment service not usable (%s); next sweep later", exc)
                break
            except Exception:   # noqa: BLE001 - one row's trouble must not end the sweep
                log.exception("orphan sweep of top-up %s failed", row.reference)
        return aborted

    def _sweep(self, ref: str) -> list[str]:
        mine = [stx for stx in self.client.find_by_merchant_ref(ref) if stx.merchant_ref == ref]
        aborted = []
        left = False   # an orphan whose abort is not confirmed yet: sweep it again next time
        for stx in mine:
            if stx.status == STATUS_CREATED:
                if self._abort_confirmed(ref, stx.id):
                    aborted.append(stx.id)
                else:
                    left = True
            elif not (stx.not_executed or stx.reversed):
                # Only the kiosk can start it, and it never starts an id it did not receive.
                log.error("top-up %s: late transaction %s is %s although the kiosk concluded "
                          "'not created'; support must check it", ref, stx.id, stx.status)
        if mine and not left:
            self._swept = self._swept | {ref}
        return aborted

    def _abort_confirmed(self, ref: str, stx_id: str) -> bool:
        """Abort an orphan and read it back: True only when the read says `aborted`.

        The abort's answer (a transaction or `{"result": ...}`) is not trusted on its own.
        """
        try:
            self.client.abort(stx_id)
        except ApiError as exc:
            log.warning("top-up %s: late transaction %s: abort refused: %s", ref, stx_id, exc)
        status = self.client.get_transaction(stx_id).status
        if status != "aborted":
            log.warning("top-up %s: late transaction %s reads %s after the abort; the next "
                        "sweep tries again", ref, stx_id, status)
            return False
        log.warning("top-up %s: transaction %s was created after the kiosk found none; "
                    "aborted (the customer was not charged)", ref, stx_id)
        return True
