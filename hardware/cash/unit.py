"""What a validator says about itself (pure): SETUP REQUEST channel table, counters, serial."""

from __future__ import annotations

from dataclasses import dataclass


class UnitDataError(ValueError):
    """A reply whose data does not have the documented layout (names the command)."""


@dataclass(frozen=True)
class Channel:
    number: int  # 1-based, as in SET INHIBITS and the poll events
    value: int  # whole currency units (euros)
    country: str  # 'EUR'; the unit's country when it reports none per channel


@dataclass(frozen=True)
class UnitSetup:
    """The SETUP REQUEST reply of a note validator (cash-essp.md §6).

    `channel_bytes` are the one-byte values; `expanded_values` (protocol >= 6) the four-byte
    ones. Do not trust one field alone: compare `channels` with the notes you expect.
    """

    unit_type: int
    firmware: str  # 4 ASCII digits, '0110' = 1.10
    country: str
    value_multiplier: int
    channel_bytes: tuple[int, ...]
    real_value_multiplier: int
    protocol_version: int
    channel_countries: tuple[str, ...] = ()
    expanded_values: tuple[int, ...] = ()

    @property
    def channels(self) -> tuple[Channel, ...]:
        values = self.expanded_values or tuple(b * self.value_multiplier
                                               for b in self.channel_bytes)
        countries = self.channel_countries or (self.country,) * len(values)
        return tuple(Channel(i + 1, v, c) for i, (v, c) in enumerate(zip(values, countries)))

    def channel(self, number: int) -> Channel | None:
        """The channel of a poll event's channel byte; None for 0 or one the unit lacks."""
        if 1 <= number <= len(self.channel_bytes):
            return self.channels[number - 1]
        return None

    def channels_for(self, values: set[int], country: str) -> tuple[Channel, ...]:
        """The channels carrying these note values in this currency (for SET INHIBITS)."""
        return tuple(c for c in self.channels if c.value in values and c.country == country)


def parse_setup(data: bytes) -> UnitSetup:
    """SETUP REQUEST reply data (after the OK byte) of a validator-type unit."""
    if len(data) < 12:
        raise UnitDataError(f"SETUP REQUEST reply has {len(data)} bytes, at least 12 expected")
    n = data[11]
    base = 16 + 2 * n
    if len(data) < base:
        raise UnitDataError(f"SETUP REQUEST reply has {len(data)} bytes for {n} channels, "
                            f"{base} expected")
    protocol = data[15 + 2 * n]
    countries: tuple[str, ...] = ()
    expanded: tuple[int, ...] = ()
    if protocol >= 6:
        if len(data) < base + 7 * n:
            raise UnitDataError(f"SETUP REQUEST reply at protocol {protocol} has {len(data)} "
                                f"bytes for {n} channels, {base + 7 * n} expected")
        countries = tuple(_ascii(data[base + 3 * i:base + 3 * i + 3]) for i in range(n))
        at = base + 3 * n
        expanded = tuple(int.from_bytes(data[at + 4 * i:at + 4 * i + 4], "little")
                         for i in range(n))
    return UnitSetup(
        unit_type=data[0],
        firmware=_ascii(data[1:5]),
        country=_ascii(data[5:8]),
        value_multiplier=int.from_bytes(data[8:11], "big"),
        channel_bytes=tuple(data[12:12 + n]),
        real_value_multiplier=int.from_bytes(data[12 + 2 * n:15 + 2 * n], "big"),
        protocol_version=protocol,
        channel_countries=countries,
        expanded_values=expanded,
    )


def encode_setup(setup: UnitSetup) -> bytes:
    """The reply data a unit sends for `setup` (the simulator's side of parse_setup)."""
    n = len(setup.channel_bytes)
    security = 2 if setup.value_multiplier else 0  # obsolete field, as the manual fills it
    out = bytes([setup.unit_type]) + setup.firmware.encode("ascii") + \
        setup.country.encode("ascii") + setup.value_multiplier.to_bytes(3, "big") + \
        bytes([n]) + bytes(setup.channel_bytes) + bytes([security] * n) + \
        setup.real_value_multiplier.to_bytes(3, "big") + bytes([setup.protocol_version])
    if setup.protocol_version >= 6:
        out += b"".join(c.encode("ascii") for c in setup.channel_countries)
        out += b"".join(v.to_bytes(4, "little") for v in setup.expanded_values)
    return out


def _ascii(raw: bytes) -> str:
    return raw.decode("ascii", errors="replace")


@dataclass(frozen=True)
class Counters:
    """GET COUNTERS: notes since the counters were last reset (kept across power cycles)."""

    stacked: int
    stored: int
    dispensed: int
    transferred: int
    rejected: int

    def encode(self) -> bytes:
        values = (self.stacked, self.stored, self.dispensed, self.transferred, self.rejected)
        return bytes([5]) + b"".join(v.to_bytes(4, "little") for v in values)


def parse_counters(data: bytes) -> Counters:
    if not data or data[0] < 5 or len(data) < 1 + 4 * data[0]:
        raise UnitDataError(f"GET COUNTERS reply {data.hex(' ')}: expected a count >= 5 and "
                            "4 bytes per counter")
    values = [int.from_bytes(data[1 + 4 * i:5 + 4 * i], "little") for i in range(5)]
    return Counters(*values)


def parse_serial_number(data: bytes) -> int:
    if len(data) != 4:
        raise UnitDataError(f"GET SERIAL NUMBER reply {data.hex(' ')}: expected 4 bytes")
    return int.from_bytes(data, "big")  # big-endian, unlike the counters


def inhibit_mask(channels: tuple[int, ...] | list[int] | set[int], width: int = 2) -> bytes:
    """SET INHIBITS parameters: bit n-1 set = channel n accepted; `width` bytes (1..3)."""
    if not 1 <= width <= 3:
        raise ValueError("SET INHIBITS takes 1 to 3 bytes")
    mask = 0
    for number in channels:
        if not 1 <= number <= 8 * width:
            raise ValueError(f"channel {number} does not fit {width} inhibit bytes")
        mask |= 1 << (number - 1)
    return mask.to_bytes(width, "little")
