"""The printer test page: what an installer prints first, from the admin menu or `kiosk test-print`."""

from __future__ import annotations

from datetime import datetime

from hardware.printer.document import Align, Blank, Cut, Document, Rule, Text
from kiosk import __version__
from kiosk.config import Config


def build_test_page(config: Config, now: datetime) -> Document:
    """Merchant, umlauts and € (shows the code page slot is right), kiosk id, time, version."""
    kiosk = config.kiosk
    return Document((
        Text(kiosk.merchant_name, bold=True, align=Align.CENTER),
        Rule(),
        Text("TESTDRUCK / TEST PRINT", bold=True, align=Align.CENTER),
        Text("ÄÖÜ äöü ß €", align=Align.CENTER),
        Blank(),
        Text(f"Kiosk {kiosk.id} · {now.strftime('%d.%m.%Y %H:%M')}"),
        Text(f"Software {__version__}"),
        Cut(),
    ))
