"""`kiosk journal`: the recent top-ups from the journal, card numbers masked."""

from __future__ import annotations

import argparse
import sys

from kiosk.commands.common import EXIT_JOURNAL, add_config_argument, load_config_for
from kiosk.journal import Journal, JournalError, TopupRow
from kiosk.money import format_amount


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("journal", help="list recent top-ups (masked)",
                            description="List the newest top-ups in the journal, newest first.")
    add_config_argument(parser)
    parser.add_argument("--limit", type=int, default=20, metavar="N",
                        help="how many rows (default 20)")
    parser.add_argument("--find", metavar="REF",
                        help="only the top-up(s) with this short reference from a screen or "
                             "slip (e.g. K7Q4-2MXD, any case, dash optional) or full reference")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_config_for(args)
    try:
        with Journal.open_in(config.state_dir) as journal:
            rows = journal.find(args.find) if args.find else journal.recent(args.limit)
            open_rows = len(journal.unfinished())
    except JournalError as exc:
        print(f"kiosk journal: {exc}", file=sys.stderr)
        return EXIT_JOURNAL
    if not rows:
        if args.find:
            print(f"kiosk journal: no top-up with reference {args.find!r} in "
                  f"{config.state_dir}", file=sys.stderr)
            return 1
        print("no top-ups in the journal")
        return 0
    for row in rows:
        print(format_row(row))
    if open_rows:
        print(f"{open_rows} unfinished top-up(s): `kiosk recover` settles them")
    return 0


def format_row(row: TopupRow) -> str:
    """One line per top-up: time, state, amount, masked card, short and full reference, STX id,
    reason."""
    parts = [
        row.created_at[:19].replace("T", " ") + "Z",
        f"{row.state.value:<12}",
        f"{format_amount(row.amount, row.currency, symbol=False):>12}",
        row.card_masked,
        row.short_ref,
        row.reference,
        row.stx_id or "-",
    ]
    if row.reason:
        parts.append(row.reason)
    if row.support_id:
        parts.append(f"supportId {row.support_id}")
    return "  ".join(parts)
