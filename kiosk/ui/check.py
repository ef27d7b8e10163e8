"""Automatic checks of a rendered frame: clipped or overflowing text, contrast, touch targets."""

from __future__ import annotations

from collections import Counter

import pygame

from kiosk.ui.layout import Layout
from kiosk.ui.theme import Color, Theme, contrast_ratio
from kiosk.ui.widgets import Frame, TextPlacement


def background_under(surface: pygame.Surface, box: pygame.Rect) -> Color:
    """The colour most common along the box's edge (inset by 1 px): what the text sits on.

    Corners alone can fall on a rounded button's outline, edge midpoints on a glyph; the
    majority of eight points is the fill.
    """
    clip = surface.get_rect()
    left, top, right, bottom = box.left + 1, box.top + 1, box.right - 2, box.bottom - 2
    cx, cy = box.centerx, box.centery
    points = [(left, top), (right, top), (left, bottom), (right, bottom), (cx, top),
              (cx, bottom), (left, cy), (right, cy)]
    colours = [tuple(surface.get_at(p))[:3] for p in points if clip.collidepoint(p)]
    if not colours:
        return (0, 0, 0)
    return Counter(colours).most_common(1)[0][0]  # type: ignore[return-value]


def readable_px(layout: Layout) -> int:
    """The smallest text size the layout may shrink to and still be read at arm's length."""
    return max(12, round(layout.base * 0.03))


def check_frame(surface: pygame.Surface, frame: Frame, layout: Layout, theme: Theme
                ) -> list[str]:
    """Every problem found, as readable sentences; empty when the frame is fine."""
    problems: list[str] = []
    screen = surface.get_rect()
    smallest = readable_px(layout)
    for t in frame.texts:
        problems += _check_text(surface, screen, t, theme)
        if t.text.strip() and t.px < smallest:
            problems.append(f"text {t.name!r} ({t.text[:40]!r}) shrank to {t.px} px, below "
                            f"the readable {smallest} px")
    buttons = frame.buttons
    for b in buttons:
        if b.rect.width < layout.min_target or b.rect.height < layout.min_target:
            problems.append(f"button {b.name!r} is {b.rect.width}x{b.rect.height} px, below "
                            f"the 9 mm target of {layout.min_target} px")
        if not screen.contains(b.rect):
            problems.append(f"button {b.name!r} {tuple(b.rect)} leaves the screen")
    for i, a in enumerate(buttons):
        for b in buttons[i + 1:]:
            if a.rect.colliderect(b.rect):
                problems.append(f"buttons {a.name!r} and {b.name!r} overlap")
    return problems


def _check_text(surface: pygame.Surface, screen: pygame.Rect, t: TextPlacement,
                theme: Theme) -> list[str]:
    problems = []
    if not t.fits:
        problems.append(f"text {t.name!r} ({t.text!r}) does not fit its box even at {t.px} px")
    if t.ink.width and not t.box.contains(t.ink):
        problems.append(f"text {t.name!r} ({t.text!r}) overflows its box {tuple(t.box)}: "
                        f"ink {tuple(t.ink)}")
    if not screen.contains(t.box):
        problems.append(f"text box {t.name!r} {tuple(t.box)} leaves the screen")
    if t.text.strip():
        bg = background_under(surface, t.box)
        ratio = contrast_ratio(t.fg, bg)
        if ratio < theme.min_contrast:
            problems.append(f"text {t.name!r} contrast {ratio:.2f}:1 ({t.fg} on {bg}) is below "
                            f"{theme.min_contrast}:1")
    return problems
