"""`kiosk simulate`: the scripted headless demo end to end (a subprocess), also as the no-display fallback."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

from kiosk.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_without_a_display_plain_simulate_runs_the_headless_demo(tmp_path):
    """The README's first command on a machine without a screen: the scripted demo runs."""
    out = tmp_path / "demo"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "simulate", "--out", str(out)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no display found" in done.stderr and "scripted demo" in done.stderr
    for screen in ("attract", "card", "amount", "other_amount", "confirm", "paying", "done",
                   "card_locked", "printer_problem", "not_charged", "out_of_service",
                   "admin_menu", "attract-en"):
        assert _png_size(out / f"{screen}.png") == (800, 480), screen
    receipt = (out / "receipt.txt").read_text(encoding="utf-8")
    assert "Aktuelles Guthaben" in receipt and "40,00 EUR" in receipt
    width, height = _png_size(out / "receipt.png")
    assert height > width > 200                       # a paper strip, not an empty image
    assert "1 credit(s) of 15,00 €" in done.stdout
    assert str(out / "receipts") in done.stdout        # the folder is named at start
    # The not-charged slip came out too, and no full card number reached any output.
    slips = sorted((out / "receipts").glob("*.txt"))
    assert any("NICHT BELASTET" in p.read_text(encoding="utf-8") for p in slips)
    assert "9276001234567890" not in done.stdout + done.stderr


def test_headless_without_a_script_is_refused(capsys):
    assert main(["simulate", "--headless"]) == 2
    assert "--headless needs --script demo" in capsys.readouterr().err


def test_f_keys_scan_demo_cards_through_the_virtual_scanner(tmp_path):
    import pygame

    from kiosk.commands.simulate import Simulation
    from kiosk.flow import Screen
    from kiosk.ui.driver import UiDriver

    with Simulation(tmp_path, quiet=True) as sim:
        assert sim.runtime is not None
        ui = sim.runtime.ui
        drive = UiDriver(ui, timeout=15)
        drive.wait_for(Screen.ATTRACT)
        drive.key(pygame.K_F1)                          # valid demo card
        drive.wait_for(Screen.CARD)
        assert ui.state.session.balance_cents == 2500
        drive.key(pygame.K_ESCAPE)
        drive.wait_for(Screen.ATTRACT)
        drive.key(pygame.K_F4)                          # too short: the reader refuses it
        drive.wait_for(Screen.REJECTED)
        assert ui.state.session.problem.value == "malformed"
        drive.key(pygame.K_ESCAPE)
        drive.key(pygame.K_F3)                          # locked (reported lost)
        drive.wait_for(Screen.CARD_LOCKED)
        assert ui.state.session.lock_reason == 1
        assert ui.state.session.problem.value == "locked"
    assert not (tmp_path / "printer").exists()          # the emulator went with the simulation


def test_f11_plugs_the_virtual_headset_and_speech_starts(tmp_path):
    import shutil

    import pygame
    import pytest

    from kiosk.commands.simulate import Simulation
    from kiosk.flow import Screen
    from kiosk.ui.driver import UiDriver

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng missing: tests/run.sh installs it as root")
    with Simulation(tmp_path, quiet=True, speech=True) as sim:
        assert sim.runtime is not None and sim.runtime.speech is not None
        ui = sim.runtime.ui
        drive = UiDriver(ui, timeout=15)
        drive.wait_for(Screen.ATTRACT)
        drive.key(pygame.K_F11)                         # headset in
        assert ui.run_until(lambda u: u.state.speech and bool(sim.runtime.speech.said), 15)
        assert sim.runtime.speech.said[0].startswith("Sprachausgabe eingeschaltet.")
        assert sim.runtime.speech.engine.wait_idle(15)
        assert any((tmp_path / "kiosk-state" / "speech-cache").glob("*.wav"))


def test_cash_validator_f_keys_insert_notes_and_the_demo_step_tops_up(tmp_path):
    import pygame

    from kiosk.commands.simulate import Simulation
    from kiosk.flow import Screen
    from kiosk.simdemo import Demo, _cash_topup
    from kiosk.ui.driver import UiDriver

    with Simulation(tmp_path, quiet=True, cash="validator") as sim:
        assert sim.runtime is not None and sim.start_type == "cashless"
        ui = sim.runtime.ui
        drive = UiDriver(ui, timeout=15)
        drive.wait_for(Screen.ATTRACT)
        drive.key(pygame.K_F1)                          # valid demo card
        drive.wait_for(Screen.CARD)
        drive.tap("continue")
        drive.wait_for(Screen.PAY_CHOICE)
        drive.tap("pay_cash")
        drive.wait_for(Screen.INSERT_NOTES)
        assert ui.run_until(lambda u: bool(u.state.session.cash.reference), 15)
        drive.key(pygame.K_F7)                          # a 10 € note
        assert ui.run_until(lambda u: u.state.session.cash.total_cents == 1000, 15)
        drive.key(pygame.K_F6)                          # and a 5 € note
        assert ui.run_until(lambda u: u.state.session.cash.total_cents == 1500, 15)
        drive.tap("finish")
        drive.wait_for(Screen.DONE)
        assert ui.state.session.outcome.new_balance_cents == 2500 + 1500
        drive.tap("finish")
        drive.wait_for(Screen.ATTRACT)
        assert _cash_topup(Demo(sim, tmp_path))         # the scripted demo's cash step
        assert (tmp_path / "insert_notes-empty.png").exists()
        assert (tmp_path / "done-cash.png").exists()
        assert sim.validator.model.cashbox == {10: 2, 5: 1, 20: 1}
