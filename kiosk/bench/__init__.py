"""`kiosk bench`: measures top-up, card check, reader, receipt, UI, journal, start-up and
speech costs here, and a scripted customer's taps and time.

run_bench(BenchOptions.default() | BenchOptions.quick()) -> Report; the command prints
format_table(report) and can write report.to_json(). Each part lives in its own module.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from kiosk import __version__
from kiosk.bench.report import Report, format_table

__all__ = ["PARTS", "BenchOptions", "Report", "format_table", "run_bench"]

PARTS = ("topup", "reader", "receipt", "ui", "journal", "startup", "drivers", "speech",
         "customer")


@dataclass(frozen=True)
class BenchOptions:
    """How much each part measures; `parts` selects which run."""

    topups: int
    checks: int
    scans: int
    latency_scans: int
    encodes: int
    prints: int
    fast_prints: int
    idle_s: float
    paying_s: float
    render_reps: int
    # Light unless asked for (default() and quick() say how much): a custom set of options
    # made for another part should not spend minutes here.
    journal_rows: int = 1000
    growth_topups: int = 20
    startup_runs: int = 5      # starts of `kiosk run` and of the minimal pygame program each
    driver_idle_s: float = 10.0
    parts: tuple[str, ...] = PARTS
    label: str = "custom"
    speech_reps: int = 1          # warm passes over every screen x language
    speech_listen_s: float = 2.0  # how long CPU is sampled while one utterance plays
    customer_runs: int = 1        # scripted top-ups per customer scenario (median of these)

    @classmethod
    def default(cls) -> BenchOptions:
        return cls(topups=500, checks=500, scans=2000, latency_scans=100, encodes=500,
                   prints=5, fast_prints=10, idle_s=10.0, paying_s=5.0, render_reps=5,
                   journal_rows=100_000, growth_topups=2000,
                   startup_runs=5, driver_idle_s=10.0, label="default", speech_reps=3,
                   speech_listen_s=10.0, customer_runs=5)

    @classmethod
    def quick(cls) -> BenchOptions:
        return cls(topups=20, checks=20, scans=200, latency_scans=20, encodes=50, prints=1,
                   fast_prints=3, idle_s=2.0, paying_s=1.5, render_reps=1,
                   journal_rows=10_000, growth_topups=100,
                   startup_runs=2, driver_idle_s=2.0, label="quick", customer_runs=3)


def run_bench(options: BenchOptions, *, workdir: str | os.PathLike[str] | None = None,
              progress: Callable[[str], None] | None = None) -> Report:
    """Run the chosen parts in a fresh temporary directory (or under `workdir`)."""
    unknown = set(options.parts) - set(PARTS)
    if unknown:
        raise ValueError(f"unknown benchmark parts {sorted(unknown)}; choose from {PARTS}")
    say = progress or (lambda text: None)
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # its banner is not a result
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        base = Path(stack.enter_context(tempfile.TemporaryDirectory(
            prefix="kiosk-bench-", dir=workdir)))
        stack.enter_context(_quiet_logs())
        report = Report(meta=machine_meta(base, options))
        if "topup" in options.parts:
            from kiosk.bench.topup import bench_topup

            say("top-up and card check ...")
            report.sections += bench_topup(base / "topup", topups=options.topups,
                                           checks=options.checks)
        if "reader" in options.parts:
            from kiosk.bench.reader import bench_reader

            say("card reader ...")
            report.sections.append(bench_reader(scans=options.scans,
                                                latency_scans=options.latency_scans))
        if "receipt" in options.parts:
            from kiosk.bench.receipt import bench_receipt

            say("receipt ...")
            report.sections.append(bench_receipt(base / "receipt", encodes=options.encodes,
                                                 prints=options.prints,
                                                 fast_prints=options.fast_prints))
        if "ui" in options.parts:
            from kiosk.bench.ui import bench_ui

            say("UI ...")
            report.sections.append(bench_ui(idle_s=options.idle_s, paying_s=options.paying_s,
                                            render_reps=options.render_reps))
        if "journal" in options.parts:
            from kiosk.bench.journal import bench_journal

            say("journal at scale, memory over many top-ups ...")
            report.sections += bench_journal(base / "journal", rows=options.journal_rows,
                                             growth_topups=options.growth_topups)
        if "startup" in options.parts:
            from kiosk.bench.startup import bench_startup

            say("start-up of kiosk run ...")
            report.sections.append(bench_startup(base / "startup", runs=options.startup_runs))
        if "drivers" in options.parts:
            from kiosk.bench.idle import bench_idle_drivers

            say("idle per video driver ...")
            report.sections.append(bench_idle_drivers(seconds=options.driver_idle_s))
        if "speech" in options.parts:
            from kiosk.bench.speech import bench_speech

            say("speech ...")
            report.sections.append(bench_speech(base / "speech", reps=options.speech_reps,
                                                listen_s=options.speech_listen_s))
        if "customer" in options.parts:
            from kiosk.bench.customer import bench_customer

            say("scripted customer ...")
            report.sections.append(bench_customer(base / "customer",
                                                  runs=options.customer_runs))
    report.meta["duration_s"] = round(time.monotonic() - started, 2)
    return report


def machine_meta(workdir: Path, options: BenchOptions) -> dict[str, object]:
    cpu = _cpu_model()
    cores = os.cpu_count() or 0
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{cpu}, {cores} cores, {platform.system()} {platform.release()}, "
                   f"Python {platform.python_version()}",
        "cpu": cpu,
        "cores": cores,
        "python": platform.python_version(),
        "kiosk_version": __version__,
        "options": options.label,
        "workdir_filesystem": _filesystem(workdir),
        "logging": "kiosk and hardware loggers at WARNING during the run",
    }


@contextlib.contextmanager
def _quiet_logs() -> Iterator[None]:
    # Per-request and per-scan INFO lines would flood the terminal and time the terminal.
    loggers = [logging.getLogger(name) for name in ("kiosk", "hardware")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def _cpu_model() -> str:
    """"AMD EPYC" on a PC, "Raspberry Pi 4 Model B Rev 1.4" on a Pi (its cores say only ARM)."""
    fields: dict[str, str] = {}
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as info:
            for line in info:
                name, sep, value = line.partition(":")
                if sep:
                    fields.setdefault(name.strip().lower(), value.strip())
    except OSError:
        pass
    for key in ("model", "model name", "hardware"):
        value = fields.get(key, "")
        if value and not value.isdigit():  # x86's "model" is a number
            return value
    return fields.get("model name") or platform.processor() or platform.machine()


def _filesystem(path: Path) -> str:
    """The mount's file system type (fsync costs differ wildly: tmpfs, ext4, overlay, SD card)."""
    best, kind = "", "unknown"
    try:
        with open("/proc/mounts", encoding="utf-8") as mounts:
            for line in mounts:
                fields = line.split()
                if len(fields) >= 3 and str(path).startswith(fields[1]) \
                        and len(fields[1]) > len(best):
                    best, kind = fields[1], fields[2]
    except OSError:
        pass
    return f"{kind} ({best or '?'})"
