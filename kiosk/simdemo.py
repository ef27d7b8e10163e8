"""The scripted customer of `kiosk simulate --script demo`: every screen once, a screenshot of each."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import pygame

from hardware.sim.sandbox import DEMO_CARDS, Fault
from kiosk.flow import Screen, entry_unit_cents
from kiosk.money import format_amount
from kiosk.simulation import ADMIN_CARD, ADMIN_PIN, DEMO_SCANS, SECOND_VALID_CARD, Simulation
from kiosk.ui.driver import UiDriver

log = logging.getLogger(__name__)

STEP_TIMEOUT_S = 30.0     # generous: recovery, a slow CI machine, the cashless terminal
TOPUP_CENTS = 1500


class Demo:
    """Drives the real UI loop through UiDriver; screenshots are named after their screen."""

    def __init__(self, sim: Simulation, out: Path) -> None:
        assert sim.runtime is not None and sim.runtime.ui is not None
        self.sim = sim
        self.ui = sim.runtime.ui
        self.drive = UiDriver(self.ui, timeout=STEP_TIMEOUT_S)
        self.out = out
        self.shots: list[Path] = []

    def wait(self, screen: Screen) -> None:
        self.drive.wait_for(screen)

    def wait_any(self, *screens: Screen) -> Screen:
        ok = self.ui.run_until(lambda u: u.state.screen in screens and u.shown_screen in screens,
                               STEP_TIMEOUT_S)
        if not ok:
            raise TimeoutError(f"waited for {', '.join(s.value for s in screens)}, still on "
                               f"{self.ui.state.screen.value}")
        return self.ui.state.screen

    def shot(self, suffix: str = "") -> None:
        """Save the screen on show, once per name."""
        name = self.ui.state.screen.value + (f"-{suffix}" if suffix else "")
        path = self.out / f"{name}.png"
        if path in self.shots:
            return
        self.drive.screenshot(str(path))
        self.shots.append(path)
        print(f"  screenshot {path.name}", flush=True)

    def tap(self, name: str) -> None:
        self.drive.tap(name)

    def scan(self, number: str) -> None:
        self.sim.scan(number)

    def pay_by_card(self, shot: bool = False) -> None:
        """With cash on, the customer chooses: by card (the card terminal)."""
        if self.sim.cash != "none":
            self.wait(Screen.PAY_CHOICE)
            if shot:
                self.shot()
            self.tap("pay_card")

    def confirm_first_preset(self, card: str) -> None:
        """Scan `card`, pick the first preset amount and confirm it (no screenshots)."""
        self.scan(card)
        self.wait(Screen.CARD)
        self.tap("continue")
        self.pay_by_card()
        self.wait(Screen.AMOUNT)
        self.tap(f"amount:{self.ui.settings.presets[0]}")
        self.wait(Screen.CONFIRM)
        self.tap("confirm")


def run_demo(sim: Simulation, out: Path) -> bool:
    """Every screen in turn; True only if the top-up was credited and its receipt printed."""
    demo = Demo(sim, out)
    steps: list[tuple[str, Callable[[Demo], bool]]] = [
        ("attract", _attract),
        ("rejected card", _rejected),
        ("top-up with receipt", _topup),
        ("printer problem", _printer_problem),
        ("not charged", _not_charged),
        ("admin", _admin),
        ("out of service", _out_of_service),
        ("language", _language),
    ]
    if sim.speech:
        steps.insert(3, ("keypad-only top-up with speech", _speech_topup))
    if sim.cash == "validator":
        steps.insert(3, ("cash top-up at the note validator", _cash_topup))
    credited = False
    for title, step in steps:
        print(f"demo: {title}", flush=True)
        try:
            ok = step(demo)
        except (TimeoutError, KeyError, AssertionError) as exc:
            print(f"demo: {title} FAILED: {exc}", flush=True)
            return False
        if step in (_topup, _cash_topup):
            credited = ok if step is _topup else credited and ok
            if not ok:
                return False
    print(f"demo: {len(demo.shots)} screenshots in {out}", flush=True)
    return credited


def _attract(d: Demo) -> bool:
    d.wait(Screen.ATTRACT)          # after the journal recovery and the first API probe
    d.shot()
    return True


def _rejected(d: Demo) -> bool:
    d.scan(DEMO_SCANS["F3"][1])     # the locked card, with the API's lock reason
    d.wait(Screen.CARD_LOCKED)
    d.shot()
    d.tap("finish")
    d.wait(Screen.ATTRACT)
    return True


def _topup(d: Demo) -> bool:
    sim = d.sim
    card, balance, _ = DEMO_CARDS["funded"]
    receipts_before = len(_receipts(sim.receipts))
    if sim.start_type == "cash":
        # Cash answers in milliseconds; a moment's delay lets the paying screen be seen.
        sim.sandbox.inject("start", Fault.delay(1.5))
    d.scan(card)
    d.wait(Screen.CARD)
    d.shot()
    d.tap("continue")
    d.pay_by_card(shot=True)
    d.wait(Screen.AMOUNT)
    d.shot()
    d.tap("other_amount")
    d.wait(Screen.OTHER_AMOUNT)
    # Typed as at a till: in cents, or in euros where only whole euros are allowed.
    for digit in str(TOPUP_CENTS // entry_unit_cents(d.ui.settings)):
        d.tap(f"digit:{digit}")
    d.shot()
    d.tap("keypad_ok")
    d.wait(Screen.CONFIRM)
    d.shot()
    d.tap("confirm")
    d.wait(Screen.PAYING)
    d.shot()
    if d.wait_any(Screen.PRINTING, Screen.DONE) is Screen.PRINTING:
        d.shot()
    d.wait(Screen.DONE)
    d.shot()
    outcome = d.ui.state.session.outcome
    credits = [c for c in sim.sandbox.ledger if c.amount == TOPUP_CENTS]
    new_balance = sim.sandbox.balance(card)
    print(f"  sandbox ledger: {len(credits)} credit(s) of {format_amount(TOPUP_CENTS)}; "
          f"balance {format_amount(balance)} -> {format_amount(new_balance)}", flush=True)
    printed = d.ui.state.session.printed
    receipts = _receipts(sim.receipts)
    ok = (outcome is not None and outcome.kind == "credited" and len(credits) == 1
          and new_balance == balance + TOPUP_CENTS and printed is not None and printed.ok
          and len(receipts) > receipts_before)
    if receipts:
        png = receipts[-1]
        shutil.copyfile(png, d.out / "receipt.png")
        shutil.copyfile(png.with_suffix(".txt"), d.out / "receipt.txt")
        print(f"  receipt {png} -> {d.out / 'receipt.png'}", flush=True)
    d.tap("finish")
    d.wait(Screen.ATTRACT)
    return ok


CASH_NOTES = (20, 10)        # the cash top-up: 30 € in two notes


def _cash_topup(d: Demo) -> bool:
    """Card, "Mit Bargeld", two notes into the virtual validator, Fertig: one cash top-up."""
    sim = d.sim
    card = SECOND_VALID_CARD
    before = sim.sandbox.balance(card)
    total = 0
    d.scan(card)
    d.wait(Screen.CARD)
    d.tap("continue")
    d.wait(Screen.PAY_CHOICE)
    d.tap("pay_cash")
    d.wait(Screen.INSERT_NOTES)
    d.ui.run_until(lambda u: bool(u.state.session.cash.reference), STEP_TIMEOUT_S)
    d.shot("empty")
    for value in CASH_NOTES:
        total += value * 100
        if not d.ui.run_until(lambda u: sim.insert_note(value), STEP_TIMEOUT_S):
            raise TimeoutError(f"the validator did not draw the {value} € note in")
        if not d.ui.run_until(lambda u: u.state.session.cash.total_cents == total,
                              STEP_TIMEOUT_S):
            raise TimeoutError(f"the {value} € note was not stacked")
    d.shot()
    d.tap("finish")
    d.wait(Screen.DONE)
    d.shot("cash")
    credited = sim.sandbox.balance(card) - before
    print(f"  cash: {format_amount(total)} in notes, {format_amount(credited)} credited",
          flush=True)
    printed = d.ui.state.session.printed
    d.tap("finish")
    d.wait(Screen.ATTRACT)
    return credited == total and printed is not None and printed.ok


def _speech_topup(d: Demo) -> bool:
    """Headset in, then the keypad alone; every utterance lands in <out>/speech as WAV + text."""
    from kiosk.speech.recording import SpeechRecording

    speech = d.sim.runtime.speech if d.sim.runtime else None
    if speech is None:
        raise AssertionError("speech is not available (is espeak-ng installed?)")
    recording = SpeechRecording(d.out / "speech")
    speech.engine.on_spoken = recording.record

    def said() -> None:       # let each screen finish speaking before the next key
        d.ui.run_until(lambda u: False, 0.3)
        speech.engine.wait_idle(STEP_TIMEOUT_S)

    d.sim.plug_headset(True)
    d.ui.run_until(lambda u: u.state.speech, STEP_TIMEOUT_S)
    said()
    d.scan(SECOND_VALID_CARD)
    d.wait(Screen.CARD)
    said()
    for key in (pygame.K_RETURN, pygame.K_RIGHT, pygame.K_RIGHT, pygame.K_RIGHT):
        d.drive.key(key)
        said()
    d.drive.key(pygame.K_RETURN)
    d.wait(Screen.OTHER_AMOUNT)
    said()
    for key in (pygame.K_KP1, pygame.K_KP5, pygame.K_KP_ENTER):
        d.drive.key(key)
        said()
    d.wait(Screen.CONFIRM)
    d.drive.key(pygame.K_KP_DIVIDE)       # help
    said()
    d.drive.key(pygame.K_RETURN)
    d.wait(Screen.DONE)
    said()
    d.drive.key(pygame.K_RETURN)
    d.wait(Screen.ATTRACT)
    d.sim.plug_headset(False)
    speech.engine.on_spoken = None
    print(f"  speech: {recording.count} utterances in {recording.folder}", flush=True)
    return recording.count > 0 and not d.ui.state.speech


def _printer_problem(d: Demo) -> bool:
    with d.sim.printer_paused():
        d.confirm_first_preset(SECOND_VALID_CARD)
        d.wait(Screen.PRINTER_PROBLEM)
        d.shot()
        d.tap("cancel")
        d.wait(Screen.ATTRACT)
    return True


def _not_charged(d: Demo) -> bool:
    card = DEMO_CARDS["funded"][0]
    # The payment service refuses to carry the top-up out: nothing is charged, a slip prints.
    d.sim.sandbox.inject("start", Fault.refuse("ProductFormatException", status=400,
                                               details="Demo: start refused"))
    d.confirm_first_preset(card)
    screen = d.wait_any(Screen.NOT_CHARGED, Screen.CLAIM)
    # Let the slip come out before the screenshot shows its result.
    d.ui.run_until(lambda u: u.state.pending == 0, STEP_TIMEOUT_S)
    d.shot()
    d.tap("finish")
    d.wait(Screen.ATTRACT)
    return screen is Screen.NOT_CHARGED


def _admin(d: Demo) -> bool:
    d.scan(ADMIN_CARD)
    d.wait(Screen.ADMIN_PIN)
    d.shot()
    d.drive.type(ADMIN_PIN)
    d.drive.key(pygame.K_RETURN)
    d.wait(Screen.ADMIN_MENU)
    d.shot()
    d.tap("admin_journal")
    d.wait(Screen.ADMIN_JOURNAL)
    d.shot()
    d.drive.key(pygame.K_ESCAPE)
    d.wait(Screen.ADMIN_MENU)
    d.tap("admin_exit")
    d.wait(Screen.ATTRACT)
    return True


def _out_of_service(d: Demo) -> bool:
    sandbox = d.sim.sandbox
    supervisor = d.sim.runtime.supervisor if d.sim.runtime else None
    sandbox.stop()
    if supervisor is not None:
        supervisor.nudge()
    d.wait(Screen.OUT_OF_SERVICE)
    d.shot()
    sandbox.start()                  # the same port: the kiosk finds it again by itself
    if supervisor is not None:
        supervisor.nudge()
    d.wait(Screen.ATTRACT)
    return True


def _language(d: Demo) -> bool:
    d.tap("language")
    d.ui.run_until(lambda u: u.state.language != u.settings.default_language, STEP_TIMEOUT_S)
    d.ui.run_until(lambda u: False, 0.2)   # a few turns: the new language is drawn
    d.shot(d.ui.state.language)
    return True


def _receipts(folder: Path) -> list[Path]:
    return sorted(folder.glob("[0-9][0-9][0-9].png")) if folder.exists() else []
