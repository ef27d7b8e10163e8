"""From the configuration to what the flow and the renderer need (the admin PIN read here)."""

from __future__ import annotations

from kiosk import __version__
from kiosk.config import Config, ConfigError, UiConfig, read_secret_file
from kiosk.flow import PIN_MAX_LENGTH, PIN_MIN_LENGTH, Settings
from kiosk.ui.render import Look


def read_admin_pin(ui: UiConfig, source: str = "") -> str | None:
    """The admin PIN from [ui] admin_pin_file; None when no file is configured (admin off)."""
    if not ui.admin_pin_file:
        return None
    pin = read_secret_file(ui.admin_pin_file, "admin PIN")
    # ASCII digits only (the keypad has no others), and no longer than the keypad takes: a
    # longer PIN could never be typed.
    if not (pin.isascii() and pin.isdigit()) or not PIN_MIN_LENGTH <= len(pin) <= PIN_MAX_LENGTH:
        where = f"{source}: " if source else ""
        raise ConfigError(f"{where}[ui] admin_pin_file {ui.admin_pin_file}: the PIN must be "
                          f"{PIN_MIN_LENGTH} to {PIN_MAX_LENGTH} digits (0-9) and nothing else")
    return pin


def flow_settings(config: Config, admin_pin: str | None) -> Settings:
    t, ui = config.topup, config.ui
    return Settings(
        default_language=ui.language,
        presets=tuple(int(p) for p in t.presets),
        minimum_cents=int(t.minimum),
        maximum_cents=int(t.maximum),
        currency=t.currency,
        start_type=t.start_type,
        card_prefixes=t.card_prefixes,
        allow_without_receipt=config.printer.allow_without_receipt,
        idle_timeout_s=float(ui.idle_timeout_s),
        admin_cards=ui.admin_cards,
        admin_pin=admin_pin,
        version=__version__,
        kiosk_id=config.kiosk.id,
        merchant_name=config.kiosk.merchant_name,
        speech_time_factor=config.speech.time_factor,
        cash_offered=config.cash.mode != "none",
    )


def look(ui: UiConfig) -> Look:
    return Look(dpi=ui.dpi, high_contrast=ui.high_contrast, large_text=ui.large_text)
