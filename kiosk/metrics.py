"""Prometheus metrics for watching a fleet, served with /healthz on 127.0.0.1 by a small HTTP server."""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterable, Mapping, Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Info,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from kiosk import config_rules as rules
from kiosk.config import MetricsConfig
from kiosk.journal import UNFINISHED, State
from kiosk.liveness import Liveness, SupervisedThread
from kiosk.journal_maint import free_bytes, journal_bytes

log = logging.getLogger(__name__)

# Outcomes are the journal state a top-up ended in, lower-cased ("done", "receipt_owed",
# "not_executed", "claim", "unknown"), plus "rejected" for a card or amount refused before any
# money moved. They are pre-created so that rate() and increase() see a 0 before the first one.
KNOWN_OUTCOMES: tuple[str, ...] = (
    "done", "receipt_owed", "not_executed", "claim", "unknown", "rejected"
)
# The card was credited: these move "last successful top-up".
CREDITED_OUTCOMES = frozenset({"done", "receipt_owed", "confirmed"})
DEVICES: tuple[str, ...] = ("printer", "reader", "api")
# The near-full alarm fires at this share of [cash] cashbox_capacity, leaving a day's notes of
# room.
CASHBOX_NEAR_FULL_SHARE = 0.9
_LABEL_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")


class CashboxFill(Protocol):
    """What the cashbox count (kiosk.cash.ledger.CashboxCount) offers the metrics."""

    @property
    def count(self) -> int: ...

    @property
    def total(self) -> int: ...


def _label(value: str | State, what: str) -> str:
    text = value.value.lower() if isinstance(value, State) else value
    # Label values become time series: free text (an error message) would grow without bound.
    if not _LABEL_RE.fullmatch(text):
        raise ValueError(f"metrics {what} must be a short snake_case word, got {text!r}")
    return text


