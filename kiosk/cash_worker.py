"""The cash thread: runs note sessions and till payments for the screen, supervised like the worker."""

from __future__ import annotations

import logging
import queue
import threading
from typing import Callable

from kiosk.app import KioskBackend, topup_outcome
from kiosk.cash.desk import CashDesk, CashRefused, Opened
from kiosk.cash.session import Controls, EndReason, Fault, SessionEnd
from kiosk.cash.settle import CashResult, Slip
from kiosk.cash.till import TillEnd, TillPayment, short_reference
from kiosk.commands.cash_topup import slip_for
from kiosk.config import Config
from kiosk.flow_cash_events import (
    CancelCash, CashEnded, CashOutcome, CashStatus, CashUpdate, CashView, FinishCash, StartCash, StartTill,
    TillScan,
)
from kiosk.flow_events import Event, PrintResult
from kiosk.journal import new_reference
from kiosk.liveness import Liveness, SupervisedThread
from kiosk.metrics import KioskMetrics

log = logging.getLogger(__name__)

IDLE_DEADLINE_S = 30.0
# Faults the customer sees on the note screen while the session goes on.
PASSING = frozenset({Fault.REJECTED, Fault.FRAUD, Fault.COMMS, Fault.POWER_LOSS})
CashCommand = StartCash | StartTill | FinishCash | CancelCash | TillScan


