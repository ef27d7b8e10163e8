"""Screen state -> utterance (pure): read from the widgets the screen itself builds, so what is
said and what is drawn come from the same data and cannot drift apart."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kiosk.flow import Settings, State
from kiosk.flow_events import Action
from kiosk.speech.numbers import spell_amount, spell_number
from kiosk.speech.phrases import key_name, phrase
from kiosk.ui.render import Look, build_frame
from kiosk.ui.strings import text
from kiosk.ui.widgets import Button, Text

# The spoken form does not depend on the panel: one canonical layout to read the widgets from.
SPOKEN_SIZE = (800, 480)
# Amounts exactly as kiosk.money.format_amount writes them ("1.234,50 €", no-break space).
_AMOUNT_RE = re.compile(r"(-?)(\d{1,3}(?:\.\d{3})*),(\d{2})[\s\u00a0]*€")
# A masked card ("9276 •••• •••• 2845"): only the last four digits are said.
_MASKED_RE = re.compile(r"\d{4}(?:\s•{1,4})+\s(\d{4})")
_SILENT = str.maketrans({"…": " ", "◀": " ", "▶": " ", "‹": " ", "›": " ", "•": " ", "⌫": " ", "\u00a0": " ",
                         "\n": " "})
# Texts of the header that the voice leaves out: the brand; the countdown has its own warning.
_UNSPOKEN = frozenset({"brand", "countdown"})
# Buttons said as one key hint rather than one by one.
_KEYPAD = frozenset({Action.DIGIT, Action.ERASE, Action.KEYPAD_OK})


@dataclass(frozen=True)
class Segment:
    """A piece of an utterance; `private` ones carry customer data and are never cached on disk."""

    text: str
    private: bool


@dataclass(frozen=True)
class Utterance:
    language: str
    segments: tuple[Segment, ...]

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.segments)

    def __bool__(self) -> bool:
        return bool(self.segments)


def speak_text(shown: str, language: str) -> str:
    """A screen text as it should be said: amounts in words, a masked card by its last digits."""
    said = _AMOUNT_RE.sub(lambda m: ("minus " if m.group(1) else "") + spell_amount(
        int(m.group(2).replace(".", "")) * 100 + int(m.group(3)), language), shown)
    said = _MASKED_RE.sub(lambda m: phrase(language, "card.ending",
                                           digits=" ".join(m.group(1))), said)
    said = re.sub(r"\s*–\s*", ", ", said.translate(_SILENT))    # a dash is a short pause
    return re.sub(r"\s+", " ", said).strip(" ,")


def _segment(shown: str, language: str) -> Segment | None:
    said = speak_text(shown, language)
    if not said:
        return None
    if said[-1] not in ".!?:":
        said += "."
    # Digits are where customer data lives (balance, card, amount, reference).
    return Segment(said, private=any(c.isdigit() for c in shown))


def button_label(button: Button, language: str) -> str:
    """A button as said aloud (the erase key's symbol by its catalog name)."""
    if button.action == Action.ERASE:
        return text(language, "button.erase")
    if button.action == Action.TOGGLE_VIEW:   # drawn as "Aa ◐", which has no spoken form
        return phrase(language, "button.view")
    return speak_text(button.label, language)


def _texts(widgets: list[object], language: str) -> list[Segment]:
    """The screen's texts, its title first, then in drawing order (a line drawn above the title,
    such as the card summary, follows it); a "label:"/"value:" pair becomes one sentence."""
    out: list[Segment] = []
    pending_label = ""
    # A stable sort: the title moves to the front, everything else keeps its drawing order.
    for w in sorted(widgets, key=lambda w: getattr(w, "name", "") != "title"):
        if not isinstance(w, Text) or w.name in _UNSPOKEN or not w.text.strip():
            continue
        if w.name.startswith("label:") or w.name == "value_label":
            pending_label = w.text
            continue
        shown = f"{pending_label}: {w.text}" if pending_label else w.text
        if w.name == "pin":
            shown = pending_label    # a PIN is never said, not even its length
        pending_label = ""
        seg = _segment(shown, language) if shown else None
        if seg is not None:
            out.append(seg)
    return out


def _actions(buttons: list[Button], language: str) -> list[Segment]:
    """Every action on the screen with the key that reaches it."""
    # Reading order, but the header's toggles (view, language) last: the screen's own choices
    # first.
    toggles = (Action.TOGGLE_VIEW, Action.TOGGLE_LANGUAGE)
    ordered = sorted(buttons, key=lambda b: (b.action in toggles, b.rect.top, b.rect.left))
    said = [button_label(b, language) for b in ordered if b.action not in _KEYPAD]
    hints: list[str] = []
    if any(b.action == Action.DIGIT for b in buttons):
        hints.append(phrase(language, "keys.digits"))
    for b in ordered:
        if b.action == Action.ERASE:
            hints.append(phrase(language, "keys.erase", label=button_label(b, language)))
        elif b.action == Action.KEYPAD_OK:
            hints.append(phrase(language, "keys.ok", label=button_label(b, language)))
        elif b.action == Action.BACK:
            hints.append(phrase(language, "keys.back", label=button_label(b, language)))
    segments = [Segment(phrase(language, "choices", items=", ".join(said)),
                        private=any(c.isdigit() for c in " ".join(said)))] if said else []
    if said:
        hints.append(phrase(language, "keys.move"))
    if hints:
        segments.append(Segment(" ".join(hints), private=False))
    return segments


def screen_utterance(state: State, settings: Settings, look: Look = Look()) -> Utterance:
    """What the screen of `state` says when it appears, in the session's language."""
    frame, _, _ = build_frame(state, settings, look, SPOKEN_SIZE, state.last_input)
    language = state.language
    segments = _texts(frame.widgets, language) + _actions(frame.buttons, language)
    return Utterance(language, tuple(segments))


def focus_utterance(button: Button, language: str) -> Utterance:
    """The focused button, said when the keypad focus moves onto it."""
    label = button_label(button, language)
    return Utterance(language, (Segment(phrase(language, "selected", label=label),
                                        private=any(c.isdigit() for c in label)),))


def digit_utterance(digit: int, language: str, *, secret: bool) -> Utterance:
    """A typed digit echoed ("star" for a PIN digit, never the digit itself)."""
    said = phrase(language, "pin_digit") if secret else spell_number(digit, language)
    return Utterance(language, (Segment(said, private=not secret),))


def phrase_utterance(language: str, name: str, **values: object) -> Utterance:
    """A fixed phrase (speech on, more time, warnings); private when it carries digits."""
    said = phrase(language, name, **values)
    return Utterance(language, (Segment(said, private=any(c.isdigit() for c in said)),))


def help_utterance(state: State, settings: Settings, keys: dict[str, str],
                   look: Look = Look()) -> Utterance:
    """Help for the screen: its actions with their keys, then the speech keys."""
    language = state.language
    frame, _, _ = build_frame(state, settings, look, SPOKEN_SIZE, state.last_input)
    extra = phrase(language, "keys.extra", **{k: key_name(language, v) for k, v in keys.items()})
    return Utterance(language, (Segment(phrase(language, "help"), private=False),
                                *_actions(frame.buttons, language),
                                Segment(extra, private=False)))
