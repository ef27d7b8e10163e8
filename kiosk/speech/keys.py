"""Config key names ("5", "*", "f1") -> the pygame key codes that send them (main row and keypad)."""

from __future__ import annotations

import pygame

_SYMBOLS = {
    "*": (pygame.K_KP_MULTIPLY, pygame.K_ASTERISK),
    "/": (pygame.K_KP_DIVIDE, pygame.K_SLASH),
    "+": (pygame.K_KP_PLUS, pygame.K_PLUS),
    "-": (pygame.K_KP_MINUS, pygame.K_MINUS),
    ".": (pygame.K_KP_PERIOD, pygame.K_PERIOD),
    "enter": (pygame.K_RETURN, pygame.K_KP_ENTER),
    "backspace": (pygame.K_BACKSPACE,),
}


def key_codes(name: str) -> frozenset[int]:
    """Every key code that counts as the key `name` (a digit on the main row or the keypad)."""
    if name.isdigit() and len(name) == 1:
        return frozenset({getattr(pygame, f"K_{name}"), getattr(pygame, f"K_KP{name}")})
    if name in _SYMBOLS:
        return frozenset(_SYMBOLS[name])
    if name.startswith("f") and name[1:].isdigit():
        return frozenset({getattr(pygame, f"K_F{name[1:]}")})
    raise ValueError(f"[speech]: no such key {name!r}")
