"""What every `kiosk` subcommand shares: the exit codes, the --config option and loading it."""

from __future__ import annotations

import argparse

from kiosk.config import EXAMPLE_CONFIG, Config, ConfigError, load_config
from kiosk.statelock import StateLock

DEFAULT_CONFIG = "/etc/kiosk/kiosk.toml"

# Exit codes every command shares; a command's own outcomes use 1 and 3.
EXIT_CONFIG = 2   # the config file (or a file it names) was refused
EXIT_JOURNAL = 4  # the journal cannot be opened or used
EXIT_BUSY = 5     # another process owns the state directory (kiosk.statelock)


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


def add_config_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        default=DEFAULT_CONFIG,
        help=f"config file (default {DEFAULT_CONFIG}; example: {EXAMPLE_CONFIG})",
    )
