"""The `kiosk` command: one subcommand per job, each living in its own module."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from typing import Sequence

from kiosk.config import EXAMPLE_CONFIG, Config, ConfigError, load_config
from kiosk.logs import setup_logging
from kiosk.statelock import StateBusy, StateLock

DEFAULT_CONFIG = "/etc/kiosk/kiosk.toml"

# Exit codes every command shares; a command's own outcomes use 1 and 3.
EXIT_CONFIG = 2   # the config file (or a file it names) was refused
EXIT_JOURNAL = 4  # the journal cannot be opened or used
EXIT_BUSY = 5     # another process owns the state directory (kiosk.statelock)

# Each module offers `register(subparsers)`, which adds its subcommand(s) and sets
# `func(args) -> int` on them. Adding a command is one line here.
COMMAND_MODULES: tuple[str, ...] = (
    "kiosk.commands.topup",
    "kiosk.commands.journal",
    "kiosk.commands.doctor",
    "kiosk.commands.test_print",
    "kiosk.commands.sandbox",
    "kiosk.commands.bench",
    "kiosk.commands.run",
    "kiosk.commands.simulate",
    "kiosk.commands.register",
    "kiosk.commands.reprint",
    "kiosk.commands.cash",
)


def load_config_for(args: argparse.Namespace) -> Config:
    """The config named by --config; raises ConfigError with an operator-readable message.

    A command that writes the state directory (`owns_state=True` in its parser defaults) also
    takes the directory's lock here, held until main() returns; StateBusy if another has it.
    """
    config = load_config(args.config)
    if getattr(args, "owns_state", False) and getattr(args, "state_lock", None) is None:
        try:
            args.state_lock = StateLock.acquire(config.state_dir, args.command)
        except OSError as exc:
            raise ConfigError(f"{config.source}: [state] directory: cannot lock "
                              f"{config.state_dir}: {exc}") from exc
    return config


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="Loyalty-card top-up kiosk")
    parser.add_argument("--verbose", "-v", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        default=DEFAULT_CONFIG,
        help=f"config file (default {DEFAULT_CONFIG}; example: {EXAMPLE_CONFIG})",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
