"""The running kiosk: opens journal, API, printer, reader, metrics and screen; runs; releases them."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from types import FrameType
from typing import Any

from kiosk.app import KioskBackend
from kiosk.clock_gate import ClockGate
from kiosk.config import Config
from kiosk.diagnose.clock import ClockReading
from kiosk.flow_events import ClockStatus, JournalStatus
from kiosk.flow_state import Screen
from kiosk.journal import Journal, JournalDamaged
from kiosk.journal_down import RefusingBackend
from kiosk.journal_maint import StorageWatch
from kiosk.liveness import Liveness, ThreadFaults
from kiosk.metrics import KioskMetrics, MetricsServer, start_from_config
from kiosk.monitor import ReaderBridge, Supervisor
from kiosk.printers import ReceiptPrinter, open_printer
from kiosk.readers import SupervisedReader, open_reader
from kiosk.restart_request import RestartRequest
from kiosk.sdnotify import Notifier, WatchdogPinger
from kiosk.terminal import watch_from_config
from kiosk.secuconnect.auth import DeviceAuth
from kiosk.secuconnect.client import SecuconnectClient
from kiosk.topup import TopupService
from kiosk.ui.worker import Worker

log = logging.getLogger(__name__)

# READY=1 waits for recovery; if the payment service keeps it from finishing, the kiosk says
# READY anyway after this long (well inside TimeoutStartSec=180s of kiosk.service), showing
# "out of service" while recovery goes on, rather than being killed and restarted in a loop.
READY_AT_LATEST_S = 90.0
# The main loop looks at the clock, the in-service gauge and a restart request this often.
HOUSEKEEPING_S = 2.0
# A restart asked for from outside waits for these screens: no customer is at the kiosk.
RESTART_SCREENS = frozenset({Screen.ATTRACT, Screen.OUT_OF_SERVICE})


@dataclass(frozen=True)
class ThreadDeadlines:
    """How long each vital thread may stay silent before the watchdog goes unfed, in s."""

    supervisor: float
    worker_idle: float
    worker_job: float
    reader: float

    @classmethod
    def from_config(cls, config: Config) -> ThreadDeadlines:
        """From the API's timeouts and the health interval, the kiosk's own tempo: a
        deadline covers the longest legitimate silence (a probe, a recovery step of a few
        calls, a top-up with its retries and the terminal wait) with room to spare."""
        api = config.api
        call = api.connect_timeout + api.read_timeout
        return cls(supervisor=2 * api.health_interval_s + 3 * call,
                   worker_idle=2 * api.health_interval_s,
                   worker_job=api.start_cashless_timeout + 8 * call,
                   reader=2 * api.health_interval_s)


class KioskRuntime:
    """Everything `kiosk run` (and `kiosk simulate`) owns, opened in order and closed in reverse.

    Use: `rt = KioskRuntime(config, window=True); rt.open(); rt.run()` (run closes), or drive
    `rt.ui` with kiosk.ui.driver.UiDriver and call `rt.close()`.
    """

    def __init__(self, config: Config, *, window: bool = False, scanner: Any = None,
                 on_key: Callable[[Any], bool] | None = None,
                 notifier: Notifier | None = None,
                 ready_at_latest_s: float = READY_AT_LATEST_S,
                 ui_options: dict[str, Any] | None = None,
                 liveness: Liveness | None = None, headset_jack: Any = None,
                 clock_probe: Callable[[], ClockReading] | None = None,
                 cash_options: dict[str, Any] | None = None) -> None:
        self.config = config
        self.window = window
        self.scanner = scanner
        self.on_key = on_key
        self.notifier = notifier if notifier is not None else Notifier()
        # Every long-lived thread checks in here; the watchdog is fed only while all are on time.
        self.liveness = liveness or Liveness(faults=ThreadFaults.from_environment())
        self.deadlines = ThreadDeadlines.from_config(config)
        self._late_shown: list[str] = []
        self.pinger = WatchdogPinger.from_environment(self.notifier, gate=self._threads_on_time)
        self.ready_at_latest_s = ready_at_latest_s
        self.ui_options = ui_options or {}   # more KioskUi arguments (tests: a manual clock)
        self.metrics = KioskMetrics(kiosk_id=config.kiosk.id)
        self.metrics.watch_threads(self.liveness)
        self.journal: Journal | None = None
        self.journal_damage: JournalDamaged | None = None   # run out of service, no restart loop
        self.client: SecuconnectClient | None = None
        self.service: TopupService | None = None
        self.printer: ReceiptPrinter | None = None
        self.backend: KioskBackend | None = None
        self.metrics_server: MetricsServer | None = None
        self.supervisor: Supervisor | None = None
        self.reader: SupervisedReader | None = None
        # [cash] mode on: the cash thread; `cash_options`: more CashDesk arguments (tests).
        self.cash: Any = None
        self.cash_options = cash_options or {}
        self.ui: Any = None
        # Speech mode (kiosk.speech) and the headset jack; `headset_jack`: a simulated one.
        self.headset_jack = headset_jack
        self.speech: Any = None
        self.headset: Any = None
        self.ready_sent = False
        self.restart_requested = False
        # Tests inject the probe: they must not depend on this machine's clock.
        self.clock_gate = ClockGate(config.kiosk.clock_check,
                                    **({"probe": clock_probe} if clock_probe else {}))
        self._clock_trusted: bool | None = None
        self.restart_request = RestartRequest(config.state_dir)
        self._next_housekeeping = 0.0
        self._started = time.monotonic()
        self._shown_status = ""
        self._closed = False
        self._stopping_sent = False

    # --- opening ----------------------------------------------------------------------------

    def open(self) -> KioskRuntime:
        """Open everything; a missing device or API shows on screen later, it is no error here.

        Raises ConfigError (bad config or secret file), JournalError (state directory) and
        pygame.error (no display) — the things the kiosk cannot run without.
        """
        from kiosk.ui.loop import KioskUi
        from kiosk.ui.settings import read_admin_pin

        config = self.config
        try:
            admin_pin = read_admin_pin(config.ui, config.source)
            self.notifier.status("Journal wird geöffnet / opening the journal")
            try:
                self.journal = Journal.open_in(config.state_dir)
            except JournalDamaged as exc:
                log.error("out of service: %s", exc)
                self.journal_damage = exc
                return self._open_journal_down(admin_pin)
            self.restart_request.clear_stale()
            self.metrics.watch_journal(self.journal.counts)
            self.metrics.watch_storage(self.journal.path)
            self.client = SecuconnectClient.from_config(config)
            self.service = TopupService(self.client, self.journal, config)
            self.printer = open_printer(config.printer)
            self.metrics_server = start_from_config(self.metrics, config.metrics,
                                                    liveness=self.liveness)
            self.backend = KioskBackend(config, self.service, self.printer, self.metrics,
                                        on_api_trouble=self._api_trouble,
                                        on_restart=self._restart)
            worker = partial(Worker, liveness=self.liveness,
                             idle_deadline=self.deadlines.worker_idle,
                             job_deadline=self.deadlines.worker_job)
            from kiosk.speech.setup import open_headset, open_speech
            self.speech = open_speech(config, liveness=self.liveness)
            self.ui = KioskUi.from_config(config, self.backend, admin_pin=admin_pin,
                                          window=self.window, on_tick=self._tick,
                                          max_sleep=self._max_sleep(), on_key=self.on_key,
                                          make_worker=worker, speech=self.speech,
                                          **self.ui_options)
            if self.speech is not None:
                self.headset = open_headset(config, self.speech, self.ui.post,
                                            jack=self.headset_jack)
            _log_display()
            self._housekeeping()   # the clock judged before the first scan can be handled
            # The screen exists: from here on, everything reports to it.
            bridge = ReaderBridge(self.ui.post, self.metrics)
            reopen = partial(open_reader, config.reader, config.topup.card_prefixes, bridge,
                             scanner=self.scanner, source=config.source)
            first = reopen()
            if first is None:
                log.warning("no card reader configured ([reader] type = \"none\"): customers "
                            "cannot start a top-up")
            else:
                self.reader = SupervisedReader(first, reopen, liveness=self.liveness,
                                               deadline=self.deadlines.reader)
                self.reader.start()
            auth = self.client.auth
            self.supervisor = Supervisor(
                self.service, self.client.ping, self.ui.post,
                interval=config.api.health_interval_s,
                registration=auth if isinstance(auth, DeviceAuth) else None,
                metrics=self.metrics, liveness=self.liveness,
                deadline=self.deadlines.supervisor,
                storage=StorageWatch(self.journal, config.journal),
                terminal=watch_from_config(config, self.client, self.journal, self.ui.post,
                                           customer_present=self._customer_present,
                                           metrics=self.metrics)).start()
            self._open_cash()
        except BaseException:
            self.close()
            raise
        return self

    def _open_cash(self) -> None:
        """[cash] mode on: the cash thread (and the note validator's desk in validator mode)."""
        if self.config.cash.mode == "none":
            return
        from kiosk.cash.desk import CashDesk
        from kiosk.cash.ledger import CashLedger
        from kiosk.cash_worker import CashWorker

        assert self.service is not None and self.backend is not None and self.journal
        ledger = CashLedger(self.journal)
        desk = None
        if self.config.cash.mode == "validator":
            desk = CashDesk(self.config, self.service, ledger, **self.cash_options)
            self.backend.cash_desk = desk   # the admin menu's cash actions
            self.metrics.watch_cashbox(ledger.cashbox, self.config.cash.cashbox_capacity)
        settled = self.supervisor.settled if self.supervisor is not None else None
        self.cash = CashWorker(self.config, self.backend, self.ui.post, desk=desk,
                               liveness=self.liveness, metrics=self.metrics,
                               idle_deadline=self.deadlines.worker_idle,
                               job_deadline=self.deadlines.worker_job, settled=settled)
        self.ui.cash = self.cash
        self.cash.start()

    def _open_journal_down(self, admin_pin: str | None) -> KioskRuntime:
        """Only the screen (out of service, with the operator message) and the metrics."""
        from kiosk.ui.loop import KioskUi

        assert self.journal_damage is not None
        self.metrics_server = start_from_config(self.metrics, self.config.metrics)
        self.ui = KioskUi.from_config(self.config,
                                      RefusingBackend(self.journal_damage, self._restart),
                                      admin_pin=admin_pin, window=self.window,
                                      on_tick=self._tick, max_sleep=self._max_sleep(),
                                      on_key=self.on_key, **self.ui_options)
        self.ui.post(JournalStatus(False, str(self.journal_damage)))
        return self

    def _max_sleep(self) -> float:
        """The main loop wakes at least this often: twice per watchdog interval."""
        if self.pinger.enabled and self.pinger.interval:
            return min(WatchdogPinger.IDLE_SLEEP, self.pinger.interval / 2)
        return WatchdogPinger.IDLE_SLEEP

    # --- running ----------------------------------------------------------------------------

    def run(self) -> int:
        """The main loop until SIGTERM, Ctrl-C, the window closing or an admin restart; closes."""
        previous = {sig: signal.signal(sig, self._on_signal)
                    for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.ui.run()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self.close()
        return 0

    def stop(self) -> None:
        if self.ui is not None:
            self.ui.stop()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        log.info("%s: stopping", signal.Signals(signum).name)
        self._say_stopping()
        if self.ui is not None:
            self.ui.stop_from_signal()

    def _tick(self, now: float) -> None:
        """Every pass of the UI main loop: watchdog, heartbeat, READY once settled."""
        self.pinger.tick()
        self.metrics.heartbeat()
        self._housekeeping()
        if self.journal_damage is not None and not self.ready_sent:
            # Up and showing why it cannot serve: a restart would not mend the file.
            self.ready_sent = True
            self.notifier.ready(_status_line(f"out of service, {self.journal_damage}"))
        supervisor = self.supervisor
        if supervisor is None:
            return
        if not self.ready_sent:
            late = time.monotonic() - self._started > self.ready_at_latest_s
            if supervisor.settled.is_set() or late:
                self.ready_sent = True
                if late and not supervisor.settled.is_set():
                    log.warning("start-up not settled after %.0f s (%s); ready anyway, showing "
                                "out of service meanwhile", self.ready_at_latest_s,
                                supervisor.status)
                self.notifier.ready(_status_line(supervisor.status))
                self._shown_status = supervisor.status
                log.info("kiosk ready (%s)", supervisor.status)
        elif supervisor.status != self._shown_status:
            self._shown_status = supervisor.status
            self.notifier.status(_status_line(supervisor.status))

    def _housekeeping(self) -> None:
        """Every HOUSEKEEPING_S: the clock gate, the in-service gauge, a restart request."""
        now = time.monotonic()
        if now < self._next_housekeeping or self.ui is None:
            return
        self._next_housekeeping = now + HOUSEKEEPING_S
        clock = self.clock_gate.check()
        synced = clock.synchronised
        self.metrics.clock_synchronised.set(float("nan") if synced is None else int(synced))
        if clock.trusted != self._clock_trusted:
            if clock.trusted:
                log.info("clock: %s", clock.detail)
            else:
                log.error("out of service: clock %s", clock.detail)
            self._clock_trusted = clock.trusted
            self.ui.post(ClockStatus(clock.trusted, clock.detail))
        state = self.ui.state
        self.metrics.in_service.set(1 if state.in_service else 0)
        if state.screen in RESTART_SCREENS and self.restart_request.pending():
            log.info("restart requested (%s): no customer at the kiosk, restarting now",
                     self.restart_request.path)
            self.restart_request.take()
            self._restart()

    def _customer_present(self) -> bool:
        """Someone at the kiosk (or their top-up still running): no terminal end of day now."""
        assert self.ui is not None and self.service is not None
        return self.ui.state.screen not in RESTART_SCREENS or self.service.busy

    def _threads_on_time(self) -> bool:
        """The watchdog's gate: True while every vital thread runs and checked in on time."""
        late = self.liveness.late()
        if late != self._late_shown:
            if late:
                log.error("watchdog not fed: thread(s) %s dead or silent past their deadline; "
                          "systemd restarts the kiosk unless they come back", ", ".join(late))
            else:
                log.warning("all threads on time again: watchdog fed")
            self._late_shown = late
        return not late

    def _say_stopping(self) -> None:
        if not self._stopping_sent:
            self._stopping_sent = True
            self.notifier.stopping("Kiosk wird beendet / stopping")

    def _api_trouble(self, detail: str) -> None:
        if self.supervisor is not None:
            self.supervisor.nudge(detail)

    def _restart(self) -> None:
        self.restart_requested = True
        self.stop()

    # --- closing ----------------------------------------------------------------------------

    def _close_cash(self) -> None:
        assert self.cash is not None
        self.cash.stop()
        if self.cash.desk is not None:
            self.cash.desk.close()

    def close(self) -> None:
        """Release everything in reverse order; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._say_stopping()
        steps: list[tuple[str, Callable[[], None] | None]] = [
            ("supervisor", self.supervisor.stop if self.supervisor else None),
            ("reader", self.reader.stop if self.reader else None),
            ("cash", self._close_cash if self.cash else None),
            ("headset jack", self.headset.stop if self.headset else None),
            ("speech", self.speech.engine.stop if self.speech else None),
            ("screen", self.ui.close if self.ui else None),
            ("printer", self.printer.close if self.printer else None),
            ("API client", self.client.close if self.client else None),
            ("journal", self.journal.close if self.journal else None),
            ("metrics server", self.metrics_server.stop if self.metrics_server else None),
        ]
        for name, step in steps:
            if step is None:
                continue
            try:
                step()
            except Exception:
                log.exception("closing the %s failed", name)
        # No pygame.quit() here: fonts cached by the UI would die with it, and pygame shuts
        # down by itself at exit.
        self.notifier.close()
        log.info("kiosk stopped%s", " for a restart" if self.restart_requested else "")


def _log_display() -> None:
    import pygame

    driver = pygame.display.get_driver()
    width, height = pygame.display.get_surface().get_size()
    if driver in ("offscreen", "dummy"):
        log.warning("screen: SDL video driver %r draws nowhere visible (%dx%d); on the kiosk "
                    "set SDL_VIDEODRIVER=kmsdrm (kiosk.service does)", driver, width, height)
    else:
        log.info("screen: SDL video driver %s, %dx%d", driver, width, height)


def _status_line(status: str) -> str:
    return f"Kiosk: {status}"


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    """For start-up of external helpers (a subprocess's pty link); True if it came true."""
    end = time.monotonic() + timeout
    event = threading.Event()
    while not predicate():
        if time.monotonic() > end:
            return False
        event.wait(step)
    return True
