"""`kiosk cash ...`: the cashbox count report, owed cash (list, credit now), the cash fault campaign."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from hardware.printer.escpos import Document
from kiosk.cash.desk import CashDesk
from kiosk.cash.ledger import CashLedger
from kiosk.cash.report import cashbox_report, empty_cashbox
from kiosk.commands.common import EXIT_JOURNAL, add_config_argument, load_config_for
from kiosk.commands.cash_topup import EXIT_NOT_CREDITED, describe
from kiosk.commands.topup import open_service
from kiosk.journal import Journal, JournalError
from kiosk.money import format_amount
from kiosk.receipt import render_text

DEFAULT_CAMPAIGN = 1050


def register(sub: argparse._SubParsersAction) -> None:
    cash = sub.add_parser("cash", help="cashbox report, owed cash, cash fault campaign")
    actions = cash.add_subparsers(dest="cash_action", required=True)
    box = actions.add_parser("cashbox", help="notes in the cashbox since the last emptying")
    add_config_argument(box)
    box.add_argument("--emptied", action="store_true",
                     help="the cashbox was emptied: print the count report, start a new period")
    box.set_defaults(func=run_cashbox, owns_state=True)
    owed = actions.add_parser("owed", help="list owed cash sessions, or credit one now")
    add_config_argument(owed)
    owed.add_argument("--credit", metavar="REFERENCE", help="credit this owed session now")
    owed.add_argument("--card", help="the customer's card, scanned again (with --credit)")
    owed.set_defaults(func=run_owed, owns_state=True)
    campaign = actions.add_parser(
        "campaign", help="validator faults x API faults x SIGKILL at every journal step",
        description="Runs cash sessions against the sandbox and the virtual validator, each in "
                    "a child process killed at its crash step, recovers, and checks every "
                    "stacked note against the cashbox and credit ledgers.")
    campaign.add_argument("--sessions", type=int, default=DEFAULT_CAMPAIGN,
                          help=f"faulted sessions, a seeded sample of the grid "
                               f"(default {DEFAULT_CAMPAIGN})")
    campaign.add_argument("--all", action="store_true", help="the whole grid")
    campaign.add_argument("--seed", type=int, default=1)
    campaign.set_defaults(func=run_campaign)


def run_cashbox(args: argparse.Namespace) -> int:
    config = load_config_for(args)

    def show(document: Document) -> bool:
        print(render_text(document, config.printer.columns))
        return True

    try:
        with Journal.open_in(config.state_dir) as journal:
            ledger = CashLedger(journal)
            if args.emptied:
                empty_cashbox(ledger, show, kiosk_id=config.kiosk.id, when=datetime.now(),
                              currency=config.topup.currency)
            else:
                show(cashbox_report(ledger.cashbox(), kiosk_id=config.kiosk.id,
                                    when=datetime.now(), currency=config.topup.currency))
    except JournalError as exc:
        print(f"kiosk cash cashbox: {exc}", file=sys.stderr)
        return EXIT_JOURNAL
    return 0


def run_owed(args: argparse.Namespace) -> int:
    config = load_config_for(args)
    try:
        with open_service(config) as service:
            desk = CashDesk(config, service, CashLedger(service.journal))
            if args.credit:
                if not args.card:
                    print("kiosk cash owed: --credit needs --card (scan the customer's card)",
                          file=sys.stderr)
                    return EXIT_NOT_CREDITED
                result = desk.credit_owed(args.card, args.credit)
                print(describe(result, config))
                return 0 if result.credited else EXIT_NOT_CREDITED
            for row in desk.ledger.owed():
                print(f"{row.reference}  {row.created_at[:16]}  {row.card_masked}  "
                      f"{format_amount(row.total, row.currency)}  slip: {row.slip or '-'}  "
                      f"{row.reason or ''}")
    except JournalError as exc:
        print(f"kiosk cash owed: {exc}", file=sys.stderr)
        return EXIT_JOURNAL
    return 0


def run_campaign(args: argparse.Namespace) -> int:
    # Imported here: it brings the simulators, which no other command needs at start-up.
    from kiosk.cash.campaign import Campaign, cases, summary
    if not getattr(args, "verbose", False):
        # Thousands of sessions: the per-request INFO lines would drown the figures.
        logging.getLogger().setLevel(logging.ERROR)
    selected = cases(None if args.all else args.sessions, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="kiosk-cash-campaign-") as tmp:
        campaign = Campaign(Path(tmp), on_progress=lambda n, f: print(
            f"  {n}/{len(selected)} sessions, {len(f.violations)} violations", flush=True)
            if n % 50 == 0 else None)
        figures = campaign.run(selected)
    for line in summary(figures):
        print(line)
    return 0 if not figures.violations else 1


