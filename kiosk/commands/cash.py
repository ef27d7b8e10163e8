"""`kiosk cash ...` (cashbox report, owed cash, fault campaign) and the headless `kiosk topup --cash`."""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
from datetime import datetime
from pathlib import Path

from kiosk.cash.campaign import Campaign, cases, summary
from kiosk.cash.desk import CashDesk, CashRefused
from kiosk.cash.ledger import CashLedger
from kiosk.cash.report import cashbox_report
from kiosk.cash.session import Controls
from kiosk.cash.settle import CashResult, Slip
from kiosk.cli import EXIT_JOURNAL, add_config_argument, load_config_for
from kiosk.config import Config
from kiosk.journal import JournalError
from kiosk.money import format_amount
from kiosk.receipt import cash_slip, render_text, topup_receipt

EXIT_NOT_CREDITED = 1  # the same codes as `kiosk topup`
EXIT_UNRESOLVED = 3
DEFAULT_CAMPAIGN = 1050
RETRY_S = 30.0  # how long a customer waits while a "not executed" top-up is retried


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
    try:
        from kiosk.journal import Journal
        with Journal.open_in(config.state_dir) as journal:
            ledger = CashLedger(journal)
            count = ledger.cashbox_emptied() if args.emptied else ledger.cashbox()
    except JournalError as exc:
        print(f"kiosk cash cashbox: {exc}", file=sys.stderr)
        return EXIT_JOURNAL
    print(render_text(cashbox_report(count, kiosk_id=config.kiosk.id, when=datetime.now(),
                                     currency=config.topup.currency), config.printer.columns))
    return 0


def run_owed(args: argparse.Namespace) -> int:
    from kiosk.commands.topup import open_service
    config = load_config_for(args)
    try:
        with open_service(config) as service:
            desk = CashDesk(config, service, CashLedger(service.journal))
            if args.credit:
                if not args.card:
                    print("kiosk cash owed: --credit needs --card (scan the customer's card)",
                          file=sys.stderr)
                    return EXIT_NOT_CREDITED
                result = desk.settler.credit_owed(args.credit, args.card)
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


def run_cash_topup(args: argparse.Namespace, config: Config, number: str,
                   amount: int | None) -> int:
    """`kiosk topup --cash`: enable the validator, take notes until the amount (or Enter, or
    the session timeout), top up once, print the outcome and the receipt or slip."""
    from kiosk.commands.topup import open_service
    if config.cash.mode != "validator":
        print("kiosk topup --cash: [cash] mode is not \"validator\"", file=sys.stderr)
        return EXIT_NOT_CREDITED
    target = min(amount or config.topup.maximum, config.topup.maximum)
    try:
        with open_service(config) as service:
            service.recover()
            desk = CashDesk(config, service, CashLedger(service.journal), retry_s=RETRY_S)
            try:
                desk.recover()
                controls = Controls(on_change=lambda total, fault: _progress(
                    total, fault, target, controls, config))
                threading.Thread(target=lambda: (sys.stdin.readline(), controls.finish.set()),
                                 daemon=True).start()
                print(f"insert notes up to {format_amount(target, config.topup.currency)}; "
                      f"Enter ends", flush=True)
                end, result = desk.run(number, controls, cap=target)
            except CashRefused as exc:
                print(f"kiosk topup --cash: not started: {exc}", file=sys.stderr)
                return EXIT_NOT_CREDITED
            finally:
                desk.close()
            print(describe(result, config))
            if result.credited and result.topup is not None and result.topup.reference:
                print(render_text(topup_receipt(
                    config.kiosk, when=datetime.now(), lines=result.topup.receipt,
                    stx_id=result.topup.stx_id or "-", reference=result.topup.reference,
                    paid_cash=True), config.printer.columns))
                service.receipt_printed(result.topup.reference)
            elif result.slip is not None or result.session.uncertain:
                print(render_text(slip_for(result, config), config.printer.columns))
    except JournalError as exc:
        print(f"kiosk topup: {exc}", file=sys.stderr)
        return EXIT_JOURNAL
    if result.credited:
        return 0
    return EXIT_UNRESOLVED if result.slip is Slip.CLAIM else EXIT_NOT_CREDITED


def slip_for(result: CashResult, config: Config):  # -> Document
    row = result.session
    return cash_slip(config.kiosk, when=datetime.now(), reference=row.reference,
                     amount=row.total, currency=row.currency, card_masked=row.card_masked,
                     uncertain=[n.value for n in row.uncertain],
                     claim=result.slip is Slip.CLAIM)


def describe(result: CashResult, config: Config) -> str:
    row = result.session
    amount = format_amount(row.total, row.currency, symbol=False)
    head = {"CREDITED": "CREDITED", "SETTLED": "CREDITED", "EMPTY": "NOTHING PAID IN",
            "OWED": "OWED", "CLAIM": "UNRESOLVED"}.get(row.state.value, row.state.value)
    return f"{head} {amount} in cash for {row.card_masked}\n  cash session: {row.reference}"


def _progress(total: int, fault: object, target: int, controls: Controls,
              config: Config) -> None:
    if (total, fault) == getattr(controls, "_shown", None):
        return
    controls._shown = (total, fault)  # type: ignore[attr-defined]
    print(f"  paid in: {format_amount(total, config.topup.currency)}"
          f"{f' ({fault.value})' if fault is not None else ''}", flush=True)  # type: ignore[attr-defined]
    if total >= target:
        controls.finish.set()
