"""The cashbox count report printed by the admin action "cashbox emptied", and a cash result in words."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Callable

from hardware.printer.escpos import Align, Cut, Document, NameValue, Rule, Text
from kiosk.cash.ledger import CashboxCount, CashLedger
from kiosk.journal import utc_now
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


def empty_cashbox(ledger: CashLedger, deliver: Callable[[Document], bool], *, kiosk_id: str,
                  when: datetime, currency: str = "EUR") -> tuple[CashboxCount, bool]:
    """"Cashbox emptied" (admin menu and `kiosk cash cashbox --emptied`): the count report of
    the period ending now is delivered (printed) first, and only a delivered report starts a
    new period, so a printer fault never loses the count. Returns the count and whether the
    new period began."""
    closing = replace(ledger.cashbox(), emptied_at=utc_now())
    if not deliver(cashbox_report(closing, kiosk_id=kiosk_id, when=when, currency=currency)):
        return closing, False
    return ledger.cashbox_emptied(), True
