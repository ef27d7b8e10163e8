"""The cashbox count report printed by the admin action "cashbox emptied", and a cash result in words."""

from __future__ import annotations

from datetime import datetime

from hardware.printer.escpos import Align, Cut, Document, NameValue, Rule, Text
from kiosk.cash.ledger import CashboxCount
from kiosk.money import format_amount


def cashbox_report(count: CashboxCount, *, kiosk_id: str, when: datetime,
                   currency: str = "EUR") -> Document:
    """Per denomination, total and period: what the person emptying the box counts against."""
    blocks = [
        Text("KASSENBOX GELEERT", bold=True, width=2, height=2, align=Align.CENTER),
        Text("CASHBOX EMPTIED", bold=True, align=Align.CENTER),
        NameValue("Kiosk:", kiosk_id),
        NameValue("Zeit / Time:", when.strftime("%d.%m.%Y %H:%M")),
        NameValue("Von / From:", count.started_at[:16].replace("T", " ")),
        NameValue("Bis / To:", (count.emptied_at or "-")[:16].replace("T", " ")),
        Rule(),
    ]
    for value, n in sorted(count.notes.items()):
        blocks.append(NameValue(f"{n} x {format_amount(value, currency)}",
                                format_amount(value * n, currency)))
    blocks += [
        Rule(),
        NameValue("Scheine / Notes:", str(count.count)),
        NameValue("Summe / Total:", format_amount(count.total, currency), bold=True),
        Cut(),
    ]
    return Document(tuple(blocks))
