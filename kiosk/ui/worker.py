"""The one worker thread: runs backend commands in order and posts their answers as events."""

from __future__ import annotations

import logging
import queue
import threading
from typing import Callable

from kiosk.flow_events import Command, Event
from kiosk.ui.backend import Backend, execute

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, backend: Backend, post: Callable[[Event], None]) -> None:
        self.backend = backend
        self.post = post
        self.jobs: queue.Queue[Command | None] = queue.Queue()
        self.thread = threading.Thread(target=self._run, name="kiosk-worker", daemon=True)
        self.busy = threading.Event()

    def start(self) -> None:
        self.thread.start()

    def submit(self, command: Command) -> None:
        self.jobs.put(command)

    def stop(self, timeout: float | None = None) -> None:
        """Finish the job at hand (a top-up must not be cut off), then end."""
        self.jobs.put(None)
        if self.thread.is_alive():
            self.thread.join(timeout)

    def _run(self) -> None:
        while True:
            command = self.jobs.get()
            if command is None:
                return
            self.busy.set()
            try:
                answer = execute(self.backend, command)
                if answer is not None:
                    self.post(answer)
            finally:
                self.busy.clear()
