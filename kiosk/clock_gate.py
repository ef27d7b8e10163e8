"""May the kiosk take money by its clock? The doctor's judgement, asked every few seconds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from kiosk.diagnose.clock import (
    ClockCheck, ClockJudgement, ClockReading, judge, read_kernel_clock,
)


class ClockGate:
    """Asks the kernel (or an injected probe: tests never depend on this machine's clock)."""

    def __init__(self, mode: ClockCheck,
                 probe: Callable[[], ClockReading] = read_kernel_clock,
                 wall: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.mode = mode
        self.probe = probe
        self.wall = wall

    def check(self) -> ClockJudgement:
        return judge(self.mode, self.probe(), self.wall())
