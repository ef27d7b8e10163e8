"""One TOML file -> frozen dataclasses; every refusal names the file, the key and what is expected."""

from __future__ import annotations

import dataclasses
import os
import re
import stat
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kiosk.cards import DEFAULT_PREFIXES
from kiosk.money import AmountError, cents_from_number

EXAMPLE_CONFIG = Path(__file__).with_name("kiosk.example.toml")


class ConfigError(Exception):
    """A configuration or secret file the kiosk refuses; the message is meant for the operator."""


class Cents(int):
    """Marker type: written in the file in major units (15 or 12.50), held in cents."""


# --- the sections ---------------------------------------------------------------------------
# Each field's type drives validation; `metadata["check"]` adds a rule with its own message.
# Defaults here are the single source of truth: kiosk.example.toml documents them.


def _check(predicate: typing.Callable[[Any], bool], expected: str) -> dict[str, Any]:
    return {"check": (predicate, expected)}


@dataclass(frozen=True)
class ApiConfig:
    base_url: str = field(
        default="https://connect-testing.secuconnect.com/api/v2",
        metadata=_check(lambda v: v.startswith(("https://", "http://")), "an http(s) URL"),
    )
    # Empty: derived from base_url ("<scheme>://<host>/oauth/token").
    token_url: str = ""
    auth_mode: Literal["client_credentials", "device"] = "client_credentials"
    client_id: str = ""
    # File holding only the client secret; must not be readable by other users.
    credentials_file: str = ""
    # Device identity for the `device` grant, e.g. "/vendor/acme/kiosk/1".
    device_uuid: str = ""
    connect_timeout: float = field(default=5.0, metadata=_check(lambda v: v > 0, "a number > 0"))
    read_timeout: float = field(default=30.0, metadata=_check(lambda v: v > 0, "a number > 0"))
    # start/cashless blocks while the customer pays at the terminal.
    start_cashless_timeout: float = field(
        default=300.0, metadata=_check(lambda v: v > 0, "a number > 0")
    )
    is_demo: bool = False
    # While the kiosk runs, it asks the API this often whether it is reachable: the
    # out-of-service screen appears when it is not and clears by itself when it is back.
    health_interval_s: float = field(
        default=15.0, metadata=_check(lambda v: v > 0, "a number > 0")
    )

    @property
    def resolved_token_url(self) -> str:
        if self.token_url:
            return self.token_url
        match = re.match(r"^(https?://[^/]+)", self.base_url)
        assert match  # base_url is checked to be an http(s) URL
        return match.group(1) + "/oauth/token"


@dataclass(frozen=True)
class KioskConfig:
    id: str = field(default="kiosk-1", metadata=_check(bool, "a non-empty kiosk id"))
    merchant_name: str = "Mein Geschäft"
    merchant_address: tuple[str, ...] = ()
    support_line: str = ""


@dataclass(frozen=True)
class TopupConfig:
    presets: tuple[Cents, ...] = field(
        default=(Cents(1000), Cents(2000), Cents(5000)),
        metadata=_check(lambda v: 0 < len(v) <= 8, "1 to 8 preset amounts"),
    )
    minimum: Cents = field(default=Cents(500), metadata=_check(lambda v: v > 0, "an amount > 0"))
    maximum: Cents = field(default=Cents(20000), metadata=_check(lambda v: v > 0, "an amount > 0"))
    # The "other amount" keypad: 0.01 types cents like a till, 1.00 whole euros.
    amount_step: Cents = field(default=Cents(1), metadata=_check(lambda v: v > 0,
                                                                 "an amount > 0, e.g. 0.01"))
    currency: str = field(
        default="EUR", metadata=_check(lambda v: re.fullmatch(r"[A-Z]{3}", v), "an ISO code")
    )
    ean: str = field(
        default="4260447149502",
        metadata=_check(lambda v: re.fullmatch(r"\d{8}|\d{13}", v), "an 8- or 13-digit EAN"),
    )
    tax_rate: float = field(default=0.0, metadata=_check(lambda v: 0 <= v < 100, "0 to 99"))
    # "{amount}" is replaced by the amount without currency, e.g. "Kartenaufladung 15 EUR".
    article_text: str = "Kartenaufladung {amount} EUR"
    start_type: Literal["cash", "cashless"] = "cash"
    card_prefixes: tuple[str, ...] = field(
        default=DEFAULT_PREFIXES,
        metadata=_check(
            lambda v: len(v) > 0 and all(re.fullmatch(r"\d{1,15}", p) for p in v),
            "a list of digit prefixes such as [\"9276\"]",
        ),
    )


