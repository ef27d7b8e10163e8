"""The QR encoder: decoded by an independent reader (zbarimg) for every version and mask."""

from __future__ import annotations

import shutil
import subprocess

import pygame
import pytest

from kiosk.ui.qr import QrError, choose_version, encode, format_bits, rs_remainder, version_bits

ZBARIMG = shutil.which("zbarimg")
needs_zbar = pytest.mark.skipif(ZBARIMG is None, reason="zbarimg (Debian zbar-tools) missing")


def save(matrix, path, module=4):
    n = len(matrix)
    surface = pygame.Surface(((n + 8) * module, (n + 8) * module))
    surface.fill((255, 255, 255))
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                surface.fill((0, 0, 0), ((c + 4) * module, (r + 4) * module, module, module))
    pygame.image.save(surface, str(path))


def decode(path) -> bytes:
    out = subprocess.run([ZBARIMG, "--raw", "-q", "-Sbinary", str(path)], capture_output=True,
                         timeout=30, check=True).stdout
    return out


def test_known_code_words():
    # Published values: format information of level M with mask 0, version 7 information.
    assert format_bits(0) == 0b101010000010010
    assert version_bits(7) == 0x07C94
    # ISO/IEC 18004 Annex I example ("01234567", version 1-M): data and its 10 EC codewords.
    data = [0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC,
            0x11, 0xEC, 0x11]
    assert rs_remainder(data, 10) == [0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55]


@needs_zbar
@pytest.mark.parametrize("version", range(1, 11))
def test_every_version_decodes(tmp_path, version):
    # The largest payload of each version, so every block layout is exercised.
    length = max(n for n in range(1, 300) if _fits(n, version))
    payload = bytes((i * 37 + version) % 94 + 33 for i in range(length))
    matrix = encode(payload)
    assert len(matrix) == 17 + 4 * version
    save(matrix, tmp_path / "q.png")
    assert decode(tmp_path / "q.png") == payload


def _fits(n: int, version: int) -> bool:
    try:
        return choose_version(n) <= version
    except QrError:
        return False


@needs_zbar
@pytest.mark.parametrize("mask", range(8))
def test_every_mask_decodes(tmp_path, mask):
    text = "https://connect.secucard.com/device?code=WXYZ-4711"
    save(encode(text, mask=mask), tmp_path / "q.png")
    assert decode(tmp_path / "q.png") == text.encode()


@needs_zbar
def test_utf8_text_decodes(tmp_path):
    text = "Kartenaufladung 15,00 € – Grüße"
    save(encode(text), tmp_path / "q.png")
    assert decode(tmp_path / "q.png") == text.encode("utf-8")


def test_too_long_is_refused():
    with pytest.raises(QrError, match="version-10"):
        encode(b"x" * 300)
