"""No money while the clock cannot be trusted: the policy (pure) and the running kiosk with an
injected kernel probe (never this machine's own clock state)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

import kiosk.runtime
from hardware.sim.scanner import VirtualScanner
from kiosk.diagnose.clock import ClockReading, judge
from kiosk.flow import Screen
from kiosk.runtime import KioskRuntime
from kiosk.ui.driver import UiDriver
from tests.fixtures.sandbox import FUNDED_CARD
from tests.test_e2e_kiosk import kiosk_config
from tests.test_e2e_run import WAIT_S

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
BOOTED_IN_1970 = datetime(1970, 1, 1, 0, 1, tzinfo=timezone.utc)
SYNCED = ClockReading(True, max_error_us=1500)
UNSYNCED = ClockReading(False, max_error_us=16_000_000)
UNKNOWN = ClockReading(None, why_unknown="adjtimex not available")


@pytest.mark.parametrize("mode,reading,now,trusted", [
    ("ntp", SYNCED, NOW, True),
    ("ntp", UNSYNCED, NOW, False),
    ("ntp", UNKNOWN, NOW, True),            # cannot tell: the date decides
    ("ntp", UNKNOWN, BOOTED_IN_1970, False),
    ("rtc", UNSYNCED, NOW, True),           # a battery-backed clock keeps time offline
    ("rtc", UNSYNCED, BOOTED_IN_1970, False),   # ... unless its battery died
    ("off", UNSYNCED, BOOTED_IN_1970, True),
])
def test_policy(mode, reading, now, trusted):
    judgement = judge(mode, reading, now)
    assert judgement.trusted is trusted
    assert judgement.synchronised is reading.synchronised
    assert judgement.detail


def test_detail_says_why_and_what_to_do():
    detail = judge("ntp", UNSYNCED, NOW).detail
    assert "not synchronised" in detail and "timedatectl" in detail
    assert 'clock_check = "rtc"' in judge("rtc", UNSYNCED, NOW).detail


def test_running_kiosk_takes_no_money_until_the_clock_is_synchronised(
        sandbox, tmp_path, make_printer_emulator, monkeypatch):
    monkeypatch.setattr(kiosk.runtime, "HOUSEKEEPING_S", 0.0)
    printer = make_printer_emulator(columns=42, render=False)
    config = kiosk_config(sandbox, tmp_path, printer.link)
    config = dataclasses.replace(config, kiosk=dataclasses.replace(config.kiosk,
                                                                    clock_check="ntp"))
    readings = [UNSYNCED]
    scanner = VirtualScanner()
    runtime = KioskRuntime(config, window=True, scanner=scanner,
                           clock_probe=lambda: readings[-1])
    try:
        runtime.open()
        drive = UiDriver(runtime.ui, timeout=WAIT_S)
        assert runtime.ui.run_until(lambda u: runtime.supervisor.recovered.is_set(), WAIT_S)
        drive.wait_for(Screen.OUT_OF_SERVICE)
        assert not runtime.ui.state.clock_ok and "not synchronised" in runtime.ui.state.clock_detail
        exposition = runtime.metrics.exposition().decode()
        assert "kiosk_clock_synchronised 0.0" in exposition
        assert "kiosk_in_service 0.0" in exposition
        readings.append(SYNCED)                       # timesyncd reached its server
        drive.wait_for(Screen.ATTRACT)
        assert runtime.ui.run_until(
            lambda u: b"kiosk_in_service 1.0" in runtime.metrics.exposition(), WAIT_S)
        assert b"kiosk_clock_synchronised 1.0" in runtime.metrics.exposition()
        assert runtime.ui.run_until(lambda u: scanner.device is not None, WAIT_S)
        scanner.scan(FUNDED_CARD)
        drive.wait_for(Screen.CARD)
    finally:
        runtime.close()
