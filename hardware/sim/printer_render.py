"""Renders an emulated receipt to plain text and to a PNG that looks like thermal paper."""

from __future__ import annotations

import os
import random
import threading
from pathlib import Path
from typing import Sequence

import pygame
import segno

from hardware.sim.printer_decode import Feed, Line, Qr

QR_TEXT = "[QR]"
CELL_W, CELL_H = 12, 24  # font A: 12 x 24 dots per character, one dot per pixel here
MARGIN = 30  # unprinted paper left and right of the print area
PAPER = (250, 248, 242)
INK = (28, 28, 32)
BACKGROUND = (96, 102, 110)
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu")

Element = Line | Feed | Qr

_font_lock = threading.Lock()  # SDL_ttf objects are not shared safely between threads
_fonts: dict[tuple[bool, int], pygame.font.Font] = {}


def receipt_text(elements: Sequence[Element], columns: int) -> str:
    """The receipt as text: alignment as leading spaces, a QR code as a marker line."""
    out: list[str] = []
    for element in elements:
        if isinstance(element, Line):
            out.append(_aligned(element.text, element.columns_used, element.align, columns))
        elif isinstance(element, Qr):
            out.append(_aligned(QR_TEXT, len(QR_TEXT), 1, columns))
        elif isinstance(element, Feed):
            out += [""] * element.lines
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def _aligned(text: str, used: int, align: int, columns: int) -> str:
    free = max(columns - used, 0)
    pad = (0, free // 2, free)[align] if align in (0, 1, 2) else 0
    return (" " * pad + text).rstrip()


def _font(bold: bool, scale: int = 1) -> pygame.font.Font:
    """The receipt font at `scale` times the cell size (crisp double size, not blurred)."""
    if (bold, scale) not in _fonts:
        if not pygame.font.get_init():
            pygame.font.init()
        name = "DejaVuSansMono-Bold.ttf" if bold else "DejaVuSansMono.ttf"
        path = next((Path(d) / name for d in FONT_DIRS if (Path(d) / name).is_file()), None)
        if path is not None:
            font = pygame.font.Font(str(path), 20 * scale)  # advance 0.6 em = 12 px = a cell
        else:
            # pygame's bundled font also has German letters and €; each glyph goes in its cell.
            font = pygame.font.Font(None, 26 * scale)
            font.set_bold(bold)
        _fonts[(bold, scale)] = font
    return _fonts[(bold, scale)]


def _qr_matrix(data: bytes, error_correction: str) -> list[list[bool]]:
    code = segno.make(data, error=error_correction.lower(), micro=False)
    return [[bool(v) for v in row] for row in code.matrix]


def _element_height(element: Element) -> int:
    if isinstance(element, Line):
        return CELL_H * element.height
    if isinstance(element, Feed):
        return CELL_H * element.lines
    modules = len(_qr_matrix(element.data, element.error_correction)) + 8  # quiet zone
    return modules * element.module_size


def render_png(elements: Sequence[Element], columns: int, path: str | os.PathLike[str],
               *, torn_top: bool = True) -> Path:
    """Draw the receipt as a strip of thermal paper on a dark table and save it as PNG."""
    with _font_lock:
        width = columns * CELL_W + 2 * MARGIN
        body = sum(_element_height(e) for e in elements)
        height = body + 2 * CELL_H
        paper = pygame.Surface((width, height))
        paper.fill(PAPER)
        # A faint grain, the same for every render of a receipt (seeded by its size).
        rng = random.Random(width * 7919 + height)
        for _ in range(width * height // 60):
            x, y = rng.randrange(width), rng.randrange(height)
            shade = rng.randrange(-10, 4)
            paper.set_at((x, y), tuple(max(0, min(255, c + shade)) for c in PAPER))
        y = CELL_H
        for element in elements:
            if isinstance(element, Line):
                _draw_line(paper, element, columns, y)
            elif isinstance(element, Qr):
                _draw_qr(paper, element, y)
            y += _element_height(element)
        sheet = pygame.Surface((width + 40, height + 40))
        sheet.fill(BACKGROUND)
        pygame.draw.rect(sheet, (60, 64, 70), (26, 26, width, height))  # shadow
        sheet.blit(paper, (20, 20))
        _zigzag(sheet, 20, 20, width, top=True, torn=torn_top)
        _zigzag(sheet, 20, 20 + height, width, top=False, torn=True)
        path = Path(path)
        pygame.image.save(sheet, str(path))
        return path


def _draw_line(paper: pygame.Surface, line: Line, columns: int, y: int) -> None:
    free = max(columns - line.columns_used, 0)
    x = MARGIN + CELL_W * ((0, free // 2, free)[line.align] if line.align in (0, 1, 2) else 0)
    base = y + CELL_H * line.height  # characters of one line share their baseline
    for seg in line.segments:
        scale = min(seg.width, seg.height)
        font = _font(seg.bold, scale)
        for char in seg.text:
            w, h = CELL_W * seg.width, CELL_H * seg.height
            if char != " ":
                glyph = font.render(char, True, INK)
                gw, gh = glyph.get_size()
                if seg.width != seg.height:  # stretched one way only, as the printer does
                    glyph = pygame.transform.smoothscale(
                        glyph, (gw * seg.width // scale, gh * seg.height // scale))
                    gw, gh = glyph.get_size()
                paper.blit(glyph, (x + (w - gw) // 2, base - h + (h - gh) // 2))
            x += w


def _draw_qr(paper: pygame.Surface, qr: Qr, y: int) -> None:
    matrix = _qr_matrix(qr.data, qr.error_correction)
    size = qr.module_size
    x0 = (paper.get_width() - len(matrix) * size) // 2
    y0 = y + 4 * size
    for row, cells in enumerate(matrix):
        for col, dark in enumerate(cells):
            if dark:
                paper.fill(INK, (x0 + col * size, y0 + row * size, size, size))


def _zigzag(sheet: pygame.Surface, x: int, y: int, width: int, *, top: bool, torn: bool) -> None:
    """The cut edge: small teeth where the paper was torn or partially cut."""
    if not torn:
        return
    tooth = 8
    for start in range(0, width, tooth):
        if top:
            points = [(x + start, y - 1), (x + start + tooth, y - 1), (x + start + tooth // 2, y + 4)]
        else:
            points = [(x + start, y), (x + start + tooth, y), (x + start + tooth // 2, y - 5)]
        pygame.draw.polygon(sheet, BACKGROUND, points)
