"""`kiosk simulate`: the whole kiosk on a laptop — sandbox API, printer emulator, virtual scanner."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Self

from hardware.sim.sandbox import DEMO_CARDS, SandboxServer
from kiosk.commands.sandbox import write_client_config
from kiosk.config import Config, load_config, write_private_file

log = logging.getLogger(__name__)

# The demo cards behind F1-F5 (F4 is too short to be a card number: the reader refuses it).
DEMO_SCANS: dict[str, tuple[str, str]] = {
    "F1": ("valid card (balance 25,00 €)", DEMO_CARDS["funded"][0]),
    "F2": ("unknown card", "9276999999999999"),
    "F3": ("locked card", DEMO_CARDS["locked"][0]),
    "F4": ("malformed scan", "92761234"),
    "F5": ("admin card (PIN 246810)", "9276000000009999"),
}
SECOND_VALID_CARD = DEMO_CARDS["fresh"][0]
ADMIN_CARD = DEMO_SCANS["F5"][1]
ADMIN_PIN = "246810"
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
                    health_interval_s=interval) as sim:
        print(f"kiosk simulate: files in {out}", flush=True)
        print(f"  receipts (PNG + text): {sim.receipts}", flush=True)
        if args.script == "demo":
            from kiosk.simdemo import run_demo

            return 0 if run_demo(sim, out) else EXIT_DEMO_FAILED
        print("  keys: " + ", ".join(f"{k} = {what}" for k, (what, _) in DEMO_SCANS.items()),
              flush=True)
        print("  touch = mouse; keypad: Tab/arrows, Enter, Esc, digits; close the window to "
              "stop", flush=True)
        return sim.runtime.run()


def has_display() -> bool:
    """Whether SDL can open a window here (Linux: an X11 or Wayland session, or a driver named)."""
    if sys.platform != "linux":
        return True
    driver = os.environ.get("SDL_VIDEODRIVER", "")
    if driver and driver not in ("x11", "wayland"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


class Simulation:
    """Sandbox (in-process thread), printer emulator (subprocess on a pty), virtual scanner,
    and the kiosk runtime wired to them with a demo configuration in `out`."""

    def __init__(self, out: Path, *, start_type: str = "cash", language: str = "de",
                 size: tuple[int, int] = (800, 480), quiet: bool = False,
                 health_interval_s: float | None = None, idle_timeout_s: int = 45) -> None:
        self.out = out
        self.start_type = start_type
        self.language = language
        self.size = size
        self.quiet = quiet
        self.health_interval_s = health_interval_s
        self.idle_timeout_s = idle_timeout_s
        self.receipts = out / "receipts"
        self.printer_link = out / "printer"
        self.sandbox = SandboxServer(merchant_name="Demo-Laden")
        self.emulator: subprocess.Popen[bytes] | None = None
        self.scanner = None
        self.runtime = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        from hardware.sim.scanner import VirtualScanner
        from kiosk.runtime import KioskRuntime, wait_until

        self.sandbox.start()
        self._stack.callback(self.sandbox.stop)
        self.sandbox.seed_demo_cards()
        if self.start_type == "cashless":
            self.sandbox.terminal(wait=3.0)   # the customer takes a moment at the terminal
        self._start_emulator()
        if not wait_until(self.printer_link.exists, 15.0):
            raise RuntimeError(f"printer emulator did not create {self.printer_link} "
                               f"(see {self.out / 'printer-emulator.log'})")
        config = self.config()
        self.scanner = VirtualScanner()
        self.runtime = KioskRuntime(config, window=True, scanner=self.scanner,
                                    on_key=self._on_key)
        self._stack.callback(self.runtime.close)
        self.runtime.open()

    def config(self) -> Config:
        """Write the demo configuration into `out` and load it (the file is there to read)."""
        path = write_client_config(self.sandbox, self.out / "kiosk.toml", read_timeout=10.0,
                                   start_cashless_timeout=60.0)
        pin_file = self.out / "admin_pin"
        write_private_file(pin_file, ADMIN_PIN + "\n")
        width, height = self.size
        extra = f"""
[topup]
start_type = "{self.start_type}"

[reader]
type = "simulator"
# The demo scans the same cards again soon; a real kiosk keeps the 3 s default.
debounce_s = 0.5

[printer]
type = "simulator"
port = {json.dumps(str(self.printer_link))}

[ui]
language = "{self.language}"
width = {width}
height = {height}
fullscreen = false
idle_timeout_s = {int(self.idle_timeout_s)}
admin_cards = ["{ADMIN_CARD}"]
admin_pin_file = {json.dumps(str(pin_file))}

[metrics]
enabled = false
"""
        with path.open("a", encoding="utf-8") as f:
            f.write(extra)
        config = load_config(path)
        if self.health_interval_s is not None:
            config = dataclasses.replace(
                config, api=dataclasses.replace(config.api,
                                                health_interval_s=self.health_interval_s))
        return config

    def _start_emulator(self) -> None:
        # A subprocess: the emulator renders receipt PNGs with pygame, which must not share
        # this process's pygame (the kiosk's screen lives in the main thread here).
        env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
                   PYGAME_HIDE_SUPPORT_PROMPT="1")
        log_file = (self.out / "printer-emulator.log").open("ab")
        self._stack.callback(log_file.close)
        self.printer_link.unlink(missing_ok=True)
        self.emulator = subprocess.Popen(
            [sys.executable, "-m", "hardware.sim.printer", "--link", str(self.printer_link),
             "--out", str(self.receipts)],
            env=env, stdin=subprocess.DEVNULL, stdout=log_file,
            stderr=log_file if self.quiet else None)
        self._stack.callback(self._stop_emulator)

    def _stop_emulator(self) -> None:
        proc = self.emulator
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGCONT)   # in case a demo paused it
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    @contextlib.contextmanager
    def printer_paused(self) -> Iterator[None]:
        """The printer stops answering (as if switched off) while inside the block."""
        assert self.emulator is not None
        self.emulator.send_signal(signal.SIGSTOP)
        try:
            yield
        finally:
            self.emulator.send_signal(signal.SIGCONT)

    def scan(self, number: str) -> None:
        """A barcode through the virtual scanner (evdev events into the reader thread)."""
        from kiosk.runtime import wait_until

        scanner = self.scanner
        assert scanner is not None

        def is_open() -> bool:
            try:
                return scanner.device is not None
            except RuntimeError:
                return False

        if not wait_until(is_open, 5.0):
            log.error("the card reader has not opened the virtual scanner; scan dropped")
            return
        scanner.scan(number)

    def _on_key(self, event: object) -> bool:
        import pygame

        key = getattr(event, "key", None)
        for name, (what, number) in DEMO_SCANS.items():
            if key == getattr(pygame, f"K_{name}"):
                log.info("demo scan: %s", what)
                self.scan(number)
                return True
        return False

    def close(self) -> None:
        self._stack.close()
