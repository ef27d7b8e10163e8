"""Printer character tables: text -> bytes of one pinned code page, with a defined fallback."""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass

# Characters a receipt may carry that PC858 lacks, mapped to what prints instead. Anything not
# here and not decomposable to a printable base letter becomes REPLACEMENT: a missing glyph is
# always visible on paper, never silently dropped.
TRANSLITERATION: dict[str, str] = {
    "•": "*",  # the card mask dot (kiosk.cards.MASK_DOT)
    "·": ".",
    "–": "-",
    "—": "-",
    "‐": "-",
    "−": "-",
    "„": '"',
    "“": '"',
    "”": '"',
    "‚": "'",
    "‘": "'",
    "’": "'",
    "‹": "<",
    "›": ">",
    "…": "...",
    "\u00a0": " ",  # no-break space
    "\u202f": " ",  # narrow no-break space (some locales group thousands with it)
    "\u2009": " ",
    "\t": " ",
    "ẞ": "SS",
    "œ": "oe",
    "Œ": "OE",
    "™": "TM",
    "✓": "v",
}
REPLACEMENT = "?"


@dataclass(frozen=True)
class CodePage:
    """One printer character table: its name and the Python codec holding its byte values."""

    name: str
    codec: str

    def encodable(self, char: str) -> bool:
        # Bytes below 0x20 and 0x7F are printer commands, never text: a control character in
        # an API line must not become an ESC/POS command.
        if ord(char) < 0x20 or ord(char) == 0x7F:
            return False
        try:
            char.encode(self.codec)
        except UnicodeEncodeError:
            return False
        return True

    def printable(self, text: str) -> str:
        """`text` with every character the page lacks replaced by its defined fallback."""
        return "".join(self._fallback(ch) for ch in text)

    def substitutions(self, text: str) -> dict[str, str]:
        """Which characters of `text` do not print as themselves, and what prints instead."""
        return {ch: self._fallback(ch) for ch in text if not self.encodable(ch)}

    def encode(self, text: str) -> bytes:
        """Bytes of `text` in this page; characters it lacks print as their fallback."""
        return self.printable(text).encode(self.codec)

    def decode(self, data: bytes) -> str:
        return data.decode(self.codec, errors="replace")

    def _fallback(self, char: str) -> str:
        if self.encodable(char):
            return char
        mapped = TRANSLITERATION.get(char)
        if mapped is not None and all(self.encodable(c) for c in mapped):
            return mapped
        # "ő" -> "o", "č" -> "c": keep the base letter when the accent is what is missing.
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        if base and base != char and all(self.encodable(c) for c in base):
            return base
        return REPLACEMENT


# Tables by name; the ESC t slot that selects one is the printer model's business (config).
PC858 = CodePage("PC858", "cp858")  # PC850 with € at 0xD5
PC437 = CodePage("PC437", "cp437")
PC850 = CodePage("PC850", "cp850")
WPC1252 = CodePage("WPC1252", "cp1252")
CODEPAGES: dict[str, CodePage] = {cp.name: cp for cp in (PC858, PC437, PC850, WPC1252)}

# Epson's slot numbers, the usual default of ESC/POS printers (others differ: configurable).
EPSON_SLOTS: dict[int, CodePage] = {0: PC437, 2: PC850, 16: WPC1252, 19: PC858}
DEFAULT_SLOT = 19

# Python ships the table; check once that it is the one the printer documents for the bytes
# that matter for German receipts.
assert codecs.lookup(PC858.codec) and "€".encode(PC858.codec) == b"\xd5"
