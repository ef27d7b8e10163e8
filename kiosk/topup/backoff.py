"""Exponential back-off between reads of the API: capped, jittered, stoppable by an event."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Callable


class Stopped(Exception):
    """Recovery was asked to stop; the row stays as it is for the next attempt."""


@dataclass
class Backoff:
    """Exponential back-off between reads; the sleep is injectable so tests need not wait.

    Each delay is drawn from the upper half of the current step (base, 2·base, … up to cap):
    kiosks that lost the API together do not all come back in the same second. The step stops
    doubling at the cap, so any number of pauses is fine (the API may be away for days).
    """

    sleep: Callable[[float], None] | None
    base: float
    cap: float
    stop: threading.Event | None = None
    step: float = field(default=0.0)
    jitter: Callable[[float, float], float] = field(default=random.uniform)
    on_pause: Callable[[], None] | None = None   # called before each pause; may raise

    def pause(self) -> None:
        if self.on_pause is not None:
            self.on_pause()
        self.step = min(self.cap, self.step * 2 if self.step else self.base)
        delay = self.jitter(self.step / 2, self.step)
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
