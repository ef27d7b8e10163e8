"""Card terminal against the sandbox: routing and online pre-flight, daily end of day, diagnosis."""

from __future__ import annotations

import dataclasses
import threading
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from hardware.sim.sandbox import Fault
from kiosk.diagnose.terminal import check_terminal
from kiosk.flow import Screen
from kiosk.flow_events import TerminalStatus
from kiosk.journal import Journal, State
from kiosk.metrics import KioskMetrics
from kiosk.monitor import Supervisor
from kiosk.secuconnect.models import ModelError
from kiosk.secuconnect.terminals import TerminalReport, TerminalRouting
from kiosk.terminal import (
    DAY_CLOSE_RETRY_S, EVENT_DAY_CLOSE, EVENT_DIAGNOSIS, DayCloseSchedule, TerminalWatch,
    next_day_close, watch_from_config,
)
from tests.fixtures.sandbox import CARD, sandbox, sandbox_api, secuconnect  # noqa: F401
from tests.test_e2e_kiosk import make_kiosk  # noqa: F401
from tests.test_topup_env import env  # noqa: F401

KIOSK_DEVICE = "SDV_KIOSK0001"


class Clock:
    """The watch's wall clock, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def journal(tmp_path: Path):
    with Journal(tmp_path / "journal.sqlite3") as j:
        yield j


def make_watch(client, journal, clock, *, present=lambda: False, metrics=None):
    posted: list[TerminalStatus] = []
    watch = TerminalWatch(client, KIOSK_DEVICE, journal, posted.append, day_close_at="03:00",
                          customer_present=present, metrics=metrics, clock=clock)
    return watch, posted


def sample(metrics: KioskMetrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels or None)


# --- the pure parts -------------------------------------------------------------------------


def test_next_day_close_is_strictly_later_today_or_tomorrow():
    at = time(3, 0)
    assert next_day_close(datetime(2026, 5, 1, 2, 59), at) == datetime(2026, 5, 1, 3, 0)
    assert next_day_close(datetime(2026, 5, 1, 3, 0), at) == datetime(2026, 5, 2, 3, 0)
    assert next_day_close(datetime(2026, 12, 31, 23, 0), at) == datetime(2027, 1, 1, 3, 0)


def test_schedule_moves_to_the_next_day_on_success_and_retries_on_failure():
    schedule = DayCloseSchedule(time(3, 0), datetime(2026, 5, 1, 12, 0))
    assert not schedule.is_due(datetime(2026, 5, 2, 2, 59))
    assert schedule.is_due(datetime(2026, 5, 2, 3, 0))
    schedule.failed(datetime(2026, 5, 2, 3, 0))
    assert schedule.due == datetime(2026, 5, 2, 3, 0) + timedelta(seconds=DAY_CLOSE_RETRY_S)
    schedule.succeeded(datetime(2026, 5, 2, 3, 20))
    assert schedule.due == datetime(2026, 5, 3, 3, 0)


@pytest.mark.parametrize("answer, online", [
    ({"id": "SDV_T", "online": True}, True),
    ({"id": "SDV_T", "online": False, "status": "online"}, False),   # the flag wins
    ({"id": "SDV_T", "status": "online"}, True),
    ({"id": "SDV_T", "status": "busy"}, False),
    ({"count": 1, "data": [{"id": "SDV_T", "online": True}]}, True),
])
def test_routing_answers_in_either_shape(answer, online):
    assert TerminalRouting.from_json(answer).online is online


@pytest.mark.parametrize("answer", [[], {"online": True}, {"count": 0, "data": []}])
def test_routing_answer_without_a_device_is_not_read_as_one(answer):
    with pytest.raises(ModelError):
        TerminalRouting.from_json(answer)


def test_terminal_report_reads_result_false_and_error_status_as_failure():
    assert TerminalReport.from_json({"result": True, "receipt": ["a", "b"]}).summary == "a; b"
    assert not TerminalReport.from_json({"result": False}).ok
    assert not TerminalReport.from_json({"status": "error"}).ok


# --- against the sandbox --------------------------------------------------------------------


def test_routed_online_terminal_allows_card_payment(secuconnect, sandbox, journal):  # noqa: F811
    metrics = KioskMetrics()
    watch, posted = make_watch(secuconnect, journal, Clock(datetime(2026, 5, 1, 12)),
                               metrics=metrics)
    assert watch.check()
    assert posted == [TerminalStatus(True, "")]
    assert watch.terminal_id == sandbox.terminals.terminal_id
    assert sample(metrics, "kiosk_terminal_online") == 1


@pytest.mark.parametrize("trouble", ["offline", "unrouted", "no_answer"])
def test_card_payment_unavailable_with_the_reason(secuconnect, sandbox, journal,  # noqa: F811
                                                   trouble):
    metrics = KioskMetrics()
    watch, posted = make_watch(secuconnect, journal, Clock(datetime(2026, 5, 1, 12)),
                               metrics=metrics)
    if trouble == "offline":
        sandbox.terminals.set_online(False)
        expected = "is offline"
    elif trouble == "unrouted":
        sandbox.terminals.route(False)
        expected = f"no card terminal routed to device {KIOSK_DEVICE}"
    else:
        sandbox.inject("routing", Fault.drop_before_commit())
        expected = "cannot ask which card terminal"
    assert not watch.check()
    [status] = posted
    assert not status.ok and expected in status.detail
    assert sample(metrics, "kiosk_terminal_online") == 0
    sandbox.terminals.set_online(True)
    sandbox.terminals.route(True)
    assert watch.check() and posted[-1].ok


def test_end_of_day_runs_once_at_the_configured_time(secuconnect, sandbox, journal):  # noqa: F811
    clock = Clock(datetime(2026, 5, 1, 12, 0))
    metrics = KioskMetrics()
    watch, _ = make_watch(secuconnect, journal, clock, metrics=metrics)
    watch.check()
    assert watch.close_day_if_due() is None
    clock.now = datetime(2026, 5, 2, 3, 0, 5)
    assert watch.close_day_if_due() == "ok"
    assert watch.close_day_if_due() is None                       # once a day
    assert sandbox.terminals.calls("endOfDay") == [sandbox.terminals.terminal_id]
    [event] = journal.events(EVENT_DAY_CLOSE)
    assert event.result == "ok" and "Kassenschnitt" in event.detail
    assert sample(metrics, "kiosk_terminal_day_close_total", result="ok") == 1
    clock.now = datetime(2026, 5, 3, 3, 0)
    assert watch.close_day_if_due() == "ok"
    assert len(journal.events(EVENT_DAY_CLOSE)) == 2


def test_end_of_day_waits_for_the_customer_and_open_top_ups(secuconnect, sandbox,  # noqa: F811
                                                             journal):
    clock = Clock(datetime(2026, 5, 1, 12, 0))
    present = [True]
    watch, _ = make_watch(secuconnect, journal, clock, present=lambda: present[0])
    clock.now = datetime(2026, 5, 2, 3, 0)
    assert watch.close_day_if_due() == "skipped"
    present[0] = False
    row = journal.begin(card_number=CARD, amount=1500, currency="EUR", start_type="cashless")
    journal.advance(row.reference, State.CREATED, stx_id="STX_X")
    assert watch.close_day_if_due() == "skipped"                 # a card top-up still open
    journal.advance(row.reference, State.NOT_EXECUTED, reason="test")
    assert watch.close_day_if_due() == "ok"
    assert sandbox.terminals.calls("endOfDay") and journal.events()[0].result == "ok"


@pytest.mark.parametrize("fault", ["refused", "no_answer"])
def test_failed_end_of_day_is_logged_counted_and_retried(secuconnect, sandbox, journal,  # noqa: F811
                                                          fault):
    clock = Clock(datetime(2026, 5, 1, 12, 0))
    metrics = KioskMetrics()
    watch, _ = make_watch(secuconnect, journal, clock, metrics=metrics)
    watch.check()
    if fault == "refused":
        sandbox.terminals.fail(end_of_day=True)
    else:
        sandbox.inject("end_of_day", Fault.drop_before_commit())
    clock.now = datetime(2026, 5, 2, 3, 0)
    assert watch.close_day_if_due() == "failed"
    [event] = journal.events(EVENT_DAY_CLOSE)
    assert event.result == "failed" and "endOfDay" in event.detail
    assert sample(metrics, "kiosk_terminal_day_close_total", result="failed") == 1
    clock.now += timedelta(seconds=DAY_CLOSE_RETRY_S - 1)
    assert watch.close_day_if_due() is None                        # not before the retry time
    sandbox.terminals.fail(end_of_day=False)
    clock.now += timedelta(seconds=1)
    assert watch.close_day_if_due() == "ok"
    assert [e.result for e in journal.events(EVENT_DAY_CLOSE)] == ["ok", "failed"]
    assert sample(metrics, "kiosk_terminal_day_close_total", result="ok") == 1


def test_diagnosis_is_logged_and_kept_in_the_event_log(secuconnect, sandbox, journal):  # noqa: F811
    watch, _ = make_watch(secuconnect, journal, Clock(datetime(2026, 5, 1, 12)))
    assert watch.diagnose()[0]
    sandbox.terminals.fail(diagnosis=True)
    ok, detail = watch.diagnose()
    assert not ok and "diagnosis" in detail and "ProductBackendproviderException" in detail
    assert [e.result for e in journal.events(EVENT_DIAGNOSIS)] == ["failed", "ok"]
    # Before any routing answer the kiosk's own id is used (which one the API wants is unknown).
    assert sandbox.terminals.calls("diagnosis") == [KIOSK_DEVICE, KIOSK_DEVICE]


def test_client_refuses_an_unknown_terminal_call(secuconnect):  # noqa: F811
    with pytest.raises(ValueError):
        secuconnect.terminal_call(KIOSK_DEVICE, "reboot")


def test_journal_event_log_masks_card_numbers(journal):
    journal.record_event("terminal_diagnosis", "failed", f"card {CARD} refused")
    assert CARD not in journal.events()[0].detail


# --- in the supervisor's health pass --------------------------------------------------------


def test_supervisor_diagnoses_at_start_and_withdraws_card_payment_while_offline(env):  # noqa: F811
    events: list[object] = []
    online_seen, offline_seen = threading.Event(), threading.Event()

    def post(event):
        events.append(event)
        if isinstance(event, TerminalStatus):
            (online_seen if event.ok else offline_seen).set()

    config = dataclasses.replace(env.config, api=dataclasses.replace(
        env.config.api, device_id=KIOSK_DEVICE), topup=dataclasses.replace(
        env.config.topup, start_type="cashless"))
    watch = watch_from_config(config, env.client, env.journal, post,
                              customer_present=lambda: False)
    assert watch is not None
    supervisor = Supervisor(env.service, env.client.ping, post, interval=0.05, terminal=watch)
    supervisor.start()
    try:
        assert online_seen.wait(10), "the monitor never reported the terminal online"
        env.sandbox.terminals.set_online(False)
        assert offline_seen.wait(10), "the monitor never reported the terminal offline"
    finally:
        supervisor.stop()
    assert [e.result for e in env.journal.events(EVENT_DIAGNOSIS)] == ["ok"]
    assert env.sandbox.terminals.calls("diagnosis") == [KIOSK_DEVICE]


def test_no_watch_without_a_card_terminal_or_a_device_id(env):  # noqa: F811
    assert env.config.topup.start_type == "cash" and env.config.api.device_id
    assert watch_from_config(env.config, env.client, env.journal, print,
                             customer_present=lambda: False) is None
    assert watch_from_config(card_kiosk(env.config, device_id=""), env.client, env.journal,
                             print, customer_present=lambda: False) is None


def test_a_blocking_terminal_call_is_left_when_the_kiosk_stops(secuconnect, sandbox,  # noqa: F811
                                                              journal):
    watch, _ = make_watch(secuconnect, journal, Clock(datetime(2026, 5, 1, 12)))
    sandbox.inject("diagnosis", Fault.delay(2.0))
    watch.wait = lambda seconds: True          # the supervisor's stop event is set
    ok, detail = watch.diagnose()
    assert not ok and "stopping" in detail


# --- kiosk doctor ---------------------------------------------------------------------------


def card_kiosk(config, device_id: str = KIOSK_DEVICE):
    return dataclasses.replace(
        config, api=dataclasses.replace(config.api, device_id=device_id),
        topup=dataclasses.replace(config.topup, start_type="cashless"))


def test_doctor_reports_routing_a_live_diagnosis_and_the_kiosks_last_ones(env):  # noqa: F811
    watch = TerminalWatch(env.client, KIOSK_DEVICE, env.journal, lambda e: None)
    watch.diagnose()
    check = check_terminal(card_kiosk(env.config))
    assert check.ok and not check.warning, check.detail
    assert f"routed to {KIOSK_DEVICE}, online, diagnosis passed" in check.detail
    assert "last start-up diagnosis: ok at" in check.detail
    assert "last end of day: none recorded" in check.detail
    assert env.sandbox.terminals.calls("diagnosis")[-1] == env.sandbox.terminals.terminal_id


@pytest.mark.parametrize("trouble, expected", [
    ("offline", "is offline"), ("unrouted", "Smart Routing"), ("diagnosis", "FAILED")])
def test_doctor_fails_without_a_usable_terminal(env, trouble, expected):  # noqa: F811
    terminals = env.sandbox.terminals
    if trouble == "offline":
        terminals.set_online(False)
    elif trouble == "unrouted":
        terminals.route(False)
    else:
        terminals.set_online(True)
        terminals.fail(diagnosis=True)
    check = check_terminal(card_kiosk(env.config))
    assert not check.ok and expected in check.detail and KIOSK_DEVICE in check.detail


def test_doctor_warns_about_a_card_kiosk_without_device_id_and_ignores_cash_kiosks(env):  # noqa: F811
    check = check_terminal(card_kiosk(env.config, device_id=""))
    assert check.ok and check.warning and "[api] device_id is empty" in check.detail
    assert check_terminal(env.config).detail.startswith("not used")


# --- the running kiosk ----------------------------------------------------------------------


def test_card_only_kiosk_goes_out_of_service_while_its_terminal_is_offline(make_kiosk, sandbox):  # noqa: F811
    k = make_kiosk(start_type="cashless")
    # The start-up diagnosis first (after recovery), so that it meets an online terminal.
    assert k.ui.run_until(lambda u: k.runtime.journal.events(EVENT_DIAGNOSIS), 10.0)
    [event] = k.runtime.journal.events(EVENT_DIAGNOSIS)
    assert event.result == "ok"
    sandbox.terminals.set_online(False)
    k.reach(Screen.OUT_OF_SERVICE)
    assert k.ui.state.no_payment_left and "is offline" in k.ui.state.card_payment_detail
    assert b"kiosk_terminal_online 0.0" in k.runtime.metrics.exposition()
    sandbox.terminals.set_online(True)
    k.reach(Screen.ATTRACT)
