"""Customers in a hurry, through the real loop (issue 10): till-like amount entry, double taps,
fast typing, the done screen, a second card mid-way, the idle countdown, the confirm screen."""

from __future__ import annotations

import threading
import typing

import pygame
import pytest

from kiosk.flow import Screen, Session
from kiosk.flow_events import CardScanned, PlaySound, PrinterState
from kiosk.ui.sounds import TUNES
from tests.fixtures.ui import VALID_CARD, reach, tap, ui_settings

OTHER_CARD = "9276000000003330"
GAPS_S = (0.05, 0.25, 0.45, 0.8)
SIZES = [(800, 480), (480, 800)]


def touch(ui, point: tuple[int, int]) -> None:
    """A finger down and up at a physical point, in one turn of the loop."""
    for kind in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
        pygame.event.post(pygame.event.Event(kind, pos=point, button=1))
    ui.iterate(max_wait=0.01)


def spot(ui, name: str) -> tuple[int, int]:
    x, y = ui.rotation.to_physical(*ui.frame.button(name).rect.center)
    return int(x), int(y)


def texts(ui) -> dict[str, str]:
    return {t.name: t.text for t in ui.frame.texts}


def to_amount(ui, clock) -> None:
    ui.post(CardScanned(VALID_CARD))
    reach(ui, Screen.CARD)
    tap(ui, clock, "continue")
    reach(ui, Screen.AMOUNT)


def to_confirm(ui, clock, cents: int = 1000) -> None:
    """From the start to the confirm screen, then "Jetzt aufladen"."""
    to_amount(ui, clock)
    tap(ui, clock, f"amount:{cents}")
    reach(ui, Screen.CONFIRM)
    tap(ui, clock, "confirm")


def to_other_amount(ui, clock) -> None:
    to_amount(ui, clock)
    tap(ui, clock, "other_amount")
    reach(ui, Screen.OTHER_AMOUNT)


# --- finding 1: the other amount is typed like at a till ------------------------------------


def test_digits_shift_in_from_the_right_and_1750_is_17_50(make_ui, backend, clock):
    ui = make_ui()
    to_other_amount(ui, clock)
    shown = []
    for digit in "1750":
        tap(ui, clock, f"digit:{digit}")
        shown.append(texts(ui)["entry"])
    assert shown == ["0,01\u00a0€", "0,17\u00a0€", "1,75\u00a0€", "17,50\u00a0€"]
    tap(ui, clock, "keypad_ok")
    reach(ui, Screen.CONFIRM)
    assert ui.state.session.amount_cents == 1750
    tap(ui, clock, "confirm")
    reach(ui, Screen.DONE)
    assert ("start_topup", "9276 •••• •••• 2845", 1750, "cash", True) in backend.calls


def test_whole_euro_steps_show_no_decimals(make_ui, clock):
    ui = make_ui(settings=ui_settings(amount_step_cents=100))
    to_other_amount(ui, clock)
    assert texts(ui)["entry"] == "0\u00a0€"
    for digit in "17":
        tap(ui, clock, f"digit:{digit}")
    assert texts(ui)["entry"] == "17\u00a0€"
    tap(ui, clock, "keypad_ok")
    reach(ui, Screen.CONFIRM)
    assert ui.state.session.amount_cents == 1700


def test_a_digit_past_the_maximum_is_refused_visibly_and_audibly(make_ui, clock):
    ui = make_ui()
    to_other_amount(ui, clock)
    limits = texts(ui)["limits"]
    assert "5,00\u00a0€" in limits and "200,00\u00a0€" in limits
    for digit in "20000":
        tap(ui, clock, f"digit:{digit}")
    assert texts(ui)["entry"] == "200,00\u00a0€" and "rejected" not in ui.played
    tap(ui, clock, "digit:1")
    assert ui.state.session.typed == "20000"              # kept, not silently cut
    assert ui.played[-1] == "rejected"
    assert "200,00\u00a0€" in texts(ui)["entry_error"]
    assert "limits" in texts(ui)                          # the limits stay in view


# --- finding 2: taps land on the screen they were meant for ---------------------------------


def _double_tap(ui, clock, name: str, gap: float, then: Screen) -> None:
    point = spot(ui, name)
    clock.advance(1.2)                                   # well past any settle time
    touch(ui, point)
    reach(ui, then)
    clock.advance(gap)
    touch(ui, point)
    for _ in range(3):
        ui.iterate(max_wait=0.01)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("gap", GAPS_S)
