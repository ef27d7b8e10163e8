"""The shipped DejaVu Sans font (covers German and €) and a cache of its sizes."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pygame

ASSETS = Path(__file__).with_name("assets")
REGULAR = ASSETS / "DejaVuSans.ttf"
BOLD = ASSETS / "DejaVuSans-Bold.ttf"


@lru_cache(maxsize=256)
def font(px: int, bold: bool = False) -> pygame.font.Font:
    """DejaVu Sans at `px` pixels (pygame sizes are in pixels for TTF files)."""
    if not pygame.font.get_init():
        pygame.font.init()
    return pygame.font.Font(str(BOLD if bold else REGULAR), max(6, int(px)))
