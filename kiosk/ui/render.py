"""Turns a flow state into a drawn frame: picks the screen's builder, lays out, draws."""

from __future__ import annotations

from dataclasses import dataclass

import pygame

from kiosk.flow import Screen, Settings, State
from kiosk.ui.layout import Layout
from kiosk.ui.screens import (
    admin_journal, admin_menu, admin_pin, amount, attract, card, checking_card, checking_printer,
    claim, confirm, done, not_charged, other_amount, out_of_service, paying, printer_problem,
    overlay, printing, registration, rejected,
)
from kiosk.ui.screens.common import Builder, Ctx
from kiosk.ui.theme import Theme, theme_for
from kiosk.ui.widgets import Button, Frame, draw_frame

BUILDERS: dict[Screen, Builder] = {
    Screen.ATTRACT: attract.build,
    Screen.CHECKING_CARD: checking_card.build,
    Screen.CARD: card.build,
    Screen.AMOUNT: amount.build,
    Screen.OTHER_AMOUNT: other_amount.build,
    Screen.CONFIRM: confirm.build,
    Screen.CHECKING_PRINTER: checking_printer.build,
    Screen.PRINTER_PROBLEM: printer_problem.build,
    Screen.PAYING: paying.build,
    Screen.PRINTING: printing.build,
    Screen.DONE: done.build,
    Screen.REJECTED: rejected.build,
    Screen.NOT_CHARGED: not_charged.build,
    Screen.CLAIM: claim.build,
    Screen.OUT_OF_SERVICE: out_of_service.build,
    Screen.REGISTRATION: registration.build,
    Screen.ADMIN_PIN: admin_pin.build,
    Screen.ADMIN_MENU: admin_menu.build,
    Screen.ADMIN_JOURNAL: admin_journal.build,
}

# Screens with an animation: only these are redrawn while nothing else happens.
ANIMATED = frozenset({Screen.CHECKING_CARD, Screen.CHECKING_PRINTER, Screen.PAYING,
                      Screen.PRINTING})


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
    layout = Layout(size[0], size[1], look.dpi, look.large_text)
    ctx = Ctx(state, settings, layout, look.theme, now, phase)
    builder = overlay.build if overlay.overlay_kind(state, settings, now) else \
        BUILDERS[state.screen]
    return Frame(builder(ctx)), layout, look.theme


def default_focus(frame: Frame) -> Button | None:
    buttons = frame.buttons
    for b in buttons:
        if b.default:
            return b
    # Otherwise the first button that is not the language toggle, then the toggle.
    others = [b for b in buttons if b.name != "language"]
    return (others or buttons or [None])[0]


def render(surface: pygame.Surface, state: State, settings: Settings, look: Look, now: float,
           phase: float = 0.0, focus: str | None = None) -> Frame:
    """Draw the state's screen onto `surface` (the logical surface); returns the frame."""
    frame, layout, theme = build_frame(state, settings, look, surface.get_size(), now, phase)
    focused = None
    if focus is not None:
        focused = next((b for b in frame.buttons if b.name == focus), None)
    draw_frame(surface, frame, theme, focused, layout.radius, max(3, layout.base // 120))
    return frame
