"""The pure scan decoders: every keyboard-wedge pitfall of hardware.md, fed genuine InputEvents."""

from __future__ import annotations

import pytest
from evdev import InputEvent
from evdev import ecodes as e

from hardware.reader import keycodes
from hardware.reader.decoder import KeyDecoder, LineDecoder, check_digits
from hardware.reader.events import CardScanned, RejectReason, ScanRejected
from hardware.sim.scanner import KeyStream
from tests.fixtures.reader import CARD, OTHER_CARD

T0 = 1_700_000_000.0


def feed(decoder: KeyDecoder, events: list[InputEvent]) -> list:
    """What the evdev reader does with a batch: EV_KEY events only, with their timestamps."""
    out = []
    for ev in events:
        if ev.type == e.EV_KEY:
            out += decoder.feed(ev.code, ev.value, ev.timestamp())
    return out


def decoder(**kw) -> KeyDecoder:
    kw.setdefault("gap_timeout", 0.1)
    return KeyDecoder(length=16, prefixes=("9276",), **kw)


def test_keycode_constants_match_the_kernel_abi_as_evdev_knows_it():
    for name in dir(keycodes):
        if name.startswith(("KEY_", "EV_", "SYN_", "MSC_")) and name not in (
            "KEY_RELEASE", "KEY_PRESS", "KEY_AUTOREPEAT"
        ):
            assert getattr(keycodes, name) == e.ecodes[name], name
    assert keycodes.key_code("KEY_TAB") == e.KEY_TAB
    with pytest.raises(ValueError, match="KEY_NOPE"):
        keycodes.key_code("KEY_NOPE")
    with pytest.raises(ValueError):
        keycodes.key_code("BTN_LEFT")


def test_a_plain_scan_gives_the_card_number():
    assert feed(decoder(), KeyStream(T0).text(CARD + "\r").events) == [CardScanned(CARD)]


# Pitfall: every key produces down (1), up (0) and autorepeat (2) events.
def test_key_up_and_autorepeat_add_no_digits():
    stream = KeyStream(T0)
    for i, char in enumerate(CARD):
        # a sticky key: autorepeat events between down and up
        stream.tap(stream_key(char), repeats=3 if i % 5 == 0 else 0)
    stream.tap(e.KEY_ENTER, repeats=2)
    events = stream.events
    assert any(ev.value == 2 for ev in events) and any(ev.value == 0 for ev in events)
    assert feed(decoder(), events) == [CardScanned(CARD)]


def stream_key(char: str) -> int:
    return [e.KEY_0, e.KEY_1, e.KEY_2, e.KEY_3, e.KEY_4,
            e.KEY_5, e.KEY_6, e.KEY_7, e.KEY_8, e.KEY_9][int(char)]


# Pitfall: scanners end with ENTER, KPENTER, TAB or CR+LF; some send a double suffix.
@pytest.mark.parametrize("enter", [e.KEY_ENTER, e.KEY_KPENTER])
def test_enter_and_keypad_enter_terminate(enter):
    assert feed(decoder(), KeyStream(T0).text(CARD + "\r", enter=enter).events) == [
        CardScanned(CARD)
    ]


def test_double_cr_lf_suffix_is_one_scan_and_an_empty_line_is_a_no_op():
    d = decoder()
    assert feed(d, KeyStream(T0).text("\r\n\r").events) == []  # empty lines alone: nothing
    events = KeyStream(T0 + 1).text(CARD + "\r\n").events
    assert [ev.code for ev in events if ev.type == e.EV_KEY and ev.value == 1][-2:] == [
        e.KEY_ENTER, e.KEY_ENTER
    ]
    assert feed(d, events) == [CardScanned(CARD)]


def test_a_configured_suffix_key_terminates_and_is_otherwise_a_foreign_key():
    events = KeyStream(T0).text(CARD + "\t").events
    assert feed(decoder(suffix_keys=[e.KEY_TAB]), events) == [CardScanned(CARD)]
    unconfigured = decoder()
    assert feed(unconfigured, events) == []
    assert unconfigured.check_timeout(T0 + 10) == [ScanRejected(RejectReason.NON_DIGIT, 16)]


# Pitfall: scanners in keypad mode send KEY_KP0..KEY_KP9, whatever Num Lock says.
def test_keypad_digits_are_digits_with_num_lock_on_or_off():
    stream = KeyStream(T0).tap(e.KEY_NUMLOCK).text(CARD[:8], keypad=True)
    stream.tap(e.KEY_NUMLOCK).text(CARD[8:] + "\r", keypad=True, enter=e.KEY_KPENTER)
    codes = {ev.code for ev in stream.events if ev.type == e.EV_KEY}
    assert codes.isdisjoint({e.KEY_0, e.KEY_1, e.KEY_9}) and e.KEY_KP9 not in {e.KEY_9}
    assert feed(decoder(), stream.events) == [CardScanned(CARD)]


