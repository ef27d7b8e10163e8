"""One TOML file -> frozen dataclasses; every refusal names the file, the key and what is expected."""

from __future__ import annotations

import dataclasses
import math
import os
import re
import reprlib
import stat
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kiosk import config_rules as rules
from kiosk.cards import DEFAULT_PREFIXES, check_card_number, mask_card
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


def _seconds(default: float, maximum: float) -> Any:
    """A duration field: above 0 and at most `maximum` seconds (inf and nan never get here)."""
    return field(default=default, metadata=_check(
        lambda v: 0 < v <= maximum, f"seconds > 0 and at most {maximum:g}"))


def _whole(default: int, minimum: int, maximum: int, unit: str) -> Any:
    return field(default=default, metadata=_check(
        lambda v: minimum <= v <= maximum, f"{unit} from {minimum} to {maximum}"))


_BAUDRATE_CHECK = _check(
    lambda v: v in rules.STANDARD_BAUDRATES,
    "a standard baud rate (" + ", ".join(map(str, rules.STANDARD_BAUDRATES)) + ")",
)
# ASCII digits only: "０15" or Arabic-Indic digits must not pass for a number.
_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class ApiConfig:
    # https:// unless the host is loopback (rules.api_url_problem says why).
    base_url: str = field(default="https://connect-testing.secuconnect.com/api/v2",
                          metadata={"problem": rules.api_url_problem})
    # Empty: derived from base_url ("<scheme>://<host>/oauth/token").
    token_url: str = field(default="",
                           metadata={"problem": lambda v: v and rules.api_url_problem(v)})
    auth_mode: Literal["client_credentials", "device"] = "client_credentials"
    client_id: str = ""
    # File holding only the client secret; must not be readable by other users.
    credentials_file: str = ""
    # Device identity for the `device` grant, e.g. "/vendor/acme/kiosk/1".
    device_uuid: str = ""
    connect_timeout: float = _seconds(5.0, rules.MAX_CONNECT_TIMEOUT_S)
    read_timeout: float = _seconds(30.0, rules.MAX_READ_TIMEOUT_S)
    # start/cashless blocks while the customer pays at the terminal.
    start_cashless_timeout: float = _seconds(300.0, rules.MAX_START_CASHLESS_TIMEOUT_S)
    is_demo: bool = False
    # While the kiosk runs, it asks the API this often whether it is reachable: the
    # out-of-service screen appears when it is not and clears by itself when it is back.
    health_interval_s: float = _seconds(15.0, rules.MAX_HEALTH_INTERVAL_S)
    # The kiosk's own device id in SecuOffice ("SDV_..."): the monitor asks which card
    # terminal is routed to it and offers card payment only while that one is online.
    device_id: str = field(default="", metadata=_check(
        lambda v: not v or re.fullmatch(r"SDV_[A-Za-z0-9]{1,64}", v),
        'empty or a device id such as "SDV_2JZ4..." (letters and digits after SDV_)'))
    # Local time of the routed terminal's daily end of day ("HH:MM", 24 h).
    terminal_day_close: str = field(default="03:00", metadata=_check(
        lambda v: re.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]", v),
        'a time "HH:MM" from "00:00" to "23:59"'))

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
    # "ntp", "rtc" or "off": when the clock is trusted to take money (kiosk/clock_gate.py).
    clock_check: Literal["ntp", "rtc", "off"] = "ntp"
    # The VAT note on receipts: "" prints the default for a multi-purpose voucher in the
    # customer's language (kiosk.receipt_text), "-" prints none, any other text as written.
    vat_note: str = ""


