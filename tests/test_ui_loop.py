"""The real main loop with the in-memory backend: top-ups by keys only and by taps, timeouts,
out of service, admin, idle behaviour."""

from __future__ import annotations

import pygame
import pytest

from kiosk.flow import Screen, Session
from kiosk.flow_events import Action, ApiStatus, CardScanned, ReaderStatus
from kiosk.ui.loop import TapFilter
from kiosk.ui.sounds import Sounds, TUNES, tone_samples
from kiosk.ui.theme import STANDARD
from kiosk.ui.widgets import Button
from tests.fixtures.ui import (
    ADMIN_CARD, ADMIN_PIN, LOCKED_CARD, VALID_CARD, press, reach, tap, type_digits, ui_settings,
)


@pytest.mark.parametrize("start_type", ["cash", "cashless"])
def test_full_topup_by_keypad_alone(make_ui, backend, start_type):
    ui = make_ui(settings=ui_settings(start_type=start_type))
    reach(ui, Screen.ATTRACT)
    ui.post(CardScanned(VALID_CARD))
    reach(ui, Screen.CARD)
    assert ui.focus == "continue"                       # the primary action waits for Enter
    press(ui, pygame.K_RETURN)
    reach(ui, Screen.AMOUNT)
    assert ui.focus == "amount:1000"
    press(ui, pygame.K_RIGHT)
    assert ui.focus == "amount:2000"
    press(ui, pygame.K_RETURN)
    reach(ui, Screen.CONFIRM)
    assert ui.state.session.amount_cents == 2000
    press(ui, pygame.K_RETURN)
    reach(ui, Screen.DONE)
    assert ui.state.session.outcome.new_balance_cents == 3250
    assert ("start_topup", "9276 •••• •••• 2845", 2000, start_type, True) in backend.calls
    assert backend.names()[-1] == "print_receipt"
    assert ui.played == ["accepted", "done"]
    press(ui, pygame.K_RETURN)
    reach(ui, Screen.ATTRACT)
    assert ui.state.session == Session()


def test_other_amount_and_back_by_keys(make_ui, backend):
    ui = make_ui()
    reach(ui, Screen.ATTRACT)
    ui.post(CardScanned(VALID_CARD))
    reach(ui, Screen.CARD)
    press(ui, pygame.K_RETURN)
    reach(ui, Screen.AMOUNT)
    for _ in range(5):
        if ui.focus == "other_amount":
            break
        press(ui, pygame.K_TAB)
    assert ui.focus == "other_amount"
    press(ui, pygame.K_RETURN)
    reach(ui, Screen.OTHER_AMOUNT)
    type_digits(ui, "12509")
    press(ui, pygame.K_BACKSPACE)
    assert ui.state.session.typed == "1250" and ui.focus == "keypad_ok"
    press(ui, pygame.K_KP_ENTER)
    reach(ui, Screen.CONFIRM)
    assert ui.state.session.amount_cents == 1250
    press(ui, pygame.K_ESCAPE)
    reach(ui, Screen.AMOUNT)
    press(ui, pygame.K_ESCAPE)
    reach(ui, Screen.CARD)
    press(ui, pygame.K_ESCAPE)
    reach(ui, Screen.ATTRACT)
    assert "start_topup" not in backend.names()


def test_language_toggle_by_keys(make_ui):
    ui = make_ui()
    reach(ui, Screen.ATTRACT)
    assert ui.focus == "language"                      # the only thing to do before a scan
    press(ui, pygame.K_RETURN)
    assert ui.state.language == "en"


@pytest.mark.parametrize("size", [(800, 480), (480, 800), (1920, 1080)])
def test_full_topup_by_taps(make_ui, backend, clock, size):
    ui = make_ui(size=size)
    reach(ui, Screen.ATTRACT)
    tap(ui, clock, "language")
    assert ui.state.language == "en"
    ui.post(CardScanned(VALID_CARD))
    reach(ui, Screen.CARD)
    assert ui.state.language == "en"
    assert any(t.text == "Card recognised" for t in ui.frame.texts)
    tap(ui, clock, "continue")
    reach(ui, Screen.AMOUNT)
    tap(ui, clock, "other_amount")
    reach(ui, Screen.OTHER_AMOUNT)
    for name in ("digit:1", "digit:5", "digit:0", "digit:0", "keypad_ok"):
        tap(ui, clock, name)
    reach(ui, Screen.CONFIRM)
    tap(ui, clock, "confirm")
    reach(ui, Screen.DONE)
    assert ("start_topup", "9276 •••• •••• 2845", 1500, "cash", True) in backend.calls
    assert backend.balances[VALID_CARD] == 2750
    tap(ui, clock, "finish")
    reach(ui, Screen.ATTRACT)
    assert ui.state.language == "de"                  # the next customer starts in German


