"""Turns a flow state into a drawn frame: picks the screen's builder, lays out, draws."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import pygame

from kiosk.flow import Screen, Settings, State
from kiosk.ui.layout import Layout
# The overlay (second card, idle countdown) is checked on every frame; screens load by name.
from kiosk.ui.screens import overlay
from kiosk.ui.screens.common import Builder, Ctx
from kiosk.ui.theme import Theme, theme_for
from kiosk.ui.widgets import Button, Frame, draw_frame


def builder(screen: Screen) -> Builder:
    """The screen's `build`, from its module kiosk.ui.screens.<screen value>.

    Imported on first use: start-up draws one screen, and the admin screens (or the QR code
    of the registration screen) are not needed before someone opens them.
    """
    module = importlib.import_module(f"kiosk.ui.screens.{screen.value}")
    build: Builder = module.build
    return build


# Screens with an animation: only these are redrawn while nothing else happens.
ANIMATED = frozenset({Screen.CHECKING_CARD, Screen.CHECKING_PRINTER, Screen.PAYING,
                      Screen.PRINTING, Screen.TILL})


@dataclass(frozen=True)
class Look:
    """The display options of UiConfig that shape rendering."""

    dpi: float = 133.0
    high_contrast: bool = False
    large_text: bool = False

    @property
    def theme(self) -> Theme:
        return theme_for(self.high_contrast)


def build_frame(state: State, settings: Settings, look: Look, size: tuple[int, int],
                now: float, phase: float = 0.0) -> tuple[Frame, Layout, Theme]:
    if state.easy_view:     # the customer's choice for this session, over the configuration
        look = Look(look.dpi, high_contrast=True, large_text=True)
    layout = Layout(size[0], size[1], look.dpi, look.large_text)
    ctx = Ctx(state, settings, layout, look.theme, now, phase)
    build = overlay.build if overlay.overlay_kind(state, settings, now) else builder(state.screen)
    return Frame(build(ctx)), layout, look.theme


def default_focus(frame: Frame) -> Button | None:
    buttons = frame.buttons
    for b in buttons:
        if b.default:
            return b
    # Otherwise the first button that is not a header toggle, then the language toggle.
    others = [b for b in buttons if b.name not in ("language", "view")]
    language = [b for b in buttons if b.name == "language"]
    return (others or language or buttons or [None])[0]


def render(surface: pygame.Surface, state: State, settings: Settings, look: Look, now: float,
           phase: float = 0.0, focus: str | None = None) -> Frame:
    """Draw the state's screen onto `surface` (the logical surface); returns the frame."""
    frame, layout, theme = build_frame(state, settings, look, surface.get_size(), now, phase)
    focused = None
    if focus is not None:
        focused = next((b for b in frame.buttons if b.name == focus), None)
    draw_frame(surface, frame, theme, focused, layout.radius, max(3, layout.base // 120))
    return frame
