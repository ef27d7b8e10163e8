"""The screen's QR codes: decoded by an independent reader (zbarimg), level M, whole-pixel modules."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace

import pygame
import pytest

from kiosk.config import Config
from kiosk.flow import Registration
from kiosk.ui.gallery import NOW, gallery_settings, sample_states
from kiosk.ui.qr import DARK, LIGHT, QUIET_ZONE, modules, paint, qr_drawing
from kiosk.ui.render import Look, render

ZBARIMG = shutil.which("zbarimg")
needs_zbar = pytest.mark.skipif(ZBARIMG is None, reason="zbarimg (Debian zbar-tools) missing")


def decode(surface: pygame.Surface, path) -> bytes:
    """What zbarimg reads in the saved surface: the raw bytes of every code it found."""
    pygame.image.save(surface, str(path))
    return subprocess.run([ZBARIMG, "--raw", "-q", "-Sbinary", str(path)], capture_output=True,
                          timeout=30, check=True).stdout


def registration_screen(size: tuple[int, int], url: str, language: str = "de") -> pygame.Surface:
    """The real registration screen, drawn the way the kiosk draws it."""
    pygame.font.init()
    settings = gallery_settings(Config())
    state = replace(sample_states(settings)["registration"], language=language,
                    registration=Registration("WXYZ-4711", url))
    surface = pygame.Surface(size)
    render(surface, state, settings, Look(), NOW)
    return surface


@needs_zbar
@pytest.mark.parametrize("size", [(800, 480), (480, 800), (1920, 1080), (320, 240)])
def test_registration_screen_code_decodes_to_its_url(tmp_path, size):
    url = "https://connect.secucard.com/device?user_code=WXYZ-4711"
    assert decode(registration_screen(size, url), tmp_path / "screen.png") == url.encode()


@needs_zbar
def test_a_long_url_still_fits_the_screen(tmp_path):
    # Longer than the 10 versions the screen's own encoder used to stop at.
    url = "https://connect.secucard.com/device?" + "&".join(f"k{i}=v{i:04d}" for i in range(30))
    assert len(url) > 216
    symbol = modules(url)
    assert len(symbol) - 2 * QUIET_ZONE > 17 + 4 * 10
    assert decode(registration_screen((800, 480), url, "en"), tmp_path / "long.png") == url.encode()


@needs_zbar
@pytest.mark.parametrize("text", ["Kartenaufladung 15,00 € – Grüße", "Grüße aus Köln"])
def test_text_decodes_to_its_utf8_bytes(tmp_path, text):
    # The second one would fit ISO 8859-1, which a reader could take for another text.
    surface = pygame.Surface((300, 300))
    surface.fill((40, 40, 40))
    drawing = qr_drawing(pygame.Rect(0, 0, 300, 300), text)
    drawing.paint(surface, drawing.rect)
    assert decode(surface, tmp_path / "utf8.png") == text.encode("utf-8")


def _format_level_bits(symbol) -> set[tuple[bool, bool]]:
    """The two error-correction-level bits (format bits 14 and 13) from both of their copies."""
    q, n = QUIET_ZONE, len(symbol) - 2 * QUIET_ZONE
    beside_top_left = (symbol[q + 8][q + 0], symbol[q + 8][q + 1])
    below_top_left = (symbol[q + n - 1][q + 8], symbol[q + n - 2][q + 8])
    return {beside_top_left, below_top_left}


def test_level_m_in_the_smallest_version():
    # Level M is 00, masked with 0x5412 (bits 14, 13 = 1, 0): dark, light. Ten bytes leave
    # room for level Q in version 1; the screen still asks for M rather than boosting.
    short = modules("K1-4711-AB")
    assert len(short) == 21 + 2 * QUIET_ZONE
    assert _format_level_bits(short) == {(True, False)}
    # Version 1 at level M holds 14 bytes in byte mode; 15 need version 2.
    assert len(modules("x" * 14)) == 21 + 2 * QUIET_ZONE
    assert len(modules("x" * 15)) == 25 + 2 * QUIET_ZONE


def test_quiet_zone_and_whole_pixel_modules():
    symbol = modules("https://connect.secucard.com/device")
    n = len(symbol)
    assert n == 29 + 2 * 4                       # version 3 and four modules each side
    for i in range(4):
        assert not any(symbol[i]) and not any(symbol[n - 1 - i])
        assert not any(row[i] or row[n - 1 - i] for row in symbol)
    surface = pygame.Surface((400, 250))
    grey = (90, 90, 90)
    surface.fill(grey)
    area = paint(surface, pygame.Rect(20, 10, 300, 230), symbol)
    module = 230 // n
    assert area.size == (module * n, module * n) and area.center == (170, 125)
    assert surface.get_at((area.x - 1, area.centery))[:3] == grey          # nothing outside
    band = QUIET_ZONE * module
    assert all(surface.get_at((x, area.y + band - 1))[:3] == LIGHT
               for x in range(area.x, area.right))
    # The top-left finder's corner fills exactly one module of pixels.
    corner = (area.x + band, area.y + band)
    assert surface.get_at(corner)[:3] == DARK
    assert surface.get_at((corner[0] + module - 1, corner[1] + module - 1))[:3] == DARK
    assert surface.get_at((corner[0] - 1, corner[1]))[:3] == LIGHT
