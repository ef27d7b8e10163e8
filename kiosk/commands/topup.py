"""`kiosk topup` (a headless top-up for technicians and tests) and `kiosk recover` (settle open rows)."""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
from typing import Callable, Iterator, TextIO

from kiosk.cards import check_card_number
from kiosk.commands.common import EXIT_JOURNAL, add_config_argument, load_config_for
from kiosk.config import Config
from kiosk.journal import Journal, JournalError, State, TopupRow
from kiosk.money import AmountError, format_amount, parse_amount
from kiosk.secuconnect.client import SecuconnectClient
from kiosk.secuconnect.models import ReceiptLine
from kiosk.topup import (
    REASON_TEXT,
    Outcome,
    TopupResult,
    TopupService,
    handed_over,
    local_refusal,
)

# Exit codes: 0 credited (or nothing left to recover), 1 not credited, 2 configuration refused
# (kiosk.cli), 3 outcome not settled (claim; recovery goes on at the next start), 4 journal.
EXIT_NOT_CREDITED = 1
EXIT_UNRESOLVED = 3
RECEIPT_WIDTH = 42
CREDITED = frozenset({State.CONFIRMED, State.RECEIPT_OWED, State.DONE})


def register(sub: argparse._SubParsersAction) -> None:
    topup = sub.add_parser(
        "topup", help="top up a card headless (recovers open top-ups first)",
        description="Recover unfinished top-ups, then credit AMOUNT to the card and print the "
                    "outcome and the receipt lines. Exit code 0 only when the card was credited.",
    )
    add_config_argument(topup)
    topup.add_argument("--card", required=True, help="the 16-digit card number")
    topup.add_argument("--amount", help="amount, e.g. 15.00 or 15,00 (with --cash: stop "
                                        "taking notes there; default [topup] maximum)")
    topup.add_argument("--cash", action="store_true",
                       help="take notes from the note validator ([cash] mode = \"validator\")")
    topup.add_argument("--start-type", choices=("cash", "cashless"),
                       help="payment type (default: [topup] start_type)")
    topup.add_argument("--recover-timeout", type=float, default=120.0, metavar="SECONDS",
                       help="give up recovering open top-ups after this long (default 120)")
    topup.set_defaults(func=run_topup, owns_state=True)

    recover = sub.add_parser(
        "recover", help="settle unfinished top-ups left by a crash or lost answers",
        description="Resolve every unfinished journal row by reading the payment service.",
    )
    add_config_argument(recover)
    recover.add_argument("--timeout", type=float, default=120.0, metavar="SECONDS",
                         help="give up after this long (default 120); rows stay open")
    recover.set_defaults(func=run_recover, owns_state=True)


@contextlib.contextmanager
def open_service(config: Config) -> Iterator[TopupService]:
    """The journal, the API client and the procedure for `config`; closed on exit."""
    journal = Journal.open_in(config.state_dir)
    try:
        client = SecuconnectClient.from_config(config)
        try:
            yield TopupService(client, journal, config)
        finally:
            client.close()
    finally:
        journal.close()


def run_topup(args: argparse.Namespace) -> int:
    config = load_config_for(args)
    form = check_card_number(args.card, config.topup.card_prefixes)
    if not form.ok or form.number is None:
        print(f"kiosk topup: --card: not a card number ({form.rejection.value if form.rejection else ''})",
              file=sys.stderr)
        return EXIT_NOT_CREDITED
    try:
        if args.amount is None and not args.cash:
            raise AmountError("required (or --cash)")
        amount = parse_amount(args.amount) if args.amount is not None else None
    except AmountError as exc:
        print(f"kiosk topup: --amount: {exc}", file=sys.stderr)
        return EXIT_NOT_CREDITED
    if args.cash:
        from kiosk.commands.cash_topup import run_cash_topup
        return run_cash_topup(args, config, form.number, amount, open_service)
    assert amount is not None
    refused = local_refusal(config.topup, form.number, amount)
    if refused is not None:   # answered before any wait for recovery
        _output(lambda out: _print_result(refused, out))
        return EXIT_NOT_CREDITED
    try:
        with open_service(config) as service:
            # Claims already handed out do not hold up a new top-up (`kiosk recover` and the
            # running kiosk settle them); a row without one must be settled first.
            if not _recover(service, args.recover_timeout, claims=False):
                print("kiosk topup: earlier top-ups are still unresolved; no new top-up "
                      "(run `kiosk recover` when the payment service is reachable)",
                      file=sys.stderr)
                return EXIT_UNRESOLVED
            result = service.topup(form.number, amount, start_type=args.start_type)
            _output(lambda out: _print_result(result, out))
            if result.outcome is Outcome.CONFIRMED and result.reference:
                _hand_out_receipt(service, result)
            # The journal row is the truth, whatever happened to the output.
            row = service.journal.get(result.reference) if result.reference else None
    except JournalError as exc:
        print(f"kiosk topup: {exc}", file=sys.stderr)
        return EXIT_JOURNAL
    if row is None:
        return EXIT_NOT_CREDITED   # refused before a row was written
    return exit_code(row)


