"""The money-moving top-up: check the card, journal the intent, create and start the transaction."""

from __future__ import annotations

from typing import Callable

from kiosk.cards import check_card_number, mask_card
from kiosk.config import TopupConfig
from kiosk.journal import MONEY_OPEN, State, TopupRow
from kiosk.money import format_amount
from kiosk.secuconnect.client import START_TYPES
from kiosk.secuconnect.errors import ApiError, AuthError, NotSentError, SecuconnectError
from kiosk.secuconnect.models import ModelError
from kiosk.topup.backoff import Backoff
from kiosk.topup.core import handed_over, log
from kiosk.topup.reasons import Outcome, Reason, reason_for_api_error
from kiosk.topup.resolve import Resolver
from kiosk.topup.results import TopupResult


# A lost create answer is followed by one more create, under a new reference, while the
# customer waits: the first one moved no money whatever became of it.
CREATE_ATTEMPTS = 2

# What a row that already reached one of these states came to.
SETTLED_OUTCOMES: dict[State, Outcome] = {
    State.CONFIRMED: Outcome.CONFIRMED,
    State.RECEIPT_OWED: Outcome.CONFIRMED,
    State.DONE: Outcome.CONFIRMED,
    State.NOT_EXECUTED: Outcome.NOT_EXECUTED,
    State.CLAIM: Outcome.UNRESOLVED,
}


