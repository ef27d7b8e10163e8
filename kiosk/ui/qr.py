"""QR codes on screen: segno's symbol for a text, painted in whole pixels per module."""

from __future__ import annotations

from functools import lru_cache

import pygame
import segno

from kiosk.ui.widgets import Drawing

QUIET_ZONE = 4                 # light modules around the symbol, as ISO/IEC 18004 asks
DARK, LIGHT = (0, 0, 0), (255, 255, 255)

Modules = tuple[tuple[bool, ...], ...]   # [row][column] including the quiet zone, True = dark


@lru_cache(maxsize=8)
def modules(text: str) -> Modules:
    """The symbol of `text` with its quiet zone: UTF-8 in byte mode, error correction level M.

    Level M without segno's boost keeps the smallest version (so the largest modules) that
    still survives a smudged screen; byte mode keeps the bytes exactly as UTF-8.
    """
    code = segno.make(text.encode("utf-8"), error="m", boost_error=False, mode="byte",
                      micro=False)
    return tuple(tuple(bool(v) for v in row)
                 for row in code.matrix_iter(scale=1, border=QUIET_ZONE))


def paint(surface: pygame.Surface, rect: pygame.Rect, symbol: Modules) -> pygame.Rect:
    """Draw `symbol` centred in `rect`, as large as whole pixels per module allow (stays scannable)."""
    n = len(symbol)
    module = max(1, min(rect.width, rect.height) // n)
    side = module * n
    area = pygame.Rect(rect.centerx - side // 2, rect.centery - side // 2, side, side)
    surface.fill(LIGHT, area)
    for row, cells in enumerate(symbol):
        for col, dark in enumerate(cells):
            if dark:
                surface.fill(DARK, (area.x + col * module, area.y + row * module, module, module))
    return area


def qr_drawing(rect: pygame.Rect, text: str) -> Drawing:
    """A widget showing the QR code of `text`, dark on white with its quiet zone."""
    symbol = modules(text)

    def draw(surface: pygame.Surface, r: pygame.Rect) -> None:
        paint(surface, r, symbol)

    return Drawing(rect, draw, name="qr")