class KioskMetrics:
    """The kiosk's metrics in a registry of their own; every method is safe from any thread."""

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        kiosk_id: str = "",
        stale_after: float = 30.0,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.stale_after = stale_after
        self._clock = clock
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._last_heartbeat: float | None = None
        self._device_states: dict[str, set[str]] = {}
        r = self.registry
        # Memory, CPU time, open files of this process: a leak shows before the kiosk dies.
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        self.info = Info("kiosk", "Which kiosk and software version this is", registry=r)
        self.info.info({"kiosk_id": kiosk_id, "version": _version()})
        self.topups = Counter(
            "kiosk_topups", "Top-ups finished, by outcome", ["outcome"], registry=r
        )
        self.amount_cents = Counter(
            "kiosk_topup_amount_cents",
            "Sum of top-up amounts in cents of the configured currency, by outcome",
            ["outcome"], registry=r,
        )
        for outcome in KNOWN_OUTCOMES:
            self.topups.labels(outcome)
            self.amount_cents.labels(outcome)
        self.last_success = Gauge(
            "kiosk_last_successful_topup_timestamp_seconds",
            "Unix time of the last top-up that credited a card (0: none since start)",
            registry=r,
        )
        self.device_status = Gauge(
            "kiosk_device_status",
            "1 for each device's current status (printer, reader, api), 0 for its earlier ones",
            ["device", "status"], registry=r,
        )
        self.heartbeat_time = Gauge(
            "kiosk_main_loop_heartbeat_timestamp_seconds",
            "Unix time the UI main loop last went round",
            registry=r,
        )
        self.in_service = Gauge(
            "kiosk_in_service", "1 while the kiosk can serve a customer, 0 while out of service",
            registry=r,
        )
        self.clock_synchronised = Gauge(
            "kiosk_clock_synchronised",
            "1 while the kernel says a time service synchronised the clock, 0 while not "
            "(NaN: cannot tell)", registry=r,
        )
        self.clock_synchronised.set(float("nan"))
        self.terminal_online = Gauge(
            "kiosk_terminal_online",
            "1 while the card terminal routed to the kiosk is online, 0 while not "
            "(NaN: not checked, no [api] device_id)", registry=r,
        )
        self.terminal_online.set(float("nan"))
        self.terminal_day_close = Counter(
            "kiosk_terminal_day_close", "End-of-day runs of the card terminal, by result",
            ["result"], registry=r,
        )
        for result in ("ok", "failed"):
            self.terminal_day_close.labels(result)
        self._journal = _JournalCollector()
        r.register(self._journal)
        self._storage = _StorageCollector()
        r.register(self._storage)
        self.cash_faults = Counter(
            "kiosk_cash_faults", "Note validator faults, by fault (kiosk.cash.session.Fault)",
            ["fault"], registry=r,
        )
        self._cashbox = _CashboxCollector()
        r.register(self._cashbox)

    # --- what the rest of the kiosk calls ----------------------------------------------------

    def topup_finished(self, outcome: str | State, amount_cents: int) -> None:
        """Count a finished top-up and its amount under its outcome (see KNOWN_OUTCOMES)."""
        label = _label(outcome, "outcome")
        if amount_cents < 0:
            raise ValueError(f"top-up amount must not be negative, got {amount_cents}")
        self.topups.labels(label).inc()
        self.amount_cents.labels(label).inc(amount_cents)
        if label in CREDITED_OUTCOMES:
            self.last_success.set(self._clock())

    def set_device_status(self, device: str, status: str) -> None:
        """E.g. ("printer", "paper_out"), ("reader", "ok"), ("api", "unreachable")."""
        device, status = _label(device, "device"), _label(status, "status")
        with self._lock:
            seen = self._device_states.setdefault(device, set())
            seen.add(status)
            for other in seen:
                self.device_status.labels(device, other).set(1 if other == status else 0)

    def set_terminal_online(self, online: bool) -> None:
        self.terminal_online.set(1 if online else 0)

    def terminal_day_closed(self, ok: bool) -> None:
        self.terminal_day_close.labels("ok" if ok else "failed").inc()

    def set_unresolved(self, rows: int) -> None:
        """Journal rows whose outcome is still open; see also watch_journal()."""
        self._journal.pushed = rows

    def cash_fault(self, fault: str) -> None:
        """Count one validator fault ("jam", "rejected", ...)."""
        self.cash_faults.labels(_label(fault, "fault")).inc()

    def watch_cashbox(self, count: Callable[[], CashboxFill], capacity: int) -> None:
        """Read the cashbox's fill at every scrape, e.g.
        `watch_cashbox(ledger.cashbox, config.cash.cashbox_capacity)`."""
        self._cashbox.count = count
        self._cashbox.capacity = capacity

    def watch_journal(self, counts: Callable[[], Mapping[State, int]]) -> None:
        """Read rows per state at every scrape, e.g. `metrics.watch_journal(journal.counts)`."""
        self._journal.counts = counts

    def watch_threads(self, liveness: Liveness) -> None:
        """Serve kiosk_thread_alive and kiosk_thread_crashes_total from this registry."""
        self.registry.register(_ThreadCollector(liveness))

    def watch_storage(self, journal_path: Path) -> None:
        """Journal size and free space of its directory, read at every scrape."""
        self._storage.path = journal_path

    def heartbeat(self) -> None:
        """Called from the UI main loop on every pass (next to WatchdogPinger.tick)."""
        now = self._monotonic()
        with self._lock:
            self._last_heartbeat = now
        self.heartbeat_time.set(self._clock())

    # --- health ------------------------------------------------------------------------------

    def health(self) -> tuple[bool, dict[str, object]]:
        """(healthy, details): healthy while the main loop went round within stale_after s."""
        with self._lock:
            last = self._last_heartbeat
        if last is None:
            return False, {"status": "starting", "detail": "main loop has not run yet"}
        age = self._monotonic() - last
        details: dict[str, object] = {"heartbeat_age_s": round(age, 3)}
        if age > self.stale_after:
            details.update(status="stale", detail=f"main loop silent for more than {self.stale_after:g} s")
            return False, details
        details["status"] = "ok"
        return True, details

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _StorageCollector(Collector):
    """Journal bytes on disk and free bytes in the state directory (alert before the floor)."""

    def __init__(self) -> None:
        self.path: Path | None = None

    def collect(self) -> Iterable[GaugeMetricFamily]:
        if self.path is None:
            return
        size = GaugeMetricFamily("kiosk_journal_bytes",
                                 "Journal size on disk (database, -wal and -shm files)")
        size.add_metric([], journal_bytes(self.path))
        yield size
        free = GaugeMetricFamily("kiosk_state_free_bytes",
                                 "Free bytes in the state directory's file system")
        try:
            free.add_metric([], free_bytes(self.path.parent))
        except OSError as exc:   # a scrape must not fail because of the disk
            log.error("metrics: cannot read free space of %s: %s", self.path.parent, exc)
            free.add_metric([], float("nan"))
        yield free


