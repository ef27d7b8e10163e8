"""SSP codec against bytes from the reference (cash-essp.md §2) and bytes derived by hand:
CRC-16, byte stuffing, the sequence flag, the deframer, poll events, setup and counters."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hardware.cash import events as ev
from hardware.cash.codes import RejectReason
from hardware.cash.events import EventDecodeError, encode_events, parse_events
from hardware.cash.frame import FrameDecoder, Packet, crc16, encode_packet
from hardware.cash.unit import (
    UnitDataError,
    UnitSetup,
    encode_setup,
    inhibit_mask,
    parse_counters,
    parse_serial_number,
    parse_setup,
)

H = bytes.fromhex

# (address, flag, data) -> the frame on the wire. The GA examples are quoted by the reference;
# the others were worked out by polynomial long division (x^16+x^15+x^2+1, seed 0xFFFF), not
# by the code under test.
FRAMES = [
    ((0, 1, H("11")), H("7F 80 01 11 65 82")),  # GA: SYNC
    ((0, 1, H("F0")), H("7F 80 01 F0 23 80")),  # GA: OK
    ((0, 1, H("07")), H("7F 80 01 07 12 02")),  # GA: POLL, flag 1
    ((0, 0, H("07")), H("7F 00 01 07 11 88")),  # POLL, flag 0: only SEQ/ID and the CRC change
    ((0, 1, H("F0 F1 E8")), H("7F 80 03 F0 F1 E8 BF 8C")),  # GA: reset + disabled
    ((0, 1, H("F0 EE 01 EB")), H("7F 80 04 F0 EE 01 EB B9 48")),  # GA: credit ch 1 + stacked
    ((0, 1, H("06 08")), H("7F 80 02 06 08 03 94")),  # GA: HOST PROTOCOL 8
    ((0, 0, H("06 07")), H("7F 00 02 06 07 1E 14")),  # HOST PROTOCOL 7, first after SYNC
    ((0, 1, H("F8")), H("7F 80 01 F8 10 00")),  # GA: FAIL
    ((0, 1, H("02 07 00")), H("7F 80 03 02 07 00 2B B6")),  # GA: SET INHIBITS ch 1-3
    ((0, 1, H("18")), H("7F 80 01 18 53 82")),  # GA: HOLD
    ((0, 1, H("F5")), H("7F 80 01 F5 3D 80")),  # GA: CANNOT PROCESS
    # Stuffing: 0x7F in DATA (SET INHIBITS ch 1-7) is sent twice, and so is one in the CRC.
    ((0, 1, H("02 7F 00")), H("7F 80 03 02 7F 7F 00 2E 26")),
    ((0, 0, H("EA")), H("7F 00 01 EA 7F 7F 8A")),
    ((0, 1, H("6A")), H("7F 80 01 6A 7F 7F 83")),
    ((0x10, 1, H("07")), None),  # a SMART Hopper's address: checked by round trip only
]


def test_crc_self_test_values_from_the_reference():
    assert crc16(H("80 01 01")) == 0x0206  # sent as 06 02
    assert crc16(H("80 01 F0")) == 0x8023  # sent as 23 80
    assert crc16(b"") == 0xFFFF  # the seed, no final XOR


@pytest.mark.parametrize("fields, wire", FRAMES)
def test_frames_encode_and_decode_to_the_reference_bytes(fields, wire):
    packet = Packet(*fields)
    encoded = encode_packet(packet)
    if wire is not None:
        assert encoded == wire
    decoder = FrameDecoder()
    assert decoder.feed(encoded) == [packet]
    # Byte by byte, as a slow line delivers it, gives the same packet.
    decoder = FrameDecoder()
    assert [p for b in encoded for p in decoder.feed(bytes([b]))] == [packet]


def test_sequence_flag_is_bit_7_of_the_seq_id_byte():
    assert Packet(0, 1, b"").seq_id == 0x80
    assert Packet(0, 0, b"").seq_id == 0x00
    assert Packet(0x7D, 1, b"").seq_id == 0xFD
    assert FrameDecoder().feed(H("7F 00 01 07 11 88")) == [Packet(0, 0, H("07"))]


@pytest.mark.parametrize("bad", [
    dict(address=0x7E, seq=0, data=b""), dict(address=-1, seq=0, data=b""),
    dict(address=0, seq=2, data=b""), dict(address=0, seq=0, data=bytes(256)),
])
def test_packets_outside_the_format_are_refused(bad):
    with pytest.raises(ValueError):
        Packet(**bad)


def test_a_bad_crc_is_dropped_silently_and_the_next_packet_still_read():
    decoder = FrameDecoder()
    assert decoder.feed(H("7F 80 01 F0 23 81") + H("7F 80 01 F5 3D 80")) == [
        Packet(0, 1, H("F5"))]
    assert decoder.crc_errors == 1


def test_noise_before_stx_is_skipped_and_a_lone_7f_starts_a_new_packet():
    decoder = FrameDecoder()
    # Noise, then a packet cut short by a lone 0x7F: the byte after it is a new SEQ/ID.
    stream = H("00 13 7F 80 04 F0 EE 7F 80 01 F0 23 80")
    assert decoder.feed(stream) == [Packet(0, 1, H("F0"))]
    assert (decoder.skipped, decoder.restarts, decoder.crc_errors) == (2, 1, 0)


def test_a_stuffed_7f_split_across_reads_is_still_one_byte():
    decoder = FrameDecoder()
    wire = H("7F 80 03 02 7F 7F 00 2E 26")
    assert decoder.feed(wire[:4]) == []
    assert decoder.feed(wire[4:]) == [Packet(0, 1, H("02 7F 00"))]


def test_reset_forgets_a_partial_packet():
    decoder = FrameDecoder()
    decoder.feed(H("7F 80 04 F0"))
    decoder.reset()
    assert decoder.feed(H("EE 01 EB B9 48")) == []  # no STX: all skipped
    assert decoder.feed(H("7F 80 01 F0 23 80")) == [Packet(0, 1, H("F0"))]


def test_address_7e_with_a_good_crc_is_not_a_packet():
    body = H("7E 01 07")
    crc = crc16(body)
    assert FrameDecoder().feed(b"\x7f" + body + bytes([crc & 0xFF, crc >> 8])) == []


# --- hypothesis: the deframer is total and inverts the encoder -------------------------------

packets = st.builds(Packet, st.integers(0, 0x7D), st.integers(0, 1), st.binary(max_size=255))


@given(st.binary(max_size=600))
def test_the_deframer_takes_any_bytes(data):
    decoder = FrameDecoder()
    for packet in decoder.feed(data):
        assert encode_packet(packet)  # every packet it yields is a valid one


no_stx = st.binary(max_size=20).map(lambda b: b.replace(b"\x7f", b""))


@given(st.lists(packets, max_size=5), no_stx, st.lists(st.integers(1, 40), max_size=10))
def test_encoded_packets_come_back_whatever_the_chunking(packets_in, noise, cuts):
    stream = noise + b"".join(encode_packet(p) for p in packets_in)
    decoder, out, at = FrameDecoder(), [], 0
    for cut in cuts:
        out += decoder.feed(stream[at:at + cut])
        at += cut
    out += decoder.feed(stream[at:])
    assert out == packets_in
    assert decoder.crc_errors == 0


@given(packets, st.integers(3, 600), st.integers(0, 7))
def test_a_flipped_bit_in_data_or_crc_is_always_caught(packet, position, bit):
    wire = bytearray(encode_packet(packet))
    position = 3 + position % (len(wire) - 3)  # after STX, SEQ/ID and LEN
    flipped = wire[position] ^ (1 << bit)
    assume(wire[position] != 0x7F and flipped != 0x7F)  # framing (stuffing) left intact
    wire[position] = flipped
    decoder = FrameDecoder()
    # CRC-16 with 0x8005 = (x+1)(x^15+x+1) detects every single-bit error.
    assert decoder.feed(bytes(wire)) == []
    assert decoder.crc_errors == 1


# --- poll events -------------------------------------------------------------------------------

def test_poll_reply_events_from_the_reference():
    assert parse_events(H("F1 E8")) == (ev.SlaveReset(), ev.Disabled())
    assert parse_events(H("EE 01 EB")) == (ev.NoteCredit(1), ev.Stacked())
    assert parse_events(H("CC EE 01")) == (ev.Stacking(), ev.NoteCredit(1))
    assert parse_events(H("EF 00 EF 03")) == (ev.Read(0), ev.Read(3))
    assert not ev.Read(0).in_escrow and ev.Read(3).in_escrow
    assert parse_events(b"") == ()


EVERY_EVENT = [
    (H("F1"), ev.SlaveReset()), (H("EF 02"), ev.Read(2)), (H("CC"), ev.Stacking()),
    (H("EE 04"), ev.NoteCredit(4)), (H("EB"), ev.Stacked()), (H("ED"), ev.Rejecting()),
    (H("EC"), ev.Rejected()), (H("E9"), ev.UnsafeJam()), (H("EA"), ev.SafeJam()),
    (H("E8"), ev.Disabled()), (H("E6 00"), ev.FraudAttempt(0)), (H("E7"), ev.StackerFull()),
    (H("E1 05"), ev.NoteClearedFromFront(5)), (H("E2 00"), ev.NoteClearedIntoCashbox(0)),
    (H("E3"), ev.CashboxRemoved()), (H("E4"), ev.CashboxReplaced()),
    (H("E0"), ev.NotePathOpen()), (H("B5"), ev.ChannelDisable()), (H("B6"), ev.Initialising()),
]


@pytest.mark.parametrize("wire, event", EVERY_EVENT, ids=lambda x: type(x).__name__)
def test_every_event_of_the_reference_is_decoded_and_encoded(wire, event):
    assert parse_events(wire) == (event,)
    assert encode_events([event]) == wire


def test_events_that_poll_with_ack_repeats_until_acked():
    acked = {cls.__name__ for cls in ev.EVENT_TYPES.values() if cls.needs_ack}
    assert acked == {"NoteCredit", "FraudAttempt", "NoteClearedIntoCashbox",
                     "NoteClearedFromFront"}


def test_an_unknown_event_stops_decoding_and_keeps_what_came_before():
    with pytest.raises(EventDecodeError) as caught:
        parse_events(H("EE 02 EB D2 00 00 00 00"))  # 0xD2: a payout event, length unknown
    assert caught.value.offset == 3
    assert caught.value.events == (ev.NoteCredit(2), ev.Stacked())


def test_a_channel_event_cut_short_is_an_error():
    with pytest.raises(EventDecodeError, match="lacks its channel byte") as caught:
        parse_events(H("CC EE"))
    assert caught.value.events == (ev.Stacking(),)


@given(st.binary(max_size=64))
def test_the_event_parser_takes_any_bytes(data):
    try:
        events = parse_events(data)
    except EventDecodeError as exc:
        assert 0 <= exc.offset < len(data)
        assert encode_events(exc.events) == data[:exc.offset]
    else:
        assert encode_events(events) == data


# --- unit data ---------------------------------------------------------------------------------

# GA's own example: GBP 5/10/20, value multiplier 1, protocol 5; real multiplier bytes
# 40 00 00 (the reference's §6 contradiction, kept as sent).
GA_SETUP = (H("00") + b"0110" + b"GBP" + H("00 00 01") + H("03") + H("05 0A 14")
            + H("02 02 02") + H("40 00 00") + H("05"))

# Written by hand from §6: EUR 5/10/20/50 at protocol 7, value multiplier 1, real 100,
# countries per channel, then the values as 4-byte little-endian.
EUR_SETUP = (H("00") + b"0420" + b"EUR" + H("00 00 01") + H("04") + H("05 0A 14 32")
             + H("02 02 02 02") + H("00 00 64") + H("07") + b"EUR" * 4
             + H("05 00 00 00 0A 00 00 00 14 00 00 00 32 00 00 00"))


def test_setup_request_from_the_manual_example():
    setup = parse_setup(GA_SETUP)
    assert (setup.unit_type, setup.firmware, setup.country, setup.protocol_version) == (
        0, "0110", "GBP", 5)
    assert [(c.number, c.value, c.country) for c in setup.channels] == [
        (1, 5, "GBP"), (2, 10, "GBP"), (3, 20, "GBP")]
    assert setup.real_value_multiplier == 0x400000  # big-endian, nonsense: never trusted alone


def test_setup_request_at_protocol_7_with_expanded_values():
    setup = parse_setup(EUR_SETUP)
    assert setup.real_value_multiplier == 100
    assert setup.expanded_values == (5, 10, 20, 50)
    assert [c.number for c in setup.channels_for({10, 50, 500}, "EUR")] == [2, 4]
    assert setup.channels_for({10}, "GBP") == ()
    assert setup.channel(3).value == 20 and setup.channel(0) is None and setup.channel(5) is None
    assert encode_setup(setup) == EUR_SETUP


def test_setup_with_multiplier_0_takes_the_values_from_the_expanded_part():
    setup = UnitSetup(0, "0100", "EUR", 0, (0, 0), 100, 6, ("EUR", "EUR"), (200, 500))
    assert [c.value for c in parse_setup(encode_setup(setup)).channels] == [200, 500]


@pytest.mark.parametrize("data", [b"", EUR_SETUP[:11], EUR_SETUP[:20], EUR_SETUP[:-1]])
def test_short_setup_replies_are_errors(data):
    with pytest.raises(UnitDataError, match="SETUP REQUEST"):
        parse_setup(data)


def test_counters_little_endian_and_serial_number_big_endian():
    counters = parse_counters(H("05 0A 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
                                "03 01 00 00"))
    assert (counters.stacked, counters.rejected) == (10, 259)
    assert parse_counters(counters.encode()) == counters
    assert parse_serial_number(H("00 BC 61 4E")) == 12_345_678
    with pytest.raises(UnitDataError):
        parse_counters(H("05 01 00"))
    with pytest.raises(UnitDataError):
        parse_serial_number(H("00 BC 61"))


def test_inhibit_mask_bit_0_is_channel_1():
    assert inhibit_mask({1, 2, 3}) == H("07 00")
    assert inhibit_mask({9}) == H("00 01")
    assert inhibit_mask(set()) == H("00 00")
    assert inhibit_mask({1}, width=1) == H("01")
    with pytest.raises(ValueError):
        inhibit_mask({17})


def test_reject_codes_keep_unknown_values():
    assert RejectReason.of(0x13) is RejectReason.ESCROW_TIMEOUT
    assert RejectReason.of(0x1E) == 0x1E
