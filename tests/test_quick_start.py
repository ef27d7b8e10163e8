"""`kiosk run` draws its first frame before importing what only the rest of the kiosk needs.

Not a timing test: it checks which modules a fresh interpreter holds once the first frame is
drawn (the start-up figures themselves come from `kiosk bench --only startup`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import pygame

from kiosk.cli import COMMANDS, build_parser
from kiosk.config import Config
from kiosk.flow import Screen
from kiosk.ui.render import builder
from tests.fixtures.ui import ui_settings

ROOT = Path(__file__).resolve().parents[1]
# What the first frame must not wait for: the HTTP stack, metrics, journal, devices, the
# other commands and simulators, setuptools (through pygame.pkgdata), screens not shown.
NOT_BEFORE_THE_FIRST_FRAME = (
    "requests", "urllib3", "prometheus_client", "kiosk.metrics", "kiosk.runtime",
    "kiosk.secuconnect.client", "kiosk.journal", "kiosk.topup", "kiosk.app", "sqlite3",
    "evdev", "serial", "hardware.sim.sandbox", "hardware.sim.scanner", "kiosk.commands.topup",
    "kiosk.commands.simulate", "kiosk.bench", "pkg_resources", "kiosk.ui.qr",
    "kiosk.ui.screens.admin_journal", "kiosk.ui.screens.registration",
)
FIRST_FRAME = """
import json, sys
from kiosk.cli import build_parser
from kiosk.config import load_config
from kiosk.ui.window import draw_first_frame
args = build_parser(["run"]).parse_args(["run", "--config", sys.argv[1], "--window"])
draw_first_frame(load_config(args.config), window=True)
print(json.dumps(sorted(sys.modules)))
"""


def test_the_first_frame_needs_no_http_metrics_journal_or_devices(tmp_path):
    config = tmp_path / "kiosk.toml"
    config.write_text("[ui]\nfullscreen = false\nsound = false\n", encoding="utf-8")
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy",
               PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", FIRST_FRAME, str(config)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=True)
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert {"pygame", "kiosk.ui.window", "kiosk.ui.screens.attract"} <= loaded
    early = sorted(name for name in NOT_BEFORE_THE_FIRST_FRAME if name in loaded)
    assert early == [], f"imported before the first frame: {early}"


def _commands(parser: argparse.ArgumentParser) -> set[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


def test_a_command_imports_only_its_own_module():
    for command, module in COMMANDS.items():
        # COMMANDS names exactly the subcommands each module registers.
        assert _commands(build_parser([command])) == {
            name for name, mod in COMMANDS.items() if mod == module}, command
    # No command named (help, or a typo): every command is there to list or to suggest.
    assert _commands(build_parser(["-v"])) == set(COMMANDS)
    assert _commands(build_parser(["nope"])) == set(COMMANDS)


def test_every_command_module_is_in_the_command_table():
    # A command module registers its subcommands; helpers beside them (common, cash_topup) don't.
    modules = {f"kiosk.commands.{path.stem}" for path in (ROOT / "kiosk" / "commands").glob("*.py")
               if "\ndef register(" in path.read_text()}
    assert modules == set(COMMANDS.values())


def test_every_screen_has_its_builder_module():
    for screen in Screen:
        assert callable(builder(screen)), screen


def test_a_stop_asked_before_the_ui_existed_is_kept(backend):
    """SDL turns SIGTERM into QUIT until `kiosk run` has its own handler: the UI obeys it."""
    from kiosk.ui.loop import KioskUi
    from kiosk.ui.settings import look

    pygame.display.init()
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_1, mod=0, unicode="1",
                                         scancode=0))
    ui = KioskUi(ui_settings(), look(Config().ui), backend, sound=False)
    try:
        ui.running = True
        ui.iterate(max_wait=0.01)     # one turn of the loop: the QUIT survived, the key did not
        assert not ui.running
        assert ui.state.screen is Screen.ATTRACT
    finally:
        ui.close()
