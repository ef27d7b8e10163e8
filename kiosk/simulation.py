"""The simulated kiosk: sandbox API, printer emulator on a pty and virtual scanner, with the
kiosk runtime wired to them (what `kiosk simulate` and its scripted demo drive)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

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
# The notes F6-F9 insert into the virtual validator (with --cash validator).
DEMO_NOTES: dict[str, int] = {"F6": 5, "F7": 10, "F8": 20, "F9": 50}
SECOND_VALID_CARD = DEMO_CARDS["fresh"][0]
ADMIN_CARD = DEMO_SCANS["F5"][1]
ADMIN_PIN = "246810"
STAFF_CARD = "9276000000008888"   # confirms a till payment (--cash till): F10


class Simulation:
    """Sandbox (in-process thread), printer emulator (subprocess on a pty), virtual scanner,
    and the kiosk runtime wired to them with a demo configuration in `out`."""

    def __init__(self, out: Path, *, start_type: str = "cash", language: str = "de",
                 size: tuple[int, int] = (800, 480), quiet: bool = False,
                 health_interval_s: float | None = None, idle_timeout_s: int = 45,
                 speech: bool = False, cash: str = "none") -> None:
        self.out = out
        self.speech = speech          # speech mode available; F11 plugs the virtual headset
        # [cash] mode: "validator" puts a virtual note validator on a pty (F6-F9 insert notes);
        # with cash on, card payment is the card terminal and the customer chooses.
        self.cash = cash
        if cash != "none":
            start_type = "cashless"
        self.validator_link = out / "validator"
        self.validator: Any = None
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
        self.headset_jack = None
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
        from hardware.sim.headset import VirtualHeadsetJack
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
        if self.cash == "validator":
            from hardware.sim.validator import VirtualValidator
            self.validator = VirtualValidator(self.validator_link)
            self.validator.plug()
            self._stack.callback(self.validator.close)
        config = self.config()
        self.scanner = VirtualScanner()
        self.headset_jack = VirtualHeadsetJack()
        self.runtime = KioskRuntime(config, window=True, scanner=self.scanner,
                                    on_key=self._on_key, headset_jack=self.headset_jack)
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

[speech]
enabled = {'true' if self.speech else 'false'}

[cash]
mode = "{self.cash}"
port = {json.dumps(str(self.validator_link))}
staff_cards = ["{STAFF_CARD}"]
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

    def plug_headset(self, plugged: bool) -> None:
        """The virtual headset in or out (SW_HEADPHONE_INSERT events into the jack reader)."""
        from kiosk.runtime import wait_until

        jack = self.headset_jack
        if jack is None or not wait_until(jack.opened_once, 5.0):
            log.error("the headset reader has not opened the virtual jack; plug dropped")
            return
        log.info("demo headset: %s", "plugged in" if plugged else "pulled out")
        jack.set(plugged)

    def insert_note(self, value: int) -> bool:
        """A customer pushes a note into the virtual validator; False if it does not draw it in
        (disabled: no cash session open, or busy with the last note)."""
        assert self.validator is not None
        taken = self.validator.insert_note(value)
        if taken:
            log.info("demo note: %d € drawn in", value)
        else:
            log.debug("demo note: %d € not drawn in (no session open, or a note in the path)",
                      value)
        return taken

    def _on_key(self, event: object) -> bool:
        import pygame

        key = getattr(event, "key", None)
        if key == pygame.K_F11 and self.speech:
            self.plug_headset(not (self.headset_jack and self.headset_jack.plugged))
            return True
        if key == pygame.K_F10 and self.cash == "till":
            log.info("demo scan: staff card")
            self.scan(STAFF_CARD)
            return True
        for name, value in DEMO_NOTES.items():
            if key == getattr(pygame, f"K_{name}") and self.validator is not None:
                self.insert_note(value)
                return True
        for name, (what, number) in DEMO_SCANS.items():
            if key == getattr(pygame, f"K_{name}"):
                log.info("demo scan: %s", what)
                self.scan(number)
                return True
        return False

    def close(self) -> None:
        self._stack.close()
