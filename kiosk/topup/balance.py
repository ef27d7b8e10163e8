"""The new balance as the API's receipt prints it."""

from __future__ import annotations

import re

from kiosk.secuconnect.models import ReceiptLine

_BALANCE_RE = re.compile(r"(-?\d{1,3}(?:\.\d{3})+|-?\d+),(\d{2})")


def balance_from_receipt(lines: tuple[ReceiptLine, ...]) -> int | None:
    """The new balance as the API printed it: the amount after the last "Aktuelles Guthaben".

    The card data inside the answer shows the balance before the top-up (see the seed), so the
    receipt is the source of the new balance.
    """
    found = None
    for index, line in enumerate(lines):
        label = line.text or line.name
        if "guthaben" not in label.lower():
            continue
        candidates = [line.value] if line.type == "name-value" else []
        candidates += [n.text or n.value for n in lines[index + 1:index + 2]]
        for text in candidates:
            match = _BALANCE_RE.search(text or "")
            if match:
                found = int(match.group(1).replace(".", "")) * 100 + int(match.group(2))
                break
    return found