def test_a_double_tap_on_any_primary_button_never_skips_or_bounces(make_ui, backend, clock,
                                                                   size, gap):
    ui = make_ui(size=size)
    ui.post(CardScanned(VALID_CARD))
    reach(ui, Screen.CARD)
    _double_tap(ui, clock, "continue", gap, Screen.AMOUNT)
    assert ui.state.screen is Screen.AMOUNT
    _double_tap(ui, clock, "amount:2000", gap, Screen.CONFIRM)
    assert ui.state.screen is Screen.CONFIRM
    _double_tap(ui, clock, "back", gap, Screen.AMOUNT)
    assert ui.state.screen is Screen.AMOUNT
    _double_tap(ui, clock, "other_amount", gap, Screen.OTHER_AMOUNT)
    assert ui.state.screen is Screen.OTHER_AMOUNT and ui.state.session.typed == ""
    for digit in "1500":
        tap(ui, clock, f"digit:{digit}")
    _double_tap(ui, clock, "keypad_ok", gap, Screen.CONFIRM)
    assert ui.state.screen is Screen.CONFIRM
    _double_tap(ui, clock, "confirm", gap, Screen.DONE)
    assert ui.state.screen is Screen.DONE
    assert [c[0] for c in backend.calls].count("start_topup") == 1
    clock.advance(1.0)
    _double_tap(ui, clock, "finish", gap, Screen.ATTRACT)
    assert ui.state.screen is Screen.ATTRACT and ui.state.language == "de"


@pytest.mark.parametrize("gap", GAPS_S)
def test_a_double_tap_on_without_receipt_pays_once_and_stays_done(make_ui, backend, clock, gap):
    backend.printer = PrinterState(False, True, "paper_out")
    ui = make_ui()
    to_confirm(ui, clock)
    reach(ui, Screen.PRINTER_PROBLEM)
    _double_tap(ui, clock, "without_receipt", gap, Screen.DONE)
    assert ui.state.screen is Screen.DONE
    assert [c[0] for c in backend.calls].count("start_topup") == 1


def test_a_touch_that_went_down_on_the_previous_screen_is_no_tap(make_ui, clock):
    ui = make_ui()
    ui.post(CardScanned(VALID_CARD))
    reach(ui, Screen.CARD)
    clock.advance(1)
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=spot(ui, "continue"),
                                         button=1))
    ui.iterate(max_wait=0.01)
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, mod=0,
                                         unicode="", scancode=0))
    reach(ui, Screen.AMOUNT)                             # the keypad moved on meanwhile
    clock.advance(1)
    preset = spot(ui, "amount:1000")
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=preset, button=1))
    ui.iterate(max_wait=0.01)
    assert ui.state.screen is Screen.AMOUNT


@pytest.mark.parametrize("size", SIZES)
def test_primary_and_back_buttons_never_share_a_spot_on_consecutive_screens(make_ui, clock,
                                                                             size):
    ui = make_ui(size=size)
    ui.post(CardScanned(VALID_CARD))
    reach(ui, Screen.CARD)
    # "Anderer Betrag" is neither: a double tap on it is caught by the loop's echo guard.
    steps = [("continue", Screen.AMOUNT), ("other_amount", None),
             ("digit:2", None), ("digit:0", None), ("digit:0", None), ("digit:0", None),
             ("keypad_ok", Screen.CONFIRM), ("back", Screen.AMOUNT),
             ("amount:2000", Screen.CONFIRM), ("confirm", Screen.DONE)]
    for name, then in steps:
        rect = ui.frame.button(name).rect.copy()
        tap(ui, clock, name)
        if then is None:
            continue
        reach(ui, then)
        # "Zurück" keeps its one place (finding 9); nothing else may sit there.
        moving = [b.name for b in ui.frame.buttons if b.rect.colliderect(rect)
                  and b.name not in ("language", "back" if name == "back" else "")]
        assert not moving, f"{name} on the screen before {then.value} sits on {moving}"


def test_keypad_digits_typed_at_80_ms_are_all_taken(make_ui, clock):
    ui = make_ui()
    to_other_amount(ui, clock)
    clock.advance(1)
    for digit in "1000":
        touch(ui, spot(ui, f"digit:{digit}"))
        clock.advance(0.08)
    assert ui.state.session.typed == "1000"
    for digit in "55":
        touch(ui, spot(ui, "erase"))
        clock.advance(0.08)
    assert ui.state.session.typed == "10"
    for key in (pygame.K_5, pygame.K_5, pygame.K_5):
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=0, unicode="",
                                             scancode=0))
        clock.advance(0.08)
        ui.iterate(max_wait=0.01)
    assert ui.state.session.typed == "10555"


# --- finding 3: the done screen ------------------------------------------------------------


