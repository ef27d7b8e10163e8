"""Property tests: arbitrary key-event and byte streams never crash a decoder or yield a bad number."""

from __future__ import annotations

from evdev import ecodes as e
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.reader import keycodes
from hardware.reader.decoder import KeyDecoder, LineDecoder
from hardware.reader.events import CardScanned, RejectReason, ScanRejected

PREFIXES = ("9276", "55")
INTERESTING = sorted(
    set(keycodes.DIGIT_KEYS) | keycodes.TERMINATOR_KEYS | keycodes.CHORD_MODIFIERS
    | keycodes.NEUTRAL_MODIFIERS | {e.KEY_TAB, e.KEY_A, e.KEY_ESC, e.KEY_SPACE}
)
codes = st.one_of(st.sampled_from(INTERESTING), st.integers(0, 0x2FF))
# Mostly key-downs with tiny gaps (so that valid numbers do come out), sometimes long pauses.
events = st.lists(
    st.tuples(codes, st.sampled_from([1, 1, 1, 0, 2]),
              st.one_of(st.floats(0, 0.02), st.floats(0, 10))),
    max_size=300,
)


def assert_valid(results, length=16):
    for result in results:
        if isinstance(result, CardScanned):
            number = result.number
            assert len(number) == length and number.isascii() and number.isdigit()
            assert number.startswith(PREFIXES)
        else:
            assert isinstance(result, ScanRejected) and isinstance(result.reason, RejectReason)
            assert result.length >= 0


@settings(max_examples=400, deadline=None)
@given(events, st.floats(0.01, 1), st.floats(0, 5))
def test_key_decoder_never_raises_and_only_emits_valid_numbers(stream, gap, debounce):
    decoder = KeyDecoder(length=16, prefixes=PREFIXES, gap_timeout=gap, debounce=debounce,
                         suffix_keys=[e.KEY_TAB])
    now = 1_000.0
    for code, value, step in stream:
        now += step
        assert_valid(decoder.feed(code, value, now))
    assert_valid(decoder.check_timeout(now + gap))
    assert decoder.timeout_at() is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(INTERESTING[:22]), st.just(1)), max_size=60))
def test_a_digit_only_stream_yields_exactly_the_valid_lines(stream):
    # Dense digits and terminators: compare with a straightforward model of the rules.
    decoder = KeyDecoder(length=16, prefixes=PREFIXES, gap_timeout=1, debounce=0)
    line, expected, got = "", [], []
    for i, (code, value) in enumerate(stream):
        got += decoder.feed(code, value, float(i) * 0.001)
        if code in keycodes.TERMINATOR_KEYS:
            if line and len(line) == 16 and line.startswith(PREFIXES):
                expected.append(line)
            line = ""
        elif code in keycodes.DIGIT_KEYS:
            line += keycodes.DIGIT_KEYS[code]
    assert [r.number for r in got if isinstance(r, CardScanned)] == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.binary(max_size=40), st.floats(0, 1)), max_size=40),
       st.floats(0.01, 0.5))
def test_line_decoder_never_raises_and_only_emits_valid_numbers(chunks, gap):
    decoder = LineDecoder(length=16, prefixes=PREFIXES, gap_timeout=gap, debounce=1)
    now = 0.0
    for data, step in chunks:
        now += step
        assert_valid(decoder.feed(data, now))
    assert_valid(decoder.check_timeout(now + gap))
