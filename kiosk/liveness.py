"""Liveness registry and supervised threads: crashes restart with capped back-off, check-ins gate the watchdog."""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

# Test-only: a directory in which a file named after a thread ("worker", "supervisor", ...)
# makes that thread misbehave at its next check-in. The file's content says how: "raise"
# (the file is removed, the thread raises once) or "hang" (the thread blocks while the file
# exists, and shows it does with a file "<name>.hanging" beside it, removed when it goes on).
# Unset in production, where check-ins never look at the disk.
FAULTS_ENV = "KIOSK_TEST_THREAD_FAULTS"
# A hung thread looks at its fault file this often; real time, only while a test hangs it.
_HANG_POLL_S = 0.02


class InjectedFault(RuntimeError):
    """Raised by a check-in whose thread a test told to crash (see FAULTS_ENV)."""


class ThreadEnded(RuntimeError):
    """A supervised body returned although nobody asked its thread to stop."""


class ThreadFaults:
    """Reads the test-only fault files of FAULTS_ENV; see there."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def from_environment(cls) -> ThreadFaults | None:
        value = os.environ.get(FAULTS_ENV, "")
        return cls(Path(value)) if value else None

    def strike(self, name: str) -> None:
        """Raise or block as the file for `name` says; nothing when there is none."""
        path = self.directory / name
        try:
            kind = path.read_text(encoding="ascii").strip()
        except (FileNotFoundError, UnicodeDecodeError):
            return
        if kind == "raise":
            path.unlink(missing_ok=True)
            raise InjectedFault(f"test fault injected into thread {name} ({path})")
        if kind == "hang":
            log.warning("thread %s hangs on test fault %s", name, path)
            marker = self.directory / f"{name}.hanging"
            marker.touch()
            idle = threading.Event()   # never set: a wait that is a pause
            try:
                while path.exists() and not idle.wait(_HANG_POLL_S):
                    pass
            finally:
                marker.unlink(missing_ok=True)


@dataclass
class Backoff:
    """Delays before restarting a crashed thread: doubling from `first` up to `cap`, jittered.

    Jitter draws each delay from [delay/2, delay], so threads that crashed together do not
    restart in lockstep. The doubling stops at the cap: no overflow however long it goes on.
    """

    first: float = 1.0
    cap: float = 60.0
    rng: Callable[[], float] = random.random
    _next: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        if not 0 < self.first <= self.cap:
            raise ValueError(f"back-off needs 0 < first <= cap, got {self.first}, {self.cap}")
        self._next = self.first

    def delay(self) -> float:
        current = self._next
        self._next = min(self.cap, current * 2)
        return current * (0.5 + self.rng() / 2)

    def reset(self) -> None:
        self._next = self.first


@dataclass
class _Entry:
    deadline: float | None    # None: alive while running, no check-ins expected
    vital: bool
    running: bool = False
    last: float = 0.0
    allowance: float | None = None   # this check-in's own deadline (a long job ahead)
    crashes: int = 0


class Heartbeat:
    """One thread's handle on the registry: call it on every pass of the thread's loop."""

    def __init__(self, liveness: Liveness, name: str) -> None:
        self.liveness = liveness
        self.name = name

    def __call__(self, within: float | None = None) -> None:
        """Check in; `within` allows a longer silence until the next check-in (a long job)."""
        self.liveness._check_in(self.name, within)

    @property
    def deadline(self) -> float | None:
        return self.liveness._entries[self.name].deadline


class Liveness:
    """Which long-lived threads run, when each last checked in, how often each crashed.

    `late()` names the vital threads that are dead (crashed, backing off) or silent beyond
    their deadline; the main loop feeds the systemd watchdog only while it is empty.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic,
                 faults: ThreadFaults | None = None,
                 on_crash: Callable[[str], None] | None = None) -> None:
        self.clock = clock
        self.faults = faults
        self.on_crash = on_crash
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}

    def register(self, name: str, *, deadline: float | None, vital: bool = True) -> Heartbeat:
        """A thread called `name` (a metrics label) that checks in within `deadline` s."""
        if deadline is not None and deadline <= 0:
            raise ValueError(f"thread {name}: deadline must be > 0 s, got {deadline}")
        with self._lock:
            if name in self._entries:
                raise ValueError(f"thread {name} is registered twice")
            self._entries[name] = _Entry(deadline, vital)
        return Heartbeat(self, name)

    def alive(self) -> dict[str, bool]:
        """Per thread: running and on time (kiosk_thread_alive)."""
        now = self.clock()
        with self._lock:
            return {name: self._on_time(entry, now) for name, entry in self._entries.items()}

    def crashes(self) -> dict[str, int]:
        with self._lock:
            return {name: entry.crashes for name, entry in self._entries.items()}

    def late(self) -> list[str]:
        """Vital threads that are dead or overdue, by name; empty when all is well."""
        now = self.clock()
        with self._lock:
            return sorted(name for name, entry in self._entries.items()
                          if entry.vital and not self._on_time(entry, now))

    @staticmethod
    def _on_time(entry: _Entry, now: float) -> bool:
        if not entry.running:
            return False
        limit = entry.allowance if entry.allowance is not None else entry.deadline
        return limit is None or now - entry.last <= limit

    # --- what SupervisedThread and Heartbeat report --------------------------------------------

    def _check_in(self, name: str, within: float | None) -> None:
        if self.faults is not None:
            self.faults.strike(name)
        now = self.clock()
        with self._lock:
            entry = self._entries[name]
            entry.running = True
            entry.last = now
            entry.allowance = within

    def _stopped(self, name: str, *, crashed: bool) -> None:
        with self._lock:
            entry = self._entries[name]
            entry.running = False
            if crashed:
                entry.crashes += 1
        if crashed and self.on_crash is not None:
            self.on_crash(name)