def test_done_says_what_happened_holds_a_second_and_returns_by_itself(make_ui, clock):
    ui = make_ui(settings=ui_settings(done_timeout_s=15.0))
    to_confirm(ui, clock, 2000)
    reach(ui, Screen.DONE)
    shown = texts(ui)
    assert "20,00\u00a0€ aufgeladen" in shown["title"]
    assert shown["value"] == "32,50\u00a0€"
    clock.advance(0.6)
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, mod=0,
                                         unicode="", scancode=0))
    touch(ui, spot(ui, "finish"))
    assert ui.state.screen is Screen.DONE                # not in its first second
    assert "countdown" not in texts(ui)
    clock.advance(13.0)
    ui.iterate(max_wait=0.01)
    assert ui.state.screen is Screen.DONE
    clock.advance(1.5)
    reach(ui, Screen.ATTRACT)
    assert ui.state.session == Session()


# --- finding 4: a second card mid-way --------------------------------------------------------


def test_a_second_card_asks_before_replacing_the_first(make_ui, backend, clock):
    backend.balances[OTHER_CARD] = 300
    ui = make_ui()
    to_other_amount(ui, clock)
    for digit in "25":
        tap(ui, clock, f"digit:{digit}")
    ui.post(CardScanned(OTHER_CARD))
    ui.iterate(max_wait=0.01)
    assert "second_card" in texts(ui)
    assert {b.name for b in ui.frame.buttons} >= {"use_other_card", "keep_card"}
    assert "digit:1" not in {b.name for b in ui.frame.buttons}   # the dialog is modal
    tap(ui, clock, "keep_card")
    assert ui.state.screen is Screen.OTHER_AMOUNT and ui.state.session.typed == "25"
    assert ui.state.session.number == VALID_CARD and "second_card" not in texts(ui)
    ui.post(CardScanned(VALID_CARD))                      # the same card again: nothing to ask
    ui.iterate(max_wait=0.01)
    assert "second_card" not in texts(ui)
    ui.post(CardScanned(OTHER_CARD))
    ui.iterate(max_wait=0.01)
    tap(ui, clock, "use_other_card")
    reach(ui, Screen.CARD)
    assert ui.state.session.balance_cents == 300 and ui.state.session.typed == ""


def test_scans_while_money_moves_are_ignored(make_ui, backend, clock):
    backend.balances[OTHER_CARD] = 300
    backend.gate = threading.Event()
    ui = make_ui()
    to_confirm(ui, clock)
    reach(ui, Screen.PAYING)
    ui.post(CardScanned(OTHER_CARD))
    ui.iterate(max_wait=0.01)
    assert "second_card" not in texts(ui) and ui.state.screen is Screen.PAYING
    backend.gate.set()
    reach(ui, Screen.DONE)
    assert backend.balances[VALID_CARD] == 2250 and backend.balances[OTHER_CARD] == 300


# --- finding 6: the idle countdown ---------------------------------------------------------


def test_the_idle_countdown_is_an_overlay_with_a_button_and_a_sound(make_ui, clock):
    ui = make_ui()
    to_amount(ui, clock)
    clock.advance(37)
    ui.iterate(max_wait=0.01)
    shown = texts(ui)
    assert shown["countdown"] == "8" and "stay" in {b.name for b in ui.frame.buttons}
    big = next(t for t in ui.frame.texts if t.name == "countdown")
    title = next(t for t in ui.frame.texts if t.name == "title")
    assert big.px > title.px
    assert ui.played[-1] == "countdown"
    assert "amount:1000" not in {b.name for b in ui.frame.buttons}
    tap(ui, clock, "stay")
    assert ui.state.screen is Screen.AMOUNT and "countdown" not in texts(ui)
    assert ui.played.count("countdown") == 1
    clock.advance(40)
    ui.iterate(max_wait=0.01)
    assert ui.played.count("countdown") == 2              # once per countdown


# --- finding 9: the confirm screen and one place for "back" -------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_confirm_shows_the_balance_and_back_keeps_its_place(make_ui, clock, size):
    ui = make_ui(size=size)
    ui.post(CardScanned(VALID_CARD))
    reach(ui, Screen.CARD)
    places = {"card": ui.frame.button("back").rect}
    tap(ui, clock, "continue")
    reach(ui, Screen.AMOUNT)
    places["amount"] = ui.frame.button("back").rect
    tap(ui, clock, "amount:2000")
    reach(ui, Screen.CONFIRM)
    places["confirm"] = ui.frame.button("back").rect
    shown = texts(ui)
    assert shown["value:Aktuelles Guthaben"] == "12,50\u00a0€"
    assert shown["value:Betrag"] == "20,00\u00a0€"
    tap(ui, clock, "back")
    reach(ui, Screen.AMOUNT)
    tap(ui, clock, "other_amount")
    reach(ui, Screen.OTHER_AMOUNT)
    places["other_amount"] = ui.frame.button("back").rect
    assert len({tuple(r) for r in places.values()}) == 1, places


def test_every_sound_the_flow_asks_for_has_a_tune():
    names = typing.get_args(typing.get_type_hints(PlaySound)["name"])
    assert set(names) == set(TUNES)
