"""Rotated displays: the picture turns, and a tap on a button reaches that button (all 4 ways)."""

from __future__ import annotations

import pygame
import pytest

from kiosk.flow import Screen
from kiosk.flow_events import CardScanned
from kiosk.ui.display import Rotation
from kiosk.ui.widgets import button_padding
from kiosk.ui.theme import STANDARD
from tests.fixtures.ui import VALID_CARD, reach

ROTATIONS = [0, 90, 180, 270]


@pytest.mark.parametrize("degrees", ROTATIONS)
@pytest.mark.parametrize("physical", [(800, 480), (480, 800)])
def test_touch_mapping_is_the_inverse_of_the_picture(physical, degrees):
    r = Rotation(physical, degrees)
    lw, lh = r.logical
    assert sorted(r.logical) == sorted(physical)
    for point in [(0, 0), (lw - 1, 0), (0, lh - 1), (lw - 1, lh - 1), (123, 45), (lw // 2, 7)]:
        px, py = r.to_physical(*point)
        assert 0 <= px < physical[0] and 0 <= py < physical[1]
        assert r.to_logical(px, py) == point


def test_rotation_is_clockwise():
    # Turned 90 degrees clockwise, the logical top-left corner lands top-right on the panel.
    assert Rotation((480, 800), 90).to_physical(0, 0) == (479, 0)
    assert Rotation((480, 800), 270).to_physical(0, 0) == (0, 799)
    with pytest.raises(ValueError):
        Rotation((800, 480), 45)


@pytest.mark.parametrize("degrees", ROTATIONS)
def test_pixels_follow_the_mapping(degrees):
    r = Rotation((480, 800) if degrees in (90, 270) else (800, 480), degrees)
    logical = pygame.Surface(r.logical)
    logical.fill((0, 0, 0))
    logical.fill((255, 0, 0), (10, 20, 4, 4))          # a marker near the logical top-left
    target = pygame.Surface(r.physical)
    r.present(logical, target)
    px, py = r.to_physical(11, 21)
    assert tuple(target.get_at((int(px), int(py))))[:3] == (255, 0, 0)


@pytest.mark.parametrize("degrees", ROTATIONS)
def test_tap_on_a_rotated_display_reaches_the_button(make_ui, clock, degrees):
    physical = (480, 800) if degrees in (90, 270) else (800, 480)
    ui = make_ui(size=physical, rotation=degrees)
    assert ui.logical.get_size() == (800, 480)        # the same landscape layout, turned
    ui.post(CardScanned(VALID_CARD))
    reach(ui, Screen.CARD)
    button = ui.frame.button("continue")
    # What the panel shows at the mapped point is the button's fill.
    pad_x, _ = button_padding(button)
    inside = (button.rect.left + pad_x // 2, button.rect.centery)
    px, py = ui.rotation.to_physical(*inside)
    assert tuple(ui.window.get_at((int(px), int(py))))[:3] == STANDARD.primary
    # A finger on the panel where the button appears (SDL reports 0..1 of the panel).
    cx, cy = ui.rotation.to_physical(*button.rect.center)
    clock.advance(1)
    for kind in (pygame.FINGERDOWN, pygame.FINGERUP):
        pygame.event.post(pygame.event.Event(kind, x=cx / physical[0], y=cy / physical[1],
                                             touch_id=1, finger_id=0, dx=0, dy=0, pressure=1))
    reach(ui, Screen.AMOUNT)
    # And a mouse click on the rotated "back" button.
    back = ui.frame.button("back")
    bx, by = ui.rotation.to_physical(*back.rect.center)
    clock.advance(1)
    for kind in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
        pygame.event.post(pygame.event.Event(kind, pos=(int(bx), int(by)), button=1))
    reach(ui, Screen.CARD)


def test_unrotated_tap_coordinates_would_miss(make_ui, clock):
    # Without remapping, the panel point of "continue" is somewhere else entirely.
    ui = make_ui(size=(480, 800), rotation=90)
    ui.post(CardScanned(VALID_CARD))
    reach(ui, Screen.CARD)
    button = ui.frame.button("continue")
    px, py = ui.rotation.to_physical(*button.rect.center)
    assert not button.rect.collidepoint(px, py)
