"""What only the voice says (key hints, help, warnings), in German and English; screen texts come
from kiosk.ui.strings, so nothing the screen shows has a second spoken copy here."""

from __future__ import annotations

PHRASES: dict[str, dict[str, str]] = {
    "de": {
        "choices": "Auswahl: {items}.",
        "keys.move": "Pfeiltasten wechseln die Auswahl, Enter bestätigt.",
        "keys.back": "Escape: {label}.",
        "keys.digits": "Ziffern tippen Sie mit den Zifferntasten.",
        "keys.erase": "Rücktaste: {label}.",
        "keys.ok": "Enter: {label}.",
        "keys.extra": "{repeat} wiederholt, {help} gibt Hilfe, {up} und {down} ändern die "
                      "Lautstärke.",
        "card.ending": "Karte mit den Endziffern {digits}",
        "speech.on": "Sprachausgabe eingeschaltet.",
        "attract.hint": "Für Sprachausgabe stecken Sie einen Kopfhörer ein oder halten Sie die "
                        "Taste {key} gedrückt.",
        "timeout.warning": "Die Zeit läuft gleich ab. Drücken Sie {key} für mehr Zeit.",
        "more_time": "Sie haben wieder mehr Zeit.",
        "help": "Hilfe.",
        "volume": "Lautstärke {percent} Prozent.",
        "selected": "{label}",
        "button.view": "Große Schrift und starker Kontrast",
        "pin_digit": "Stern",
    },
    "en": {
        "choices": "Choices: {items}.",
        "keys.move": "Arrow keys move between the choices, Enter selects.",
        "keys.back": "Escape: {label}.",
        "keys.digits": "Type digits with the number keys.",
        "keys.erase": "Backspace: {label}.",
        "keys.ok": "Enter: {label}.",
        "keys.extra": "{repeat} repeats, {help} gives help, {up} and {down} change the volume.",
        "card.ending": "card ending in {digits}",
        "speech.on": "Speech output is on.",
        "attract.hint": "For speech output, plug in a headset or hold down the {key} key.",
        "timeout.warning": "Time is almost up. Press {key} for more time.",
        "more_time": "You have more time now.",
        "help": "Help.",
        "volume": "Volume {percent} percent.",
        "selected": "{label}",
        "button.view": "large text and strong contrast",
        "pin_digit": "star",
    },
}

# How the keypad's keys are called aloud (config names, see kiosk.config SpeechConfig).
KEY_NAMES: dict[str, dict[str, str]] = {
    "de": {"*": "Stern", "/": "Schrägstrich", "+": "Plus", "-": "Minus", ".": "Komma",
           "enter": "Enter", "backspace": "Rücktaste", "f1": "F1", "f2": "F2", "h": "H"},
    "en": {"*": "star", "/": "slash", "+": "plus", "-": "minus", ".": "dot",
           "enter": "Enter", "backspace": "backspace", "f1": "F1", "f2": "F2", "h": "H"},
}


def phrase(language: str, name: str, **values: object) -> str:
    template = PHRASES[language][name]
    return template.format(**values) if values else template


def key_name(language: str, key: str) -> str:
    """A config key name ("*", "5", "f1") as said aloud; digits and letters as themselves."""
    return KEY_NAMES[language].get(key.lower(), key)
