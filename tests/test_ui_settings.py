"""From the config file to the UI: flow settings, the admin PIN file, and the UI's own run/stop."""

from __future__ import annotations

import os
import threading
from dataclasses import replace

import pytest

from kiosk import __version__
from kiosk.config import Config, ConfigError, parse_config
from kiosk.flow import Screen
from kiosk.ui.settings import flow_settings, look, read_admin_pin


def test_flow_settings_follow_the_config():
    config = parse_config("""
[topup]
presets = [15, 25]
minimum = 2.5
maximum = 150
start_type = "cashless"
[printer]
allow_without_receipt = false
[ui]
language = "en"
idle_timeout_s = 60
admin_cards = ["9276999999990000"]
high_contrast = true
large_text = true
dpi = 160
""")
    s = flow_settings(config, admin_pin="123456")
    assert s.presets == (1500, 2500) and (s.minimum_cents, s.maximum_cents) == (250, 15000)
    assert s.start_type == "cashless" and not s.allow_without_receipt
    assert s.default_language == "en" and s.idle_timeout_s == 60
    assert s.admin_cards == ("9276999999990000",) and s.admin_pin == "123456"
    assert s.version == __version__ and s.kiosk_id == "kiosk-1"
    assert s.merchant_name == "Mein Geschäft"
    shown = look(config.ui)
    assert shown.high_contrast and shown.large_text and shown.dpi == 160


def pin_file(tmp_path, content, mode=0o600):
    path = tmp_path / "admin_pin"
    path.write_text(content)
    os.chmod(path, mode)
    return str(path)


def test_admin_pin_file(tmp_path):
    ui = replace(Config().ui, admin_pin_file=pin_file(tmp_path, "48291377\n"))
    assert read_admin_pin(ui) == "48291377"
    assert read_admin_pin(Config().ui) is None          # no file configured: admin mode off


@pytest.mark.parametrize("content", ["12345", "12a456", "123 456"])
def test_weak_or_malformed_pins_are_refused(tmp_path, content):
    ui = replace(Config().ui, admin_pin_file=pin_file(tmp_path, content))
    with pytest.raises(ConfigError, match=r"\[ui\] admin_pin_file .*6 to 12 digits"):
        read_admin_pin(ui, "/etc/kiosk/kiosk.toml")


def test_pin_file_readable_by_others_is_refused(tmp_path):
    ui = replace(Config().ui, admin_pin_file=pin_file(tmp_path, "123456", 0o644))
    with pytest.raises(ConfigError, match="chmod 600"):
        read_admin_pin(ui)


def test_run_stops_from_another_thread_and_pings_on_every_turn(backend):
    from kiosk.ui.loop import KioskUi
    config = replace(Config(), ui=replace(Config().ui, width=640, height=400, fullscreen=True))
    ticks: list[float] = []
    holder: list[KioskUi] = []

    def on_tick(now: float) -> None:
        ticks.append(now)
        if len(ticks) == 3:      # like a SIGTERM handler in another thread
            threading.Thread(target=holder[0].stop).start()

    ui = KioskUi.from_config(config, backend, admin_pin=None, window=True, on_tick=on_tick,
                             max_sleep=0.05)
    holder.append(ui)
    assert ui.window.get_size() == (640, 400)
    ui.run()                                            # returns once stop() is posted
    assert len(ticks) >= 3 and ui.state.screen == Screen.ATTRACT
    assert not ui.worker.thread.is_alive()
