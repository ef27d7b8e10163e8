"""Exponential back-off between reads of the API, stoppable by an event."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable


class Stopped(Exception):
    """Recovery was asked to stop; the row stays as it is for the next attempt."""


@dataclass
class Backoff:
    """Exponential back-off between reads; the sleep is injectable so tests need not wait."""

    sleep: Callable[[float], None] | None
    base: float
    cap: float
    stop: threading.Event | None = None
    attempt: int = field(default=0)

    def pause(self) -> None:
        delay = min(self.cap, self.base * (2 ** self.attempt))
        self.attempt += 1
        if self.stop is not None and self.stop.is_set():
            raise Stopped()
        if self.sleep is not None:
            self.sleep(delay)
        elif self.stop is not None:
            self.stop.wait(delay)
        else:
            time.sleep(delay)
        if self.stop is not None and self.stop.is_set():
            raise Stopped()
