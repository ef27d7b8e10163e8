"""The string catalogs by language, and the one lookup the screens use."""

from __future__ import annotations

from kiosk.ui import strings_cash, strings_de, strings_en

CATALOGS: dict[str, dict[str, str]] = {"de": {**strings_de.STRINGS, **strings_cash.DE},
                                       "en": {**strings_en.STRINGS, **strings_cash.EN}}
LANGUAGES = tuple(CATALOGS)


def text(language: str, key: str, **values: object) -> str:
    """The string `key` in `language`, with {placeholders} filled; a missing key is a bug."""
    template = CATALOGS[language][key]
    return template.format(**values) if values else template


def has(language: str, key: str) -> bool:
    return key in CATALOGS[language]
