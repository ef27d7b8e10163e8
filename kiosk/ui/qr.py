"""QR codes for the screen (pygame has none): byte mode, versions 1-10, error correction level M.

Implements ISO/IEC 18004: data encoding, Reed-Solomon over GF(256) (polynomial 0x11D),
block interleaving, function patterns, format and version information (BCH codes), the
zigzag data placement and mask selection by the standard's penalty rules.
"""

from __future__ import annotations

Matrix = list[list[bool]]   # [row][column], True = dark

# Per version (1..10), level M: error-correction codewords per block, and the blocks as
# (count, data codewords per block).
_BLOCKS_M: dict[int, tuple[int, tuple[tuple[int, int], ...]]] = {
    1: (10, ((1, 16),)),
    2: (16, ((1, 28),)),
    3: (26, ((1, 44),)),
    4: (18, ((2, 32),)),
    5: (24, ((2, 43),)),
    6: (16, ((4, 27),)),
    7: (18, ((4, 31),)),
    8: (22, ((2, 38), (2, 39))),
    9: (22, ((3, 36), (2, 37))),
    10: (26, ((4, 43), (1, 44))),
}
_ALIGNMENT: dict[int, tuple[int, ...]] = {
    1: (), 2: (6, 18), 3: (6, 22), 4: (6, 26), 5: (6, 30), 6: (6, 34),
    7: (6, 22, 38), 8: (6, 24, 42), 9: (6, 26, 46), 10: (6, 28, 50),
}
MAX_VERSION = 10
_EC_LEVEL_M_BITS = 0b00


class QrError(ValueError):
    """The data does not fit into a version-10 QR code at level M."""


# --- GF(256) and Reed-Solomon ----------------------------------------------------------------

_EXP = [0] * 512
_LOG = [0] * 256
_value = 1
for _i in range(255):
    _EXP[_i] = _value
    _LOG[_value] = _i
    _value <<= 1
    if _value & 0x100:
        _value ^= 0x11D
for _i in range(255, 512):
    _EXP[_i] = _EXP[_i - 255]


def _gf_mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return _EXP[_LOG[a] + _LOG[b]]


def _rs_generator(degree: int) -> list[int]:
    """Coefficients (highest first, leading 1 dropped) of prod_{i<degree} (x - a^i)."""
    poly = [1]
    for i in range(degree):
        nxt = [0] * (len(poly) + 1)
        for j, coef in enumerate(poly):
            nxt[j] ^= coef
            nxt[j + 1] ^= _gf_mul(coef, _EXP[i])
        poly = nxt
    return poly[1:]


def rs_remainder(data: list[int], degree: int) -> list[int]:
    """The `degree` error-correction codewords of `data`."""
    gen = _rs_generator(degree)
    rem = [0] * degree
    for byte in data:
        factor = byte ^ rem[0]
        rem = rem[1:] + [0]
        for i, coef in enumerate(gen):
            rem[i] ^= _gf_mul(coef, factor)
    return rem


# --- data codewords ------------------------------------------------------------------------------


def _data_capacity(version: int) -> int:
    return sum(count * size for count, size in _BLOCKS_M[version][1])


def _count_bits(version: int) -> int:
    return 8 if version <= 9 else 16


def choose_version(length: int) -> int:
    for version in range(1, MAX_VERSION + 1):
        if 4 + _count_bits(version) + 8 * length <= 8 * _data_capacity(version):
            return version
    raise QrError(f"{length} bytes do not fit a version-{MAX_VERSION} QR code at level M")


def _codewords(data: bytes, version: int) -> list[int]:
    bits: list[int] = []

    def put(value: int, width: int) -> None:
        bits.extend((value >> (width - 1 - i)) & 1 for i in range(width))

    put(0b0100, 4)                                   # byte mode
    put(len(data), _count_bits(version))
    for byte in data:
        put(byte, 8)
    capacity = 8 * _data_capacity(version)
    put(0, min(4, capacity - len(bits)))             # terminator
    put(0, (-len(bits)) % 8)
    words = [int("".join(map(str, bits[i:i + 8])), 2) for i in range(0, len(bits), 8)]
    pad = 0xEC
    while len(words) < _data_capacity(version):
        words.append(pad)
        pad ^= 0xEC ^ 0x11
    # Split into blocks, add each block's ECC, interleave.
    ecc_len, groups = _BLOCKS_M[version]
    blocks, pos = [], 0
    for count, size in groups:
        for _ in range(count):
            blocks.append(words[pos:pos + size])
            pos += size
    eccs = [rs_remainder(b, ecc_len) for b in blocks]
    out: list[int] = []
    for i in range(max(len(b) for b in blocks)):
        out.extend(b[i] for b in blocks if i < len(b))
    for i in range(ecc_len):
        out.extend(e[i] for e in eccs)
    return out


# --- the symbol ----------------------------------------------------------------------------------


def _bch(value: int, generator: int, width: int) -> int:
    """value shifted by the generator's degree, plus its remainder: a BCH code word."""
    degree = generator.bit_length() - 1
    rem = value << degree
    for shift in range(width - 1, degree - 1, -1):
        if rem & (1 << shift):
            rem ^= generator << (shift - degree)
    return (value << degree) | rem


def format_bits(mask: int) -> int:
    return _bch((_EC_LEVEL_M_BITS << 3) | mask, 0x537, 15) ^ 0x5412


def version_bits(version: int) -> int:
    return _bch(version, 0x1F25, 18)