# Pitfall: host and scanner layouts differ; decode by key position, reject any other key.
def test_digits_are_read_by_key_position_even_with_shift_held_as_on_azerty():
    stream = KeyStream(T0)
    for char in CARD:  # an AZERTY-configured scanner holds Shift to type a digit
        stream.tap(stream_key(char), mods=[e.KEY_LEFTSHIFT])
    stream.text("\r")
    assert feed(decoder(), stream.events) == [CardScanned(CARD)]


@pytest.mark.parametrize("barcode", ["9276a04429942845", "9276-0044-2994-2845", "Y276004429942845"])
def test_any_non_digit_key_poisons_the_scan(barcode):
    assert feed(decoder(), KeyStream(T0).text(barcode + "\r").events) == [
        ScanRejected(RejectReason.NON_DIGIT, sum(c.isdigit() for c in barcode))
    ]


# Pitfall: malicious barcodes carry control characters that become hotkeys (BadBarcode).
@pytest.mark.parametrize("barcode", ["9276\x0300442994284", "92760044\x1b29942845", "\x04" + CARD])
def test_control_characters_in_a_barcode_reject_it(barcode):
    result = feed(decoder(), KeyStream(T0).text(barcode + "\r").events)
    assert [r.reason for r in result] == [RejectReason.NON_DIGIT]


@pytest.mark.parametrize("modifier", [e.KEY_LEFTCTRL, e.KEY_RIGHTCTRL, e.KEY_LEFTALT,
                                      e.KEY_RIGHTALT, e.KEY_LEFTMETA])
def test_digits_typed_as_ctrl_alt_or_meta_chords_are_not_digits(modifier):
    # Sixteen digit keys in the right order, but three of them are Alt-codes / hotkeys:
    # read naively they would make a valid-looking card number.
    stream = KeyStream(T0).text(CARD[:13])
    for char in CARD[13:]:
        stream.tap(stream_key(char), mods=[modifier])
    stream.text("\r")
    assert feed(decoder(), stream.events) == [ScanRejected(RejectReason.NON_DIGIT, 13)]


def test_a_released_modifier_no_longer_poisons():
    stream = KeyStream(T0).tap(e.KEY_LEFTALT).text(CARD + "\r")
    assert feed(decoder(), stream.events) == [CardScanned(CARD)]


# Pitfall: a lost terminator glues two scans; a partial scan looks like a short number.
def test_a_gap_between_keys_breaks_off_the_first_scan_instead_of_gluing():
    stream = KeyStream(T0).text(CARD).pause(0.5).text(OTHER_CARD + "\r")
    assert feed(decoder(gap_timeout=0.1), stream.events) == [
        ScanRejected(RejectReason.GAP_TIMEOUT, 16),
        CardScanned(OTHER_CARD),
    ]


def test_without_the_gap_a_glued_scan_is_too_long_never_a_number():
    stream = KeyStream(T0).text(CARD + OTHER_CARD + "\r")
    assert feed(decoder(), stream.events) == [ScanRejected(RejectReason.TOO_LONG, 32)]


def test_a_partial_scan_followed_by_silence_is_rejected_after_the_gap():
    d = decoder(gap_timeout=0.1)
    events = KeyStream(T0).text(CARD[:7]).events
    assert feed(d, events) == []
    last = events[-1].timestamp()
    assert d.timeout_at() is not None and d.check_timeout(last + 0.05) == []
    assert d.check_timeout(last + 0.2) == [ScanRejected(RejectReason.GAP_TIMEOUT, 7)]
    assert d.timeout_at() is None
    assert feed(d, KeyStream(last + 1).text(CARD + "\r").events) == [CardScanned(CARD)]


@pytest.mark.parametrize(
    "digits, reason",
    [("927600442994284", RejectReason.TOO_SHORT), ("92760044299428451", RejectReason.TOO_LONG),
     ("1234004429942845", RejectReason.WRONG_PREFIX)],
)
def test_exact_length_and_prefix(digits, reason):
    assert feed(decoder(), KeyStream(T0).text(digits + "\r").events) == [
        ScanRejected(reason, len(digits))
    ]


