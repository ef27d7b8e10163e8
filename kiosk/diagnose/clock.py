"""Is the system clock synchronised? Asked of the kernel (adjtimex), so it works without systemd."""

from __future__ import annotations

import ctypes
import ctypes.util
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

from kiosk.diagnose import CheckFailed

# adjtimex(2): the return value TIME_ERROR and the status bit STA_UNSYNC both mean that no time
# service (systemd-timesyncd, chrony, ntpd) has disciplined the clock since boot. A Pi has no
# real-time clock: until then it may believe it is 1970, or the time of the last shutdown.
TIME_ERROR = 5
STA_UNSYNC = 0x0040
# No receipt of this software can be dated before this; an earlier clock is certainly wrong.
EARLIEST_PLAUSIBLE = datetime(2025, 1, 1, tzinfo=timezone.utc)
HINT = ("check the network and `timedatectl timesync-status` (or chronyc tracking); the kiosk "
        "takes no money until the clock is synchronised")


class _Timex(ctypes.Structure):
    """struct timex of <sys/timex.h> (Linux): the fields up to `tai`, then the kernel's padding."""

    _fields_ = [
        ("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
        ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long), ("status", ctypes.c_int),
        ("constant", ctypes.c_long), ("precision", ctypes.c_long),
        ("tolerance", ctypes.c_long), ("time_sec", ctypes.c_long),
        ("time_usec", ctypes.c_long), ("tick", ctypes.c_long), ("ppsfreq", ctypes.c_long),
        ("jitter", ctypes.c_long), ("shift", ctypes.c_int), ("stabil", ctypes.c_long),
        ("jitcnt", ctypes.c_long), ("calcnt", ctypes.c_long), ("errcnt", ctypes.c_long),
        ("stbcnt", ctypes.c_long), ("tai", ctypes.c_int), ("_padding", ctypes.c_int * 11),
    ]


@dataclass(frozen=True)
class ClockReading:
    """What the kernel said: `synchronised` None when it could not be asked."""

    synchronised: bool | None
    max_error_us: int = 0
    why_unknown: str = ""


def read_kernel_clock() -> ClockReading:
    """adjtimex with modes = 0 only reads (no privilege needed, nothing changes)."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        adjtimex = libc.adjtimex
    except (OSError, AttributeError) as exc:
        return ClockReading(None, why_unknown=f"adjtimex not available ({exc})")
    timex = _Timex()
    result = adjtimex(ctypes.byref(timex))
    if result < 0:
        return ClockReading(None, why_unknown=f"adjtimex failed (errno {ctypes.get_errno()})")
    synced = result != TIME_ERROR and not timex.status & STA_UNSYNC
    return ClockReading(synced, max_error_us=int(timex.maxerror))


def verdict(reading: ClockReading, now: datetime) -> tuple[bool, str]:
    """(ok, detail) for the doctor: a clock before EARLIEST_PLAUSIBLE is wrong whatever it says."""
    shown = now.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    if now < EARLIEST_PLAUSIBLE:
        return False, f"the clock says {shown}, which cannot be right; {HINT}"
    if reading.synchronised is None:
        # Honest: nothing to judge by. Not a failure, the kiosk's own gate decides at run time.
        return True, f"unknown ({reading.why_unknown}); the clock says {shown}"
    if not reading.synchronised:
        return False, (f"not synchronised (kernel: STA_UNSYNC, max error "
                       f"{reading.max_error_us / 1e6:g} s); the clock says {shown}; {HINT}")
    return True, f"synchronised (max error {reading.max_error_us / 1000:g} ms), {shown}"


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


def check_clock(mode: ClockCheck = "ntp") -> str:
    """As the running kiosk judges it (kiosk/clock_gate.py, [kiosk] clock_check = mode)."""
    judgement = judge(mode, read_kernel_clock(), datetime.fromtimestamp(time.time(), timezone.utc))
    if not judgement.trusted:
        raise CheckFailed(judgement.detail)
    return judgement.detail
