"""`kiosk register`: register this kiosk with secuconnect (device grant) without a screen."""

from __future__ import annotations

import argparse
import sys
import threading

from kiosk.commands.common import add_config_argument, load_config_for
from kiosk.secuconnect.auth import DeviceAuth
from kiosk.secuconnect.client import SecuconnectClient
from kiosk.secuconnect.errors import AuthError, SecuconnectError

EXIT_NOT_REGISTERED = 1


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "register", help="register the kiosk with secuconnect (device code)",
        description="For [api] auth_mode = \"device\": ask for a code, print it with the address "
                    "where the merchant confirms it (SecuOffice), and wait until confirmed. The "
                    "refresh token is stored in the state directory (owner-only).",
    )
    add_config_argument(parser)
    parser.add_argument("--force", action="store_true",
                        help="register again even if a refresh token exists")
    parser.set_defaults(func=run_register, owns_state=True)


def run_register(args: argparse.Namespace) -> int:
    config = load_config_for(args)
    if config.api.auth_mode != "device":
        print(f"kiosk register: {config.source}: [api] auth_mode is "
              f"\"{config.api.auth_mode}\"; registration is for auth_mode = \"device\"",
              file=sys.stderr)
        return EXIT_NOT_REGISTERED
    with SecuconnectClient.from_config(config) as client:
        auth = client.auth
        assert isinstance(auth, DeviceAuth)
        if auth.is_registered and not args.force:
            print(f"already registered (refresh token in {auth.refresh_token_path}); "
                  f"--force registers again")
            return 0
        try:
            code = auth.request_device_code()
        except SecuconnectError as exc:
            print(f"kiosk register: cannot get a code from {config.api.resolved_token_url}: {exc}",
                  file=sys.stderr)
            return EXIT_NOT_REGISTERED
        print(f"Enter this code in SecuOffice: {code.user_code}")
        print(f"  at {code.verification_url}")
        print(f"Waiting for confirmation (the code is valid for {code.expires_in // 60} min; "
              f"Ctrl-C stops) …", flush=True)
        stop = threading.Event()
        shown = [code.expires_in]

        def pending(left: float) -> None:
            # One line a minute, not one per poll.
            if shown[0] - left >= 60:
                shown[0] = int(left)
                print(f"  still waiting, {int(left) // 60} min left", flush=True)

        try:
            auth.wait_for_device_confirmation(code, on_pending=pending, stop=stop)
        except KeyboardInterrupt:
            stop.set()
            print("kiosk register: cancelled; not registered", file=sys.stderr)
            return EXIT_NOT_REGISTERED
        except AuthError as exc:
            print(f"kiosk register: not registered: {exc}", file=sys.stderr)
            return EXIT_NOT_REGISTERED
        print(f"registered; refresh token stored in {auth.refresh_token_path}")
    return 0
