"""`kiosk sandbox`: the secuconnect sandbox standalone, with demo cards and a client config."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hardware.sim.sandbox import DEMO_CARDS, SandboxServer
from kiosk.config import write_private_file
from kiosk.money import format_amount

DEFAULT_PORT = 8765


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "sandbox", help="run a secuconnect look-alike on loopback (for tests and demos)",
        description="Serve a secuconnect sandbox with demo cards until Ctrl-C. Point [api] "
                    "base_url and token_url at it (or use --write-config).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--client-id", default="kiosk-sim")
    parser.add_argument("--client-secret", default="sim-secret")
    parser.add_argument("--auto-confirm-device", action="store_true",
                        help="confirm device registrations without the /device page")
    parser.add_argument("--write-config", metavar="PATH", type=Path,
                        help="write a kiosk config for this sandbox to PATH (the client secret "
                             "beside it, chmod 600; state directory beside it)")
    parser.set_defaults(func=run_sandbox)


def write_client_config(
    sandbox: SandboxServer,
    path: Path,
    *,
    auth_mode: str = "client_credentials",
    device_uuid: str = "/vendor/sandbox/kiosk/1",
    read_timeout: float = 10.0,
    start_cashless_timeout: float = 300.0,
) -> Path:
    """A kiosk config talking to `sandbox`; the secret goes to `<path>.secret` (owner-only)."""
    path = Path(path).absolute()
    secret = path.with_name(path.stem + ".secret")
    write_private_file(secret, sandbox.client_secret + "\n")
    state = path.with_name(path.stem + "-state")
    lines = [
        "# Written by `kiosk sandbox --write-config`: a kiosk talking to the local sandbox.",
        "[api]",
        f"base_url = {_toml(sandbox.base_url)}",
        f"token_url = {_toml(sandbox.token_url)}",
        f"auth_mode = {_toml(auth_mode)}",
        f"client_id = {_toml(sandbox.client_id)}",
        f"credentials_file = {_toml(str(secret))}",
        "connect_timeout = 2.0",
        f"read_timeout = {float(read_timeout)}",
        f"start_cashless_timeout = {float(start_cashless_timeout)}",
        "is_demo = true",
        # The kiosk's device in the sandbox: card payment asks which terminal is routed to it.
        f"device_id = {_toml(sandbox.state.device_id)}",
    ]
    if auth_mode == "device":
        lines.append(f"device_uuid = {_toml(device_uuid)}")
    lines += ["", "[kiosk]", 'id = "sandbox-kiosk"',
              f"merchant_name = {_toml(sandbox.state.merchant_name)}",
              # A laptop, container or CI runner: its clock is not the kiosk's to judge.
              'clock_check = "off"',
              "", "[state]", f"directory = {_toml(str(state))}", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def run_sandbox(args: argparse.Namespace) -> int:
    sandbox = SandboxServer(args.host, args.port, client_id=args.client_id,
                            client_secret=args.client_secret)
    sandbox.auto_confirm_device = args.auto_confirm_device
    sandbox.start()
    try:
        sandbox.seed_demo_cards()
        print("secuconnect sandbox running", flush=True)
        print(f"  base_url      = {sandbox.base_url}")
        print(f"  token_url     = {sandbox.token_url}")
        print(f"  client_id     = {sandbox.client_id}")
        print(f"  client_secret = {sandbox.client_secret}")
        print(f"  device page   = {sandbox.root_url}/device")
        print("demo cards (sandbox only):")
        for role, (number, balance, flags) in DEMO_CARDS.items():
            extra = ", ".join(name for name, on in flags.items() if on)
            note = f"  ({extra})" if extra else ""
            print(f"  {role:8} {number}  {format_amount(balance)}{note}")
        if args.write_config:
            written = write_client_config(sandbox, args.write_config)
            print(f"config written to {written}")
            print(f"  try: kiosk topup --config {written} --card {DEMO_CARDS['fresh'][0]} "
                  f"--amount 15.00")
        print("Ctrl-C stops the sandbox.", flush=True)
        sandbox.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


def _toml(text: str) -> str:
    # A JSON string is a valid TOML basic string for the characters used here.
    return json.dumps(text, ensure_ascii=False)

