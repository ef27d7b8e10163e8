"""`kiosk topup --cash`: a whole validator session headless, for technicians (exit codes of `kiosk topup`)."""

from __future__ import annotations

import argparse
import sys
import threading
from datetime import datetime
from typing import Callable, ContextManager

from kiosk.cash.desk import CashDesk, CashRefused
from kiosk.cash.ledger import CashLedger
from kiosk.cash.session import Controls
from kiosk.cash.settle import CashResult, Slip
from kiosk.commands.common import EXIT_JOURNAL
from kiosk.config import Config
from kiosk.journal import JournalError
from kiosk.money import format_amount
from kiosk.receipt import cash_slip, render_text, topup_receipt
from kiosk.topup import TopupService

EXIT_NOT_CREDITED = 1  # the same codes as `kiosk topup`
EXIT_UNRESOLVED = 3
RETRY_S = 30.0  # how long a customer waits while a "not executed" top-up is retried


def run_cash_topup(args: argparse.Namespace, config: Config, number: str,
                   amount: int | None,
                   open_service: Callable[[Config], ContextManager[TopupService]]) -> int:
    """`kiosk topup --cash`: enable the validator, take notes until the amount (or Enter, or
    the session timeout), top up once, print the outcome and the receipt or slip."""
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
                    amount=result.topup.amount, currency=result.topup.currency,
                    start_type="cash", paid_cash=True), config.printer.columns))
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
