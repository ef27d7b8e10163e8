"""String catalogs: every key and placeholder in both languages; the font has every glyph."""

from __future__ import annotations

import string

import pygame

from kiosk.flow_events import CardProblemReason
from kiosk.ui import strings_de, strings_en
from kiosk.ui.fonts import font
from kiosk.ui.strings import CATALOGS, text


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_key_exists_in_both_languages():
    de, en = set(strings_de.STRINGS), set(strings_en.STRINGS)
    assert de - en == set(), f"missing in English: {sorted(de - en)}"
    assert en - de == set(), f"missing in German: {sorted(en - de)}"


def test_placeholders_match_and_no_text_is_empty():
    for key, german in strings_de.STRINGS.items():
        english = strings_en.STRINGS[key]
        assert placeholders(german) == placeholders(english), key
        assert german.strip() and english.strip(), key


def test_every_rejection_reason_has_words():
    for language in CATALOGS:
        for reason in CardProblemReason:
            assert text(language, f"reject.{reason.value}")


def test_the_shipped_font_has_every_glyph_we_use():
    pygame.font.init()
    f = font(20)
    chars = set("".join(s for c in CATALOGS.values() for s in c.values())) | set("€•●⌫◀▶ÄÖÜäöüß")
    missing = [c for c in chars if c.strip() and f.metrics(c)[0] is None]
    assert missing == []


def test_language_toggle_names_the_other_language():
    assert text("de", "language.toggle") == "English"
    assert text("en", "language.toggle") == "Deutsch"


def test_every_topup_reason_code_has_words():
    from kiosk.topup import Reason
    for language in CATALOGS:
        missing = [r.value for r in Reason if f"reason.{r.value}" not in CATALOGS[language]]
        assert missing == [], f"{language}: no text for reason codes {missing}"
