"""`kiosk reprint`: print a receipt again, marked as a copy (settles a receipt owed)."""

from __future__ import annotations

import argparse
import sys

from hardware.printer.transport import PrintError
from kiosk.app import receipt_document
from kiosk.commands.common import EXIT_JOURNAL, add_config_argument, load_config_for
from kiosk.journal import Journal, JournalError, State, TopupRow
from kiosk.printers import open_printer
from kiosk.receipt import render_text

EXIT_NOTHING = 1
EXIT_PRINTER = 3


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "reprint", help="print a receipt again, marked as a copy",
        description="Print the last receipt (or the one of --reference, or every receipt still "
                    "owed with --owed) again, marked KOPIE / COPY. A receipt owed (the printer "
                    "failed after payment) counts as handed out once the copy printed. Stop "
                    "`kiosk run` first: the printer port is not shared.",
    )
    add_config_argument(parser)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--reference", help="the kiosk reference of the top-up (kiosk journal)")
    which.add_argument("--owed", action="store_true", help="every receipt still owed")
    parser.add_argument("--text", action="store_true",
                        help="write the receipt to stdout instead of printing it")
    parser.set_defaults(func=run_reprint, owns_state=True)


def run_reprint(args: argparse.Namespace) -> int:
    config = load_config_for(args)
    try:
        journal = Journal.open_in(config.state_dir)
    except JournalError as exc:
        print(f"kiosk reprint: {exc}", file=sys.stderr)
        return EXIT_JOURNAL
    printer = None if args.text else open_printer(config.printer)
    try:
        rows = _rows(journal, args)
        if not rows:
            print("kiosk reprint: no such receipt in the journal", file=sys.stderr)
            return EXIT_NOTHING if not args.owed else 0
        for row in rows:
            document = receipt_document(config, row, copy=True)
            if printer is None:
                print(render_text(document, config.printer.columns))
            else:
                try:
                    printer.print_document(document)
                except PrintError as exc:
                    print(f"kiosk reprint: {row.reference}: {exc}", file=sys.stderr)
                    return EXIT_PRINTER
                print(f"printed copy of {row.reference} ({row.card_masked})")
            if row.state is State.RECEIPT_OWED:
                journal.advance(row.reference, State.DONE)
    finally:
        if printer is not None:
            printer.close()
        journal.close()
    return 0


def _rows(journal: Journal, args: argparse.Namespace) -> list[TopupRow]:
    if args.owed:
        return journal.receipts_owed()
    if args.reference:
        row = journal.get(args.reference)
        ok = row is not None and row.receipt and row.state in (
            State.CONFIRMED, State.RECEIPT_OWED, State.DONE)
        return [row] if ok and row is not None else []
    row = journal.last_receipt()
    return [row] if row is not None else []