def exit_code(row: TopupRow) -> int:
    """The exit code a top-up's journal row stands for."""
    if row.state in CREDITED:
        return 0
    if row.state is State.NOT_EXECUTED:
        return EXIT_NOT_CREDITED
    return EXIT_UNRESOLVED   # a claim, or still open


def run_recover(args: argparse.Namespace) -> int:
    config = load_config_for(args)
    try:
        with open_service(config) as service:
            for stx_id in service.sweep_orphans(force=True):
                _output(lambda out, stx_id=stx_id: out.write(
                    f"aborted late transaction {stx_id} of a top-up found not created\n"))
            if not service.journal.unfinished():
                _output(lambda out: out.write("nothing to recover\n"))
                return 0
            settled = _recover(service, args.timeout, claims=True)
    except JournalError as exc:
        print(f"kiosk recover: {exc}", file=sys.stderr)
        return EXIT_JOURNAL
    return 0 if settled else EXIT_UNRESOLVED


def _recover(service: TopupService, timeout: float, *, claims: bool) -> bool:
    """Recover with a time limit; print each settled row. True when nothing is left open
    (with `claims=False`: nothing but claims already handed out)."""
    stop = threading.Event()
    timer = threading.Timer(timeout, stop.set)
    timer.daemon = True
    timer.start()
    try:
        results = service.recover(stop, claims=claims) or []
    finally:
        timer.cancel()
    for result in results:
        _output(lambda out, result=result: (out.write("recovered: "), _print_result(result, out)))
        if result.outcome is Outcome.CONFIRMED and result.reference:
            _hand_out_receipt(service, result)
    return not [row for row in service.journal.unfinished() if claims or not handed_over(row)]


def _hand_out_receipt(service: TopupService, result: TopupResult) -> None:
    """Headless, the receipt goes to stdout; when it cannot, it stays owed for a reprint."""
    assert result.reference
    if _output(lambda out: _print_receipt(result.receipt, out)):
        service.receipt_printed(result.reference)
    else:
        service.receipt_owed(result.reference)


def _output(write: Callable[[TextIO], object]) -> bool:
    """Write to stdout; False (said on stderr, if it can be) when stdout is closed or broken.

    A top-up's outcome never depends on its output: a closed pipe must not turn a credit
    into "not credited" for a script that would then top up again.
    """
    try:
        if sys.stdout is None:   # started with stdout closed (`>&-`)
            raise OSError("stdout is closed")
        write(sys.stdout)
        sys.stdout.flush()
        return True
    except (OSError, ValueError) as exc:   # broken pipe, full disk, closed file
        with contextlib.suppress(Exception):
            print(f"kiosk: cannot write to stdout: {exc}", file=sys.stderr)
        return False


def _print_result(result: TopupResult, out: TextIO) -> None:
    amount = format_amount(result.amount, result.currency, symbol=False)
    if result.outcome is Outcome.CONFIRMED:
        head = f"CREDITED {amount} to {result.card_masked}"
    elif result.outcome is Outcome.UNRESOLVED:
        head = f"UNRESOLVED {amount} for {result.card_masked} (claim)"
    else:
        head = f"NOT CHARGED {amount} for {result.card_masked}"
    out.write(head + "\n")
    out.write(f"  reference: {result.reference or '-'}\n")
    if result.stx_id:
        out.write(f"  transaction: {result.stx_id}\n")
    if result.trans_id:
        out.write(f"  TA code: {result.trans_id}\n")
    if result.new_balance is not None:
        out.write(f"  new balance: {format_amount(result.new_balance, result.currency, symbol=False)}\n")
    if result.reason is not None:
        out.write(f"  reason: {result.reason.value}: {REASON_TEXT[result.reason]}\n")
    if result.support_id:
        out.write(f"  supportId: {result.support_id}\n")
    if result.error and result.outcome is not Outcome.CONFIRMED:
        out.write(f"  detail: {result.error}\n")
    out.flush()


def _print_receipt(lines: tuple[ReceiptLine, ...], out: TextIO) -> None:
    """The API's receipt lines as plain text (already masked by the journal)."""
    out.write("  receipt:\n")
    for line in render_receipt_text(lines):
        out.write(f"    {line}\n")
    out.flush()


def render_receipt_text(lines: tuple[ReceiptLine, ...], width: int = RECEIPT_WIDTH) -> list[str]:
    """A text rendering of receipt lines for a terminal; unknown line types are skipped."""
    rendered: list[str] = []
    for line in lines:
        decorations = {d.replace("_", "-") for d in line.decorations}
        if line.type == "separator":
            rendered.append(f" {line.caption} ".center(width, "-") if line.caption else "-" * width)
        elif line.type == "name-value":
            name, value = line.name.strip(), line.value.strip()
            gap = max(1, width - len(name) - len(value))
            rendered.append(name + " " * gap + value)
        elif line.type == "textline":
            text = line.text
            if "align-center" in decorations:
                text = text.center(width).rstrip()
            elif "align-right" in decorations:
                text = text.rjust(width)
            rendered.append(text)
        elif line.type == "space":
            rendered.append("")
    return rendered

