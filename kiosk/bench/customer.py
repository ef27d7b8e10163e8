"""A scripted customer: taps and wall time of a 20 € and a 17,50 € top-up through the real kiosk.

The whole simulated world of `kiosk simulate` (kiosk.simulation.Simulation): the sandbox over
loopback HTTP, the printer emulator on a pty, the virtual scanner, and the kiosk runtime with
its pygame loop (SDL's dummy driver unless SDL_VIDEODRIVER says otherwise). UiDriver taps the
buttons through the loop's own event path, so every touch guard of the loop applies.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from hardware.sim.sandbox import DEMO_CARDS
from kiosk.bench.report import Section, median
from kiosk.cards import mask_card
from kiosk.flow import Screen
from kiosk.money import format_amount
from kiosk.simulation import Simulation
from kiosk.ui.driver import UiDriver
from kiosk.ui.loop import REPEAT_GUARD_S, SETTLE_S, TAP_DEBOUNCE_S, KioskUi

STEP_TIMEOUT_S = 30.0   # one screen on a slow, shared machine; normally met in milliseconds


@dataclass(frozen=True)
class Scenario:
    """What the customer taps after the scan, and on which screen each tap is made."""

    key: str
    label: str
    cents: int
    taps: tuple[tuple[Screen, str], ...]


SCENARIOS = (
    Scenario("preset_20", "20 € preset", 2000, (
        (Screen.CARD, "continue"),
        (Screen.AMOUNT, "amount:2000"),
        (Screen.CONFIRM, "confirm"),
    )),
    Scenario("typed_17_50", "17,50 € typed (1-7-5-0)", 1750, (
        (Screen.CARD, "continue"),
        (Screen.AMOUNT, "other_amount"),
        (Screen.OTHER_AMOUNT, "digit:1"),
        (Screen.OTHER_AMOUNT, "digit:7"),
        (Screen.OTHER_AMOUNT, "digit:5"),
        (Screen.OTHER_AMOUNT, "digit:0"),
        (Screen.OTHER_AMOUNT, "keypad_ok"),
        (Screen.CONFIRM, "confirm"),
    )),
)


@dataclass(frozen=True)
class Run:
    seconds: float          # scan to the done screen on show
    guard_s: float          # of which the script waited for the loop's touch guards
    taps: int               # taps the loop took (each one checked)
    credited: tuple[int, ...]  # the sandbox ledger's credits made during the run


def bench_customer(workdir: Path, *, runs: int) -> Section:
    """Section "customer": per scenario the taps, the median time and the sandbox's credits."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")  # the taps' clicks need no loudspeaker
    workdir.mkdir(parents=True, exist_ok=True)
    card, balance, _ = DEMO_CARDS["funded"]
    section = Section("customer", "Scripted customer (kiosk runtime, pygame loop, sandbox over "
                                  "loopback HTTP, printer emulator on a pty, virtual scanner)")
    results: dict[str, list[Run]] = {s.key: [] for s in SCENARIOS}
    with Simulation(workdir, quiet=True) as sim:
        assert sim.runtime is not None and sim.runtime.ui is not None
        ui = sim.runtime.ui
        drive = UiDriver(ui, timeout=STEP_TIMEOUT_S)
        section.details["video_driver"] = _video_driver()
        drive.wait_for(Screen.ATTRACT)
        for _ in range(runs):
            for scenario in SCENARIOS:   # alternating, so neither always runs on a warm kiosk
                results[scenario.key].append(_run(sim, ui, drive, card, scenario))
        expected = balance + runs * sum(s.cents for s in SCENARIOS)
        if sim.sandbox.balance(card) != expected:
            raise RuntimeError(f"card {mask_card(card)}: sandbox balance "
                               f"{format_amount(sim.sandbox.balance(card))}, expected "
                               f"{format_amount(expected)}")
    section.add("runs", "runs per scenario", runs, "")
    for scenario in SCENARIOS:
        done = results[scenario.key]
        seconds = [r.seconds for r in done]
        taps = {r.taps for r in done}
        credited = {r.credited for r in done}
        if taps != {len(scenario.taps)} or credited != {(scenario.cents,)}:
            raise RuntimeError(f"{scenario.label}: taps taken {sorted(taps)}, credits "
                               f"{sorted(credited)}; expected {len(scenario.taps)} taps and "
                               f"one credit of {scenario.cents} cents")
        section.add(f"{scenario.key}_taps", f"{scenario.label}: taps after the scan",
                    len(scenario.taps), "", " > ".join(name for _, name in scenario.taps))
        section.add(f"{scenario.key}_s", f"{scenario.label}: scan to done screen (median)",
                    median(seconds), "s", f"min {min(seconds):.2f} s, max {max(seconds):.2f} s")
        section.add(f"{scenario.key}_guard_s", f"{scenario.label}: of which touch guards",
                    median([r.guard_s for r in done]), "s", "median; the script's waits")
        section.add(f"{scenario.key}_kiosk_s", f"{scenario.label}: of which the kiosk",
                    median([r.seconds - r.guard_s for r in done]), "s",
                    "median; card check, top-up, receipt, drawing")
        section.add(f"{scenario.key}_credited", f"{scenario.label}: sandbox credited per run",
                    scenario.cents / 100, "EUR", f"{format_amount(scenario.cents)} as one "
                                                 f"credit in each of {len(done)} runs")
        section.details[f"{scenario.key}_runs_s"] = [round(s, 3) for s in seconds]
    section.notes.append(
        "The time runs from the scan (virtual scanner) to the done screen drawn, receipt "
        "printed. It includes the touch guards a person cannot beat either: touches are "
        f"ignored for {SETTLE_S:g} s after each screen change, {TAP_DEBOUNCE_S * 1e3:g} ms "
        f"after a tap, and for {REPEAT_GUARD_S:g} s on the spot of a tap that changed the "
        "screen; the script taps the moment the loop would take it. It excludes a person's "
        "reading, reaching and deciding: a lower bound for a real customer.")
    section.notes.append(
        "Start type cash (the API answers at once: no card terminal); printer emulator "
        "without line-rate emulation; the first run includes the API token and connection.")
    return section


def _run(sim: Simulation, ui: KioskUi, drive: UiDriver, card: str, scenario: Scenario) -> Run:
    ledger_before = len(sim.sandbox.ledger)
    guard_s = 0.0
    taken = 0
    start = time.monotonic()
    sim.scan(card)
    for screen, name in scenario.taps:
        drive.wait_for(screen)
        guard_s += _wait_for_guards(ui, drive, name)
        tapped_at = ui.taps.last_tap
        drive.tap(name)
        if ui.taps.last_tap == tapped_at:
            raise RuntimeError(f"{scenario.label}: the tap on {name!r} on the "
                               f"{screen.value} screen was not taken")
        taken += 1
    drive.wait_for(Screen.DONE)
    seconds = time.monotonic() - start
    credited = tuple(c.amount for c in sim.sandbox.ledger[ledger_before:])
    drive.tap("finish")   # after the done screen's hold, as the next customer needs it
    drive.wait_for(Screen.ATTRACT)
    return Run(seconds, guard_s, taken, credited)


def _wait_for_guards(ui: KioskUi, drive: UiDriver, name: str) -> float:
    """Run the loop until a touch on `name` would be taken; the seconds that took."""
    assert ui.frame is not None
    point = ui.frame.button(name).rect.center
    start = time.monotonic()
    ui.run_until(lambda u: u.taps.wait_needed(point, u.clock()) <= 0, drive.timeout)
    return time.monotonic() - start


def _video_driver() -> str:
    import pygame

    return pygame.display.get_driver()