class SupervisedThread:
    """Runs `body` in a daemon thread and runs it again, after a back-off, whenever it raises.

    `stop` is the event the body itself watches; setting it (stop()) ends the thread once the
    body returns. A body that returns while `stop` is not set counts as a crash too: a
    long-lived thread that ends by itself leaves the kiosk without that part.
    """

    def __init__(self, heartbeat: Heartbeat, body: Callable[[], None], stop: threading.Event,
                 *, backoff: Backoff | None = None) -> None:
        self.heartbeat = heartbeat
        self.body = body
        self.stopping = stop
        self.backoff = backoff if backoff is not None else Backoff()
        self._thread = threading.Thread(target=self._run, name=f"kiosk-{heartbeat.name}",
                                        daemon=True)

    @property
    def name(self) -> str:
        return self.heartbeat.name

    def start(self) -> SupervisedThread:
        self._thread.start()
        return self

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float | None = 5.0) -> None:
        """Set the stop event and wait for the thread; the body must notice the event itself."""
        self.stopping.set()
        self.join(timeout)

    def join(self, timeout: float | None = 5.0) -> None:
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("thread %s did not stop within %s s", self.name, timeout)

    def _run(self) -> None:
        liveness = self.heartbeat.liveness
        while not self.stopping.is_set():
            started = liveness.clock()
            try:
                self.heartbeat()   # running from now on (and where a test's fault may strike)
                self.body()
                if self.stopping.is_set():
                    break
                raise ThreadEnded(f"thread {self.name} ended by itself")
            except Exception:
                log.exception("thread %s crashed; restarting it", self.name)
                liveness._stopped(self.name, crashed=True)
            if liveness.clock() - started > self.backoff.cap:
                self.backoff.reset()   # it ran well for a while: this crash starts afresh
            delay = self.backoff.delay()
            log.info("thread %s restarts in %.1f s", self.name, delay)
            self.stopping.wait(delay)
        liveness._stopped(self.name, crashed=False)


class BeatingEvent(threading.Event):
    """A stop event whose waits check in: code that only waits on it (recovery's back-off,
    a device-code poll) keeps its thread on time without knowing about liveness.

    Waits are cut into pieces of at most `every` seconds with a check-in between them.
    """

    def __init__(self, heartbeat: Heartbeat | None = None, every: float = 1.0) -> None:
        super().__init__()
        self.heartbeat = heartbeat
        self.every = every

    def wait(self, timeout: float | None = None) -> bool:
        if self.heartbeat is None:
            return super().wait(timeout)
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            self.heartbeat()
            left = self.every if end is None else min(self.every, end - time.monotonic())
            if left <= 0:
                return self.is_set()
            if super().wait(left):
                return True
            if end is not None and time.monotonic() >= end:
                self.heartbeat()
                return False
