"""Paper layout: document blocks -> physical lines for 32, 42 or 48 columns, nothing cut."""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from typing import Union

from hardware.printer.codepage import PC858, CodePage
from hardware.printer.document import (
    Align,
    Blank,
    Cut,
    Document,
    NameValue,
    QrCode,
    Rule,
    Text,
)

SUPPORTED_COLUMNS = (32, 42, 48)  # 58 mm paper: 32; 80 mm paper: 42 or 48 (font A / B)
QR_TEXT = "[QR]"  # what a QR code looks like in a plain-text preview


@dataclass(frozen=True)
class PrintLine:
    """One line as the printer prints it; `text` holds only characters of the code page."""

    text: str
    bold: bool = False
    width: int = 1
    height: int = 1
    align: Align = Align.LEFT


@dataclass(frozen=True)
class PrintQr:
    data: str
    module_size: int
    error_correction: str


@dataclass(frozen=True)
class PrintCut:
    feed: int
    partial: bool


PrintItem = Union[PrintLine, PrintQr, PrintCut]


def layout(document: Document, columns: int, codepage: CodePage = PC858) -> list[PrintItem]:
    """Break every block into lines that fit `columns`; long words and values wrap."""
    if columns not in SUPPORTED_COLUMNS:
        raise ValueError(f"paper width of {columns} columns not one of {SUPPORTED_COLUMNS}")
    items: list[PrintItem] = []
    for block in document.blocks:
        if isinstance(block, Text):
            items += _text(block, columns, codepage)
        elif isinstance(block, NameValue):
            items += _name_value(block, columns, codepage)
        elif isinstance(block, Rule):
            char = (codepage.printable(block.char) or "-")[0]
            items.append(PrintLine(char * columns))
        elif isinstance(block, Blank):
            items += [PrintLine("") for _ in range(block.lines)]
        elif isinstance(block, QrCode):
            items.append(PrintQr(block.data, block.module_size, block.error_correction))
        elif isinstance(block, Cut):
            items.append(PrintCut(block.feed, block.partial))
        else:
            raise TypeError(f"not a document block: {block!r}")
    return items


def wrap(text: str, width: int) -> list[str]:
    """Word-wrap to `width`; a word longer than a line is split, never truncated."""
    text = text.rstrip()
    if len(text) <= width:
        return [text]
    return textwrap.wrap(
        text, width, break_long_words=True, break_on_hyphens=False, replace_whitespace=True
    ) or [""]


def _text(block: Text, columns: int, codepage: CodePage) -> list[PrintLine]:
    chars_per_line = max(columns // block.width, 1)
    lines: list[PrintLine] = []
    for paragraph in codepage.printable(block.text.replace("\t", " ")).split("\n"):
        for part in wrap(paragraph, chars_per_line):
            lines.append(PrintLine(part, block.bold, block.width, block.height, block.align))
    return lines


def _name_value(block: NameValue, columns: int, codepage: CodePage) -> list[PrintLine]:
    name = " ".join(codepage.printable(block.name).split())
    value = " ".join(codepage.printable(block.value).split())
    if name and len(name) + 1 + len(value) <= columns:
        return [PrintLine(name + value.rjust(columns - len(name)), block.bold)]
    # Too long for one line: the name on its own line(s), the value below, flush right.
    lines = [PrintLine(part, block.bold) for part in wrap(name, columns)] if name else []
    if value:
        lines += [PrintLine(part.rjust(columns), block.bold) for part in _wrap_value(value, columns)]
    return lines


def _wrap_value(value: str, width: int) -> list[str]:
    """Values are often one long token (ids, references): break after hyphens, else evenly."""
    tokens: list[str] = []
    for word in value.split(" "):
        pieces = [p for p in re.split(r"(?<=-)", word) if p]
        for piece in pieces:
            if len(piece) > width:  # no hyphen to break at: equal parts
                count = -(-len(piece) // width)
                size = -(-len(piece) // count)
                tokens += [piece[i:i + size] for i in range(0, len(piece), size)]
            else:
                tokens.append(piece)
        tokens.append(" ")
    lines: list[str] = []
    current = ""
    for token in tokens[:-1]:
        if len(current + token) <= width or not current.strip():
            current += token
        else:
            lines.append(current.rstrip())
            current = "" if token == " " else token
    lines.append(current.rstrip())
    return [line for line in lines if line] or [""]


def line_text(line: PrintLine, columns: int) -> str:
    """A printed line as plain text: alignment turned into leading spaces."""
    used = len(line.text) * line.width
    free = max(columns - used, 0)
    pad = {Align.LEFT: 0, Align.CENTER: free // 2, Align.RIGHT: free}[line.align]
    return (" " * pad + line.text).rstrip()


def render_text(document: Document, columns: int, codepage: CodePage = PC858) -> str:
    """Plain-text preview of what the printer prints (styles dropped, fallbacks applied)."""
    out: list[str] = []
    for item in layout(document, columns, codepage):
        if isinstance(item, PrintLine):
            out.append(line_text(item, columns))
        elif isinstance(item, PrintQr):
            out.append(line_text(PrintLine(QR_TEXT, align=Align.CENTER), columns))
        elif isinstance(item, PrintCut):
            # Trailing blank lines are paper, not content; a cut ends the receipt.
            while out and not out[-1]:
                out.pop()
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