def test_tap_bursts_are_debounced(make_ui, clock):
    ui = make_ui()
    ui.post(CardScanned(VALID_CARD))
    reach(ui, Screen.CARD)
    tap(ui, clock, "continue")
    reach(ui, Screen.AMOUNT)
    tap(ui, clock, "other_amount")
    reach(ui, Screen.OTHER_AMOUNT)
    button = ui.frame.button("digit:7")
    clock.advance(0.6)                                 # past the new screen's settle time
    for _ in range(3):                                 # a resistive panel's burst, no time between
        for kind in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
            pygame.event.post(pygame.event.Event(kind, pos=button.rect.center, button=1))
    ui.iterate(max_wait=0.01)
    assert ui.state.session.typed == "7"
    # A press that starts on one button and ends on another is no tap.
    other = ui.frame.button("digit:8")
    clock.advance(1)
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=button.rect.center, button=1))
    pygame.event.post(pygame.event.Event(pygame.MOUSEBUTTONUP, pos=other.rect.center, button=1))
    ui.iterate(max_wait=0.01)
    assert ui.state.session.typed == "7"


def test_tap_filter_unit():
    a = Button(pygame.Rect(0, 0, 10, 10), "a", Action.DIGIT, 1)
    b = Button(pygame.Rect(0, 0, 10, 10), "b", Action.BACK)
    c = Button(pygame.Rect(50, 0, 10, 10), "c", Action.CONTINUE)
    f = TapFilter(debounce_s=0.05, settle_s=0.5, repeat_s=1.0)
    f.new_screen(0.0)
    f.down(a, (5, 5), 0.4)
    assert not f.up(a, 0.45)                           # the screen is not seen yet
    f.down(a, (5, 5), 0.5)
    assert f.up(a, 0.52)
    f.down(a, (5, 5), 0.54)
    assert not f.up(a, 0.55)                           # a panel's bounce
    f.down(a, (5, 5), 0.6)
    assert f.up(a, 0.62)                               # the same digit again: taken
    f.new_screen(0.63)                                 # that tap changed the screen
    f.down(b, (5, 5), 1.2)
    assert not f.up(b, 1.25)                           # its echo on the same spot
    f.down(c, (55, 5), 1.2)
    assert f.up(c, 1.25)                               # elsewhere: a tap
    f.down(b, (5, 5), 1.3)
    f.new_screen(1.31)
    assert not f.up(b, 1.35)                           # went down on the screen before


def test_idle_timeout_shows_a_countdown_and_clears_the_session(make_ui, clock):
    ui = make_ui()
    ui.post(CardScanned(VALID_CARD))
    reach(ui, Screen.CARD)
    clock.advance(36)
    ui.iterate(max_wait=0.01)
    shown = {t.name: t.text for t in ui.frame.texts}
    assert shown["countdown"] == "9" and "9\u00a0s" in shown["countdown_text"]
    clock.advance(9)
    reach(ui, Screen.ATTRACT)
    assert ui.state.session == Session()
    assert not any("2845" in t.text for t in ui.frame.texts)


def test_touching_the_screen_during_the_countdown_keeps_the_session(make_ui, clock):
    ui = make_ui()
    ui.post(CardScanned(VALID_CARD))
    reach(ui, Screen.CARD)
    clock.advance(38)
    ui.iterate(max_wait=0.01)
    assert any(t.name == "countdown" for t in ui.frame.texts)
    # A touch on no button: the customer is still here.
    empty = next((x, y) for y in range(ui.frame.buttons[0].rect.bottom + 1, 480, 7)
                 for x in range(0, 800, 7)
                 if not any(b.rect.collidepoint(x, y) for b in ui.frame.buttons))
    for kind in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
        pygame.event.post(pygame.event.Event(kind, pos=ui.rotation.to_physical(*empty), button=1))
    ui.iterate(max_wait=0.01)
    assert ui.state.screen is Screen.CARD
    assert not any(t.name == "countdown" for t in ui.frame.texts)
    clock.advance(38)
    ui.iterate(max_wait=0.01)
    assert ui.state.screen is Screen.CARD          # the idle time started again at the touch
    clock.advance(10)
    reach(ui, Screen.ATTRACT)


