"""Widgets of the kiosk screens (text boxes, buttons, panels, drawings) and how they are drawn."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Literal, Union

import pygame

from kiosk.flow_events import Action
from kiosk.ui.fonts import font
from kiosk.ui.textfit import FittedText, fit_text
from kiosk.ui.theme import Color, Theme

Align = Literal["left", "center", "right"]


@dataclass
class Text:
    """A box of text: wrapped, then shrunk, to fit `rect`."""

    rect: pygame.Rect
    text: str
    px: int
    color: Color
    bold: bool = False
    align: Align = "left"
    valign: Literal["top", "middle", "bottom"] = "top"
    max_lines: int = 0
    name: str = ""


@dataclass
class Button:
    """A touch target that sends a flow action; also reachable by keypad focus."""

    rect: pygame.Rect
    label: str
    action: Action
    value: int | None = None
    kind: Literal["primary", "secondary", "choice", "key"] = "secondary"
    px: int = 24
    default: bool = False      # focused first when the screen appears
    name: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            action = self.action.value
            self.name = action if self.value is None else f"{action}:{self.value}"


@dataclass
class Panel:
    rect: pygame.Rect
    color: Color
    outline: Color | None = None
    radius: int = 0


@dataclass
class Drawing:
    """Free drawing (icons, illustrations, QR code, progress) inside `rect`."""

    rect: pygame.Rect
    paint: Callable[[pygame.Surface, pygame.Rect], None]
    name: str = ""


Widget = Union[Text, Button, Panel, Drawing]


@dataclass(frozen=True)
class TextPlacement:
    """Where a text ended up, for the layout checker: its box, the ink's bounds, its colours."""

    name: str
    text: str
    box: pygame.Rect
    ink: pygame.Rect
    fg: Color
    bg: Color
    px: int
    fits: bool
    # Pixels the glyphs cover (box coordinates): the checker reads the background beside them.
    glyphs: pygame.mask.Mask | None = None


@dataclass
class Frame:
    """The widgets of one rendered screen and where their texts landed."""

    widgets: list[Widget]
    texts: list[TextPlacement] = field(default_factory=list)

    @property
    def buttons(self) -> list[Button]:
        return [w for w in self.widgets if isinstance(w, Button)]

    def button(self, name: str) -> Button:
        for b in self.buttons:
            if b.name == name:
                return b
        raise KeyError(f"no button {name!r}; have {[b.name for b in self.buttons]}")


def button_colors(button: Button, theme: Theme) -> tuple[Color, Color, Color | None]:
    """Fill, text colour and outline of a button kind."""
    if button.kind == "primary":
        return theme.primary, theme.on_primary, None
    if button.kind == "key":
        return theme.key, theme.on_key, theme.outline
    if button.kind == "choice":
        return theme.surface, theme.on_secondary, theme.on_secondary
    return theme.secondary, theme.on_secondary, theme.on_secondary


def button_padding(button: Button) -> tuple[int, int]:
    h = button.rect.height
    return max(6, h // 6), max(4, h // 10)


def label_box(button: Button) -> pygame.Rect:
    pad_x, pad_y = button_padding(button)
    return button.rect.inflate(-2 * pad_x, -2 * pad_y)


def equalize(buttons: list[Button]) -> list[Button]:
    """Give a group of buttons one text size: the largest at which every label fits its box.

    Without this, a long label shrinks alone and a row of buttons looks uneven.
    """
    sizes = []
    for b in buttons:
        box = label_box(b)
        sizes.append(fit_text(b.label, max(1, box.width), max(1, box.height), b.px, True).px)
    if sizes:
        for b in buttons:
            b.px = min(sizes)
    return buttons


@lru_cache(maxsize=1024)
def _line_image(line: str, px: int, bold: bool, color: Color
                ) -> tuple[pygame.Surface, pygame.Rect, pygame.mask.Mask]:
    """A rendered line, its ink bounds and glyph pixels; screens redraw the same lines often."""
    image = font(px, bold).render(line, True, color)
    # threshold 1: anti-aliased fringes count as glyph too, so they are never taken for the fill
    return image, image.get_bounding_rect(), pygame.mask.from_surface(image, 1)


def draw_text(surface: pygame.Surface, widget: Text | Button, box: pygame.Rect, text: str,
              px: int, color: Color, bg: Color, bold: bool, align: Align, valign: str,
              max_lines: int, name: str) -> TextPlacement:
    fitted: FittedText = fit_text(text, max(1, box.width), max(1, box.height), px, bold,
                                  max_lines)
    if valign == "middle":
        y = box.top + (box.height - fitted.height) // 2
    elif valign == "bottom":
        y = box.bottom - fitted.height
    else:
        y = box.top
    ink = None
    glyphs = pygame.mask.Mask(box.size)
    for line in fitted.lines:
        if line:
            image, ink_in_image, line_mask = _line_image(line, fitted.px, bold, color)
            w = image.get_width()
            x = {"left": box.left, "center": box.left + (box.width - w) // 2,
                 "right": box.right - w}[align]
            surface.blit(image, (x, y))
            bounds = ink_in_image.move(x, y)
            ink = bounds if ink is None else ink.union(bounds)
            glyphs.draw(line_mask, (x - box.left, y - box.top))
        y += fitted.line_height
    if ink is None:
        ink = pygame.Rect(box.left, box.top, 0, 0)
    return TextPlacement(name, text, box.copy(), ink, color, bg, fitted.px, fitted.fits, glyphs)


def draw_frame(surface: pygame.Surface, frame: Frame, theme: Theme,
               focused: Button | None, radius: int, focus_width: int) -> None:
    """Draw every widget in order; record text placements on the frame."""
    surface.fill(theme.background)
    frame.texts = []
    fills: list[tuple[pygame.Rect, Color]] = []

    def background_at(rect: pygame.Rect) -> Color:
        # The last filled area containing the text's centre is what lies under it.
        for area, color in reversed(fills):
            if area.collidepoint(rect.center):
                return color
        return theme.background

    for w in frame.widgets:
        if isinstance(w, Panel):
            pygame.draw.rect(surface, w.color, w.rect, border_radius=w.radius)
            if w.outline:
                pygame.draw.rect(surface, w.outline, w.rect, width=2, border_radius=w.radius)
            fills.append((w.rect, w.color))
        elif isinstance(w, Drawing):
            w.paint(surface, w.rect)
        elif isinstance(w, Text):
            frame.texts.append(draw_text(surface, w, w.rect, w.text, w.px, w.color,
                                         background_at(w.rect), w.bold, w.align, w.valign,
                                         w.max_lines, w.name or w.text[:24]))
        elif isinstance(w, Button):
            fill, fg, outline = button_colors(w, theme)
            pygame.draw.rect(surface, fill, w.rect, border_radius=radius)
            if outline:
                pygame.draw.rect(surface, outline, w.rect, width=2, border_radius=radius)
            box = label_box(w)
            frame.texts.append(draw_text(surface, w, box, w.label, w.px, fg, fill, True,
                                         "center", "middle", 0, w.name))
    if focused is not None:
        ring = focused.rect.inflate(2 * focus_width + 2, 2 * focus_width + 2)
        pygame.draw.rect(surface, theme.focus, ring, width=focus_width,
                         border_radius=radius + focus_width)