class CashWorker:
    """Runs under kiosk.liveness as thread "cash"; Fertig, Abbrechen and staff scans reach the
    running session at once (not queued behind it)."""

    def __init__(self, config: Config, backend: KioskBackend, post: Callable[[Event], None], *,
                 desk: CashDesk | None, liveness: Liveness | None = None,
                 metrics: KioskMetrics | None = None, idle_deadline: float = IDLE_DEADLINE_S,
                 job_deadline: float = 900.0,
                 settled: threading.Event | None = None) -> None:
        self.config = config
        # Set once the top-up recovery is done: cash recovery comes after it.
        self.settled = settled
        self._started_up = False
        self.backend = backend
        self.post = post
        self.desk = desk
        self.metrics = metrics
        self.till = TillPayment(backend.service, config.cash.staff_cards,
                                config.cash.confirm_timeout_s)
        self.job_deadline = job_deadline
        self.jobs: queue.Queue[tuple[StartCash | StartTill, Controls] | None] = queue.Queue()
        self.scans: queue.Queue[str] = queue.Queue()
        self.controls = Controls()
        self._idle_wait = idle_deadline / 3
        registry = liveness if liveness is not None else Liveness()
        self.beat = registry.register("cash", deadline=idle_deadline)
        self.thread = SupervisedThread(self.beat, self._run, threading.Event())

    def start(self) -> CashWorker:
        self.thread.start()
        return self

    def submit(self, command: CashCommand) -> None:
        if isinstance(command, FinishCash):
            self.controls.finish.set()
        elif isinstance(command, CancelCash):
            self.controls.cancel.set()
        elif isinstance(command, TillScan):
            self.scans.put(command.number)
        else:
            # The session's controls exist from now on: an Abbrechen pressed before the thread
            # takes the job up still reaches it.
            self.controls = Controls(heartbeat=self.beat)
            self.jobs.put((command, self.controls))

    def stop(self, timeout: float | None = 10.0) -> None:
        """Let a running session end as if the customer pressed Fertig, then stop."""
        self.thread.stopping.set()
        self.controls.finish.set()
        self.jobs.put(None)
        self.thread.join(timeout)

    # --- the thread -----------------------------------------------------------------------

    def _start_up(self) -> None:
        """After the top-up recovery: settle what a crash left open, then check the unit."""
        while self.settled is not None and not self.settled.wait(self._idle_wait):
            self.beat()
            if self.thread.stopping.is_set():
                return
        self.beat(within=self.job_deadline)
        if self.desk is not None:
            for result in self.desk.recover():
                log.info("cash session %s recovered: %s", result.session.reference,
                         result.session.state.value)
            try:
                self.desk.check_validator()
            except CashRefused as exc:
                log.error("note validator not usable: %s", exc)
            out = self.desk.out_of_service
            self.post(CashStatus(out is None, self.desk.out_of_service_detail))
            if out is not None and self.metrics is not None:
                self.metrics.cash_fault(out.value)
        self._started_up = True

    def _run(self) -> None:
        if not self._started_up:
            self._start_up()
        while not self.thread.stopping.is_set():
            self.beat()
            try:
                item = self.jobs.get(timeout=self._idle_wait)
            except queue.Empty:
                continue
            if item is None:
                return
            job, controls = item
            try:
                outcome = (self._validator(job, controls) if isinstance(job, StartCash)
                           else self._pay_till(job, controls))
            except Exception as exc:   # the screen must hear an end, whatever happened
                log.exception("cash session failed")
                # Notes may have been taken: the journal row stays for recovery, never "nothing".
                outcome = CashOutcome("claim", fault=type(exc).__name__)
            self.post(CashEnded(job.request, outcome))

    # --- note validator -------------------------------------------------------------------

    def _validator(self, job: StartCash, controls: Controls) -> CashOutcome:
        assert self.desk is not None, "StartCash without [cash] mode = \"validator\""
        opened: list[Opened] = []
        shown = False

        def on_open(o: Opened) -> None:
            opened.append(o)

        def heartbeat() -> None:
            nonlocal shown
            self.beat()
            if opened and not shown:
                # The first beat of the note loop comes after ENABLE: only now do the notes
                # go in, so only now does the screen leave "wird vorbereitet".
                shown = True
                self.post(CashUpdate(job.request, self._view(opened[0], 0, None)))

        def on_change(total: int, fault: Fault | None) -> None:
            if opened:
                self.post(CashUpdate(job.request, self._view(opened[0], total, fault)))
            if fault is not None and self.metrics is not None:
                self.metrics.cash_fault(fault.value)

        def before_settle(end: SessionEnd) -> None:
            self.beat(within=self.job_deadline)   # the top-up with its bounded retries
            if end.total and opened:
                self.post(CashUpdate(job.request, CashView(
                    opened[0].session.reference, end.total, (), opened[0].cap,
                    finishing=True)))

        controls.on_change = on_change
        controls.heartbeat = heartbeat
        try:
            end, result = self.desk.run(job.number, controls, receipt_ok=True,
                                        cap=job.cap_cents, on_open=on_open,
                                        before_settle=before_settle)
        except CashRefused as exc:
            log.warning("cash session not opened: %s", exc)
            return CashOutcome("refused", fault=exc.reason,
                               out_of_service=self.desk.out_of_service is not None)
        return self._outcome(end, result, job.with_receipt, job.language)

    def _view(self, opened: Opened, total: int, fault: Fault | None) -> CashView:
        left = opened.cap - total
        return CashView(opened.session.reference, total,
                        tuple(v for v in opened.accepted if v * 100 <= left), opened.cap,
                        fault.value if fault in PASSING else "")

    def _outcome(self, end: SessionEnd, result: CashResult, with_receipt: bool,
                 language: str) -> CashOutcome:
        row = result.session
        stopping = end.out_of_service
        fault = stopping.value if stopping else (end.faults[-1].value
                                                 if end.reason is EndReason.FAULT and end.faults
                                                 else "")
        uncertain = sum(n.value for n in row.uncertain)
        printed: PrintResult | None = None
        balance: int | None = None
        reference = row.reference
        if result.credited:
            kind = "fault" if fault else "credited"
            reference = row.topup_reference()
            if result.topup is not None:
                balance = topup_outcome(result.topup).new_balance_cents
                reference = result.topup.reference or reference
            printed = self._receipt(reference, row.total, with_receipt, language)
        elif result.slip is not None:
            kind = "owed" if result.slip is Slip.OWED else "claim"
        elif fault:
            kind = "fault"
        else:
            kind = "cancelled" if end.reason is EndReason.CANCELLED else "timeout"
        if result.slip is not None or uncertain:
            # The owed slip: handed out even without a receipt, it is the customer's proof.
            printed = self.backend.print_document(slip_for(result, self.config),
                                                  f"cash slip {row.reference}")
        return CashOutcome(kind, reference, row.total, result.credited, uncertain, balance,
                           fault, self.desk is not None and self.desk.out_of_service is not None,
                           printed)

    def _receipt(self, reference: str, amount: int, with_receipt: bool,
                 language: str) -> PrintResult | None:
        """The receipt ("bar bezahlt", in the customer's language); without one it stays owed
        for a reprint, as for card."""
        if with_receipt:
            return self.backend.print_receipt(reference, language, paid_cash=True)
        self.backend.service.receipt_owed(reference)
        if self.metrics is not None:
            self.metrics.topup_finished("receipt_owed", amount)
        return None

    # --- till -----------------------------------------------------------------------------

    def _pay_till(self, job: StartTill, controls: Controls) -> CashOutcome:
        reference = new_reference()
        self.post(CashUpdate(job.request, CashView(short_reference(reference), job.amount_cents)))
        while not self.scans.empty():   # a scan from before this payment confirms nothing
            self.scans.get_nowait()

        def next_scan(seconds: float) -> str | None:
            self.beat()
            try:
                number = self.scans.get(timeout=seconds)
            except queue.Empty:
                return None
            self.beat(within=self.job_deadline)   # maybe the staff card: the top-up may follow
            return number

        def cancelled() -> bool:
            return controls.cancel.is_set() or self.thread.stopping.is_set()

        till = self.till.pay(job.number, job.amount_cents, next_scan=next_scan,
                             cancelled=cancelled, reference=reference)
        if till.end is not TillEnd.CONFIRMED or till.topup is None:
            kind = "cancelled" if till.end is TillEnd.CANCELLED else "timeout"
            return CashOutcome(kind, reference)
        outcome = topup_outcome(till.topup)
        if outcome.kind == "credited":
            printed = self._receipt(reference, job.amount_cents, job.with_receipt,
                                    job.language)
            return CashOutcome("credited", reference, job.amount_cents, True,
                               new_balance_cents=outcome.new_balance_cents, printed=printed)
        if outcome.kind == "claim":
            printed = self.backend.print_slip(reference, "claim")
            return CashOutcome("claim", reference, job.amount_cents, printed=printed)
        # The staff took the money but the top-up did not run: they hand it back.
        log.warning("till payment %s confirmed but not credited: %s", reference,
                    outcome.reason or outcome.kind)
        return CashOutcome("refused", reference, job.amount_cents, fault="till_refused")