_MASKS = [
    lambda r, c: (r + c) % 2 == 0,
    lambda r, c: r % 2 == 0,
    lambda r, c: c % 3 == 0,
    lambda r, c: (r + c) % 3 == 0,
    lambda r, c: (r // 2 + c // 3) % 2 == 0,
    lambda r, c: (r * c) % 2 + (r * c) % 3 == 0,
    lambda r, c: ((r * c) % 2 + (r * c) % 3) % 2 == 0,
    lambda r, c: ((r + c) % 2 + (r * c) % 3) % 2 == 0,
]


class _Symbol:
    def __init__(self, version: int) -> None:
        self.version = version
        self.size = 17 + 4 * version
        self.dark = [[False] * self.size for _ in range(self.size)]
        self.function = [[False] * self.size for _ in range(self.size)]
        self._function_patterns()

    def set(self, row: int, col: int, dark: bool) -> None:
        self.dark[row][col] = dark
        self.function[row][col] = True

    def _function_patterns(self) -> None:
        n = self.size
        for i in range(n):                            # timing patterns
            self.set(6, i, i % 2 == 0)
            self.set(i, 6, i % 2 == 0)
        for row, col in ((3, 3), (3, n - 4), (n - 4, 3)):   # finders with separators
            for dr in range(-4, 5):
                for dc in range(-4, 5):
                    r, c = row + dr, col + dc
                    if 0 <= r < n and 0 <= c < n:
                        dist = max(abs(dr), abs(dc))
                        self.set(r, c, dist not in (2, 4))
        centres = _ALIGNMENT[self.version]
        last = len(centres) - 1
        for i, row in enumerate(centres):
            for j, col in enumerate(centres):
                if (i, j) in ((0, 0), (0, last), (last, 0)):
                    continue                           # those corners hold finders
                for dr in range(-2, 3):
                    for dc in range(-2, 3):
                        self.set(row + dr, col + dc, max(abs(dr), abs(dc)) != 1)
        self._format(0)                                # reserve; real bits drawn later
        if self.version >= 7:
            bits = version_bits(self.version)
            for i in range(18):
                bit = bool((bits >> i) & 1)
                a, b = n - 11 + i % 3, i // 3
                self.set(b, a, bit)
                self.set(a, b, bit)

    def _format(self, mask: int) -> None:
        n, bits = self.size, format_bits(mask)

        def bit(i: int) -> bool:
            return bool((bits >> i) & 1)

        for i in range(6):
            self.set(i, 8, bit(i))
        self.set(7, 8, bit(6))
        self.set(8, 8, bit(7))
        self.set(8, 7, bit(8))
        for i in range(9, 15):
            self.set(8, 14 - i, bit(i))
        for i in range(8):
            self.set(8, n - 1 - i, bit(i))
        for i in range(8, 15):
            self.set(n - 15 + i, 8, bit(i))
        self.set(n - 8, 8, True)                       # the dark module

    def place(self, codewords: list[int]) -> None:
        n, i, total = self.size, 0, len(codewords) * 8
        right = n - 1
        while right >= 1:
            if right == 6:
                right = 5                              # skip the vertical timing pattern
            upward = ((right + 1) & 2) == 0
            for vert in range(n):
                row = n - 1 - vert if upward else vert
                for col in (right, right - 1):
                    if not self.function[row][col] and i < total:
                        self.dark[row][col] = bool((codewords[i >> 3] >> (7 - (i & 7))) & 1)
                        i += 1
            right -= 2

    def masked(self, mask: int) -> Matrix:
        rule = _MASKS[mask]
        out = [row[:] for row in self.dark]
        for r in range(self.size):
            for c in range(self.size):
                if not self.function[r][c] and rule(r, c):
                    out[r][c] = not out[r][c]
        saved = self.dark
        self.dark = out
        self._format(mask)
        self.dark = saved
        return out


def penalty(m: Matrix) -> int:
    """The standard's four penalty rules (runs, 2x2 blocks, finder-like patterns, balance)."""
    n = len(m)
    score = 0
    lines = [row for row in m] + [[m[r][c] for r in range(n)] for c in range(n)]
    finder_a = [True, False, True, True, True, False, True, False, False, False, False]
    finder_b = finder_a[::-1]
    for line in lines:
        run, prev = 0, None
        for cell in line:
            if cell == prev:
                run += 1
            else:
                if run >= 5:
                    score += 3 + run - 5
                run, prev = 1, cell
        if run >= 5:
            score += 3 + run - 5
        for i in range(n - 10):
            window = line[i:i + 11]
            if window == finder_a or window == finder_b:
                score += 40
    for r in range(n - 1):
        for c in range(n - 1):
            if m[r][c] == m[r][c + 1] == m[r + 1][c] == m[r + 1][c + 1]:
                score += 3
    dark = sum(sum(row) for row in m)
    total = n * n
    k = (abs(dark * 20 - total * 10) + total - 1) // total - 1
    return score + k * 10


def encode(data: bytes | str, mask: int | None = None) -> Matrix:
    """The QR matrix for `data` (UTF-8 for text); the mask with the lowest penalty unless given."""
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    version = choose_version(len(raw))
    symbol = _Symbol(version)
    symbol.place(_codewords(raw, version))
    if mask is not None:
        return symbol.masked(mask)
    candidates = [symbol.masked(k) for k in range(8)]
    return min(candidates, key=penalty)
