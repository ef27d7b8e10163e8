"""SSP transport layer (pure): CRC-16, packets, byte stuffing, and a total streaming deframer."""

from __future__ import annotations

from dataclasses import dataclass

STX = 0x7F
SEQ_FLAG = 0x80
MAX_ADDRESS = 0x7D
MAX_DATA = 255
CRC_SEED = 0xFFFF
CRC_POLY = 0x8005


def crc16(data: bytes) -> int:
    """SSP's CRC-16: polynomial 0x8005, seed 0xFFFF, MSB first, not reflected, no final XOR."""
    crc = CRC_SEED
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ CRC_POLY) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


@dataclass(frozen=True)
class Packet:
    """One SSP packet: slave address (0..0x7D), sequence flag (0/1) and DATA.

    From the host DATA is a command byte plus parameters; from the slave a generic response
    byte plus data.
    """

    address: int
    seq: int
    data: bytes

    def __post_init__(self) -> None:
        if not 0 <= self.address <= MAX_ADDRESS:
            raise ValueError(f"SSP address {self.address} out of range 0..{MAX_ADDRESS}")
        if self.seq not in (0, 1):
            raise ValueError(f"SSP sequence flag must be 0 or 1, got {self.seq}")
        if len(self.data) > MAX_DATA:
            raise ValueError(f"SSP packet data is {len(self.data)} bytes, at most {MAX_DATA}")

    @property
    def seq_id(self) -> int:
        """The SEQ/ID byte: bit 7 the sequence flag, bits 0-6 the address."""
        return (SEQ_FLAG if self.seq else 0) | self.address


def encode_packet(packet: Packet) -> bytes:
    """STX, SEQ/ID, LEN, DATA, CRC low, CRC high, with every 0x7F after the STX doubled."""
    body = bytes([packet.seq_id, len(packet.data)]) + packet.data
    crc = crc16(body)
    body += bytes([crc & 0xFF, crc >> 8])
    # Stuffing comes after the CRC, and covers the CRC bytes too.
    return bytes([STX]) + body.replace(b"\x7f", b"\x7f\x7f")


class FrameDecoder:
    """Turns any byte stream into the valid packets in it; never raises.

    Bytes before an STX are skipped (`skipped`); a packet with a bad CRC is dropped
    (`crc_errors`), as SSP has no NAK, and so is one for address 0x7E/0x7F
    (`bad_address`); a single 0x7F inside a packet abandons it
    (`restarts`) and starts a new one whose first byte is the one after the 0x7F.
    """

    def __init__(self) -> None:
        self.skipped = 0
        self.crc_errors = 0
        self.bad_address = 0
        self.restarts = 0
        self._in_packet = False
        self._pending_stx = False  # saw 0x7F inside a packet: a stuffed byte or a new start
        self._body = bytearray()

    def reset(self) -> None:
        """Forget a partial packet (before a new command: its reply starts afresh)."""
        self._in_packet = False
        self._pending_stx = False
        self._body.clear()

    def feed(self, data: bytes) -> list[Packet]:
        packets: list[Packet] = []
        for byte in data:
            if not self._in_packet:
                if byte == STX:
                    self._in_packet = True
                    self._body.clear()
                else:
                    self.skipped += 1
                continue
            if self._pending_stx:
                self._pending_stx = False
                if byte != STX:
                    # A lone 0x7F: what came before was not a packet; this byte begins one.
                    self.restarts += 1
                    self._body.clear()
            elif byte == STX:
                self._pending_stx = True
                continue
            self._body.append(byte)
            packet = self._complete()
            if packet is not None:
                packets.append(packet)
        return packets

    def _complete(self) -> Packet | None:
        body = self._body
        if len(body) < 2 or len(body) < 2 + body[1] + 2:
            return None
        self._in_packet = False
        length = body[1]
        received = body[2 + length] | (body[3 + length] << 8)
        if crc16(bytes(body[:2 + length])) != received:
            self.crc_errors += 1
            return None
        if body[0] & 0x7F > MAX_ADDRESS:
            self.bad_address += 1  # 0x7E/0x7F are no slave's address
            return None
        return Packet(body[0] & 0x7F, 1 if body[0] & SEQ_FLAG else 0, bytes(body[2:2 + length]))