class _CashboxCollector(Collector):
    """The cashbox's fill since the last emptying, read fresh at every scrape."""

    def __init__(self) -> None:
        self.count: Callable[[], CashboxFill] | None = None
        self.capacity = rules.DEFAULT_CASHBOX_CAPACITY

    def collect(self) -> Iterable[GaugeMetricFamily]:
        if self.count is None:
            return
        try:
            fill = self.count()
            notes, value = fill.count, fill.total
        except Exception as exc:  # noqa: BLE001 - a scrape must not fail because of the journal
            log.error("metrics: cannot read the cashbox count: %s", exc)
            notes, value = float("nan"), float("nan")
        for name, doc, number in (
            ("kiosk_cashbox_notes", "Notes in the cashbox since it was last emptied", notes),
            ("kiosk_cashbox_value_cents", "Value of the notes in the cashbox, in cents", value),
            ("kiosk_cashbox_capacity_notes", "Notes the cashbox holds", self.capacity),
            ("kiosk_cashbox_near_full", "1 when the cashbox is near capacity: empty it soon",
             float(notes >= self.capacity * CASHBOX_NEAR_FULL_SHARE)),
        ):
            family = GaugeMetricFamily(name, doc)
            family.add_metric([], number)
            yield family


class _JournalCollector(Collector):
    """Journal rows per state and the unresolved count, read fresh at every scrape."""

    def __init__(self) -> None:
        self.counts: Callable[[], Mapping[State, int]] | None = None
        self.pushed = 0

    def collect(self) -> Iterable[GaugeMetricFamily]:
        unresolved = GaugeMetricFamily(
            "kiosk_journal_unresolved_rows",
            "Journal rows not yet settled (money open, or credited without a receipt decision)",
        )
        if self.counts is None:
            unresolved.add_metric([], self.pushed)
            yield unresolved
            return
        try:
            counts = self.counts()
        except Exception as exc:  # noqa: BLE001 - a scrape must not fail because of the journal
            log.error("metrics: cannot read the journal: %s", exc)
            unresolved.add_metric([], float("nan"))
            yield unresolved
            return
        rows = GaugeMetricFamily("kiosk_journal_rows", "Journal rows per state", labels=["state"])
        for state, n in sorted(counts.items(), key=lambda item: item[0].value):
            rows.add_metric([state.value.lower()], n)
        unresolved.add_metric([], sum(n for state, n in counts.items() if state in UNFINISHED))
        yield rows
        yield unresolved


class _ThreadCollector(Collector):
    """Per supervised thread: on time or not, and crashes since start, read at every scrape."""

    def __init__(self, liveness: Liveness) -> None:
        self.liveness = liveness

    def collect(self) -> Iterable[GaugeMetricFamily | CounterMetricFamily]:
        alive = GaugeMetricFamily(
            "kiosk_thread_alive",
            "1 while a long-lived thread runs and checked in within its deadline",
            labels=["thread"])
        for name, ok in sorted(self.liveness.alive().items()):
            alive.add_metric([name], 1 if ok else 0)
        crashes = CounterMetricFamily(
            "kiosk_thread_crashes",
            "Unexpected ends of a long-lived thread (each one restarted after a back-off)",
            labels=["thread"])
        for name, n in sorted(self.liveness.crashes().items()):
            crashes.add_metric([name], n)
        yield alive
        yield crashes


