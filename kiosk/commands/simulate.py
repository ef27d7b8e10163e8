"""`kiosk simulate`: the whole kiosk on a laptop — sandbox API, printer emulator, virtual scanner."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from kiosk.simulation import DEMO_SCANS, Simulation

EXIT_DEMO_FAILED = 1


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "simulate", help="the whole kiosk in a window, with simulated API, printer and scanner",
        description="Start the secuconnect sandbox, the receipt-printer emulator and a virtual "
                    "barcode scanner, and open the kiosk in an 800x480 window. Keys: "
                    + "; ".join(f"{k} {what}" for k, (what, _) in DEMO_SCANS.items())
                    + ". Receipts land as PNG and text in <out>/receipts.",
    )
    parser.add_argument("--out", type=Path,
                        help="folder for config, state, receipts and screenshots "
                             "(default: a new temporary folder)")
    parser.add_argument("--start-type", choices=("cash", "cashless"), default="cash",
                        help="how customers pay: cash at the till, or cashless at a card "
                             "terminal (simulated: a few seconds at the terminal)")
    parser.add_argument("--language", choices=("de", "en"), default="de")
    parser.add_argument("--headless", action="store_true",
                        help="no window: SDL's dummy video driver (needs --script)")
    parser.add_argument("--script", choices=("demo",),
                        help="drive a scripted customer through every screen, save a screenshot "
                             "of each and the receipt PNG into --out; exit 0 only if the "
                             "top-up succeeded")
    parser.add_argument("--size", default="800x480", help="window size, e.g. 800x480 or 480x800")
    parser.add_argument("--cash", choices=("none", "till", "validator"), default="none",
                        help="cash as well as card payment (the customer chooses): "
                             "\"validator\" adds a virtual note validator (F6-F9 insert "
                             "5/10/20/50 EUR; the scripted demo adds a cash top-up), \"till\" "
                             "pay-at-the-till with F10 as the staff card")
    parser.add_argument("--speech", action="store_true",
                        help="speech output through this computer's speakers (espeak-ng); F11 "
                             "plugs a virtual headset in or out, holding 5 turns speech on; "
                             "with --script demo, a keypad-only top-up is recorded to "
                             "<out>/speech (utterances.txt and WAV files)")
    parser.set_defaults(func=run_simulate)


def run_simulate(args: argparse.Namespace) -> int:
    if not args.headless and args.script is None and not has_display():
        # A newcomer's first command must show the kiosk working even on a machine without a
        # screen (a server, a container): run the scripted customer and point at its pictures.
        print("kiosk simulate: no display found (neither DISPLAY nor WAYLAND_DISPLAY is set, and "
              "SDL_VIDEODRIVER does not name another driver).\n"
              "  Running the scripted demo without a window instead: a customer goes through "
              "every screen,\n  and a screenshot of each and the printed receipt land in the "
              "folder printed below.\n  On a desktop the same command opens the kiosk in a "
              "window.", file=sys.stderr)
        args.headless, args.script = True, "demo"
    if args.headless:
        if args.script is None:
            print("kiosk simulate: --headless needs --script demo (there is no window to use)",
                  file=sys.stderr)
            return 2
        os.environ["SDL_VIDEODRIVER"] = "dummy"
        os.environ["SDL_AUDIODRIVER"] = "dummy"
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        print(f"kiosk simulate: --size: expected WIDTHxHEIGHT, got {args.size!r}", file=sys.stderr)
        return 2
    out = (args.out or Path(tempfile.mkdtemp(prefix="kiosk-sim-"))).absolute()
    out.mkdir(parents=True, exist_ok=True)
    # The scripted demo stops and restarts the sandbox: probe often so it sees both at once.
    interval = 1.0 if args.script else None
    with Simulation(out, start_type=args.start_type, language=args.language,
                    size=(width, height), quiet=args.headless,
                    health_interval_s=interval, speech=args.speech, cash=args.cash) as sim:
        print(f"kiosk simulate: files in {out}", flush=True)
        print(f"  receipts (PNG + text): {sim.receipts}", flush=True)
        if args.script == "demo":
            from kiosk.simdemo import run_demo

            return 0 if run_demo(sim, out) else EXIT_DEMO_FAILED
        print("  keys: " + ", ".join(f"{k} = {what}" for k, (what, _) in DEMO_SCANS.items()),
              flush=True)
        print("  touch = mouse; keypad: Tab/arrows, Enter, Esc, digits; close the window to "
              "stop", flush=True)
        if args.cash == "validator":
            print("  cash: F6/F7/F8/F9 = insert a 5/10/20/50 € note", flush=True)
        elif args.cash == "till":
            print("  cash: F10 = scan the staff card (confirms a till payment)", flush=True)
        if args.speech:
            print("  speech: F11 = headset in/out, hold 5 = speech on; then * repeat, / help, "
                  "+ - volume, . more time", flush=True)
        return sim.runtime.run()


def has_display() -> bool:
    """Whether SDL can open a window here (Linux: an X11 or Wayland session, or a driver named)."""
    if sys.platform != "linux":
        return True
    driver = os.environ.get("SDL_VIDEODRIVER", "")
    if driver and driver not in ("x11", "wayland"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