def test_out_of_service_appears_and_clears(make_ui):
    ui = make_ui()
    reach(ui, Screen.ATTRACT)
    ui.post(ApiStatus(False, "connection refused"))
    reach(ui, Screen.OUT_OF_SERVICE)
    ui.post(CardScanned(VALID_CARD))
    ui.iterate(max_wait=0.01)
    assert ui.state.screen == Screen.OUT_OF_SERVICE
    ui.post(ReaderStatus(False))
    ui.post(ApiStatus(True))
    ui.iterate(max_wait=0.01)
    assert ui.state.screen == Screen.OUT_OF_SERVICE
    ui.post(ReaderStatus(True))
    reach(ui, Screen.ATTRACT)


def test_rejected_card_and_backend_failure(make_ui, backend):
    ui = make_ui()
    ui.post(CardScanned(LOCKED_CARD))
    reach(ui, Screen.CARD_LOCKED)
    assert ui.played == ["rejected"]
    press(ui, pygame.K_RETURN)
    reach(ui, Screen.ATTRACT)
    ui.post(CardScanned(VALID_CARD))
    reach(ui, Screen.CARD)
    press(ui, pygame.K_RETURN)
    reach(ui, Screen.AMOUNT)
    press(ui, pygame.K_RETURN)
    reach(ui, Screen.CONFIRM)
    backend.fail_with = RuntimeError("journal disk full")
    press(ui, pygame.K_RETURN)
    # An exception during the top-up may have moved money: a claim, never "not charged".
    reach(ui, Screen.CLAIM)


def test_printer_problem_asked_before_payment(make_ui, backend):
    from kiosk.flow_events import PrinterState
    backend.printer = PrinterState(False, True, "paper_out")
    ui = make_ui()
    ui.post(CardScanned(VALID_CARD))
    reach(ui, Screen.CARD)
    for _ in range(2):
        press(ui, pygame.K_RETURN)
    reach(ui, Screen.CONFIRM)
    press(ui, pygame.K_RETURN)
    reach(ui, Screen.PRINTER_PROBLEM)
    assert "start_topup" not in backend.names()
    assert ui.focus == "without_receipt"
    press(ui, pygame.K_RETURN)
    reach(ui, Screen.DONE)
    assert ("start_topup", "9276 •••• •••• 2845", 1000, "cash", False) in backend.calls
    assert "print_receipt" not in backend.names()


def test_admin_by_keys(make_ui, backend):
    ui = make_ui()
    ui.post(CardScanned(ADMIN_CARD))
    reach(ui, Screen.ADMIN_PIN)
    type_digits(ui, ADMIN_PIN)
    press(ui, pygame.K_RETURN)
    reach(ui, Screen.ADMIN_MENU)
    assert ui.focus == "admin_printer"
    press(ui, pygame.K_RETURN)
    assert ui.run_until(lambda u: u.state.admin.printer is not None)
    press(ui, pygame.K_DOWN)
    press(ui, pygame.K_RIGHT)
    assert ui.focus == "admin_journal"
    press(ui, pygame.K_RETURN)
    reach(ui, Screen.ADMIN_JOURNAL)
    assert ("journal_rows", 20) in backend.calls
    press(ui, pygame.K_ESCAPE)
    reach(ui, Screen.ADMIN_MENU)
    press(ui, pygame.K_ESCAPE)
    reach(ui, Screen.ATTRACT)


def test_focus_ring_is_drawn_after_keypad_use(make_ui):
    ui = make_ui()
    ui.post(CardScanned(VALID_CARD))
    reach(ui, Screen.CARD)
    button = ui.frame.button("continue")
    probe = (button.rect.centerx, button.rect.top - 3)
    assert tuple(ui.window.get_at(probe))[:3] != STANDARD.focus
    for _ in range(5):        # continue -> view -> language -> cancel -> balance slip
        press(ui, pygame.K_TAB)   # -> continue
    assert ui.focus == "continue"
    assert tuple(ui.window.get_at(probe))[:3] == STANDARD.focus


