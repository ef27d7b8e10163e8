"""Background health: device registration, journal recovery before the first customer, API probes, reader status."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol

from hardware.reader.events import CardScanned as ReaderCard
from hardware.reader.events import ReaderEvent, RejectReason, ScanRejected
from hardware.reader.events import ReaderStatus as ReaderChange
from kiosk.flow_events import (
    ApiStatus,
    CardScanned,
    Event,
    JournalStatus,
    ReaderStatus,
    Recovering,
    RegistrationDone,
    RegistrationPending,
)
from kiosk.journal import MONEY_OPEN
from kiosk.liveness import BeatingEvent, Liveness, SupervisedThread
from kiosk.journal_maint import StorageWatch
from kiosk.metrics import KioskMetrics
from kiosk.secuconnect.errors import ApiError, AuthError
from kiosk.secuconnect.models import DeviceCode
from kiosk.terminal import TerminalWatch
from kiosk.topup import TopupService

log = logging.getLogger(__name__)

Post = Callable[[Event], None]
# Scan rejections by form: the flow shows "not a card number"; the others "could not be read".
FORM_REJECTIONS = frozenset({RejectReason.TOO_SHORT, RejectReason.TOO_LONG,
                             RejectReason.WRONG_PREFIX})
REGISTRATION_RETRY_S = 10.0       # after a failed device-code request (network, server)


class DeviceRegistration(Protocol):
    """What the monitor needs of kiosk.secuconnect.auth.DeviceAuth."""

    @property
    def is_registered(self) -> bool: ...
    def request_device_code(self) -> DeviceCode: ...
    def wait_for_device_confirmation(self, code: DeviceCode,
                                     on_pending: Callable[[float], None] | None = None,
                                     stop: threading.Event | None = None) -> None: ...


class ReaderBridge:
    """Turns a reader's events (its own thread) into flow events and metrics."""

    def __init__(self, post: Post, metrics: KioskMetrics | None = None) -> None:
        self.post = post
        self.metrics = metrics

    def __call__(self, event: ReaderEvent) -> None:
        if isinstance(event, ReaderCard):
            self.post(CardScanned(event.number))
        elif isinstance(event, ScanRejected):
            if event.reason is RejectReason.DUPLICATE:
                return   # the same card again within the debounce window: one scan
            log.info("scan rejected: %s (%d digits)", event.reason.value, event.length)
            # A form rejection reaches the flow as a number that fails the form check.
            self.post(CardScanned("", unreadable=event.reason not in FORM_REJECTIONS))
        elif isinstance(event, ReaderChange):
            if event.connected:
                log.info("card reader %s connected", event.device)
            else:
                log.error("card reader %s unavailable: %s", event.device, event.reason)
            self.post(ReaderStatus(event.connected, event.reason or event.device))
            if self.metrics is not None:
                self.metrics.set_device_status("reader",
                                               "ok" if event.connected else "unavailable")


