"""DLE EOT 1..4 replies: all 256 byte values per query, and the condition they add up to."""

from __future__ import annotations

import pytest

from hardware.printer.status import (
    Condition,
    ErrorCause,
    OfflineCause,
    Paper,
    PaperSensor,
    PrinterFlags,
    PrinterReadiness,
    PrinterStatus,
    Query,
    is_valid_status_byte,
    parse_status,
)


def _bit(byte: int, n: int) -> bool:
    return (byte >> n) & 1 == 1


def _valid(byte: int) -> bool:
    # Spelled out from the spec: bits 1 and 4 are 1, bits 0 and 7 are 0.
    return _bit(byte, 1) and _bit(byte, 4) and not _bit(byte, 0) and not _bit(byte, 7)


@pytest.mark.parametrize("query", list(Query))
def test_every_byte_value_for_each_query(query: Query) -> None:
    valid_count = 0
    for byte in range(256):
        reply = parse_status(query, byte)
        assert is_valid_status_byte(byte) == _valid(byte)
        if not _valid(byte):
            assert reply is None, f"{query.name} {byte:#04x} must be unknown"
            continue
        valid_count += 1
        b2, b3, b5, b6 = _bit(byte, 2), _bit(byte, 3), _bit(byte, 5), _bit(byte, 6)
        expected = {
            Query.PRINTER: PrinterFlags(drawer_pin3=b2, offline=b3, waiting_for_recovery=b5,
                                        feed_button=b6),
            Query.OFFLINE_CAUSE: OfflineCause(cover_open=b2, feed_by_button=b3,
                                              paper_end_stop=b5, error=b6),
            Query.ERROR_CAUSE: ErrorCause(recoverable=b2, cutter=b3, unrecoverable=b5,
                                          auto_recoverable=b6),
            Query.PAPER: PaperSensor(near_end=b2 or b3, out=b5 or b6),
        }[query]
        assert reply == expected, f"{query.name} {byte:#04x}"
    assert valid_count == 16  # 4 free bits


def test_query_commands() -> None:
    assert [q.command for q in Query] == [b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x03",
                                          b"\x10\x04\x04"]


def test_byte_outside_range_is_a_bug() -> None:
    with pytest.raises(ValueError):
        parse_status(Query.PRINTER, 256)


def _status(p1: int, p2: int, p3: int, p4: int) -> PrinterStatus:
    replies = [parse_status(q, b) for q, b in zip(Query, (p1, p2, p3, p4))]
    return PrinterStatus.from_replies(*replies)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bytes_, condition",
    [
        ((0x12, 0x12, 0x12, 0x12), Condition.READY),
        ((0x12, 0x12, 0x12, 0x1E), Condition.PAPER_NEAR_END),
        ((0x1A, 0x32, 0x12, 0x7E), Condition.PAPER_OUT),
        ((0x1A, 0x16, 0x12, 0x12), Condition.COVER_OPEN),
        ((0x1A, 0x12, 0x12, 0x12), Condition.OFFLINE),
        ((0x1A, 0x52, 0x1A, 0x12), Condition.CUTTER_ERROR),
        ((0x1A, 0x52, 0x32, 0x12), Condition.UNRECOVERABLE_ERROR),
    ],
)
def test_conditions(bytes_: tuple[int, int, int, int], condition: Condition) -> None:
    assert _status(*bytes_).condition == condition


def test_paper_levels() -> None:
    assert _status(0x12, 0x12, 0x12, 0x12).paper == Paper.OK
    assert _status(0x12, 0x12, 0x12, 0x1E).paper == Paper.NEAR_END
    assert _status(0x12, 0x12, 0x12, 0x72).paper == Paper.OUT
    # Stopped at paper end (DLE EOT 2) counts as out even if the sensor byte disagrees.
    assert _status(0x1A, 0x32, 0x12, 0x12).paper == Paper.OUT


def test_unknown_is_its_own_answer_not_paper_out_or_offline() -> None:
    unknown = PrinterStatus.unknown()
    assert unknown.condition == Condition.UNKNOWN
    assert unknown.paper == Paper.UNKNOWN
    assert PrinterStatus.unknown(gone=True).condition == Condition.GONE
    readiness = PrinterReadiness.of(unknown)
    assert not readiness.ready and "baud rate" in readiness.reason


def test_readiness_near_end_prints_with_a_warning() -> None:
    readiness = PrinterReadiness.of(_status(0x12, 0x12, 0x12, 0x1E))
    assert readiness.ready and readiness.warning == "paper is running low"
    refused = PrinterReadiness.of(_status(0x1A, 0x16, 0x12, 0x12))
    assert not refused.ready and refused.reason == "printer cover is open"
