"""Receipt document model: the block types a receipt is made of, below both layout and encoder."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Union

# QR error correction levels, valued as GS ( k fn 169 takes them.
QR_EC_LEVELS = {"L": 48, "M": 49, "Q": 50, "H": 51}


class Align(IntEnum):
    LEFT = 0
    CENTER = 1
    RIGHT = 2


@dataclass(frozen=True)
class Text:
    """A paragraph: wrapped at word boundaries to the paper width, never cut."""

    text: str
    bold: bool = False
    width: int = 1  # character width multiplier (1..8)
    height: int = 1  # character height multiplier (1..8)
    align: Align = Align.LEFT

    def __post_init__(self) -> None:
        if not (1 <= self.width <= 8 and 1 <= self.height <= 8):
            raise ValueError(f"character size {self.width}x{self.height} outside 1..8")


@dataclass(frozen=True)
class NameValue:
    """Name at the left margin, value flush right; a value too long for the line wraps."""

    name: str
    value: str
    bold: bool = False


@dataclass(frozen=True)
class Rule:
    """A horizontal line across the paper."""

    char: str = "-"


@dataclass(frozen=True)
class Blank:
    lines: int = 1


@dataclass(frozen=True)
class QrCode:
    data: str
    module_size: int = 6  # dots per module, 1..16
    error_correction: str = "M"

    def __post_init__(self) -> None:
        if self.error_correction not in QR_EC_LEVELS:
            raise ValueError(f"QR error correction {self.error_correction!r} not one of L M Q H")
        if not 1 <= self.module_size <= 16:
            raise ValueError(f"QR module size {self.module_size} outside 1..16")
        if not 0 < len(self.data.encode("utf-8")) <= 7000:
            raise ValueError("QR data must be 1 to 7000 bytes")


@dataclass(frozen=True)
class Cut:
    feed: int = 4  # lines fed so the last printed line clears the cutter
    partial: bool = True


Block = Union[Text, NameValue, Rule, Blank, QrCode, Cut]


@dataclass(frozen=True)
class Document:
    blocks: tuple[Block, ...] = field(default_factory=tuple)

    def __add__(self, other: "Document") -> "Document":
        return Document(self.blocks + other.blocks)
