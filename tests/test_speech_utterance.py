"""Every screen x both languages: a spoken form that names every action the screen offers."""

from dataclasses import replace

import pytest

from kiosk.flow import Screen, Settings
from kiosk.flow_events import Action
from kiosk.speech.phrases import phrase
from kiosk.speech.utterance import (
    button_label, digit_utterance, focus_utterance, help_utterance, screen_utterance, speak_text,
)
from kiosk.ui.gallery import DEMO_CARD, sample_states
from kiosk.ui.render import Look, build_frame
from kiosk.ui.strings import text

SETTINGS = Settings(merchant_name="Café Kiosk")
STATES = sample_states(SETTINGS)
SPEECH_KEYS = {"repeat": "*", "help": "/", "up": "+", "down": "-"}


def test_every_screen_has_a_sample() -> None:
    assert {s.screen for s in STATES.values()} == set(Screen)


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("name", sorted(STATES))
def test_utterance_names_every_action(name: str, language: str) -> None:
    state = replace(STATES[name], language=language)
    said = screen_utterance(state, SETTINGS)
    assert said.language == language
    words = said.text
    assert words.strip()
    frame, _, _ = build_frame(state, SETTINGS, Look(), (800, 480), state.last_input)
    for button in frame.buttons:
        if button.action == Action.DIGIT:
            assert phrase(language, "keys.digits") in words
        else:
            assert button_label(button, language) in words, (button.name, words)
    # The title the screen draws is what is said first.
    title = next((w for w in frame.widgets if getattr(w, "name", "") == "title"), None)
    if title is not None:
        assert words.startswith(speak_text(title.text, language))
    # Never a full card number, a brand (header) or an unspeakable symbol.
    assert DEMO_CARD not in words and "•" not in words and "€" not in words
    assert "Café Kiosk" not in words


def test_figures_are_said_naturally_and_the_card_by_its_last_digits() -> None:
    de = screen_utterance(replace(STATES["card"], language="de"), SETTINGS).text
    assert "Aktuelles Guthaben: zwölf Euro fünfzig." in de
    assert "Karte mit den Endziffern 2 8 4 5" in de
    en = screen_utterance(replace(STATES["done"], language="en"), SETTINGS).text
    assert "New balance: thirty-two euros fifty." in en


def test_customer_data_is_private_and_static_phrases_are_not() -> None:
    said = screen_utterance(replace(STATES["card"], language="de"), SETTINGS)
    private = [s.text for s in said.segments if s.private]
    assert any("zwölf Euro fünfzig" in t for t in private)
    assert any("2 8 4 5" in t for t in private)
    public = " ".join(s.text for s in said.segments if not s.private)
    assert "2 8 4 5" not in public and "zwölf" not in public
    assert said.segments[0].text == "Karte erkannt." and not said.segments[0].private


def test_the_pin_is_never_said() -> None:
    state = replace(STATES["admin_pin"], language="en")
    state = replace(state, admin=replace(state.admin, pin="2468"))
    assert "2468" not in screen_utterance(state, SETTINGS).text
    assert digit_utterance(4, "en", secret=True).text == "star"
    assert digit_utterance(4, "de", secret=False).text == "vier"


def test_focus_and_help() -> None:
    state = replace(STATES["amount"], language="de")
    frame, _, _ = build_frame(state, SETTINGS, Look(), (800, 480), state.last_input)
    preset = frame.button(f"amount:{SETTINGS.presets[1]}")
    assert focus_utterance(preset, "de").text == "zwanzig Euro"
    erase_screen = replace(STATES["other_amount"], language="en")
    frame, _, _ = build_frame(erase_screen, SETTINGS, Look(), (800, 480), 0)
    assert focus_utterance(frame.button("erase"), "en").text == text("en", "button.erase")
    helped = help_utterance(state, SETTINGS, SPEECH_KEYS).text
    assert helped.startswith("Hilfe.") and "Stern wiederholt" in helped
    assert "Anderer Betrag" in helped


def test_language_follows_the_session() -> None:
    state = STATES["attract"]
    assert state.screen == Screen.ATTRACT
    assert screen_utterance(replace(state, language="en"), SETTINGS).text.startswith(
        "Scan your card.")
    assert screen_utterance(replace(state, language="de"), SETTINGS).text.startswith(
        "Karte scannen.")