def _version() -> str:
    try:
        return metadata.version("topup-kiosk")
    except metadata.PackageNotFoundError:
        return "unknown"


# --- the HTTP server ---------------------------------------------------------------------------


# The accept loop wakes this often to check in and to notice stop(); the metrics thread's
# deadline allows several missed wake-ups.
ACCEPT_POLL_S = 0.5
METRICS_DEADLINE_S = 10.0
# A scrape sends its request at once; a connection silent this long is closed, so that idle
# connections cannot hold a thread each for ever.
IDLE_TIMEOUT_S = 10.0


class MetricsServer:
    """A threaded http.server with /metrics and /healthz; stop() closes the port.

    Its accept loop is the supervised thread "metrics", not vital: customers are served
    without it, so it never holds back the watchdog, but a crash restarts it and counts.
    """

    def __init__(self, metrics: KioskMetrics, port: int, host: str = "127.0.0.1", *,
                 liveness: Liveness | None = None, idle_timeout: float = IDLE_TIMEOUT_S) -> None:
        # StreamRequestHandler.timeout becomes the socket timeout of every connection.
        handler = type("Handler", (_Handler,), {"metrics": metrics, "timeout": idle_timeout})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._server.timeout = ACCEPT_POLL_S
        self.host, self.port = self._server.server_address[:2]
        registry = liveness if liveness is not None else Liveness()
        self.beat = registry.register("metrics", deadline=METRICS_DEADLINE_S, vital=False)
        self._thread = SupervisedThread(self.beat, self._accept, threading.Event())
        self._thread.start()

    def _accept(self) -> None:
        # handle_request() instead of serve_forever(): stopping needs no shutdown() handshake,
        # which would wait for ever on a loop that is between restarts.
        while not self._thread.stopping.is_set():
            self.beat()
            self._server.handle_request()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self._thread.stop(timeout=None)
        self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    metrics: KioskMetrics
    server_version = "kiosk-metrics"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self._send(200, CONTENT_TYPE_LATEST, self.metrics.exposition())
        elif path == "/healthz":
            healthy, details = self.metrics.health()
            body = json.dumps(details, sort_keys=True).encode() + b"\n"
            self._send(200 if healthy else 503, "application/json", body)
        else:
            self._send(404, "text/plain; charset=utf-8", b"not found: try /metrics or /healthz\n")

    def _send(self, code: int, content_type: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        # Every scrape would otherwise print a line to stderr, i.e. into the journal.
        log.debug("metrics http: " + format, *args)


def start_metrics_server(metrics: KioskMetrics, port: int, host: str = "127.0.0.1", *,
                         liveness: Liveness | None = None) -> MetricsServer:
    """Serve on host:port (0 picks a free port); raises OSError naming the port if it is taken."""
    try:
        return MetricsServer(metrics, port, host, liveness=liveness)
    except OSError as exc:
        raise OSError(exc.errno, f"metrics server cannot listen on {host}:{port}: {exc.strerror}") from exc


def start_from_config(metrics: KioskMetrics, config: MetricsConfig, *,
                      liveness: Liveness | None = None) -> MetricsServer | None:
    """What `kiosk run` calls: None when disabled, or (logged) when the port is taken.

    A kiosk without metrics still serves customers, so a busy port is an error in the log,
    not a reason to stop.
    """
    if not config.enabled:
        return None
    try:
        server = start_metrics_server(metrics, config.port, liveness=liveness)
    except OSError as exc:
        log.error("%s; [metrics] port in the config file chooses another", exc.strerror or exc)
        return None
    log.info("metrics on %s/metrics and %s/healthz", server.url, server.url)
    return server
