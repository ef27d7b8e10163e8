"""The flow's side of setup-needed and the clock gate: no customer while either holds."""

from __future__ import annotations

from kiosk.flow import Flow, Screen
from kiosk.flow_events import CardScanned, CheckCard, ClockStatus, Recovering, SetupNeeded
from tests.fixtures.ui import VALID_CARD, ui_settings

SETUP = SetupNeeded("/etc/kiosk/client_secret: client secret file is empty",
                    "sudo nano /etc/kiosk/client_secret")


def test_unsynchronised_clock_takes_the_kiosk_out_of_service_and_back():
    flow = Flow(ui_settings(), now=0.0)
    flow.handle(ClockStatus(False, "not synchronised"), 1.0)
    assert flow.state.screen is Screen.OUT_OF_SERVICE
    assert not flow.state.in_service and flow.state.clock_detail == "not synchronised"
    assert flow.handle(CardScanned(VALID_CARD), 2.0) == []     # no session, no API call
    flow.handle(ClockStatus(True), 3.0)
    assert flow.state.screen is Screen.ATTRACT
    assert any(isinstance(c, CheckCard) for c in flow.handle(CardScanned(VALID_CARD), 4.0))


def test_clock_lost_ends_a_session_before_payment():
    flow = Flow(ui_settings(), now=0.0)
    flow.handle(CardScanned(VALID_CARD), 1.0)
    assert flow.state.screen is Screen.CHECKING_CARD
    flow.handle(ClockStatus(False, "not synchronised"), 2.0)
    assert flow.state.screen is Screen.OUT_OF_SERVICE


def test_setup_needed_outranks_every_other_idle_screen_and_ignores_scans():
    flow = Flow(ui_settings(), now=0.0)
    flow.handle(Recovering(True), 0.5)
    flow.handle(SETUP, 1.0)
    assert flow.state.screen is Screen.SETUP_NEEDED and flow.state.setup == SETUP
    assert flow.handle(CardScanned(VALID_CARD), 2.0) == []
    flow.handle(Recovering(False), 3.0)
    flow.handle(ClockStatus(True), 3.0)
    assert flow.state.screen is Screen.SETUP_NEEDED      # only a reload clears it
