"""Keypad alone: on every screen, Tab and the arrow keys reach every button from the first focus."""

from __future__ import annotations

import pygame
import pytest

from kiosk.config import Config
from kiosk.ui.gallery import NOW, gallery_settings, sample_states
from kiosk.ui.loop import next_focus
from kiosk.ui.render import Look, build_frame, default_focus

STATES = sample_states(gallery_settings(Config()))
ARROWS = [pygame.K_LEFT, pygame.K_RIGHT, pygame.K_UP, pygame.K_DOWN]


@pytest.mark.parametrize("size", [(800, 480), (480, 800)])
@pytest.mark.parametrize("name", sorted(STATES))
def test_every_button_is_reachable_by_keys(name, size):
    pygame.font.init()
    frame, _, _ = build_frame(STATES[name], gallery_settings(Config()), Look(), size, NOW)
    names = {b.name for b in frame.buttons}
    assert "language" in names                         # the toggle is on every screen
    start = default_focus(frame)
    assert start is not None
    # Tab cycles through all of them.
    seen, focus = set(), start.name
    for _ in range(len(names)):
        seen.add(focus)
        focus = next_focus(frame, focus, pygame.K_TAB, False)
    assert seen == names and focus == start.name
    # The arrows alone reach all of them too (a keypad may have no Tab key).
    reached, frontier = {start.name}, [start.name]
    while frontier:
        current = frontier.pop()
        for key in ARROWS:
            target = next_focus(frame, current, key, False)
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == names


def test_shift_tab_goes_back():
    pygame.font.init()
    frame, _, _ = build_frame(STATES["card"], gallery_settings(Config()), Look(), (800, 480), NOW)
    forward = next_focus(frame, "continue", pygame.K_TAB, False)
    assert next_focus(frame, forward, pygame.K_TAB, True) == "continue"


def test_arrows_move_spatially_on_the_keypad():
    pygame.font.init()
    frame, _, _ = build_frame(STATES["other_amount"], gallery_settings(Config()), Look(),
                              (800, 480), NOW)
    assert next_focus(frame, "digit:5", pygame.K_UP, False) == "digit:2"
    assert next_focus(frame, "digit:5", pygame.K_DOWN, False) == "digit:8"
    assert next_focus(frame, "digit:5", pygame.K_LEFT, False) == "digit:4"
    assert next_focus(frame, "digit:5", pygame.K_RIGHT, False) == "digit:6"
    assert next_focus(frame, "digit:8", pygame.K_DOWN, False) == "digit:0"
