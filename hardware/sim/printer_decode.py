"""Emulator side of ESC/POS: an incremental decoder from a byte stream to styled print events."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

# What an Epson-compatible printer holds in its ESC t slots; ESC @ falls back to slot 0, as on
# printers that forget the selected code page when initialised.
DEFAULT_TABLES: dict[int, str] = {0: "cp437", 2: "cp850", 16: "cp1252", 19: "cp858"}


@dataclass(frozen=True)
class Segment:
    text: str
    bold: bool = False
    width: int = 1
    height: int = 1


@dataclass(frozen=True)
class Line:
    segments: tuple[Segment, ...]
    align: int = 0  # 0 left, 1 centre, 2 right
    wrapped: bool = False  # the printer broke the line because it was wider than the paper

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)

    @property
    def columns_used(self) -> int:
        return sum(len(s.text) * s.width for s in self.segments)

    @property
    def height(self) -> int:
        return max((s.height for s in self.segments), default=1)


@dataclass(frozen=True)
class Feed:
    lines: int


@dataclass(frozen=True)
class Qr:
    data: bytes
    module_size: int
    error_correction: str


@dataclass(frozen=True)
class CutEvent:
    partial: bool


@dataclass(frozen=True)
class StatusQuery:
    n: int


@dataclass(frozen=True)
class Init:
    pass


@dataclass(frozen=True)
class Unknown:
    data: bytes


Event = Union[Line, Feed, Qr, CutEvent, StatusQuery, Init, Unknown]

_EC = {48: "L", 49: "M", 50: "Q", 51: "H"}


@dataclass
class _Mode:
    bold: bool = False
    width: int = 1
    height: int = 1
    align: int = 0
    slot: int = 0


@dataclass
class EscPosDecoder:
    """Feed it bytes in any chunking; it returns the events completed so far."""

    columns: int = 42
    tables: dict[int, str] = field(default_factory=lambda: dict(DEFAULT_TABLES))

    def __post_init__(self) -> None:
        self._pending = b""
        self._mode = _Mode()
        self._segments: list[Segment] = []
        self._qr_data = b""
        self._qr_size = 3
        self._qr_ec = "L"

    @property
    def codec(self) -> str:
        return self.tables.get(self._mode.slot, self.tables[0])

    def feed(self, data: bytes) -> list[Event]:
        buf = self._pending + data
        events: list[Event] = []
        i = 0
        while i < len(buf):
            used = self._step(buf, i, events)
            if used == 0:
                break  # command incomplete: wait for more bytes
            i += used
        self._pending = buf[i:]
        return events

    # Returns how many bytes the command at buf[i] took, or 0 if it is not complete yet.
    def _step(self, buf: bytes, i: int, events: list[Event]) -> int:
        b = buf[i]
        rest = len(buf) - i
        if b == 0x0A:
            events.append(self._take_line())
            return 1
        if b == 0x0D:
            return 1
        if b == 0x10:  # DLE
            if rest < 3:
                return 0
            if buf[i + 1] == 0x04:
                events.append(StatusQuery(buf[i + 2]))
                return 3
            events.append(Unknown(buf[i:i + 2]))
            return 2
        if b == 0x1B:  # ESC
            return self._esc(buf, i, rest, events)
        if b == 0x1D:  # GS
            return self._gs(buf, i, rest, events)
        if b < 0x20 or b == 0x7F:
            events.append(Unknown(bytes([b])))
            return 1
        self._add_char(bytes([b]).decode(self.codec, errors="replace"), events)
        return 1

    def _esc(self, buf: bytes, i: int, rest: int, events: list[Event]) -> int:
        if rest < 2:
            return 0
        cmd = buf[i + 1]
        if cmd == 0x40:  # ESC @
            self._mode = _Mode()
            self._segments = []
            events.append(Init())
            return 2
        if cmd in (0x74, 0x45, 0x61, 0x64, 0x21, 0x2D, 0x47, 0x4D, 0x20, 0x33):
            if rest < 3:
                return 0
            n = buf[i + 2]
            if cmd == 0x74:
                self._mode.slot = n
            elif cmd == 0x45:
                self._mode.bold = bool(n & 1)
            elif cmd == 0x61:
                self._mode.align = {0: 0, 1: 1, 2: 2, 48: 0, 49: 1, 50: 2}.get(n, self._mode.align)
            elif cmd == 0x64:
                if self._segments:
                    events.append(self._take_line())
                events.append(Feed(n))
            elif cmd == 0x21:  # ESC ! print mode
                self._mode.bold = bool(n & 0x08)
                self._mode.height = 2 if n & 0x10 else 1
                self._mode.width = 2 if n & 0x20 else 1
            return 3
        events.append(Unknown(buf[i:i + 2]))
        return 2

    def _gs(self, buf: bytes, i: int, rest: int, events: list[Event]) -> int:
        if rest < 2:
            return 0
        cmd = buf[i + 1]
        if cmd == 0x21:  # GS ! size
            if rest < 3:
                return 0
            n = buf[i + 2]
            self._mode.width = ((n >> 4) & 0x07) + 1
            self._mode.height = (n & 0x07) + 1
            return 3
        if cmd == 0x56:  # GS V cut
            if rest < 3:
                return 0
            m = buf[i + 2]
            if m in (0x41, 0x42):
                if rest < 4:
                    return 0
                events += self._cut(m == 0x42)
                return 4
            events += self._cut(m in (0x01, 0x31))
            return 3
        if cmd == 0x28:  # GS ( k
            if rest < 5:
                return 0
            size = buf[i + 3] | (buf[i + 4] << 8)
            if rest < 5 + size:
                return 0
            if buf[i + 2] == 0x6B:
                self._qr_function(buf[i + 5:i + 5 + size], events)
            else:
                events.append(Unknown(buf[i:i + 5 + size]))
            return 5 + size
        events.append(Unknown(buf[i:i + 2]))
        return 2

    def _qr_function(self, params: bytes, events: list[Event]) -> None:
        if len(params) < 2 or params[0] != 0x31:
            events.append(Unknown(b"\x1d\x28\x6b" + params))
            return
        fn = params[1]
        if fn == 0x43 and len(params) >= 3:
            self._qr_size = params[2]
        elif fn == 0x45 and len(params) >= 3:
            self._qr_ec = _EC.get(params[2], self._qr_ec)
        elif fn == 0x50 and len(params) >= 3:
            self._qr_data = bytes(params[3:])
        elif fn == 0x51:
            if self._segments:
                events.append(self._take_line())
            events.append(Qr(self._qr_data, self._qr_size, self._qr_ec))
        elif fn != 0x41:
            events.append(Unknown(b"\x1d\x28\x6b" + params))

    def _cut(self, partial: bool) -> list[Event]:
        events: list[Event] = []
        if self._segments:
            events.append(self._take_line())
        events.append(CutEvent(partial))
        return events

    def _add_char(self, char: str, events: list[Event]) -> None:
        mode = self._mode
        used = sum(len(s.text) * s.width for s in self._segments)
        if used + mode.width > self.columns and self._segments:
            # Like a real printer: a line wider than the paper continues on the next line.
            events.append(self._take_line(wrapped=True))
        seg = Segment(char, mode.bold, mode.width, mode.height)
        last = self._segments[-1] if self._segments else None
        if last and (last.bold, last.width, last.height) == (seg.bold, seg.width, seg.height):
            self._segments[-1] = Segment(last.text + char, last.bold, last.width, last.height)
        else:
            self._segments.append(seg)

    def _take_line(self, wrapped: bool = False) -> Line:
        line = Line(tuple(self._segments), self._mode.align, wrapped)
        self._segments = []
        return line
