"""Sizes derived from the logical screen size and panel DPI: resolution-independent layout."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pygame

MIN_TARGET_MM = 9.0
# Large text grows what people read (body, labels, buttons, figures); titles, already larger
# than large body text, keep their size, so that they do not push the key figures (amounts,
# balances) into less room.
# kiosk.ui.check.check_large_text holds every screen to that.
LARGE_SCALE = {"huge": 1.3, "title": 1.0, "body": 1.3, "button": 1.3, "small": 1.3,
               "header": 1.2}


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    dpi: float = 133.0
    large_text: bool = False

    @property
    def portrait(self) -> bool:
        return self.height > self.width

    @property
    def base(self) -> int:
        return min(self.width, self.height)

    @property
    def min_target(self) -> int:
        """The smallest touch target side in pixels: 9 mm at the panel's DPI."""
        return math.ceil(MIN_TARGET_MM / 25.4 * self.dpi)

    @property
    def margin(self) -> int:
        return max(8, round(self.base * 0.045))

    @property
    def gap(self) -> int:
        return max(6, round(self.base * 0.03))

    @property
    def radius(self) -> int:
        return max(6, round(self.base * 0.025))

    @property
    def header_height(self) -> int:
        return max(self.min_target + 2 * max(4, round(self.base * 0.015)),
                   round(self.base * 0.14))

    @property
    def button_height(self) -> int:
        return max(self.min_target, round(self.base * 0.15))

    def px(self, role: str) -> int:
        """Font size in pixels for a text role; large-text mode scales it up by LARGE_SCALE."""
        factor = {"huge": 0.13, "title": 0.075, "body": 0.052, "button": 0.052,
                  "small": 0.040, "header": 0.040}[role]
        scale = LARGE_SCALE[role] if self.large_text else 1.0
        return max(14, round(self.base * factor * scale))

    @property
    def screen(self) -> pygame.Rect:
        return pygame.Rect(0, 0, self.width, self.height)

    @property
    def body(self) -> pygame.Rect:
        """Below the header, inside the margins."""
        top = self.header_height + self.margin
        return pygame.Rect(self.margin, top, self.width - 2 * self.margin,
                           self.height - top - self.margin)


def split_rows(area: pygame.Rect, heights: list[int], gap: int) -> list[pygame.Rect]:
    """Stack rectangles of the given heights from the top of `area`."""
    rects, y = [], area.top
    for h in heights:
        rects.append(pygame.Rect(area.left, y, area.width, h))
        y += h + gap
    return rects


def grid(area: pygame.Rect, count: int, columns: int, gap: int,
         cell_height: int | None = None) -> list[pygame.Rect]:
    """`count` cells in rows of `columns`: the area's width (and height, without cell_height)."""
    rows = max(1, math.ceil(count / columns))
    w = (area.width - gap * (columns - 1)) // columns
    h = cell_height if cell_height else (area.height - gap * (rows - 1)) // rows
    return [pygame.Rect(area.left + (i % columns) * (w + gap),
                        area.top + (i // columns) * (h + gap), w, h) for i in range(count)]


def stack(area: pygame.Rect, weights: list[float], gap: int) -> list[pygame.Rect]:
    """Split `area` top to bottom in proportion to `weights`: never more than the area holds."""
    free = area.height - gap * (len(weights) - 1)
    total = sum(weights)
    rects, y = [], area.top
    for w in weights:
        h = max(0, int(free * w / total))
        rects.append(pygame.Rect(area.left, y, area.width, h))
        y += h + gap
    return rects
