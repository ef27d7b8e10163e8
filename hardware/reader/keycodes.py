"""Linux input key codes the decoder needs (kernel ABI, input-event-codes.h), without importing evdev."""

from __future__ import annotations

# The values are fixed by the kernel's ABI; tests check them against evdev.ecodes.
EV_SYN = 0x00
EV_KEY = 0x01
EV_MSC = 0x04
SYN_REPORT = 0
MSC_SCAN = 4

KEY_RELEASE, KEY_PRESS, KEY_AUTOREPEAT = 0, 1, 2

KEY_ESC = 1
KEY_1, KEY_2, KEY_3, KEY_4, KEY_5, KEY_6, KEY_7, KEY_8, KEY_9, KEY_0 = range(2, 12)
KEY_TAB = 15
KEY_ENTER = 28
KEY_LEFTCTRL = 29
KEY_LEFTSHIFT = 42
KEY_RIGHTSHIFT = 54
KEY_LEFTALT = 56
KEY_SPACE = 57
KEY_CAPSLOCK = 58
KEY_NUMLOCK = 69
KEY_SCROLLLOCK = 70
KEY_KP7, KEY_KP8, KEY_KP9 = 71, 72, 73
KEY_KP4, KEY_KP5, KEY_KP6 = 75, 76, 77
KEY_KP1, KEY_KP2, KEY_KP3, KEY_KP0 = 79, 80, 81, 82
KEY_KPENTER = 96
KEY_RIGHTCTRL = 97
KEY_RIGHTALT = 100
KEY_LEFTMETA = 125
KEY_RIGHTMETA = 126

# Digits by key position: the same physical keys on US, DE and FR layouts, and the keypad
# whatever Num Lock says.
DIGIT_KEYS: dict[int, str] = {
    KEY_1: "1", KEY_2: "2", KEY_3: "3", KEY_4: "4", KEY_5: "5",
    KEY_6: "6", KEY_7: "7", KEY_8: "8", KEY_9: "9", KEY_0: "0",
    KEY_KP1: "1", KEY_KP2: "2", KEY_KP3: "3", KEY_KP4: "4", KEY_KP5: "5",
    KEY_KP6: "6", KEY_KP7: "7", KEY_KP8: "8", KEY_KP9: "9", KEY_KP0: "0",
}

TERMINATOR_KEYS: frozenset[int] = frozenset({KEY_ENTER, KEY_KPENTER})

# Shift is harmless (an AZERTY-configured scanner holds Shift to type digits); the lock keys
# only toggle. Neither changes which key position was pressed.
NEUTRAL_MODIFIERS: frozenset[int] = frozenset(
    {KEY_LEFTSHIFT, KEY_RIGHTSHIFT, KEY_CAPSLOCK, KEY_NUMLOCK, KEY_SCROLLLOCK}
)
# With Ctrl, Alt, AltGr or Meta held, a digit key is a hotkey or an Alt-code, not a digit.
CHORD_MODIFIERS: frozenset[int] = frozenset(
    {KEY_LEFTCTRL, KEY_RIGHTCTRL, KEY_LEFTALT, KEY_RIGHTALT, KEY_LEFTMETA, KEY_RIGHTMETA}
)

_FALLBACK_NAMES = {
    "KEY_TAB": KEY_TAB, "KEY_ENTER": KEY_ENTER, "KEY_KPENTER": KEY_KPENTER,
    "KEY_SPACE": KEY_SPACE, "KEY_ESC": KEY_ESC,
}


def key_code(name: str) -> int:
    """The code of a key named like evdev does ("KEY_TAB"); ValueError for an unknown name."""
    try:
        from evdev import ecodes  # the full table, where evdev is installed (Linux)

        code = ecodes.ecodes.get(name)
    except ImportError:
        code = _FALLBACK_NAMES.get(name)
    if not name.startswith("KEY_") or not isinstance(code, int):
        raise ValueError(f"unknown key name {name!r}; expected a name such as \"KEY_TAB\"")
    return code
