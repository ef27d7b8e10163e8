"""The new balance as the API's receipt prints it."""

from __future__ import annotations

import re

from kiosk.secuconnect.models import ReceiptLine

# A balance as the receipt prints it: "1.234,56" or "1234,56", optionally negative. Every
# repetition is bounded, so a search costs a fixed amount per offset (linear in the line, where
# an unbounded digit run made it quadratic), and the look-behind keeps a longer number from
# being read by its tail. Twelve digits of euros are more than any card holds.
BALANCE_RE = re.compile(r"(?<![\d.])(-?\d{1,3}(?:\.\d{3}){1,3}|-?\d{1,12}),(\d{2})")


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
            match = BALANCE_RE.search(text or "")
            if match:
                whole = match.group(1).replace(".", "")
                cents = abs(int(whole)) * 100 + int(match.group(2))
                found = -cents if whole.startswith("-") else cents   # "-3,50" is -350
                break
    return found
