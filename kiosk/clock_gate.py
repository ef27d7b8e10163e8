"""May the kiosk take money by its clock? The doctor's clock check, under [kiosk] clock_check."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

from kiosk.diagnose.clock import EARLIEST_PLAUSIBLE, ClockReading, read_kernel_clock, verdict

ClockCheck = Literal["ntp", "rtc", "off"]


@dataclass(frozen=True)
class ClockJudgement:
    """`trusted`: receipts may be dated by this clock; `synchronised` as the kernel says it."""

    trusted: bool
    synchronised: bool | None
    detail: str


def judge(mode: ClockCheck, reading: ClockReading, now: datetime) -> ClockJudgement:
    """Pure. "ntp": a time service must have synchronised the clock (a Pi without a real-time
    clock boots in 1970 or at its last shutdown time). "rtc": a battery-backed clock keeps
    time without the network, so only a date that cannot be right stops the kiosk. "off":
    never stops it (a test bench)."""
    if mode == "off":
        return ClockJudgement(True, reading.synchronised, 'not checked ([kiosk] clock_check = "off")')
    ok, detail = verdict(reading, now)
    if not ok and mode == "rtc" and now >= EARLIEST_PLAUSIBLE:
        return ClockJudgement(True, reading.synchronised,
                              f'{detail}; trusted: [kiosk] clock_check = "rtc"')
    return ClockJudgement(ok, reading.synchronised, detail)


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