class Supervisor:
    """One background thread: register (device grant) → recover the journal → probe the API.

    `settled` is set once the kiosk can face customers or shows why not by itself (recovery
    finished, or the registration code is on screen); `kiosk run` sends READY=1 then.
    """

    def __init__(
        self,
        service: TopupService,
        probe: Callable[[], None],
        post: Post,
        *,
        interval: float,
        registration: DeviceRegistration | None = None,
        metrics: KioskMetrics | None = None,
        liveness: Liveness | None = None,
        deadline: float | None = None,
        storage: StorageWatch | None = None,
        terminal: TerminalWatch | None = None,
    ) -> None:
        self.service = service
        self.storage = storage
        self.storage_problem: str | None = None
        self.probe = probe
        self.post = post
        self.interval = interval
        self.registration = registration
        self.metrics = metrics
        self.settled = threading.Event()
        self.recovered = threading.Event()
        self.status = "starting"
        # Each pass probes once and then waits `interval`; recovery and registration check in
        # whenever they wait on the stop event. `deadline` must cover the longest stretch
        # without a wait: a probe, or one recovery step of a few API calls.
        if deadline is None:
            deadline = 2 * interval + 60.0
        if deadline <= interval:
            raise ValueError(f"supervisor deadline {deadline} s must exceed its interval "
                             f"{interval} s")
        registry = liveness if liveness is not None else Liveness()
        self.beat = registry.register("supervisor", deadline=deadline)
        self._stop = BeatingEvent(self.beat, every=deadline / 4)
        self._nudge = threading.Event()
        self._thread = SupervisedThread(self.beat, self._run, self._stop)
        self.terminal = terminal
        if terminal is not None:
            terminal.wait = self._stop.wait   # its blocking calls check in through this thread
        self.api_ok: bool | None = None
        self._recovering_shown = False

    def start(self) -> Supervisor:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._nudge.set()
        self._thread.join(timeout)

    def nudge(self, detail: str = "") -> None:
        """A call just found the API unusable: probe now instead of at the next interval."""
        self._nudge.set()

    # --- the thread -------------------------------------------------------------------------

    def _run(self) -> None:
        """The thread's body; an exception restarts it from the top (SupervisedThread)."""
        if (self.registration is not None and not self.registration.is_registered
                and not self._register()):
            return
        self._check_storage()
        self._recover()
        if self.terminal is not None and not self._stop.is_set():
            self.terminal.diagnose()
        while not self._stop.is_set():
            self.beat()
            self._check_storage()
            self._probe_once()
            if self.api_ok:
                self._settle_open_rows()
                self.service.sweep_orphans()   # rate-limited inside; never raises
                if self.terminal is not None:
                    self.terminal.pass_once()    # card payment offered or not; end of day
            self._nudge.wait(self.interval)
            self._nudge.clear()

    def _register(self) -> bool:
        assert self.registration is not None
        while not self._stop.is_set():
            try:
                code = self.registration.request_device_code()
            except (AuthError, ApiError) as exc:
                log.error("device registration refused: %s", exc)
                self._set_api(False, f"device registration refused: {exc}")
                self.settled.set()
                if self._stop.wait(REGISTRATION_RETRY_S):
                    return False
                continue
            except Exception as exc:  # noqa: BLE001 - network or server trouble: retry later
                log.error("device registration: cannot ask for a code: %s", exc)
                self._set_api(False, str(exc))
                self.settled.set()
                if self._stop.wait(REGISTRATION_RETRY_S):
                    return False
                continue
            log.info("device registration: enter code %s at %s", code.user_code,
                     code.verification_url)
            self.status = f"waiting for registration (code {code.user_code})"
            self.post(RegistrationPending(code.user_code, code.verification_url))
            self.settled.set()
            try:
                self.registration.wait_for_device_confirmation(code, stop=self._stop)
            except AuthError as exc:
                if exc.error == "cancelled":
                    return False
                log.warning("device registration: %s; asking for a new code", exc)
                continue
            log.info("device registered")
            self.post(RegistrationDone())
            return True
        return False

    def _recover(self) -> None:
        open_rows = self.service.journal.unfinished()
        if open_rows:
            self.status = f"settling {len(open_rows)} unfinished top-up(s)"
            log.info("recovering %d unfinished top-up(s) before the first customer",
                     len(open_rows))
            self._show_recovering(True)
            self.service.recover(self._stop, claims=False)   # claims settle in the background
            if self._stop.is_set():
                return
        # Also after a restart that found nothing left to do: a crash in the middle of
        # recovery must not leave "recovering" on screen.
        self._show_recovering(False)
        owed = self.service.journal.receipts_owed()
        if owed:
            log.warning("%d receipt(s) owed to customers; reprint from the admin menu or with "
                        "`kiosk reprint`", len(owed))
        self.status = "ready"
        self.recovered.set()
        self.settled.set()

    def _settle_open_rows(self) -> None:
        """A top-up that ended with a claim slip left its row open (UNKNOWN), and every later
        customer is refused until it is settled: settle it now, not at the next boot."""
        if self.service.busy:
            return   # a top-up in progress: its own row settles with it
        if not any(row.state in MONEY_OPEN for row in self.service.journal.unfinished()):
            return
        self.status = "settling an unfinished top-up"
        self._show_recovering(True)
        try:
            # Never waits for (nor touches) a top-up that began meanwhile.
            self.service.recover(self._stop, wait=False)
        finally:
            if not self._stop.is_set():
                self._show_recovering(False)
                self.status = "ready"

    def _show_recovering(self, on: bool) -> None:
        """Post Recovering(on) when it changes what the screen was last told."""
        if on != self._recovering_shown:
            self._recovering_shown = on
            self.post(Recovering(on))

    def _check_storage(self) -> None:
        """Free space below the floor: out of service before the next customer pays."""
        if self.storage is None:
            return
        problem = self.storage.check()
        if problem != self.storage_problem:
            if problem:
                log.error("out of service: %s", problem)
            else:
                log.info("state directory has enough free space again")
        self.storage_problem = problem
        self.post(JournalStatus(problem is None, problem or ""))

    def _probe_once(self) -> None:
        try:
            self.probe()
        except ApiError:
            ok, detail = True, ""      # it answered: reachable, whatever it thought of the call
        except AuthError as exc:
            ok, detail = False, f"payment service refused the kiosk: {exc}"
        except Exception as exc:  # noqa: BLE001 - not sent, timeouts, 5xx, foreign bodies
            ok, detail = False, f"payment service unreachable: {exc}"
        else:
            ok, detail = True, ""
        self._set_api(ok, detail)

    def _set_api(self, ok: bool, detail: str) -> None:
        if ok != self.api_ok:
            if ok:
                log.info("payment service reachable%s", " again" if self.api_ok is False else "")
            else:
                log.error("%s", detail)
        self.api_ok = ok
        # Posted on every probe: the flow may have marked the API down on its own (a call that
        # found it unreachable), and only a fresh "ok" clears that.
        self.post(ApiStatus(ok, detail))
        if self.metrics is not None:
            self.metrics.set_device_status("api", "ok" if ok else "unreachable")
