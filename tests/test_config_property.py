"""Any TOML document gives a Config or a ConfigError naming the file, never another exception."""

from __future__ import annotations

import dataclasses
import math
import typing
from pathlib import Path
from typing import Any, Literal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from kiosk import config_rules as rules
from kiosk.config import (
    EXAMPLE_CONFIG,
    SECTIONS,
    Cents,
    Config,
    ConfigError,
    load_config,
    parse_config,
)

# Documents are built from the real section and key names most of the time, so that most of
# them get past "unknown key" and reach the value rules.
KEYS = {name: [f.name for f in dataclasses.fields(cls)] for name, cls in SECTIONS.items()}
ALL_KEYS = sorted({key for keys in KEYS.values() for key in keys})

text_values = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
plausible_texts = st.sampled_from([
    "9276", "9276004429942845", "\uff19\uff12\uff17\uff16004429942845", "4260447149502",
    "https://connect.secucard.com/api/v2", "http://127.0.0.1:8080/api/v2", "http://example.com",
    "http://[::1]:80/x", "https://h:99999/", "cash", "cashless", "evdev", "serial", "none",
    "simulator", "de", "en", "client_credentials", "device", "EUR", "/vendor/acme/kiosk/1", "",
])
scalars = st.one_of(
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 5, 10, 20, 50, 90, 150, 200, 400, 9600, 19200, 10000, 12.5, 0.01,
                     10000.01, 1e300, 2**63]),
    text_values,
    plausible_texts,
)
nested = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(ALL_KEYS), text_values), inner, max_size=3),
    ),
    max_leaves=12,
)
# Mostly what a key could hold (a scalar, a flat list), sometimes anything.
values = st.one_of(scalars, st.lists(scalars, max_size=4), nested)
numbers = st.one_of(
    st.floats(), st.integers(), st.integers(min_value=-(10**400), max_value=10**400),
    st.sampled_from([math.inf, -math.inf, math.nan, 1e300, 10**30, 0, 0.001, 5, 12.5, 19200]),
)


def typed_values(hint: object) -> st.SearchStrategy[object]:
    """Values of the key's own type, edge cases included: they get past the type check."""
    if typing.get_origin(hint) is Literal:
        return st.one_of(st.sampled_from(typing.get_args(hint)), scalars)
    if typing.get_origin(hint) is tuple:
        return st.lists(typed_values(typing.get_args(hint)[0]), max_size=4)
    if hint in (int, float, Cents):
        return numbers
    if hint is str:
        return st.one_of(plausible_texts, text_values)
    return scalars


def key_values(section: str, key: str) -> st.SearchStrategy[object]:
    hints = typing.get_type_hints(SECTIONS[section]) if section in SECTIONS else {}
    if key not in hints:
        return values
    return mostly(typed_values(hints[key]), values)


