"""UI cost: idle and paying CPU of the real main loop, wake-ups, and render time per screen."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kiosk.bench.report import Section, median
from kiosk.bench.ui_backend import BenchBackend
from kiosk.config import Config

if TYPE_CHECKING:
    from kiosk.ui.loop import KioskUi

SIZES = ((800, 480), (1920, 1080))
BENCH_CARD = "9276004429942845"


@dataclass(frozen=True)
class ThreadSample:
    """CPU and context switches of the calling thread and its process at one moment."""

    wall: float
    process_cpu: float
    thread_cpu: float
    voluntary: int
    involuntary: int

    @classmethod
    def now(cls) -> ThreadSample:
        voluntary = involuntary = -1
        try:
            with open(f"/proc/self/task/{threading.get_native_id()}/status",
                      encoding="ascii") as status:
                for line in status:
                    if line.startswith("voluntary_ctxt_switches:"):
                        voluntary = int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt_switches:"):
                        involuntary = int(line.split()[1])
        except OSError:
            pass  # no /proc (not Linux): wake-ups are reported as unknown
        return cls(time.monotonic(), time.process_time(), time.thread_time(),
                   voluntary, involuntary)


def bench_ui(*, idle_s: float, paying_s: float, render_reps: int) -> Section:
    # The dummy driver unless the caller chose one (SDL_VIDEODRIVER=kmsdrm on the panel).
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    import pygame

    pygame.display.init()
    section = Section("ui", "UI (pygame main loop, window mode, in-memory backend)")
    section.details["video_driver"] = pygame.display.get_driver()
    config = Config()
    _loop_cpu(section, config, idle_s=idle_s, paying_s=paying_s)
    _render_times(section, config, render_reps)
    section.notes.append(
        f"SDL video driver '{pygame.display.get_driver()}'. UI thread wake-ups are its "
        "voluntary context switches (/proc/self/task/<tid>/status); loop wake-ups the returns "
        "from a sleep as KioskUi counts them; loop iterations count KioskUi.iterate calls.")
    return section


def _loop_cpu(section: Section, config: Config, *, idle_s: float, paying_s: float) -> None:
    import pygame

    from kiosk.flow import Screen
    from kiosk.flow_events import CardScanned
    from kiosk.ui.driver import UiDriver

    backend = BenchBackend()
    # Idle on the attract screen, the kiosk's state for most of its life.
    _report_loop(section, "idle", "attract (idle)", idle_on_attract(config, backend, idle_s))

    # Paying: the calm progress animation while the top-up runs.
    ticks = [0]
    backend.hold()
    ui = new_ui(config, backend, ticks)
    try:
        driver = UiDriver(ui)
        driver.wait_for(Screen.ATTRACT)
        ui.post(CardScanned(BENCH_CARD))
        driver.wait_for(Screen.CARD)
        driver.key(pygame.K_RETURN)
        driver.wait_for(Screen.AMOUNT)
        driver.key(pygame.K_RETURN)
        driver.wait_for(Screen.CONFIRM)
        driver.key(pygame.K_RETURN)
        driver.wait_for(Screen.PAYING)

        def finish() -> None:
            ui.stop()
            backend.release()

        paying = _run_for(ui, paying_s, ticks, finish)
    finally:
        backend.release()
        ui.close()
    _report_loop(section, "paying", "paying (animation)", paying)


def new_ui(config: Config, backend: BenchBackend, ticks: list[int]) -> KioskUi:
    """The real KioskUi in a 800x480 window; `ticks[0]` counts its loop iterations."""
    from kiosk.ui.gallery import gallery_settings
    from kiosk.ui.loop import KioskUi
    from kiosk.ui.settings import look

    def tick(_: float) -> None:
        ticks[0] += 1

    return KioskUi(gallery_settings(config), look(config.ui), backend, size=(800, 480),
                   sound=False, on_tick=tick)


def idle_on_attract(config: Config, backend: BenchBackend, seconds: float) -> LoopRun:
    """The production loop (KioskUi.run) idle on the attract screen for `seconds`."""
    from kiosk.flow import Screen
    from kiosk.ui.driver import UiDriver

    ticks = [0]
    ui = new_ui(config, backend, ticks)
    try:
        UiDriver(ui).wait_for(Screen.ATTRACT)
        return _run_for(ui, seconds, ticks, ui.stop)
    finally:
        ui.close()


@dataclass(frozen=True)
class LoopRun:
    seconds: float
    process_cpu: float
    thread_cpu: float
    wakeups: int
    involuntary: int
    iterations: int
    frames: int
    loop_wakeups: int      # returns from a sleep, as the loop counts them
    sleeps_in_sdl: bool    # the driver lets the loop sleep until input (kiosk.ui.sdl_wait)


def _run_for(ui: KioskUi, seconds: float, ticks: list[int],
             stop: Callable[[], None]) -> LoopRun:
    """Run the production loop (KioskUi.run) in this thread for `seconds`, then stop it."""
    frames0, ticks0, wakeups0 = ui.frames_drawn, ticks[0], ui.wakeups
    timer = threading.Timer(seconds, stop)
    before = ThreadSample.now()
    timer.start()
    ui.run()
    after = ThreadSample.now()
    timer.cancel()
    known = before.voluntary >= 0 and after.voluntary >= 0
    return LoopRun(
        seconds=after.wall - before.wall,
        process_cpu=after.process_cpu - before.process_cpu,
        thread_cpu=after.thread_cpu - before.thread_cpu,
        wakeups=after.voluntary - before.voluntary if known else -1,
        involuntary=after.involuntary - before.involuntary if known else -1,
        iterations=ticks[0] - ticks0,
        frames=ui.frames_drawn - frames0,
        loop_wakeups=ui.wakeups - wakeups0,
        sleeps_in_sdl=ui.sleeps_in_sdl,
    )


def _report_loop(section: Section, key: str, label: str, run: LoopRun) -> None:
    wall = max(run.seconds, 1e-9)
    section.add(f"{key}_seconds", f"{label}: measured for", run.seconds, "s")
    section.add(f"{key}_cpu_pct", f"{label}: process CPU", 100 * run.process_cpu / wall, "%",
                "of one core")
    section.add(f"{key}_ui_thread_cpu_pct", f"{label}: UI thread CPU",
                100 * run.thread_cpu / wall, "%")
    section.add(f"{key}_wakeups_per_s", f"{label}: UI thread wake-ups",
                run.wakeups / wall if run.wakeups >= 0 else float("nan"), "/s",
                f"+{run.involuntary / wall:.1f}/s preempted" if run.involuntary >= 0 else "")
    section.add(f"{key}_loop_wakeups_per_s", f"{label}: loop wake-ups", run.loop_wakeups / wall,
                "/s", "sleeps in SDL until input" if run.sleeps_in_sdl else "polls at 30 Hz")
    section.add(f"{key}_iterations_per_s", f"{label}: loop iterations",
                run.iterations / wall, "/s")
    section.add(f"{key}_frames_per_s", f"{label}: frames drawn", run.frames / wall, "/s")


def _render_times(section: Section, config: Config, reps: int) -> None:
    """Every sample screen drawn as the loop draws a frame: render, present, flip."""
    import pygame

    from kiosk.ui.display import Rotation
    from kiosk.ui.gallery import NOW, gallery_settings, sample_states
    from kiosk.ui.render import render
    from kiosk.ui.settings import look

    settings = gallery_settings(config)
    the_look = look(config.ui)
    pygame.font.init()
    states = sample_states(settings)
    for width, height in SIZES:
        window = pygame.display.set_mode((width, height))
        rotation = Rotation(window.get_size(), 0)
        logical = pygame.Surface(rotation.logical)
        per_screen: dict[str, float] = {}
        cold: list[float] = []
        for name, state in states.items():
            samples = []
            for _ in range(reps + 1):
                start = time.perf_counter()
                render(logical, state, settings, the_look, NOW, phase=0.35)
                rotation.present(logical, window)
                pygame.display.flip()
                samples.append(time.perf_counter() - start)
            cold.append(samples[0])  # the first drawing fills the text caches
            per_screen[name] = median(samples[1:])
        tag = f"{width}x{height}"
        slowest = max(per_screen, key=per_screen.__getitem__)
        section.add(f"render_{tag}_median_ms", f"full frame {tag}, median over screens",
                    median(list(per_screen.values())) * 1e3, "ms",
                    f"{len(per_screen)} screens x {reps} frames")
        section.add(f"render_{tag}_slowest_ms", f"full frame {tag}, slowest screen",
                    per_screen[slowest] * 1e3, "ms", slowest)
        section.add(f"render_{tag}_cold_ms", f"first draw of each screen {tag}",
                    median(cold) * 1e3, "ms",
                    f"median; max {max(cold) * 1e3:.1f} ms (text not cached yet)")
        section.details[f"render_{tag}_ms"] = {k: round(v * 1e3, 3)
                                               for k, v in per_screen.items()}
