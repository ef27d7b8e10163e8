"""The short human reference of a top-up (e.g. `K7Q4-2MXD`), derived from its full reference."""

from __future__ import annotations

import hashlib

# No 0/O, 1/I/L: a code read out over the phone or copied from a slip cannot be misread.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 8
GROUP = 4


def short_reference(reference: str) -> str:
    """Eight characters in two groups, a pure function of the kiosk's full reference.

    Derived rather than drawn: the journal stores it beside the full reference (indexed, for
    `kiosk journal --find`), and every screen and slip shows the same code for the same
    top-up without carrying a second value around. About 40 bits: two rows may share a code
    in a large journal, so a search lists every match (the full reference stays unique).
    """
    number = int.from_bytes(hashlib.sha256(reference.encode("utf-8")).digest()[:8], "big")
    chars = []
    for _ in range(LENGTH):
        number, digit = divmod(number, len(ALPHABET))
        chars.append(ALPHABET[digit])
    code = "".join(chars)
    return f"{code[:GROUP]}-{code[GROUP:]}"


def normalize(text: str) -> str:
    """What a person typed (any case, with or without the dash or spaces) as stored, or ''."""
    code = "".join(c for c in text.upper() if c.isalnum())
    if len(code) != LENGTH or any(c not in ALPHABET for c in code):
        return ""
    return f"{code[:GROUP]}-{code[GROUP:]}"
