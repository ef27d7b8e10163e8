"""`kiosk doctor`: one line per check of config, secret, storage, clock, API, printer, scanner
and speech."""

from __future__ import annotations

import argparse
import json
from typing import Callable, Sequence

from kiosk.commands.common import add_config_argument
from kiosk.config import Config, ConfigError, load_config
from kiosk.diagnose import Check, guard

# The user kiosk.service runs as (User= in systemd/kiosk.service, created by the package).
SERVICE_USER = "kiosk"
# In the order they run; --skip takes these names.
CHECK_NAMES: tuple[str, ...] = (
    "config", "state directory", "journal", "clock", "client secret", "API reachable",
    "authentication", "card terminal", "printer", "scanner", "speech",
)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "doctor", help="check config, secret, storage, clock, API, printer and scanner",
        description="Run each check and print OK or FAIL with the reason, one line each. "
                    "Exit code 0 only when every check passed. Creates and changes nothing; "
                    "stop the kiosk first (sudo systemctl stop kiosk), it holds printer and "
                    "scanner.")
    add_config_argument(parser)
    parser.add_argument("--json", action="store_true",
                        help="print the results as one JSON object (for scripts)")
    parser.add_argument("--skip", action="append", default=[], choices=CHECK_NAMES[1:],
                        metavar="CHECK", help="leave out a check (repeatable): "
                        + ", ".join(CHECK_NAMES[1:]))
    parser.add_argument("--only", action="append", default=[], choices=CHECK_NAMES[1:],
                        metavar="CHECK", help="run only this check (repeatable), after the "
                        "config; e.g. --only journal")
    parser.add_argument("--service-user", default=SERVICE_USER,
                        help=f"the user the state directory must belong to (default "
                             f"{SERVICE_USER}, as kiosk.service runs)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    skip = [*args.skip, *(n for n in CHECK_NAMES[1:] if args.only and n not in args.only)]
    checks = run_checks(args.config, service_user=args.service_user, skip=skip)
    ok = all(c.ok for c in checks)
    if args.json:
        print(json.dumps({"ok": ok, "config": args.config,
                          "checks": [c.as_dict() for c in checks]}, ensure_ascii=False))
    else:
        for check in checks:
            print(check.line())
    return 0 if ok else 1


def run_checks(config_path: str, *, service_user: str = SERVICE_USER,
               skip: Sequence[str] = ()) -> list[Check]:
    """Every check in order; a check that others depend on stops those that cannot run."""
    # Imported here: every command's parser is built at start-up, `kiosk run` too, and must
    # not wait for the HTTP stack and the device libraries the checks use.
    from kiosk.diagnose.api import check_auth, check_reachable
    from kiosk.diagnose.clock import check_clock
    from kiosk.diagnose.devices import check_printer, check_scanner
    from kiosk.diagnose.payments import check_payment_settings
    from kiosk.diagnose.secret import check_secret
    from kiosk.diagnose.storage import check_journal, check_state_dir
    from kiosk.diagnose.terminal import check_terminal
    from kiosk.speech.doctor import check_speech
    from kiosk.diagnose.validator import check_validator

    try:
        config = load_config(config_path)
    except ConfigError as exc:
        return [Check("config", False, str(exc))]
    checks = [Check("config", True, f"{config_path} loaded")]

    def add(name: str, check: Callable[[Config], str]) -> Check | None:
        if name in skip:
            return None
        result = guard(name, lambda: check(config))
        checks.append(result)
        return result

    add("state directory", lambda c: check_state_dir(c, service_user))
    add("journal", check_journal)
    add("clock", lambda c: check_clock(c.kiosk.clock_check))
    if "payment settings" not in skip:
        checks.append(check_payment_settings(config))
    secret = add("client secret", check_secret)
    reachable = add("API reachable", check_reachable)
    if "authentication" not in skip:
        if (secret is None or secret.ok) and (reachable is None or reachable.ok):
            checks.extend(check_auth(config))
        else:
            checks.append(Check("authentication", False,
                                "skipped: needs a readable client secret and a reachable API"))
    if "card terminal" not in skip:
        authenticated = all(c.ok for c in checks if c.name in ("authentication", "API call"))
        checks.append(check_terminal(config, live=authenticated and reachable is not None
                                     and reachable.ok))
    add("printer", check_printer)
    add("scanner", check_scanner)
    add("speech", check_speech)
    if config.cash.mode == "validator":
        add("note validator", check_validator)
    return checks