def mostly(common: st.SearchStrategy[Any], rare: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    # One in eight from `rare` (one_of would pick half and half: it merges repeated branches).
    return st.integers(0, 7).flatmap(lambda i: rare if i == 5 else common)


@st.composite
def documents(draw: st.DrawFn) -> dict[str, object]:
    doc: dict[str, object] = {}
    names = mostly(st.sampled_from(sorted(SECTIONS)), text_values)
    # Few keys: the first refused value hides the rest, so small documents test more rules.
    for name in draw(st.lists(names, max_size=2, unique=True)):
        if draw(st.integers(0, 29)) == 13:  # not 0 or 29: Hypothesis favours the ends
            doc[name] = draw(values)  # a value where a [section] belongs
            continue
        keys = draw(st.lists(mostly(st.sampled_from(KEYS.get(name) or ALL_KEYS), text_values),
                             max_size=2, unique=True))
        doc[name] = {key: draw(key_values(name, key)) for key in keys}
    return doc


# --- a small TOML writer ----------------------------------------------------------------------


def toml_string(text: str) -> str:
    escaped = []
    for char in text:
        if char in '"\\':
            escaped.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{toml_string(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


def toml_document(doc: dict[str, object]) -> str:
    # Plain values first: after a [table] header every key belongs to that table.
    lines = [f"{toml_string(name)} = {toml_value(value)}" for name, value in doc.items()
             if not isinstance(value, dict)]
    for name, table in doc.items():
        if isinstance(table, dict):
            lines.append(f"[{toml_string(name)}]")
            lines += [f"{toml_string(k)} = {toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


# --- the property -------------------------------------------------------------------------


def assert_config_or_refusal(text: str, source: str = "k.toml") -> Config | None:
    try:
        config = parse_config(text, source)
    except ConfigError as exc:
        assert str(exc).startswith(source), exc
        return None
    assert_usable(config)
    return config


def assert_usable(config: Config) -> None:
    """What an accepted config promises the rest of the kiosk."""
    t, a = config.topup, config.api
    assert 0 < t.minimum <= t.maximum <= rules.MAX_AMOUNT_CENTS
    assert all(t.minimum <= p <= t.maximum for p in t.presets)
    for seconds in (a.connect_timeout, a.read_timeout, a.start_cashless_timeout,
                    a.health_interval_s, config.printer.write_timeout, config.reader.debounce_s):
        assert math.isfinite(seconds) and 0 <= seconds <= rules.MAX_START_CASHLESS_TIMEOUT_S * 4
    assert config.printer.baudrate in rules.STANDARD_BAUDRATES
    assert config.reader.baudrate in rules.STANDARD_BAUDRATES
    assert all(p.isascii() and p.isdigit() for p in t.card_prefixes)
    assert t.ean.isascii() and t.ean.isdigit()
    assert rules.api_url_problem(a.base_url) is None
    assert config.journal.receipt_retention_days <= config.journal.retention_days


@settings(deadline=None)  # a loaded CI machine must not fail a test by time
@given(documents())
def test_generated_documents_give_a_config_or_a_refusal(doc):
    assert_config_or_refusal(toml_document(doc))


@settings(deadline=None)  # a loaded CI machine must not fail a test by time
@given(st.text())
def test_any_text_gives_a_config_or_a_refusal(text):
    assert_config_or_refusal(text)


EXAMPLE = EXAMPLE_CONFIG.read_text(encoding="utf-8")


@settings(deadline=None)  # a loaded CI machine must not fail a test by time
@given(st.data())
def test_edits_of_the_example_file_give_a_config_or_a_refusal(data):
    # Near-valid files reach the value rules: the example with a few characters replaced.
    text = EXAMPLE
    for _ in range(data.draw(st.integers(1, 4))):
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, min(len(text), start + 8)))
        text = text[:start] + data.draw(st.text(max_size=8)) + text[end:]
    assert_config_or_refusal(text)


@pytest.fixture(scope="module")
def config_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("property") / "kiosk.toml"


# Fewer examples: each one writes a file (the other tests run the same documents in memory).
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents())
def test_load_config_reads_any_file_to_a_config_or_a_refusal(config_file, doc):
    config_file.write_text(toml_document(doc), encoding="utf-8")
    try:
        config = load_config(config_file)
    except ConfigError as exc:
        assert str(exc).startswith(str(config_file))
    else:
        assert_usable(config)


@pytest.mark.parametrize("depth", [10, 100, 1000, 100_000])
@pytest.mark.parametrize("opening, closing", [("[", "]"), ("{a = ", "}"), ("[{a = ", "}]")])
def test_nesting_of_any_depth_is_a_refusal(depth, opening, closing):
    text = f"[ui]\nadmin_cards = {opening * depth}1{closing * depth}"
    assert assert_config_or_refusal(text) is None


def test_the_writer_writes_toml_the_kiosk_reads():
    # The property is only as good as its writer: a document of valid values must load.
    doc = {"topup": {"presets": [10, 12.5], "ean": "4260447149502", "currency": "EUR"},
           "kiosk": {"merchant_name": "M\u00fcller \"&\" S\u00f6hne\n\x7f", "merchant_address": []},
           "api": {"connect_timeout": 2}}
    config = assert_config_or_refusal(toml_document(doc))
    assert config is not None
    assert config.kiosk.merchant_name == "M\u00fcller \"&\" S\u00f6hne\n\x7f"
    assert config.topup.presets == (1000, 1250) and config.api.connect_timeout == 2.0
