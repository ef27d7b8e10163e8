"""The one worker thread: runs backend commands in order and posts their answers as events."""

from __future__ import annotations

import logging
import queue
import threading
from typing import Callable

from kiosk.flow_events import Command, Event
from kiosk.liveness import Liveness, SupervisedThread
from kiosk.ui.backend import Backend, execute

log = logging.getLogger(__name__)

# Idle, the worker checks in at least this often (and within its idle deadline).
IDLE_DEADLINE_S = 30.0
# A job (a top-up with its retries, the terminal wait of a cashless payment, printing) may
# keep it silent this long before it counts as hung.
JOB_DEADLINE_S = 900.0


class Worker:
    """Runs under kiosk.liveness supervision as thread "worker": a crash restarts it."""

    def __init__(self, backend: Backend, post: Callable[[Event], None], *,
                 liveness: Liveness | None = None, idle_deadline: float = IDLE_DEADLINE_S,
                 job_deadline: float = JOB_DEADLINE_S) -> None:
        self.backend = backend
        self.post = post
        self.jobs: queue.Queue[Command | None] = queue.Queue()
        self.busy = threading.Event()
        self.job_deadline = job_deadline
        self._idle_wait = idle_deadline / 3
        # Without a registry of the runtime's, one of its own: supervised all the same.
        registry = liveness if liveness is not None else Liveness()
        self.beat = registry.register("worker", deadline=idle_deadline)
        self.thread = SupervisedThread(self.beat, self._run, threading.Event())

    def start(self) -> None:
        self.thread.start()

    def submit(self, command: Command) -> None:
        self.jobs.put(command)

    def stop(self, timeout: float | None = None) -> None:
        """Finish the job at hand (a top-up must not be cut off), then end."""
        self.thread.stopping.set()
        self.jobs.put(None)
        self.thread.join(timeout)

    def _run(self) -> None:
        while not self.thread.stopping.is_set():
            self.beat()
            try:
                command = self.jobs.get(timeout=self._idle_wait)
            except queue.Empty:
                continue
            if command is None:
                return
            self.beat(within=self.job_deadline)
            self.busy.set()
            try:
                answer = execute(self.backend, command)
                if answer is not None:
                    self.post(answer)
            finally:
                self.busy.clear()