@dataclass(frozen=True)
class TopupConfig:
    presets: tuple[Cents, ...] = field(
        default=(Cents(1000), Cents(2000), Cents(5000)),
        metadata=_check(lambda v: 0 < len(v) <= 8, "1 to 8 preset amounts"),
    )
    minimum: Cents = Cents(500)
    maximum: Cents = Cents(20000)
    # The "other amount" keypad: 0.01 types cents like a till, 1.00 whole euros.
    amount_step: Cents = field(default=Cents(1), metadata=_check(lambda v: 0 < v <= 10000,
                                                                 "an amount from 0.01 to 100.00"))
    currency: str = field(
        default="EUR", metadata=_check(lambda v: re.fullmatch(r"[A-Z]{3}", v), "an ISO code")
    )
    ean: str = field(
        default="4260447149502",
        metadata=_check(lambda v: _DIGITS.fullmatch(v) and len(v) in (8, 13),
                        "an 8- or 13-digit EAN (digits 0-9)"),
    )
    tax_rate: float = field(default=0.0, metadata=_check(lambda v: 0 <= v < 100, "0 to 99"))
    # "{amount}" is replaced by the amount without currency, e.g. "Kartenaufladung 15 EUR".
    article_text: str = "Kartenaufladung {amount} EUR"
    start_type: Literal["cash", "cashless"] = "cash"
    card_prefixes: tuple[str, ...] = field(
        default=DEFAULT_PREFIXES,
        metadata=_check(
            lambda v: len(v) > 0 and all(_DIGITS.fullmatch(p) and len(p) <= 15 for p in v),
            "a list of digit prefixes (0-9) such as [\"9276\"]",
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
    baudrate: int = field(default=9600, metadata=_BAUDRATE_CHECK)
    # extra terminator key besides ENTER/KPENTER, e.g. "KEY_TAB"; empty for none
    suffix_key: str = ""
    gap_timeout_ms: int = _whole(150, 1, rules.MAX_GAP_TIMEOUT_MS, "milliseconds")
    debounce_s: float = field(default=3.0, metadata=_check(
        lambda v: 0 <= v <= rules.MAX_DEBOUNCE_S, f"seconds from 0 to {rules.MAX_DEBOUNCE_S:g}"))


@dataclass(frozen=True)
class PrinterConfig:
    type: Literal["serial", "simulator", "none"] = "serial"
    port: str = "/dev/kiosk-printer"
    baudrate: int = field(default=19200, metadata=_BAUDRATE_CHECK)
    columns: Literal[32, 42, 48] = 42
    # ESC t slot of PC858 on Epson-compatible printers; varies by model.
    codepage_slot: int = field(default=19, metadata=_check(lambda v: 0 <= v <= 255, "0 to 255"))
    write_timeout: float = _seconds(5.0, rules.MAX_WRITE_TIMEOUT_S)
    # The merchant may forbid top-ups without a receipt when the printer cannot print.
    allow_without_receipt: bool = True


@dataclass(frozen=True)
class UiConfig:
    language: Literal["de", "en"] = "de"
    # 0 x 0: the display's native size.
    width: int = _whole(0, 0, rules.MAX_SCREEN_PIXELS, "pixels")
    height: int = _whole(0, 0, rules.MAX_SCREEN_PIXELS, "pixels")
    rotation: Literal[0, 90, 180, 270] = 0
    fullscreen: bool = True
    dpi: float = field(default=133.0, metadata=_check(
        lambda v: rules.MIN_DPI <= v <= rules.MAX_DPI,
        f"dots per inch from {rules.MIN_DPI:g} to {rules.MAX_DPI:g}"))
    high_contrast: bool = False
    large_text: bool = False
    sound: bool = True
    idle_timeout_s: int = _whole(45, 10, rules.MAX_IDLE_TIMEOUT_S, "seconds")
    # Seconds the done screen (with the new balance) stays before the start screen returns.
    done_timeout_s: int = _whole(15, 3, rules.MAX_IDLE_TIMEOUT_S, "seconds")
    admin_cards: tuple[str, ...] = ()
    # File holding the admin PIN (6 to 12 digits); must not be readable by other users.
    admin_pin_file: str = ""


@dataclass(frozen=True)
class StateConfig:
    directory: str = "/var/lib/kiosk"


@dataclass(frozen=True)
class JournalConfig:
    # Below this much free space in the state directory the kiosk goes out of service before
    # taking money: a journal that cannot commit cannot protect a payment.
    min_free_mb: int = _whole(50, 1, rules.MAX_MIN_FREE_MB, "megabytes")
    # Settled rows older than this are pruned (a year plus a margin for claims and audits).
    retention_days: int = _whole(400, 1, rules.MAX_RETENTION_DAYS, "days")
    # Receipt lines of settled rows are dropped after this age (reprints are asked for soon).
    receipt_retention_days: int = _whole(90, 1, rules.MAX_RETENTION_DAYS, "days")


@dataclass(frozen=True)
class MetricsConfig:
    enabled: bool = True
    port: int = field(default=9108, metadata=_check(lambda v: 0 <= v <= 65535, "a port number"))


# Keypad keys the speech keys may name: digits, the keypad's symbols, a few named keys.
SPEECH_KEY_NAMES = frozenset([*"0123456789*/+-.", "enter", "backspace",
                              *(f"f{n}" for n in range(1, 13))])
_speech_key = _check(lambda v: v in SPEECH_KEY_NAMES,
                     "a key: 0-9, * / + - . enter backspace or f1-f12")
_volume = _check(lambda v: 0 <= v <= 1, "a volume from 0.0 to 1.0")


@dataclass(frozen=True)
class SpeechConfig:
    enabled: bool = True
    # Turns speech mode on: held this long (0: a press). "5" has the tactile dot.
    start_key: str = field(default="5", metadata=_speech_key)
    start_hold_s: float = field(default=2.0, metadata=_check(lambda v: 0 <= v <= 10,
                                                             "seconds from 0 to 10"))
    # Plugging a headset in turns speech on where the sound card reports the jack (evdev).
    headset: bool = True
    headset_device: str = ""            # a path; empty: the first device matching the name
    headset_name_match: str = "Headphone"
    large_text: bool = False
    time_factor: float = field(default=3.0, metadata=_check(lambda v: 3 <= v <= 10,
                                                            "a factor from 3 to 10"))
    speaker_volume: float = field(default=0.8, metadata=_volume)
    headset_volume: float = field(default=0.5, metadata=_volume)
    # The attract screen says how to start speech, quietly, every attract_hint_s seconds.
    attract_hint: bool = False
    attract_hint_s: int = _whole(30, 10, 3600, "seconds")
    attract_hint_volume: float = field(default=0.3, metadata=_volume)
    repeat_key: str = field(default="*", metadata=_speech_key)
    help_key: str = field(default="/", metadata=_speech_key)
    volume_up_key: str = field(default="+", metadata=_speech_key)
    volume_down_key: str = field(default="-", metadata=_speech_key)
    more_time_key: str = field(default=".", metadata=_speech_key)
    rate: int = field(default=160, metadata=_check(lambda v: 80 <= v <= 450,
                                                   "words per minute from 80 to 450"))


# Note values (euros) an SSP validator's euro dataset can carry in a channel.
CASH_NOTE_VALUES = frozenset({5, 10, 20, 50, 100, 200, 500})


@dataclass(frozen=True)
class CashConfig:
    # "none": card payment only; "till": staff confirm cash paid at the till by scanning a
    # staff card; "validator": an SSP note validator takes the notes (kiosk.cash).
    mode: Literal["none", "till", "validator"] = "none"
    port: str = "/dev/kiosk-validator"  # the udev rule's stable name
    ssp_address: int = field(default=0, metadata=_check(lambda v: 0 <= v <= 0x7D, "0 to 125"))
    accept: tuple[int, ...] = field(
        default=(5, 10, 20, 50),
        metadata=_check(lambda v: len(v) > 0 and set(v) <= CASH_NOTE_VALUES,
                        "a list of note values out of 5, 10, 20, 50, 100, 200, 500"),
    )
    # Seconds without a note before a session ends (tops up what is stacked, or cancels).
    session_timeout_s: float = field(default=60.0,
                                     metadata=_check(lambda v: 1 <= v <= 3600,
                                                     "seconds from 1 to 3600"))
    # Till mode: card numbers (or digit prefixes) of staff cards that confirm a cash payment.
    staff_cards: tuple[str, ...] = field(
        default=(), metadata=_check(lambda v: all(re.fullmatch(r"[0-9]{1,16}", c) for c in v),
                                    "card numbers or digit prefixes in quotes"))
    confirm_timeout_s: float = field(default=120.0,
                                     metadata=_check(lambda v: 5 <= v <= 3600,
                                                     "seconds from 5 to 3600"))
    # Validator mode: notes the cashbox holds (metrics: fill and the near-full alarm).
    cashbox_capacity: int = _whole(rules.DEFAULT_CASHBOX_CAPACITY, 10,
                                   rules.MAX_CASHBOX_CAPACITY, "notes")


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
    journal: JournalConfig = JournalConfig()
    metrics: MetricsConfig = MetricsConfig()
    speech: SpeechConfig = SpeechConfig()
    cash: CashConfig = CashConfig()
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
    "journal": JournalConfig,
    "metrics": MetricsConfig,
    "speech": SpeechConfig,
    "cash": CashConfig,
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
    """Parse and validate TOML text; any input gives a Config or a ConfigError, nothing else."""
    locate = _Locator(text)
    try:
        return _parse(text, source, locate)
    except RecursionError:
        # tomllib parses nested arrays and tables recursively; no setting nests at all.
        raise ConfigError(
            f"{source}{locate.deepest()}: invalid TOML: arrays or tables nested too deeply"
        ) from None


def _parse(text: str, source: str, locate: "_Locator") -> Config:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already carries "(at line N, column M)".
        raise ConfigError(f"{source}: invalid TOML: {exc}") from None
    except ValueError:
        # Python refuses to read an integer of more than 4300 digits (int_max_str_digits).
        raise ConfigError(f"{source}{locate.longest_number()}: invalid TOML: a number of more "
                          f"than 4300 digits") from None
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
    _check_cash(config, source, locate)
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
            raise ConfigError(f"{where}: expected {check[1]}, got {_shown(raw)}")
        problem = fields[key].metadata.get("problem")
        why = problem(converted) if problem else None
        if why:
            raise ConfigError(f"{where}: expected {why}, got {_shown(raw)}")
        kwargs[key] = converted
    return cls(**kwargs)


def _convert(raw: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    if origin is Literal:
        choices = typing.get_args(hint)
        if type(raw) is not type(choices[0]) or raw not in choices:
            shown = " or ".join(repr(c) for c in choices)
            raise ConfigError(f"{where}: expected {shown}, got {_shown(raw)}")
        return raw
    if origin is tuple:
        item_hint = typing.get_args(hint)[0]
        if not isinstance(raw, list):
            raise ConfigError(f"{where}: expected a list, got {_describe(raw)}")
        return tuple(_convert(item, item_hint, where) for item in raw)
    if hint is Cents:
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            raise ConfigError(f"{where}: expected an amount such as 15 or 12.50, got {_describe(raw)}")
        # Checked before converting: inf, nan or 1e300 euros have no number of cents, and
        # 1e-192 euros would round to 0 cents.
        if not 0.01 <= raw <= rules.MAX_AMOUNT_CENTS / 100:
            raise ConfigError(f"{where}: expected an amount from 0.01 to "
                              f"{rules.MAX_AMOUNT_CENTS // 100}, got {_shown(raw)}")
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
        # inf and nan pass every "> 0" or "<= max" test the wrong way; an integer beyond
        # the float range has no float at all.
        if isinstance(raw, int) and abs(raw) > 10**300 or not math.isfinite(raw):
            raise ConfigError(f"{where}: expected a finite number, got {_shown(raw)}")
        return float(raw)
    if hint is str:
        if not isinstance(raw, str):
            raise ConfigError(f"{where}: expected a text in quotes, got {_describe(raw)}")
        return raw
    raise TypeError(f"config field type {hint!r} has no converter")  # a bug, not a bad file


def _describe(raw: Any) -> str:
    names = {bool: "true/false", int: "a whole number", float: "a number", str: "a text",
             list: "a list", dict: "a table"}
    return f"{names.get(type(raw), type(raw).__name__)} ({_shown(raw)})"


# Values are quoted in messages, shortened: a 10,000-item list or a nested array must not
# flood the operator's terminal (reprlib also stops at a depth instead of recursing).
_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = 60
_REPR.maxlevel = 3


def _shown(raw: Any) -> str:
    return _REPR.repr(raw)


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
    j = config.journal
    if j.receipt_retention_days > j.retention_days:
        raise ConfigError(
            f"{source}{locate.line('journal', 'receipt_retention_days')}: [journal] "
            f"receipt_retention_days must not exceed retention_days ({j.retention_days})"
        )
    for card in config.ui.admin_cards:
        # An admin card is scanned like any card: it has to pass the same rules.
        check = check_card_number(card, t.card_prefixes)
        if not check.ok or check.number != card:
            reason = check.rejection.value if check.rejection else "spaces"
            raise ConfigError(
                f"{source}{locate.line('ui', 'admin_cards')}: [ui] admin_cards: expected "
                f"16-digit card numbers (0-9, no spaces) in quotes starting with "
                f"{' or '.join(t.card_prefixes)}; got {mask_card(card)!r} ({reason})"
            )


def _check_cash(config: Config, source: str, locate: "_Locator") -> None:
    c = config.cash
    if c.mode == "till" and not c.staff_cards:
        where = locate.line('cash', 'staff_cards') or locate.line('cash', 'mode')
        raise ConfigError(f"{source}{where}: [cash] staff_cards: "
                          f"required when mode = \"till\" (who confirms the cash was paid)")
    if c.mode == "validator" and not c.port:
        where = locate.line('cash', 'port') or locate.line('cash', 'mode')
        raise ConfigError(f"{source}{where}: [cash] port: required when "
                          f"mode = \"validator\" (e.g. \"/dev/kiosk-validator\")")
    if c.mode != "none" and min(c.accept) * 100 > config.topup.maximum:
        raise ConfigError(f"{source}{locate.line('cash', 'accept')}: [cash] accept: no note fits "
                          f"under [topup] maximum")


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

    def deepest(self) -> str:
        """Where brackets nest deepest, as ":line: [section] key"; strings are not told apart."""
        depth = best = 0
        best_line = 1
        for number, line in enumerate(self.lines, start=1):
            for char in line:
                depth += (char in "[{") - (char in "]}")
                if depth > best:
                    best, best_line = depth, number
        return self._at(best_line)

    def longest_number(self) -> str:
        """Where the longest run of digits is, as ":line: [section] key"."""
        lengths = [max((len(run) for run in re.findall(r"[0-9_]+", line)), default=0)
                   for line in self.lines]
        return self._at(lengths.index(max(lengths)) + 1) if lengths else ""

    def _at(self, number: int) -> str:
        # The value on line `number` belongs to the last key written before it (a value may
        # span lines), in the last section header before that.
        section = key = ""
        for line in self.lines[:number]:
            header = re.match(r"^\s*\[\s*([A-Za-z0-9_-]+)\s*\]\s*(#.*)?$", line)
            assignment = re.match(r"^\s*([A-Za-z0-9_-]+)\s*=", line)
            if header:
                section, key = f"[{header.group(1)}]", ""
            elif assignment:
                key = assignment.group(1)
        where = f"{section} {key}".strip()
        return f":{number}" + (f": {where}" if where else "")


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