@dataclass(frozen=True)
class ReaderConfig:
    type: Literal["evdev", "serial", "simulator", "none"] = "evdev"
    # evdev: a path (best: /dev/input/by-id/...-event-kbd) or, if empty, a name to match.
    device: str = "/dev/input/kiosk-scanner"  # the udev rule's stable name
    name_match: str = ""
    # serial-mode scanners
    serial_port: str = ""
    baudrate: int = 9600
    # extra terminator key besides ENTER/KPENTER, e.g. "KEY_TAB"; empty for none
    suffix_key: str = ""
    gap_timeout_ms: int = field(default=150, metadata=_check(lambda v: v > 0, "milliseconds > 0"))
    debounce_s: float = field(default=3.0, metadata=_check(lambda v: v >= 0, "seconds >= 0"))


@dataclass(frozen=True)
class PrinterConfig:
    type: Literal["serial", "simulator", "none"] = "serial"
    port: str = "/dev/kiosk-printer"
    baudrate: int = 19200
    columns: Literal[32, 42, 48] = 42
    # ESC t slot of PC858 on Epson-compatible printers; varies by model.
    codepage_slot: int = field(default=19, metadata=_check(lambda v: 0 <= v <= 255, "0 to 255"))
    write_timeout: float = field(default=5.0, metadata=_check(lambda v: v > 0, "a number > 0"))
    # The merchant may forbid top-ups without a receipt when the printer cannot print.
    allow_without_receipt: bool = True


@dataclass(frozen=True)
class UiConfig:
    language: Literal["de", "en"] = "de"
    # 0 x 0: the display's native size.
    width: int = 0
    height: int = 0
    rotation: Literal[0, 90, 180, 270] = 0
    fullscreen: bool = True
    dpi: float = field(default=133.0, metadata=_check(lambda v: v > 0, "dots per inch > 0"))
    high_contrast: bool = False
    large_text: bool = False
    sound: bool = True
    idle_timeout_s: int = field(default=45, metadata=_check(lambda v: v >= 10, "seconds >= 10"))
    done_timeout_s: int = field(default=15, metadata=_check(lambda v: v >= 3, "seconds >= 3"))
    admin_cards: tuple[str, ...] = ()
    # File holding the admin PIN (at least 6 digits); must not be readable by other users.
    admin_pin_file: str = ""


@dataclass(frozen=True)
class StateConfig:
    directory: str = "/var/lib/kiosk"


@dataclass(frozen=True)
class MetricsConfig:
    enabled: bool = True
    port: int = field(default=9108, metadata=_check(lambda v: 0 <= v <= 65535, "a port number"))


@dataclass(frozen=True)
class Config:
    """The whole configuration; `source` is the file it came from (empty for defaults)."""

    api: ApiConfig = ApiConfig()
    kiosk: KioskConfig = KioskConfig()
    topup: TopupConfig = TopupConfig()
    reader: ReaderConfig = ReaderConfig()
    printer: PrinterConfig = PrinterConfig()
    ui: UiConfig = UiConfig()
    state: StateConfig = StateConfig()
    metrics: MetricsConfig = MetricsConfig()
    source: str = ""

    @property
    def state_dir(self) -> Path:
        return Path(self.state.directory)


SECTIONS: dict[str, type] = {
    "api": ApiConfig,
    "kiosk": KioskConfig,
    "topup": TopupConfig,
    "reader": ReaderConfig,
    "printer": PrinterConfig,
    "ui": UiConfig,
    "state": StateConfig,
    "metrics": MetricsConfig,
}


# --- loading -------------------------------------------------------------------------------


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate a config file; raise ConfigError with an operator-readable message."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from None
    return parse_config(text, str(path))


def parse_config(text: str, source: str = "<config>") -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already carries "(at line N, column M)".
        raise ConfigError(f"{source}: invalid TOML: {exc}") from None
    locate = _Locator(text)
    sections: dict[str, Any] = {}
    for name, value in data.items():
        if name not in SECTIONS:
            raise ConfigError(
                f"{source}{locate.line(name, None)}: unknown section [{name}]; "
                f"expected one of {', '.join(SECTIONS)}"
            )
        if not isinstance(value, dict):
            raise ConfigError(f"{source}{locate.line(None, name)}: '{name}' must be a [section]")
        sections[name] = _build_section(name, SECTIONS[name], value, source, locate)
    config = Config(**sections, source=source)
    _check_cross_fields(config, source, locate)
    return config


def _build_section(
    section: str, cls: type, values: dict[str, Any], source: str, locate: "_Locator"
) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for key, raw in values.items():
        where = f"{source}{locate.line(section, key)}: [{section}] {key}"
        if key not in fields:
            raise ConfigError(
                f"{where}: unknown key; expected one of {', '.join(sorted(fields))}"
            )
        converted = _convert(raw, hints[key], where)
        check = fields[key].metadata.get("check")
        if check and not check[0](converted):
            raise ConfigError(f"{where}: expected {check[1]}, got {raw!r}")
        kwargs[key] = converted
    return cls(**kwargs)


