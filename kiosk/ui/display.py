"""Display rotation: render to a logical surface, rotate on blit, map touch back the same way."""

from __future__ import annotations

from dataclasses import dataclass

import pygame


@dataclass(frozen=True)
class Rotation:
    """`degrees` is how far the logical picture is turned clockwise on the physical panel."""

    physical: tuple[int, int]
    degrees: int = 0

    def __post_init__(self) -> None:
        if self.degrees not in (0, 90, 180, 270):
            raise ValueError(f"rotation must be 0, 90, 180 or 270, not {self.degrees}")

    @property
    def logical(self) -> tuple[int, int]:
        w, h = self.physical
        return (h, w) if self.degrees in (90, 270) else (w, h)

    def to_physical(self, x: float, y: float) -> tuple[float, float]:
        """Where a logical point appears on the panel."""
        lw, lh = self.logical
        if self.degrees == 90:
            return lh - 1 - y, x
        if self.degrees == 180:
            return lw - 1 - x, lh - 1 - y
        if self.degrees == 270:
            return y, lw - 1 - x
        return x, y

    def to_logical(self, px: float, py: float) -> tuple[int, int]:
        """The logical point under a touch at panel pixel (px, py): the inverse of to_physical."""
        lw, lh = self.logical
        if self.degrees == 90:
            x, y = py, lh - 1 - px
        elif self.degrees == 180:
            x, y = lw - 1 - px, lh - 1 - py
        elif self.degrees == 270:
            x, y = lw - 1 - py, px
        else:
            x, y = px, py
        return int(round(x)), int(round(y))

    def normalized_to_logical(self, fx: float, fy: float) -> tuple[int, int]:
        """Finger events report 0..1 of the panel; map them like pixels."""
        w, h = self.physical
        return self.to_logical(min(w - 1, fx * w), min(h - 1, fy * h))

    def present(self, logical: pygame.Surface, target: pygame.Surface) -> None:
        """Blit the logical picture onto the panel surface, turned by `degrees` clockwise."""
        if self.degrees == 0:
            target.blit(logical, (0, 0))
        else:
            # pygame rotates counter-clockwise for positive angles.
            target.blit(pygame.transform.rotate(logical, -self.degrees), (0, 0))
