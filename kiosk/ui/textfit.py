"""Fitting text into a box: wrap at spaces first, then shrink, so nothing is clipped."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import pygame

from kiosk.ui.fonts import font

SHRINK = 0.92       # each shrink step keeps 92 % of the size: gentle, few steps
MIN_PX = 12


@dataclass(frozen=True)
class FittedText:
    lines: tuple[str, ...]
    px: int
    bold: bool
    line_height: int
    width: int          # widest line
    height: int         # block height
    fits: bool

    @property
    def font(self) -> pygame.font.Font:
        return font(self.px, self.bold)


def _wrap(text: str, f: pygame.font.Font, width: int) -> list[str] | None:
    """Greedy word wrap; None when a single word is wider than the box."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split(" "):
            candidate = f"{current} {word}" if current else word
            if f.size(candidate)[0] <= width:
                current = candidate
                continue
            if f.size(word)[0] > width:
                pieces = _hyphen_pieces(word, f, width)
                if pieces is None:
                    return None
                if current:
                    lines.append(current)
                lines += pieces[:-1]
                current = pieces[-1]
                continue
            lines.append(current)
            current = word
        lines.append(current)
    return lines


def _hyphen_pieces(word: str, f: pygame.font.Font, width: int) -> list[str] | None:
    """A word too wide for the box broken after its hyphens (e.g. a UUID reference), greedily;
    None when it has none or a piece is still too wide."""
    parts = word.split("-")
    if len(parts) < 2:
        return None
    chunks = [p + "-" for p in parts[:-1]] + [parts[-1]]
    pieces: list[str] = []
    current = ""
    for chunk in chunks:
        if f.size(current + chunk)[0] <= width:
            current += chunk
        elif f.size(chunk)[0] <= width and current:
            pieces.append(current)
            current = chunk
        else:
            return None
    pieces.append(current)
    return pieces


def _fit_at(text: str, width: int, height: int, size: int, bold: bool, max_lines: int
            ) -> FittedText | None:
    """The text wrapped at `size`, or None when it does not fit the box."""
    f = font(size, bold)
    lines = _wrap(text, f, width)
    if lines is None or (max_lines and len(lines) > max_lines):
        return None
    w, h, lh = _block(lines, f)
    return FittedText(tuple(lines), size, bold, lh, w, h, True) if h <= height else None


def _block(lines: list[str], f: pygame.font.Font) -> tuple[int, int, int]:
    line_height = f.get_linesize()
    width = max((f.size(line)[0] for line in lines), default=0)
    height = line_height * (len(lines) - 1) + f.get_height()
    return width, height, line_height


@lru_cache(maxsize=2048)
def fit_text(text: str, width: int, height: int, px: int, bold: bool = False,
             max_lines: int = 0, min_px: int = MIN_PX) -> FittedText:
    """The largest size <= px at which `text` wraps into width x height (and max_lines)."""
    size = max(int(px), min_px)
    too_big = 0
    while True:
        fitted = _fit_at(text, width, height, size, bold, max_lines)
        if fitted is not None:
            # Shrinking in steps can overshoot: the sizes between this one and the last that
            # did not fit are tried too, so a box gets the same size whatever size it was
            # asked for above it (large-text mode must not end a pixel smaller).
            low, high = size, too_big or size + 1
            while high - low > 1:
                mid = (low + high) // 2
                better = _fit_at(text, width, height, mid, bold, max_lines)
                if better is not None:
                    low, fitted = mid, better
                else:
                    high = mid
            return fitted
        if size <= min_px:
            break
        too_big = size
        size = max(min_px, int(size * SHRINK))
    # Does not fit even at the smallest size: report it; the layout checker flags this.
    f = font(min_px, bold)
    lines = _wrap(text, f, width) or [text]
    w, h, lh = _block(lines, f)
    return FittedText(tuple(lines), min_px, bold, lh, w, h, False)
