"""`kiosk test-print`: print the test page through the real printer transport, as the kiosk does."""

from __future__ import annotations

import argparse
from datetime import datetime

from hardware.printer.status import REASONS, Condition
from hardware.printer.transport import PrintError
from kiosk.commands.common import add_config_argument, load_config_for
from kiosk.printers import open_printer
from kiosk.testprint import build_test_page


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "test-print", help="print a test page (what an installer checks first)",
        description="Print the test page (merchant, umlauts and €, kiosk id, time, software "
                    "version) on the configured printer and confirm it by the printer's "
                    "status. Exit 0 when printed. Stop the kiosk first: it holds the port.")
    add_config_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_config_for(args)
    printer = open_printer(config.printer)
    where = f"{config.printer.port} ([printer] port in {config.source})"
    try:
        result = printer.print_document(build_test_page(config, datetime.now()))
    except PrintError as exc:
        print(f"test page NOT printed on {where}: {exc}")
        if exc.nothing_sent:
            print("nothing was sent; `kiosk doctor` checks the port, the baud rate and the paper")
        return 1
    finally:
        printer.close()
    condition = result.status.condition
    note = "" if condition is Condition.READY else f" ({REASONS[condition]})"  # paper low
    print(f"test page printed on {where}: {result.bytes_written} bytes, confirmed by the "
          f"printer's status{note}")
    return 0
