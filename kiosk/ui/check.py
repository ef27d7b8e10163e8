"""Automatic checks of a rendered frame: clipped or overflowing text, contrast, touch targets,
and key figures that large-text mode must never make smaller."""

from __future__ import annotations

from collections import Counter

import pygame

from kiosk.ui.layout import Layout
from kiosk.ui.theme import Color, Theme, contrast_ratio
from kiosk.ui.widgets import Frame, TextPlacement


def background_under(surface: pygame.Surface, box: pygame.Rect,
                     glyphs: pygame.mask.Mask | None = None) -> Color | None:
    """The colour most common under the text box where no glyph is: what the text sits on.

    Points on a grid across the box (its edge inset by 1 px included), minus every point on or
    next to a glyph pixel: fitted text reaches the box's edges, so edge points alone can land on
    the ink and mistake the text's own colour for the fill. None when the glyphs cover all.
    """
    clip = surface.get_rect()
    left, top, right, bottom = box.left + 1, box.top + 1, box.right - 2, box.bottom - 2
    xs = _spread(left, right, 17)
    ys = _spread(top, bottom, 7)
    colours = [tuple(surface.get_at((x, y)))[:3] for y in ys for x in xs
               if clip.collidepoint(x, y) and not _near_glyph(glyphs, x - box.left, y - box.top)]
    if not colours:
        return None
    return Counter(colours).most_common(1)[0][0]  # type: ignore[return-value]


def _spread(first: int, last: int, count: int) -> list[int]:
    """Up to `count` evenly spaced integers from first to last, both ends included."""
    if last <= first:
        return [first]
    count = min(count, last - first + 1)
    return sorted({first + round(i * (last - first) / (count - 1)) for i in range(count)})


def _near_glyph(glyphs: pygame.mask.Mask | None, x: int, y: int) -> bool:
    if glyphs is None:
        return False
    w, h = glyphs.get_size()
    return any(glyphs.get_at((i, j)) for i in range(max(0, x - 1), min(w, x + 2))
               for j in range(max(0, y - 1), min(h, y + 2)))


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
    for t in frame.texts:
        # A text box reaching under a button (its own label aside) is hidden where they meet.
        for b in buttons:
            if t.box.colliderect(b.rect) and not b.rect.contains(t.box):
                problems.append(f"text {t.name!r} box {tuple(t.box)} runs under button "
                                f"{b.name!r} {tuple(b.rect)}")
    for i, a in enumerate(buttons):
        for b in buttons[i + 1:]:
            if a.rect.colliderect(b.rect):
                problems.append(f"buttons {a.name!r} and {b.name!r} overlap")
    return problems


# Texts a customer came for: amounts, balances, the typed entry, keypad digits. Their widget
# names: "value" / "value:<label>" (result and label-value panels), "entry" (other amount),
# "amount:<cents>" (preset buttons), "digit:<d>" (keypad keys).
KEY_FIGURE_PREFIXES = ("value", "entry", "amount:", "digit:")


def is_key_figure(name: str) -> bool:
    return name.startswith(KEY_FIGURE_PREFIXES)


def check_large_text(normal: Frame, large: Frame) -> list[str]:
    """Key figures drawn smaller in large-text mode than in normal mode (the same screen)."""
    before = {t.name: t.px for t in normal.texts if is_key_figure(t.name) and t.text.strip()}
    problems = []
    for t in large.texts:
        if t.name in before and t.px < before[t.name]:
            problems.append(f"key figure {t.name!r} ({t.text!r}) is {t.px} px in large text, "
                            f"smaller than the {before[t.name]} px of normal text")
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
        # Both what the pixels show beside the glyphs and the fill the widget was drawn on must
        # carry the text: the former catches a neighbour painted over the box, the latter a
        # text whose glyphs leave no background to sample.
        under = background_under(surface, t.box, t.glyphs)
        for bg in dict.fromkeys(c for c in (under, t.bg) if c is not None):
            ratio = contrast_ratio(t.fg, bg)
            if ratio < theme.min_contrast:
                problems.append(f"text {t.name!r} contrast {ratio:.2f}:1 ({t.fg} on {bg}) is "
                                f"below {theme.min_contrast}:1")
    return problems