def test_idle_attract_sleeps_and_does_not_redraw(make_ui, clock):
    ticks = []
    ui = make_ui(on_tick=ticks.append, max_sleep=2.0)
    reach(ui, Screen.ATTRACT)
    assert ui._sleep_budget(clock()) == 2.0            # nothing to wake for but the watchdog
    drawn = ui.frames_drawn
    for _ in range(10):
        clock.advance(30)
        ui.iterate(max_wait=0.001)
    assert ui.frames_drawn == drawn and len(ticks) >= 10
    ui.post(CardScanned(VALID_CARD))
    reach(ui, Screen.CARD)
    assert ui.frames_drawn > drawn
    # With a customer, the loop wakes for the countdown, never later than max_sleep.
    assert ui._sleep_budget(clock()) <= 2.0


def test_paying_animates_and_wakes_often(make_ui, backend, clock):
    import threading
    backend.gate = threading.Event()
    ui = make_ui()
    ui.post(CardScanned(VALID_CARD))
    reach(ui, Screen.CARD)
    for _ in range(2):
        press(ui, pygame.K_RETURN)
    reach(ui, Screen.CONFIRM)
    press(ui, pygame.K_RETURN)
    reach(ui, Screen.PAYING)
    assert ui._sleep_budget(clock()) <= 0.1
    drawn = ui.frames_drawn
    clock.advance(0.25)
    ui.iterate(max_wait=0.001)
    assert ui.frames_drawn == drawn + 1                # a new animation frame
    clock.advance(3600)                                # no timeout while paying
    ui.iterate(max_wait=0.001)
    assert ui.state.screen == Screen.PAYING
    backend.gate.set()
    reach(ui, Screen.DONE)


def test_sounds_are_silent_and_safe():
    off = Sounds(enabled=False)
    off.play("done")                                   # no device, no error
    assert not off.available
    on = Sounds(enabled=True)                          # the dummy audio driver, or none at all
    for name in TUNES:
        on.play(name)
    samples = tone_samples(TUNES["done"], 8000, 2)
    assert len(samples) == 2 * sum(int(8000 * d) for _, d in TUNES["done"])
    assert max(samples) > 8000 and min(samples) < -8000


def test_driver_with_the_real_clock(backend):
    # As `kiosk simulate --script` would: real time, taps spaced by the driver itself.
    from kiosk.ui.driver import UiDriver
    from kiosk.ui.loop import KioskUi
    from kiosk.ui.render import Look
    ui = KioskUi(ui_settings(), Look(), backend, size=(800, 480))
    try:
        drive = UiDriver(ui)
        drive.wait_for(Screen.ATTRACT)
        ui.post(CardScanned(VALID_CARD))
        drive.wait_for(Screen.CARD)
        drive.tap("continue")
        drive.wait_for(Screen.AMOUNT)
        drive.tap("amount:5000")
        drive.wait_for(Screen.CONFIRM)
        drive.tap("confirm")
        drive.wait_for(Screen.DONE)
        assert backend.balances[VALID_CARD] == 6250
        with pytest.raises(TimeoutError, match="waited for the amount screen, still on done"):
            drive.wait_for(Screen.AMOUNT, timeout=0.2)
    finally:
        ui.close()


def test_shell_keys_come_first(make_ui):
    # `kiosk simulate` maps F1 to a demo scan; the UI's own keys keep working.
    seen = []

    def on_key(ev):
        seen.append(ev.key)
        if ev.key == pygame.K_F1:
            ui.post(CardScanned(VALID_CARD))
            return True
        return False

    ui = make_ui(on_key=on_key)
    reach(ui, Screen.ATTRACT)
    press(ui, pygame.K_F1)
    reach(ui, Screen.CARD)
    assert not ui.keyboard_used                        # consumed: no focus ring
    press(ui, pygame.K_RETURN)
    reach(ui, Screen.AMOUNT)
    assert seen == [pygame.K_F1, pygame.K_RETURN]
