"""Speech mode end to end in the real UI loop: keypad-only top-up, headset, time, volume, keys."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pygame
import pytest

from hardware.sim.headset import VirtualHeadsetJack
from kiosk.config import Config, SpeechConfig
from kiosk.flow import Screen, deadline
from kiosk.flow_events import CardScanned, SpeechMode
from kiosk.flow_state import State
from kiosk.speech.controller import SpeechController
from kiosk.speech.engine import SpeechEngine, Spoken
from kiosk.speech.setup import open_headset
from kiosk.speech.synth import EspeakSynthesizer, wav_seconds
from kiosk.ui.driver import UiDriver
from tests.fixtures.ui import VALID_CARD, press, reach, ui_settings

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                reason="espeak-ng missing: tests/run.sh installs it as root")


@pytest.fixture
def speech(tmp_path: Path):
    spoken: list[Spoken] = []
    engine = SpeechEngine(EspeakSynthesizer(), tmp_path / "cache", on_spoken=spoken.append)
    engine.start()
    controller = SpeechController(SpeechConfig(), engine, ui_settings())
    controller.spoken = spoken     # type: ignore[attr-defined]
    yield controller
    engine.stop()


def turn(ui) -> None:
    """One pass of the loop, plus one for what that pass posted (speech on, more time)."""
    ui.iterate(max_wait=0.01)
    ui.iterate(max_wait=0.01)


def hold_start_key(ui, clock, seconds: float = 2.0) -> None:
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_KP5, mod=0, unicode="",
                                         scancode=0))
    ui.iterate(max_wait=0.01)
    clock.advance(seconds)
    turn(ui)
    pygame.event.post(pygame.event.Event(pygame.KEYUP, key=pygame.K_KP5, mod=0, unicode="",
                                         scancode=0))
    turn(ui)


def test_timeouts_are_tripled_in_speech_mode_and_speech_ends_with_the_session() -> None:
    settings = ui_settings()
    state = State(screen=Screen.AMOUNT, last_input=100.0)
    assert deadline(state, settings) == 145.0
    assert deadline(replace(state, speech=True), settings) == 100.0 + 3 * 45.0


def test_keypad_only_topup_with_speech(make_ui, clock, backend, speech) -> None:
    ui = make_ui(speech=speech)
    ui.run_until(lambda u: u.frame is not None)
    press(ui, pygame.K_KP5)                      # a tap is not enough: the key must be held
    turn(ui)
    assert not ui.state.speech and speech.said == []
    pygame.event.post(pygame.event.Event(pygame.KEYUP, key=pygame.K_KP5, mod=0))
    turn(ui)
    hold_start_key(ui, clock)
    assert ui.state.speech
    assert speech.said[0].startswith("Sprachausgabe eingeschaltet. Karte scannen.")
    ui.post(CardScanned(VALID_CARD))
    reach(ui, Screen.CARD)
    turn(ui)
    press(ui, pygame.K_RETURN)                   # "Guthaben aufladen" has the focus
    reach(ui, Screen.AMOUNT)
    turn(ui)
    # Down to "Anderer Betrag", then type 15,00 on the keypad (cents shift in like a till).
    for _ in range(3):
        press(ui, pygame.K_RIGHT)
        turn(ui)
    assert ui.focus == "other_amount"
    press(ui, pygame.K_RETURN)
    reach(ui, Screen.OTHER_AMOUNT)
    turn(ui)
    press(ui, pygame.K_KP1)
    turn(ui)
    press(ui, pygame.K_KP5)                      # types a digit here: no speech-start key
    turn(ui)
    for _ in range(2):
        press(ui, pygame.K_KP0)
        turn(ui)
    press(ui, pygame.K_KP_ENTER)
    reach(ui, Screen.CONFIRM)
    turn(ui)
    press(ui, pygame.K_KP_MULTIPLY)              # repeat
    press(ui, pygame.K_RETURN)                   # "Jetzt aufladen"
    reach(ui, Screen.DONE, timeout=10)
    turn(ui)
    assert backend.calls[-2][:3] == ("start_topup", "9276 •••• •••• 2845", 1500)
    said = speech.said
    expected_starts = [
        "Sprachausgabe eingeschaltet. Karte scannen.",
        "Karte wird geprüft.",
        "Karte erkannt. Kartennummer: Karte mit den Endziffern 2 8 4 5. "
        "Aktuelles Guthaben: zwölf Euro fünfzig.",
        "Wie viel möchten Sie aufladen?",
        "zwanzig Euro", "fünfzig Euro", "Anderer Betrag",
        "Betrag eingeben.",
        "eins", "fünf", "null", "null",
        "Bitte prüfen Sie Ihre Aufladung. Betrag: fünfzehn Euro. Aktuelles Guthaben: zwölf Euro "
        "fünfzig. Karte: Karte mit den Endziffern 2 8 4 5.",
    ]
    for want, got in zip(expected_starts, said):
        assert got.startswith(want), (want, said)
    assert "Auswahl: Zurück, Jetzt aufladen, Große Schrift und starker Kontrast, English." in said[len(expected_starts) - 1]
    # The waiting screens pass as fast as the in-memory backend answers: each is said if the
    # loop showed it, in this order; the result screen always.
    waiting = ["Einen Moment bitte.", "Ihre Aufladung wird gebucht.", "Ihr Beleg wird gedruckt."]
    after = said[len(expected_starts):]
    firsts = [next(w for w in waiting + ["fünfzehn Euro aufgeladen"] if s.startswith(w))
              for s in after]
    assert firsts[-1] == "fünfzehn Euro aufgeladen"
    assert firsts[:-1] == [w for w in waiting if w in firsts]
    assert "Neues Guthaben: siebenundzwanzig Euro fünfzig." in after[-1]
    assert not any("9276000000002845" in s for s in said)
    assert speech.engine.wait_idle(10)
    assert wav_seconds(speech.spoken[-1].wav) > 3.0
    # Leaving ends speech mode with the session.
    press(ui, pygame.K_RETURN)
    reach(ui, Screen.ATTRACT)
    turn(ui)
    assert not ui.state.speech
    assert speech.engine.last is None


def test_card_pin_digits_are_never_said(make_ui, clock, backend, speech) -> None:
    backend.pins[VALID_CARD] = "4711"
    ui = make_ui(speech=speech)
    ui.run_until(lambda u: u.frame is not None)
    hold_start_key(ui, clock)
    assert ui.state.speech
    ui.post(CardScanned(VALID_CARD))
    reach(ui, Screen.CARD)
    turn(ui)
    press(ui, pygame.K_RETURN)
    reach(ui, Screen.PIN_ENTRY)
    turn(ui)
    for key in (pygame.K_KP4, pygame.K_KP7, pygame.K_KP1, pygame.K_KP1):
        press(ui, key)
        turn(ui)
        assert speech.said[-1] == "Stern"
    press(ui, pygame.K_KP_ENTER)
    reach(ui, Screen.AMOUNT)
    turn(ui)
    assert not any(word in s for s in speech.said for word in ("vier", "sieben", "eins"))


def test_warning_more_time_volume_help(make_ui, clock, speech) -> None:
    ui = make_ui(speech=speech)
    tones: list[str] = []
    ui.sounds.play = tones.append              # the loop's tunes (the flow's countdown among them)
    ui.run_until(lambda u: u.frame is not None)
    ui.post(SpeechMode(True))
    ui.post(CardScanned(VALID_CARD))
    reach(ui, Screen.CARD)
    turn(ui)
    clock.advance(45 * 3 - 11)                  # not timed out at 45 s: tripled
    turn(ui)
    assert speech.said[-1].startswith("Karte erkannt.")
    clock.advance(2)                           # into the countdown
    turn(ui)
    assert speech.said[-1] == "Die Zeit läuft gleich ab. Drücken Sie Komma für mehr Zeit."
    assert tones[-1:] == ["countdown"]       # warned by sound, speech and the countdown sheet
    assert "warning" not in tones
    press(ui, pygame.K_KP_PERIOD)
    turn(ui)
    assert ui.state.screen == Screen.CARD
    assert speech.said[-1] == "Sie haben wieder mehr Zeit."
    before = speech.volume
    press(ui, pygame.K_KP_PLUS)
    assert speech.volume == pytest.approx(before + 0.1)
    assert speech.said[-1] == f"Lautstärke {round(speech.volume * 100)} Prozent."
    press(ui, pygame.K_KP_DIVIDE)
    assert speech.said[-1].startswith(
        "Hilfe. Auswahl: Zurück, Guthabenbeleg, Guthaben aufladen, "
        "Große Schrift und starker Kontrast, English.")
    assert "Stern wiederholt, Schrägstrich gibt Hilfe" in speech.said[-1]


def test_headset_turns_speech_on_at_headset_volume(make_ui, speech) -> None:
    ui = make_ui(speech=speech)
    ui.run_until(lambda u: u.frame is not None)
    jack = VirtualHeadsetJack()
    reader = open_headset(Config(), speech, ui.post, jack=jack)
    assert reader is not None
    try:
        assert UiDriver(ui).ui.run_until(lambda u: jack.opened_once(), 5)
        assert ui.run_until(lambda u: reader.plugged is False, 5)
        jack.set(True)
        assert ui.run_until(lambda u: u.state.speech and bool(speech.said), 5)
        assert speech.headset_plugged
        assert speech.volume == SpeechConfig().headset_volume
        assert speech.said[0].startswith("Sprachausgabe eingeschaltet.")
    finally:
        reader.stop()


def test_attract_hint_every_interval(make_ui, clock, tmp_path) -> None:
    engine = SpeechEngine(EspeakSynthesizer(), tmp_path / "cache").start()
    controller = SpeechController(SpeechConfig(attract_hint=True), engine, ui_settings())
    try:
        ui = make_ui(speech=controller)
        ui.run_until(lambda u: u.frame is not None)
        turn(ui)
        assert controller.said == []
        for n in (1, 2):
            clock.advance(30)
            turn(ui)
            assert len(controller.said) == n
        assert controller.said[-1] == ("Für Sprachausgabe stecken Sie einen Kopfhörer ein oder "
                                       "halten Sie die Taste 5 gedrückt.")
        assert engine.player.volume == SpeechConfig().attract_hint_volume
        assert not ui.state.speech
    finally:
        engine.stop()