def test_several_prefixes_and_other_lengths_come_from_the_caller():
    d = KeyDecoder(length=8, prefixes=("11", "22"))
    assert feed(d, KeyStream(T0).text("22345678\r").events) == [CardScanned("22345678")]
    assert check_digits("33345678", 8, ("11", "22")) is RejectReason.WRONG_PREFIX


def test_a_stuck_scanner_does_not_grow_memory():
    d = decoder()
    feed(d, KeyStream(T0, key_s=0.001).text("9" * 5000).events)
    assert len(d._digits) == 17
    assert d.check_timeout(T0 + 60) == [ScanRejected(RejectReason.GAP_TIMEOUT, 5000)]


# Pitfall: the same card scanned twice in a row.
def test_the_same_card_within_the_debounce_window_is_a_duplicate():
    d = decoder(debounce=3.0)
    assert feed(d, KeyStream(T0).text(CARD + "\r").events) == [CardScanned(CARD)]
    assert feed(d, KeyStream(T0 + 1).text(CARD + "\r").events) == [
        ScanRejected(RejectReason.DUPLICATE, 16)
    ]
    # The window slides: a card held under a scanner in continuous mode stays one scan.
    assert feed(d, KeyStream(T0 + 3.5).text(CARD + "\r").events)[0].reason is RejectReason.DUPLICATE
    assert feed(d, KeyStream(T0 + 7).text(CARD + "\r").events) == [CardScanned(CARD)]
    assert feed(d, KeyStream(T0 + 7.5).text(OTHER_CARD + "\r").events) == [CardScanned(OTHER_CARD)]
    assert feed(d, KeyStream(T0 + 8).text(CARD + "\r").events) == [CardScanned(CARD)]


def test_a_clock_stepping_back_does_not_make_a_card_a_duplicate():
    d = decoder(debounce=3.0)
    feed(d, KeyStream(T0).text(CARD + "\r").events)
    assert feed(d, KeyStream(T0 - 100).text(CARD + "\r").events) == [CardScanned(CARD)]


def test_reset_forgets_the_half_scan_and_held_modifiers():
    d = decoder()
    feed(d, KeyStream(T0).text("9276").events + [InputEvent(int(T0), 0, e.EV_KEY, e.KEY_LEFTCTRL, 1)])
    d.reset()
    assert feed(d, KeyStream(T0 + 0.01).text(CARD + "\r").events) == [CardScanned(CARD)]


def test_reasons_have_stable_values():
    assert {r.value for r in RejectReason} == {
        "too_short", "too_long", "wrong_prefix", "non_digit", "gap_timeout", "duplicate"
    }


def test_a_scanned_number_stays_out_of_repr():
    assert CARD not in repr(CardScanned(CARD)) and CARD not in str([CardScanned(CARD)])


# --- the serial-mode line decoder -------------------------------------------------------------


@pytest.mark.parametrize("suffix", [b"\r", b"\n", b"\r\n", b"\r\n\r\n", b"\n\r"])
def test_lines_end_with_cr_lf_or_both_and_empty_lines_are_no_ops(suffix):
    d = LineDecoder(gap_timeout=0.1)
    assert d.feed(CARD.encode() + suffix + OTHER_CARD.encode() + suffix, 1.0) == [
        CardScanned(CARD), CardScanned(OTHER_CARD)
    ]
    assert d.feed(suffix * 3, 2.0) == []


def test_lines_share_the_key_decoders_validation():
    d = LineDecoder(gap_timeout=0.1, debounce=3.0)
    assert d.feed(b"9276a04429942845\r\n", 1.0) == [ScanRejected(RejectReason.NON_DIGIT, 15)]
    assert d.feed(b"1234004429942845\r\n", 1.0) == [ScanRejected(RejectReason.WRONG_PREFIX, 16)]
    assert d.feed(b"92760044\r\n", 1.0) == [ScanRejected(RejectReason.TOO_SHORT, 8)]
    assert d.feed(CARD.encode() + b"\r\n", 1.0) == [CardScanned(CARD)]
    assert d.feed(CARD.encode() + b"\r\n", 2.0) == [ScanRejected(RejectReason.DUPLICATE, 16)]


def test_a_line_broken_off_by_silence_is_not_glued_to_the_next():
    d = LineDecoder(gap_timeout=0.1)
    assert d.feed(CARD[:9].encode(), 1.0) == []
    assert d.check_timeout(1.05) == []
    assert d.feed(CARD.encode() + b"\r", 1.5) == [
        ScanRejected(RejectReason.GAP_TIMEOUT, 9), CardScanned(CARD)
    ]
