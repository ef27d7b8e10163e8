"""Pure card-scan decoding: key events (code, value, time) in, card numbers or rejections out."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from hardware.reader import keycodes as k
from hardware.reader.events import CardScanned, RejectReason, ScanRejected, ScanResult


def check_digits(digits: str, length: int, prefixes: Sequence[str]) -> RejectReason | None:
    """The form check shared by every reader: exactly `length` ASCII digits with a known prefix."""
    if not (digits.isascii() and digits.isdigit()):
        return RejectReason.NON_DIGIT if digits else RejectReason.TOO_SHORT
    if len(digits) < length:
        return RejectReason.TOO_SHORT
    if len(digits) > length:
        return RejectReason.TOO_LONG
    if not any(digits.startswith(p) for p in prefixes):
        return RejectReason.WRONG_PREFIX
    return None


class ScanValidator:
    """Judges a finished scan: form check, then same-card debounce. Used by both reader kinds."""

    def __init__(self, length: int, prefixes: Sequence[str], debounce: float) -> None:
        if length <= 0 or not prefixes:
            raise ValueError("a card length > 0 and at least one prefix are needed")
        for prefix in prefixes:
            # str.isdigit() alone takes "٩٢": such a prefix would silently refuse every card.
            if not (prefix.isascii() and prefix.isdigit()):
                raise ValueError(f"card prefix {prefix!r} is not ASCII digits")
        if not 0 <= debounce < math.inf:  # NaN fails too
            raise ValueError(f"debounce must be a finite number of seconds >= 0, got {debounce}")
        self.length = length
        self.prefixes = tuple(prefixes)
        self.debounce = debounce
        self._last: tuple[str, float] | None = None

    def judge(self, digits: str, now: float, *, non_digit: bool = False,
              seen: int | None = None) -> ScanResult:
        """`digits` may be truncated for long junk; `seen` is then the true count."""
        count = len(digits) if seen is None else seen
        if non_digit:
            return ScanRejected(RejectReason.NON_DIGIT, count)
        reason = check_digits(digits, self.length, self.prefixes)
        if reason is None and seen is not None and seen != len(digits):
            reason = RejectReason.TOO_LONG
        if reason is not None:
            return ScanRejected(reason, count)
        last, self._last = self._last, (digits, now)
        # Sliding window: a card held under a scanner in continuous mode stays one scan.
        # A clock that stepped backwards (negative age) never makes a scan a duplicate.
        if last is not None and last[0] == digits and 0 <= now - last[1] < self.debounce:
            return ScanRejected(RejectReason.DUPLICATE, count)
        return CardScanned(digits)


class KeyDecoder:
    """Turns a keyboard-wedge scanner's key events into scan results.

    Feed only EV_KEY events. Times are seconds in one clock of the caller's choosing (the
    kernel's event timestamps are best); `check_timeout` must be given times in that clock too.
    """

    def __init__(
        self,
        *,
        length: int = 16,
        prefixes: Sequence[str] = ("9276",),
        gap_timeout: float = 0.15,
        debounce: float = 3.0,
        suffix_keys: Iterable[int] = (),
    ) -> None:
        _check_gap(gap_timeout)
        self.validator = ScanValidator(length, prefixes, debounce)
        self.gap_timeout = gap_timeout
        self.terminators = k.TERMINATOR_KEYS | frozenset(suffix_keys)
        # Keep a little more than a card's length: enough to tell "too long", bounded memory
        # against a scanner stuck typing.
        self._keep = length + 1
        self._held_chords: set[int] = set()
        self.reset()

    def reset(self) -> None:
        """Forget the scan in progress and the modifiers held (the device went away)."""
        self._digits: list[str] = []
        self._seen = 0
        self._poisoned = False
        self._last_key: float | None = None  # time of the scan's latest key; None: no scan
        self._held_chords.clear()

    @property
    def scanning(self) -> bool:
        return self._last_key is not None

    def timeout_at(self) -> float | None:
        """When the scan in progress breaks off if no key arrives; None when idle."""
        return None if self._last_key is None else self._last_key + self.gap_timeout

    def check_timeout(self, now: float) -> list[ScanResult]:
        """Reject a scan in progress whose last key is older than the gap timeout."""
        _check_time(now)
        # Compared exactly as timeout_at() computes it, so check_timeout(timeout_at()) fires.
        if self._last_key is not None and now >= self._last_key + self.gap_timeout:
            return [self._break_off()]
        return []

    def feed(self, code: int, value: int, time: float) -> list[ScanResult]:
        """Any key event gives scan results; ValueError only for a time that is not finite."""
        _check_time(time)
        if code in k.CHORD_MODIFIERS:
            if value == k.KEY_PRESS:
                self._held_chords.add(code)
            elif value == k.KEY_RELEASE:
                self._held_chords.discard(code)
            return []
        # Key-up and autorepeat carry no new character; neutral modifiers no character at all.
        if value != k.KEY_PRESS or code in k.NEUTRAL_MODIFIERS:
            return []
        results = self.check_timeout(time)
        if code in self.terminators:
            if self._last_key is not None:  # an empty line (second half of CR+LF) is a no-op
                results.append(self._finish(time))
            return results
        digit = k.DIGIT_KEYS.get(code)
        if digit is None or self._held_chords:
            # Letters, control keys, Ctrl/Alt combos, Alt-codes: not part of any card number.
            self._poisoned = True
        else:
            self._seen += 1
            if len(self._digits) < self._keep:
                self._digits.append(digit)
        self._last_key = time
        return results

    def _finish(self, time: float) -> ScanResult:
        result = self.validator.judge(
            "".join(self._digits), time, non_digit=self._poisoned, seen=self._seen
        )
        self._clear_scan()
        return result

    def _break_off(self) -> ScanResult:
        reason = RejectReason.NON_DIGIT if self._poisoned else RejectReason.GAP_TIMEOUT
        result = ScanRejected(reason, self._seen)
        self._clear_scan()
        return result

    def _clear_scan(self) -> None:
        self._digits = []
        self._seen = 0
        self._poisoned = False
        self._last_key = None


class LineDecoder:
    """The serial-mode counterpart: bytes in, one scan per CR, LF or CR+LF terminated line.

    Same validation as the key decoder (ScanValidator); an empty line is a no-op, so CR+LF is
    one scan; a line broken off by silence is rejected after the gap, never glued to the next.
    """

    def __init__(self, *, length: int = 16, prefixes: Sequence[str] = ("9276",),
                 gap_timeout: float = 0.15, debounce: float = 3.0) -> None:
        _check_gap(gap_timeout)
        self.validator = ScanValidator(length, prefixes, debounce)
        self.gap_timeout = gap_timeout
        self._keep = length + 1
        self.reset()

    def reset(self) -> None:
        self._digits = bytearray()
        self._seen = 0
        self._poisoned = False
        self._last_byte: float | None = None

    def timeout_at(self) -> float | None:
        return None if self._last_byte is None else self._last_byte + self.gap_timeout

    def check_timeout(self, now: float) -> list[ScanResult]:
        _check_time(now)
        if self._last_byte is None or now < self._last_byte + self.gap_timeout:
            return []
        reason = RejectReason.NON_DIGIT if self._poisoned else RejectReason.GAP_TIMEOUT
        result = ScanRejected(reason, self._seen)
        self.reset()
        return [result]

    def feed(self, data: bytes, now: float) -> list[ScanResult]:
        """`now`: when `data` arrived (all its bytes are taken to have arrived together).

        Any bytes give scan results; ValueError only for a `now` that is not finite.
        """
        results = self.check_timeout(now)
        for byte in data:
            if byte in (0x0D, 0x0A):
                if self._last_byte is not None:
                    results.append(self.validator.judge(
                        self._digits.decode("ascii"), now,
                        non_digit=self._poisoned, seen=self._seen))
                    self.reset()
                continue
            if 0x30 <= byte <= 0x39:
                self._seen += 1
                if len(self._digits) < self._keep:
                    self._digits.append(byte)
            else:
                self._poisoned = True
            self._last_byte = now
        return results


def _check_gap(gap_timeout: float) -> None:
    if not 0 < gap_timeout < math.inf:  # NaN fails too: a scan would never break off
        raise ValueError(f"gap_timeout must be a finite number of seconds > 0, got {gap_timeout}")


def _check_time(when: float) -> None:
    # Every timeout comparison with NaN is False: a scan would stay open for ever.
    if not math.isfinite(when):
        raise ValueError(f"event time must be a finite number of seconds, got {when}")
