"""Speech mode in the UI thread: when to speak what, the speech keys, volume, warnings, hints."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pygame

from kiosk.config import SpeechConfig
from kiosk.flow import Screen, Settings, State, countdown
from kiosk.flow_events import Action, Event, SpeechMode, StillHere
from kiosk.flow_state import PIN_SCREENS
from kiosk.speech.engine import SpeechEngine
from kiosk.speech.keys import key_codes
from kiosk.speech.phrases import key_name
from kiosk.speech.utterance import (
    Segment, Utterance, digit_utterance, focus_utterance, help_utterance, phrase_utterance,
    screen_utterance,
)
from kiosk.ui.render import Look
from kiosk.ui.widgets import Frame

VOLUME_STEP = 0.1


@dataclass(frozen=True)
class _Seen:
    """What was last said about the screen: to speak changes, not repeats."""

    screen: Screen
    language: str
    segments: tuple[Segment, ...]
    focus: str | None
    warned: bool


class SpeechController:
    """Called by KioskUi: key_down/key_up for keys, after_frame after every pass of the loop.

    `feed` hands flow events to the loop (speech on, more time); `sound` plays a feedback tone.
    """

    def __init__(self, config: SpeechConfig, engine: SpeechEngine, settings: Settings,
                 feed: Callable[[Event], None] = lambda e: None,
                 sound: Callable[[str], None] = lambda name: None) -> None:
        self.config = config
        self.engine = engine
        self.settings = settings
        self.feed = feed
        self.sound = sound
        self.start_keys = key_codes(config.start_key)
        self.keys = {name: key_codes(getattr(config, f"{name}_key"))
                     for name in ("repeat", "help", "volume_up", "volume_down", "more_time")}
        self.headset_plugged = False
        self.volume_offset = 0.0
        self._held_since: float | None = None
        self._seen: _Seen | None = None
        self._next_hint = -math.inf
        self._quiet_echo = False
        self.said: list[str] = []     # every utterance handed to the engine, in order

    # --- thread-safe: the headset reader's thread ------------------------------------------

    def headset(self, plugged: bool, post: Callable[[Event], None]) -> None:
        self.headset_plugged = plugged
        if plugged and self.config.headset:
            post(SpeechMode(True))

    # --- the UI thread -----------------------------------------------------------------------

    @property
    def volume(self) -> float:
        base = self.config.headset_volume if self.headset_plugged else self.config.speaker_volume
        return min(1.0, max(0.05, base + self.volume_offset))

    def look(self, look: Look, state: State) -> Look:
        """Speech mode switches to large text when the merchant asked for it."""
        if state.speech and self.config.large_text and not look.large_text:
            return Look(look.dpi, look.high_contrast, True)
        return look

    def key_down(self, ev: Any, digit: int | None, state: State, frame: Frame | None,
                 now: float) -> bool:
        """True when the key was a speech key (the loop then does nothing else with it);
        `digit` is the digit the key types, if any (the loop knows its digit keys)."""
        key = ev.key
        if key in self.start_keys and not state.speech and not self._types_digits(frame):
            if self.config.start_hold_s <= 0:
                self.feed(SpeechMode(True))
            else:
                self._held_since = now
            return True
        if not state.speech:
            return False
        if key in self.keys["repeat"]:
            self.engine.repeat()
        elif key in self.keys["help"]:
            self._say(help_utterance(state, self.settings, {
                "repeat": self.config.repeat_key, "help": self.config.help_key,
                "up": self.config.volume_up_key, "down": self.config.volume_down_key}))
        elif key in self.keys["volume_up"] or key in self.keys["volume_down"]:
            step = VOLUME_STEP if key in self.keys["volume_up"] else -VOLUME_STEP
            self.volume_offset += step
            self.engine.set_volume(self.volume)
            self._say(phrase_utterance(state.language, "volume",
                                       percent=round(self.volume * 100)))
        elif key in self.keys["more_time"]:
            self.feed(StillHere())
        else:
            self._echo_digit(key, digit, state, frame)
            return False
        return True

    def key_up(self, ev: Any) -> None:
        if ev.key in self.start_keys:
            self._held_since = None

    def wake_in(self, now: float, state: State) -> float | None:
        """Seconds until the controller needs the loop again (a held key, the attract hint)."""
        waits = []
        if self._held_since is not None:
            waits.append(self._held_since + self.config.start_hold_s - now)
        if self.config.attract_hint and state.screen == Screen.ATTRACT and not state.speech:
            waits.append(self._next_hint - now)
        return max(0.0, min(waits)) if waits else None

    def after_frame(self, state: State, focus: str | None, frame: Frame | None,
                    now: float) -> None:
        """After every pass: held start key, attract hint, and what changed on screen."""
        if self._held_since is not None and now - self._held_since >= self.config.start_hold_s:
            self._held_since = None
            self.feed(SpeechMode(True))
            return     # the feed changed the state: the next pass speaks it
        if not state.speech:
            if self._seen is not None:          # the session (and speech mode) ended
                self._seen = None
                self.volume_offset = 0.0
                self.engine.silence()
            self._attract_hint(state, now)
            return
        self._speak_changes(state, focus, frame, now)

    # --- internals -----------------------------------------------------------------------------

    def _say(self, utterance: Utterance, volume: float | None = None) -> None:
        self.engine.set_volume(self.volume if volume is None else volume)
        self.said.append(utterance.text)
        self.engine.say(utterance)

    @staticmethod
    def _types_digits(frame: Frame | None) -> bool:
        return frame is not None and any(b.action == Action.DIGIT for b in frame.buttons)

    def _echo_digit(self, key: int, digit: int | None, state: State,
                    frame: Frame | None) -> None:
        if digit is not None and self._types_digits(frame):
            self._quiet_echo = True    # the entry's own change is not said on top
            self._say(digit_utterance(digit, state.language,
                                      secret=state.screen in PIN_SCREENS))
        elif key == pygame.K_BACKSPACE and self._types_digits(frame):
            self._quiet_echo = True

    def _attract_hint(self, state: State, now: float) -> None:
        if not (self.config.attract_hint and state.screen == Screen.ATTRACT):
            return
        if now >= self._next_hint:
            if self._next_hint != -math.inf:
                self._say(phrase_utterance(state.language, "attract.hint",
                                           key=key_name(state.language, self.config.start_key)),
                          volume=self.config.attract_hint_volume)
            self._next_hint = now + self.config.attract_hint_s

    def _speak_changes(self, state: State, focus: str | None, frame: Frame | None,
                       now: float) -> None:
        said = screen_utterance(state, self.settings)
        warned = countdown(state, self.settings, now) is not None
        seen = _Seen(state.screen, state.language, said.segments, focus, warned)
        before, self._seen = self._seen, seen
        quiet, self._quiet_echo = self._quiet_echo, False
        if quiet and before is not None and before.screen == seen.screen:
            return     # a typed digit: its echo is all there is to say
        if before is None:
            on = phrase_utterance(state.language, "speech.on")
            self._say(Utterance(state.language, on.segments + said.segments))
        elif before.screen != seen.screen or before.language != seen.language:
            self._say(said)
        elif warned and not before.warned:
            # The flow plays the countdown tune with the countdown sheet; the voice adds words.
            self._say(phrase_utterance(state.language, "timeout.warning",
                                       key=self._key_said(state.language)))
        elif before.warned and not warned:
            self._say(phrase_utterance(state.language, "more_time"))
        elif before.segments != seen.segments and not quiet:
            new = tuple(s for s in seen.segments if s not in before.segments)
            if new:
                self._say(Utterance(state.language, new))
        elif before.focus != seen.focus and focus is not None and frame is not None:
            button = next((b for b in frame.buttons if b.name == focus), None)
            if button is not None:
                self._say(focus_utterance(button, state.language))

    def _key_said(self, language: str) -> str:
        return key_name(language, self.config.more_time_key)