def _convert(raw: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin is Literal:
        choices = typing.get_args(hint)
        if raw not in choices or type(raw) is not type(choices[0]):
            shown = " or ".join(repr(c) for c in choices)
            raise ConfigError(f"{where}: expected {shown}, got {raw!r}")
        return raw
    if origin is tuple:
        item_hint = typing.get_args(hint)[0]
        if not isinstance(raw, list):
            raise ConfigError(f"{where}: expected a list, got {_describe(raw)}")
        return tuple(_convert(item, item_hint, where) for item in raw)
    if hint is Cents:
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise ConfigError(f"{where}: expected an amount such as 15 or 12.50, got {_describe(raw)}")
        try:
            return Cents(cents_from_number(raw))
        except AmountError as exc:
            raise ConfigError(f"{where}: expected an amount with at most 2 decimals: {exc}") from None
    if hint is bool:
        if not isinstance(raw, bool):
            raise ConfigError(f"{where}: expected true or false, got {_describe(raw)}")
        return raw
    if hint is int:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ConfigError(f"{where}: expected a whole number, got {_describe(raw)}")
        return raw
    if hint is float:
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise ConfigError(f"{where}: expected a number, got {_describe(raw)}")
        return float(raw)
    if hint is str:
        if not isinstance(raw, str):
            raise ConfigError(f"{where}: expected a text in quotes, got {_describe(raw)}")
        return raw
    raise TypeError(f"config field type {hint!r} has no converter")  # a bug, not a bad file


def _describe(raw: Any) -> str:
    names = {bool: "true/false", int: "a whole number", float: "a number", str: "a text",
             list: "a list", dict: "a table"}
    return f"{names.get(type(raw), type(raw).__name__)} ({raw!r})"


def _check_cross_fields(config: Config, source: str, locate: "_Locator") -> None:
    t = config.topup
    if t.minimum > t.maximum:
        raise ConfigError(
            f"{source}{locate.line('topup', 'minimum')}: [topup] minimum must not exceed maximum"
        )
    for amount in t.presets:
        if not t.minimum <= amount <= t.maximum:
            raise ConfigError(
                f"{source}{locate.line('topup', 'presets')}: [topup] presets: every preset must "
                f"lie between minimum and maximum"
            )
    a = config.api
    if a.auth_mode == "device" and not a.device_uuid:
        raise ConfigError(
            f"{source}{locate.line('api', 'device_uuid')}: [api] device_uuid: required when "
            f"auth_mode = \"device\" (e.g. \"/vendor/acme/kiosk/1\")"
        )
    for card in config.ui.admin_cards:
        if not re.fullmatch(r"\d{16}", card):
            raise ConfigError(
                f"{source}{locate.line('ui', 'admin_cards')}: [ui] admin_cards: expected "
                f"16-digit card numbers in quotes"
            )


class _Locator:
    """Finds the line of a section or key; tomllib reports lines only for syntax errors."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()

    def line(self, section: str | None, key: str | None) -> str:
        current = None
        for number, line in enumerate(self.lines, start=1):
            stripped = line.strip()
            header = re.match(r"^\[\s*([A-Za-z0-9_-]+)\s*\]", stripped)
            if header:
                current = header.group(1)
                if key is None and current == section:
                    return f":{number}"
                continue
            if key and current == section and re.match(rf"^{re.escape(key)}\s*=", stripped):
                return f":{number}"
        return ""


# --- secrets -------------------------------------------------------------------------------


def read_secret_file(path: str | os.PathLike[str], what: str = "secret") -> str:
    """Read a one-line secret, refusing a file that group or other users could read or write.

    Under systemd, LoadCredential= places the file in $CREDENTIALS_DIRECTORY; a relative
    path is looked up there first.
    """
    path = Path(path)
    cred_dir = os.environ.get("CREDENTIALS_DIRECTORY")
    if not path.is_absolute() and cred_dir and (Path(cred_dir) / path).exists():
        path = Path(cred_dir) / path
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ConfigError(f"{path}: {what} file not found") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what} file: {exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"{path}: {what} file is not a regular file")
    if info.st_mode & 0o077:
        raise ConfigError(
            f"{path}: {what} file is accessible by other users (mode "
            f"{stat.S_IMODE(info.st_mode):04o}); run: chmod 600 {path}"
        )
    try:
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read {what} file: {exc}") from None
    if not value:
        raise ConfigError(f"{path}: {what} file is empty")
    return value


def write_private_file(path: Path, content: str) -> None:
    """Write a file readable by its owner only, atomically (tokens, secrets)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, content.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
