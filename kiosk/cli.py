"""The `kiosk` command: one subcommand per job, each living in its own module."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import Sequence

# The shared pieces live below the commands, so that the commands never import this module.
from kiosk.commands.common import (  # noqa: F401  (re-exported for callers and tests)
    DEFAULT_CONFIG,
    EXIT_BUSY,
    EXIT_CONFIG,
    EXIT_JOURNAL,
    add_config_argument,
    load_config_for,
)
from kiosk.config import ConfigError
from kiosk.logs import setup_logging
from kiosk.statelock import StateBusy

# Each module offers `register(subparsers)`, which adds its subcommand(s) and sets
# `func(args) -> int` on them. COMMANDS names the subcommands each module adds, so that a
# command imports only its own module: `kiosk run` starts without the HTTP stack of `topup`,
# the simulators of `simulate` or the benchmarks. Adding a command is one line here.
COMMANDS: dict[str, str] = {
    "topup": "kiosk.commands.topup",
    "recover": "kiosk.commands.topup",
    "journal": "kiosk.commands.journal",
    "doctor": "kiosk.commands.doctor",
    "test-print": "kiosk.commands.test_print",
    "sandbox": "kiosk.commands.sandbox",
    "bench": "kiosk.commands.bench",
    "run": "kiosk.commands.run",
    "simulate": "kiosk.commands.simulate",
    "register": "kiosk.commands.register",
    "reprint": "kiosk.commands.reprint",
    "cash": "kiosk.commands.cash",
}


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for `argv`: with only its command's module when it names one, else with all."""
    parser = argparse.ArgumentParser(prog="kiosk", description="Loyalty-card top-up kiosk")
    parser.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # The only global options take no value, so the first other word is the command.
    command = next((arg for arg in argv or () if not arg.startswith("-")), None)
    modules = [COMMANDS[command]] if command in COMMANDS else COMMANDS.values()
    for name in dict.fromkeys(modules):
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    args = build_parser(argv).parse_args(argv)
    setup_logging(logging.DEBUG if args.verbose else logging.INFO)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"kiosk: configuration refused: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except StateBusy as exc:
        print(f"kiosk {args.command}: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except KeyboardInterrupt:
        return 130
    finally:
        lock = getattr(args, "state_lock", None)
        if lock is not None:
            lock.release()


if __name__ == "__main__":
    sys.exit(main())
