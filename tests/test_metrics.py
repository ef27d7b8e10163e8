"""Metrics scraped over real HTTP on loopback: top-ups, devices, journal rows, /healthz."""

from __future__ import annotations

import logging
import math
import socket

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from kiosk.config import MetricsConfig
from kiosk.journal import Journal, State
from kiosk.metrics import (
    KNOWN_OUTCOMES,
    KioskMetrics,
    start_from_config,
    start_metrics_server,
)


class Clocks:
    """Wall clock and monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.wall = 1_750_000_000.0
        self.mono = 500.0

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds


@pytest.fixture
def clocks():
    return Clocks()


@pytest.fixture
def metrics(clocks):
    return KioskMetrics(kiosk_id="kiosk-7", stale_after=30.0,
                        clock=lambda: clocks.wall, monotonic=lambda: clocks.mono)


@pytest.fixture
def server(metrics):
    srv = start_metrics_server(metrics, 0)
    yield srv
    srv.stop()


def scrape(server) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = requests.get(server.url + "/metrics", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels):
    return samples[(name, tuple(sorted(labels.items())))]


def test_listens_on_loopback_only(server):
    assert server.host == "127.0.0.1"
    assert server.port > 0


def test_topups_by_outcome_amounts_and_last_success(server, metrics, clocks):
    before = scrape(server)
    for outcome in KNOWN_OUTCOMES:  # present from the start, so rate() sees the first one
        assert value(before, "kiosk_topups_total", outcome=outcome) == 0
    assert value(before, "kiosk_last_successful_topup_timestamp_seconds") == 0
    assert value(before, "kiosk_info", kiosk_id="kiosk-7", version=before_version(before)) == 1

    metrics.topup_finished("done", 1500)
    clocks.advance(60)
    metrics.topup_finished(State.RECEIPT_OWED, 2000)
    success_time = clocks.wall
    clocks.advance(60)
    metrics.topup_finished("not_executed", 5000)  # nothing credited: last success stays
    metrics.topup_finished("done", 1000)
    clocks.advance(1)
    metrics.topup_finished("rejected", 0)

    after = scrape(server)
    assert value(after, "kiosk_topups_total", outcome="done") == 2
    assert value(after, "kiosk_topup_amount_cents_total", outcome="done") == 2500
    assert value(after, "kiosk_topups_total", outcome="receipt_owed") == 1
    assert value(after, "kiosk_topup_amount_cents_total", outcome="not_executed") == 5000
    assert value(after, "kiosk_topups_total", outcome="rejected") == 1
    assert value(after, "kiosk_last_successful_topup_timestamp_seconds") == success_time + 60
    assert success_time + 60 != clocks.wall  # the rejected one did not move it


def before_version(samples) -> str:
    (labels,) = [dict(key[1]) for key in samples if key[0] == "kiosk_info"]
    return labels["version"]


def test_process_metrics_are_included(server):
    samples = scrape(server)
    assert value(samples, "process_resident_memory_bytes") > 0


def test_device_status_has_one_current_state_per_device(server, metrics):
    metrics.set_device_status("printer", "ok")
    metrics.set_device_status("reader", "ok")
    metrics.set_device_status("api", "ok")
    metrics.set_device_status("printer", "paper_out")
    metrics.set_device_status("api", "unreachable")
    samples = scrape(server)
    assert value(samples, "kiosk_device_status", device="printer", status="paper_out") == 1
    assert value(samples, "kiosk_device_status", device="printer", status="ok") == 0
    assert value(samples, "kiosk_device_status", device="reader", status="ok") == 1
    assert value(samples, "kiosk_device_status", device="api", status="unreachable") == 1
    assert value(samples, "kiosk_device_status", device="api", status="ok") == 0


@pytest.mark.parametrize("bad", ["Paper out", "printer: errno 5", "", "x" * 41])
def test_free_text_labels_are_refused(metrics, bad):
    with pytest.raises(ValueError):
        metrics.set_device_status("printer", bad)
    with pytest.raises(ValueError):
        metrics.topup_finished(bad, 100)


def test_negative_amount_is_refused(metrics):
    with pytest.raises(ValueError):
        metrics.topup_finished("done", -1)


def test_unresolved_rows_pushed(server, metrics):
    metrics.set_unresolved(3)
    assert value(scrape(server), "kiosk_journal_unresolved_rows") == 3


def test_journal_rows_read_at_every_scrape(server, metrics, tmp_path):
    with Journal(tmp_path / "journal.sqlite3") as journal:
        metrics.watch_journal(journal.counts)
        assert value(scrape(server), "kiosk_journal_unresolved_rows") == 0
        first = journal.begin(card_number="9276004429942845", amount=1500, currency="EUR",
                              start_type="cash")
        second = journal.begin(card_number="9276004429942845", amount=2000, currency="EUR",
                               start_type="cash")
        journal.advance(second.reference, State.NOT_EXECUTED)
        samples = scrape(server)
        assert value(samples, "kiosk_journal_unresolved_rows") == 1
        assert value(samples, "kiosk_journal_rows", state="intent") == 1
        assert value(samples, "kiosk_journal_rows", state="not_executed") == 1
        journal.advance(first.reference, State.UNKNOWN)
        assert value(scrape(server), "kiosk_journal_unresolved_rows") == 1
        journal.advance(first.reference, State.CLAIM)
        assert value(scrape(server), "kiosk_journal_unresolved_rows") == 0


def test_a_broken_journal_does_not_break_the_scrape(server, metrics, caplog):
    def broken():
        raise OSError("disk I/O error")

    metrics.watch_journal(broken)
    with caplog.at_level(logging.ERROR, logger="kiosk.metrics"):
        samples = scrape(server)
    assert math.isnan(value(samples, "kiosk_journal_unresolved_rows"))
    assert "disk I/O error" in caplog.text


def test_healthz_follows_the_main_loop_heartbeat(server, metrics, clocks):
    response = requests.get(server.url + "/healthz", timeout=10)
    assert response.status_code == 503
    assert response.json()["status"] == "starting"

    metrics.heartbeat()
    clocks.advance(29)
    response = requests.get(server.url + "/healthz", timeout=10)
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "heartbeat_age_s": 29.0}
    assert value(scrape(server), "kiosk_main_loop_heartbeat_timestamp_seconds") == clocks.wall - 29

    clocks.advance(2)  # the loop hung
    response = requests.get(server.url + "/healthz", timeout=10)
    assert response.status_code == 503
    assert response.json()["status"] == "stale"

    metrics.heartbeat()
    assert requests.get(server.url + "/healthz", timeout=10).status_code == 200


def test_unknown_path_is_404(server):
    assert requests.get(server.url + "/", timeout=10).status_code == 404


def test_port_in_use(metrics, caplog):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        with pytest.raises(OSError, match=f"127.0.0.1:{port}"):
            start_metrics_server(metrics, port)
        # `kiosk run` goes on without metrics, with the reason in the log.
        with caplog.at_level(logging.ERROR, logger="kiosk.metrics"):
            assert start_from_config(metrics, MetricsConfig(enabled=True, port=port)) is None
        assert f"127.0.0.1:{port}" in caplog.text
    finally:
        taken.close()


def test_start_from_config(metrics):
    assert start_from_config(metrics, MetricsConfig(enabled=False, port=0)) is None
    server = start_from_config(metrics, MetricsConfig(enabled=True, port=0))
    assert server is not None
    try:
        assert requests.get(server.url + "/metrics", timeout=10).status_code == 200
    finally:
        server.stop()
    # stop() closes the port.
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + "/metrics", timeout=10)
