"""`kiosk bench` with tiny counts: every part runs against the real simulators and reports sane numbers.

No timing thresholds here (numbers come from the benchmark itself); the checks are on the
report's shape and on facts that do not depend on the machine's speed.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import threading

import pytest

from hardware.sim.sandbox import DEMO_CARDS
from kiosk.bench import PARTS, BenchOptions, format_table, run_bench
from kiosk.cli import main

TINY = BenchOptions(topups=3, checks=3, scans=20, latency_scans=3, encodes=3, prints=1,
                    fast_prints=1, idle_s=0.3, paying_s=0.5, render_reps=1, startup_runs=1,
                    driver_idle_s=0.3, label="tiny")


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return run_bench(TINY, workdir=tmp_path_factory.mktemp("bench"))


def _finite_positive(section, *keys):
    for key in keys:
        value = section.value(key)
        assert math.isfinite(value) and value > 0, f"{section.key}.{key} = {value}"


def _ordered(section, key):
    p50, p95, top = (section.value(f"{key}_{q}") for q in ("p50", "p95", "max"))
    assert 0 < p50 <= p95 <= top, (section.key, key, p50, p95, top)


def test_every_part_reports_its_section(report):
    assert [s.key for s in report.sections] == ["topup", "card_check", "reader", "receipt", "ui",
                                               "journal", "growth", "startup", "idle_drivers",
                                               "speech", "customer"]
    assert report.meta["cores"] >= 1 and report.meta["options"] == "tiny"
    assert report.meta["duration_s"] > 0
    for section in report.sections:
        assert section.title and section.metrics
        keys = [m.key for m in section.metrics]
        assert len(keys) == len(set(keys)), f"duplicate metric keys in {section.key}"


def test_topup_counts_requests_connections_and_commits(report):
    top = report.section("topup")
    assert top.value("topups") == 3
    # After the first top-up: create + start on the kept-alive connection, token reused.
    assert top.value("requests_per_topup") == 2
    assert top.value("connections_opened") == 0
    # INTENT, CREATED, STARTING, CONFIRMED and DONE are each committed.
    assert top.value("commits_per_topup") >= 5
    _ordered(top, "latency")
    _ordered(top, "journal")
    _finite_positive(top, "first_ms", "journal_per_commit_ms", "journal_share")
    check = report.section("card_check")
    assert check.value("requests_per_check") == 3  # lookup + validate + card group
    assert check.value("connections_opened") == 0
    _ordered(check, "latency")


def test_reader_decodes_every_scan(report):
    reader = report.section("reader")
    assert reader.value("scans") == 20 and reader.value("latency_scans") == 3
    _finite_positive(reader, "events_per_s", "key_events_per_s", "scans_per_s")
    # Each key is MSC + KEY + SYN, down and up: three input events per key event.
    assert reader.value("events_per_s") == pytest.approx(3 * reader.value("key_events_per_s"))
    _ordered(reader, "latency")


def test_receipt_sizes_and_line_time(report):
    receipt = report.section("receipt")
    size = receipt.value("bytes")
    assert 500 < size < 5000
    assert receipt.value("line_ms") == pytest.approx(size * 10 / 19200 * 1000)
    _finite_positive(receipt, "build_us", "encode_us", "print_fast_ms")
    _ordered(receipt, "build_encode")
    _ordered(receipt, "print")


def test_ui_idle_paying_and_render(report):
    ui = report.section("ui")
    assert ui.details["video_driver"] == "dummy"
    assert ui.value("idle_frames_per_s") == 0           # attract is not redrawn while idle
    assert ui.value("paying_frames_per_s") > 0          # the paying screen animates
    for key in ("idle", "paying"):
        cpu = ui.value(f"{key}_cpu_pct")
        assert 0 <= cpu <= 100 * report.meta["cores"]
        assert ui.value(f"{key}_seconds") > 0
    for size in ("800x480", "1920x1080"):
        _finite_positive(ui, f"render_{size}_median_ms", f"render_{size}_slowest_ms",
                         f"render_{size}_cold_ms")
        per_screen = ui.details[f"render_{size}_ms"]
        assert {"attract", "paying", "done", "admin_journal"} <= set(per_screen)


def test_startup_times_kiosk_run_beside_a_minimal_pygame_program(report):
    startup = report.section("startup")
    # Both children drew a frame and said so; the figures are the machine's, not checked here.
    _finite_positive(startup, "minimal_pygame_ms", "kiosk_run_ms", "ratio",
                     "minimal_pygame_cpu_ms", "kiosk_run_cpu_ms")
    assert startup.value("ratio") == pytest.approx(
        startup.value("kiosk_run_ms") / startup.value("minimal_pygame_ms"))


def test_idle_is_measured_per_driver_or_says_why_not(report):
    drivers = report.section("idle_drivers")
    measured = {m.key.split("_")[0] for m in drivers.metrics}
    assert "dummy" in measured
    for driver in ("x11", "wayland", "kmsdrm"):
        noted = any(note.startswith(f"{driver}: not measured: ") for note in drivers.notes)
        assert (driver in measured) != noted, driver
    for driver in measured:
        assert drivers.value(f"{driver}_frames_per_s") == 0    # attract is not redrawn
        _finite_positive(drivers, f"{driver}_wakeups_per_s", f"{driver}_iterations_per_s")


def test_speech_first_audio_and_cpu(report):
    speech = report.section("speech")
    _ordered(speech, "first_audio_cold")
    _ordered(speech, "first_audio_warm")
    # Most screens start with a static phrase (their title): a warm cache serves it.
    assert "started from the cache" in speech.metrics[3].note
    served, total = (int(n) for n in speech.metrics[3].note.split()[:3:2])
    assert served > total // 2
    _finite_positive(speech, "speaking_cpu")


def test_customer_taps_through_both_top_ups_and_the_sandbox_credits_them(report):
    customer = report.section("customer")
    assert customer.value("runs") == TINY.customer_runs == 1
    assert customer.details["video_driver"] == "dummy"
    # scan > continue > 20 € > confirm; scan > continue > other > 1 7 5 0 > OK > confirm
    assert customer.value("preset_20_taps") == 3
    assert customer.value("typed_17_50_taps") == 8
    assert "digit:1 > digit:7 > digit:5 > digit:0 > keypad_ok" in customer.metrics[
        [m.key for m in customer.metrics].index("typed_17_50_taps")].note
    assert customer.value("preset_20_credited") == 20.00
    assert customer.value("typed_17_50_credited") == 17.50
    for key in ("preset_20", "typed_17_50"):
        _finite_positive(customer, f"{key}_s", f"{key}_guard_s", f"{key}_kiosk_s")
        # The time is the guards' waits plus the kiosk's own work, nothing else.
        assert customer.value(f"{key}_s") == pytest.approx(
            customer.value(f"{key}_guard_s") + customer.value(f"{key}_kiosk_s"))
        assert len(customer.details[f"{key}_runs_s"]) == 1
    assert any("ignored for 0.5 s after each screen change" in n for n in customer.notes)


def test_table_and_json_carry_no_card_numbers(report, tmp_path):
    table = format_table(report)
    for section in report.sections:
        assert f"== {section.title}" in table
    path = report.write_json(tmp_path / "bench.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert [s["key"] for s in data["sections"]] == [s.key for s in report.sections]
    text = table + path.read_text(encoding="utf-8")
    for number, _, _ in DEMO_CARDS.values():
        assert number not in text


@pytest.fixture
def restore_logging():
    """kiosk.cli.main installs a root handler on the (captured) stderr and excepthooks: undo
    that, so later tests' threads do not log into a closed capture stream."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, sys.excepthook, threading.excepthook)
    yield
    root.handlers[:], level, sys.excepthook, threading.excepthook = saved
    root.setLevel(level)


def test_command_runs_one_part_and_writes_json(tmp_path, capsys, restore_logging):
    out = tmp_path / "out" / "bench.json"
    assert main(["bench", "--quick", "--only", "topup", "--json", str(out),
                 "--dir", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "HTTP requests per top-up" in printed and str(out) in printed
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [s["key"] for s in data["sections"]] == ["topup", "card_check"]
    assert data["meta"]["options"] == "quick"


def test_unknown_part_is_refused():
    with pytest.raises(ValueError, match="unknown benchmark parts"):
        run_bench(BenchOptions(**{**TINY.__dict__, "parts": ("topup", "gpu")}))
    assert "ui" in PARTS
