"""Through the real loop: the large-text/high-contrast toggle, and what result screens say."""

from __future__ import annotations

import pytest

from kiosk.flow import Screen
from kiosk.flow_events import CardScanned
from kiosk.shortref import short_reference
from kiosk.ui.theme import HIGH_CONTRAST, STANDARD
from tests.fixtures.ui import VALID_CARD, reach, tap


def texts(ui) -> dict[str, object]:
    return {t.name: t for t in ui.frame.texts}


def test_the_view_toggle_makes_text_large_and_contrast_high_for_this_session(make_ui, clock):
    ui = make_ui()
    reach(ui, Screen.ATTRACT)
    tap(ui, clock, "view")                              # chosen before scanning: kept
    assert ui.state.easy_view
    assert tuple(ui.logical.get_at((2, ui.logical.get_height() - 2)))[:3] == \
        HIGH_CONTRAST.background
    tap(ui, clock, "view")
    assert not ui.state.easy_view
    assert tuple(ui.logical.get_at((2, ui.logical.get_height() - 2)))[:3] == STANDARD.background
    ui.post(CardScanned(VALID_CARD))
    reach(ui, Screen.CARD)
    normal = texts(ui)
    tap(ui, clock, "view")
    large = texts(ui)
    assert ui.frame.button("view").kind == "primary"   # shown as switched on
    for name in ("label:Aktuelles Guthaben", "label:Kartennummer", "continue"):
        assert large[name].px > normal[name].px, name
    assert large["value:Aktuelles Guthaben"].px >= normal["value:Aktuelles Guthaben"].px
    tap(ui, clock, "continue")
    reach(ui, Screen.AMOUNT)
    assert ui.state.easy_view                           # across the screens of the session
    tap(ui, clock, "back")
    reach(ui, Screen.CARD)
    tap(ui, clock, "back")              # "Zurück" on the card screen ends the session
    reach(ui, Screen.ATTRACT)
    assert not ui.state.easy_view                       # the next customer starts normal
    assert tuple(ui.logical.get_at((2, ui.logical.get_height() - 2)))[:3] == STANDARD.background


@pytest.mark.parametrize("kind, screen", [("not_charged", Screen.NOT_CHARGED),
                                          ("claim", Screen.CLAIM)])
def test_result_screens_say_what_happened_what_to_do_and_the_short_code(
        make_ui, backend, clock, kind, screen):
    backend.topup_kind = kind
    ui = make_ui()
    reach(ui, Screen.ATTRACT)
    ui.post(CardScanned(VALID_CARD))
    reach(ui, Screen.CARD)
    tap(ui, clock, "continue")
    reach(ui, Screen.AMOUNT)
    tap(ui, clock, "amount:2000")
    reach(ui, Screen.CONFIRM)
    tap(ui, clock, "confirm")
    reach(ui, screen)
    ui.run_until(lambda u: u.state.session.printed is not None)
    shown = texts(ui)
    reference = ui.state.session.outcome.reference
    assert shown["reference"].text == f"Referenz: {short_reference(reference)}"
    assert reference not in " ".join(t.text for t in ui.frame.texts)   # no UUID on screen
    assert shown["reference"].px <= shown["message"].px * 1.2           # normal text size
    what_happened, what_to_do = shown["message"].text.split("\n")
    assert what_happened and what_to_do and what_happened != what_to_do
    assert ("print_slip", reference, kind, "de") in backend.calls