class TopupProcedure(Resolver):
    """Top-ups for a waiting customer, one at a time (card checks: kiosk.topup.cards)."""

    # --- the top-up ---------------------------------------------------------------------------

    def topup(
        self,
        card_number: str,
        amount: int,
        *,
        start_type: str | None = None,
        on_progress: Callable[[State], None] | None = None,
        reference: str | None = None,
    ) -> TopupResult:
        """Credit `amount` cents to the card, exactly once, or say clearly why not.

        `reference`: the row's reference chosen by the caller (a cash session derives it, so
        a crash between its own commit and this row cannot lose the link)."""
        refused = local_refusal(self.config.topup, card_number, amount)
        if refused is not None:
            return refused
        cfg = self.config.topup
        currency = cfg.currency
        masked = mask_card(card_number)
        number = check_card_number(card_number, cfg.card_prefixes).number
        assert number is not None   # local_refusal checked the form
        # One customer at a time; recovery may run meanwhile, on other rows only.
        if not self._topup_lock.acquire(blocking=False):
            return TopupResult(Outcome.REFUSED, None, amount, currency, masked,
                               reason=Reason.RECOVERY_PENDING)
        try:
            return self._topup(number, amount, start_type, on_progress, reference)
        finally:
            self._topup_lock.release()

    def _topup(self, number: str, amount: int, start_type: str | None,
               on_progress: Callable[[State], None] | None,
               reference: str | None = None) -> TopupResult:
        cfg = self.config.topup
        currency = cfg.currency
        masked = mask_card(number)
        # An open row blocks the next customer until recovery settles it or hands it over
        # as a claim; a claim already handed out blocks nobody (money-safety rule 4).
        if any(row.state in MONEY_OPEN and not handed_over(row)
               for row in self.journal.unfinished()):
            return TopupResult(Outcome.REFUSED, None, amount, currency, masked,
                               reason=Reason.RECOVERY_PENDING)
        start_type = start_type or cfg.start_type
        if start_type not in START_TYPES:
            raise ValueError(f"start type must be one of {START_TYPES}, not {start_type!r}")
        progress = on_progress or (lambda state: None)

        # A caller that brings its own reference (the cash session) retries under a new one
        # itself; otherwise a lost create is followed by one more under a new reference.
        attempts = CREATE_ATTEMPTS if reference is None else 1
        for attempt in range(1, attempts + 1):
            with self._owned_lock:   # recovery must never pick this row up, not even at birth
                row = self.journal.begin(card_number=number, amount=amount, currency=currency,
                                         start_type=start_type, reference=reference)
                self._owned.add(row.reference)
            try:
                result = self._run(row.reference, number, amount, start_type, progress, masked)
            finally:
                self._release(row.reference)
            if result.reason is not Reason.NOT_CREATED or attempt == attempts:
                return result
            log.info("top-up %s: create answer lost, nothing was started; a new transaction "
                     "under a new reference", row.reference)
        raise AssertionError("unreachable")   # the last attempt returns

    def _run(self, ref: str, number: str, amount: int, start_type: str,
             progress: Callable[[State], None], masked: str) -> TopupResult:
        currency = self.config.topup.currency
        # From here on the caller gets this row's reference whatever goes wrong: a claim or a
        # "not charged" slip needs it, and the row must not be left without a word.
        try:
            log.info("top-up %s: %s to %s (%s)", ref, format_amount(amount, currency), masked,
                     start_type)
            progress(State.INTENT)
        except Exception as exc:   # noqa: BLE001 - nothing was sent yet
            return self._failed(ref, exc, sent=False, amount=amount, masked=masked)
        try:
            return self._create(ref, number, amount, start_type, progress)
        except Exception as exc:   # noqa: BLE001 - a request may have left
            return self._failed(ref, exc, sent=True, amount=amount, masked=masked)

    def _create(self, ref: str, number: str, amount: int, start_type: str,
                progress: Callable[[State], None]) -> TopupResult:
        cfg = self.config.topup
        clock = self._clock(None)
        deadline = self._monotonic() + self.resolve_timeout_s
        try:
            stx = self.client.create_topup(
                merchant_ref=ref, card_number=number, amount=amount, currency=cfg.currency,
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
            # Whether the server created it or not, no money moved: nobody can start a
            # transaction without its id, and the kiosk never starts an id it did not receive
            # (an orphan left `created` is aborted later by the orphan sweep).
            return self._not_executed(ref, Reason.NOT_CREATED, f"create answer lost: {exc}",
                                      support_id=getattr(exc, "support_id", "") or None)
        return self._created(ref, stx.id, start_type, clock, deadline, progress)

    def _failed(self, ref: str, exc: Exception, *, sent: bool, amount: int,
                masked: str) -> TopupResult:
        """The outcome of a top-up that an unexpected exception cut short, from its row.

        Money that moved is reported as moved; nothing sent is "not charged"; anything else
        stays open as a claim for recovery to settle.
        """
        log.exception("top-up %s: unexpected failure", ref)
        detail = f"{type(exc).__name__}: {exc}"
        try:
            row = self._row(ref)
            if row.state in SETTLED_OUTCOMES:
                return TopupResult.from_row(row, SETTLED_OUTCOMES[row.state])
            if not sent:
                return self._not_executed(ref, Reason.INTERRUPTED, detail)
            if not row.stx_id:
                # Start is only ever sent for a journaled id: nothing can have moved.
                return self._not_executed(ref, Reason.NOT_CREATED, detail)
            self._note(ref, exc)
            return self._unresolved(ref, Reason.UNRESOLVED_START)
        except Exception:   # noqa: BLE001 - e.g. the journal itself: still name the reference
            log.exception("top-up %s: cannot record the failure in the journal", ref)
            cfg = self.config.topup
            return TopupResult(Outcome.UNRESOLVED if sent else Outcome.NOT_EXECUTED, ref, amount,
                               cfg.currency, masked, reason=(Reason.UNRESOLVED_CREATE if sent
                                                         else Reason.INTERRUPTED), error=detail)

    def _created(self, ref: str, stx_id: str, start_type: str, clock: Backoff,
                 deadline: float | None, progress: Callable[[State], None]) -> TopupResult:
        """The transaction exists and start was never sent: journal that, then start it."""
        self.journal.advance(ref, State.CREATED, stx_id=stx_id)
        progress(State.CREATED)
        return self._start(ref, stx_id, start_type, clock, deadline, progress)

    def _start(self, ref: str, stx_id: str, start_type: str, clock: Backoff,
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


def local_refusal(cfg: TopupConfig, card_number: str, amount: int) -> TopupResult | None:
    """The refusal a top-up gets without asking anyone (card form, amount limits), or None.

    Answers at once: callers check this before waiting for recovery or the API.
    """
    masked = mask_card(card_number)
    form = check_card_number(card_number, cfg.card_prefixes)
    if not form.ok or form.number is None:
        reason = Reason.CARD_INVALID
    elif amount < cfg.minimum:
        reason = Reason.AMOUNT_BELOW_MINIMUM
    elif amount > cfg.maximum:
        reason = Reason.AMOUNT_ABOVE_MAXIMUM
    else:
        return None
    return TopupResult(Outcome.REFUSED, None, amount, cfg.currency, masked, reason=reason)


def _plain_amount(cents: int) -> str:
    """"15" for 1500, "12,50" for 1250: the article text's amount without currency."""
    whole, frac = divmod(cents, 100)
    return str(whole) if frac == 0 else f"{whole},{frac:02d}"
