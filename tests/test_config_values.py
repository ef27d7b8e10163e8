"""Config values the kiosk could not use safely are refused with file, line, key and the reason."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace

import pytest

from kiosk import config_rules as rules
from kiosk.config import EXAMPLE_CONFIG, Config, ConfigError, parse_config
from kiosk.ui.settings import PIN_MAX_LENGTH, read_admin_pin


def refusal(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "k.toml")
    return str(info.value)


@pytest.mark.parametrize(
    "text, expected",
    [
        # Finding 7: these were tracebacks (OverflowError, ValueError, RecursionError), exit 1.
        ("[topup]\nminimum = inf", "k.toml:2: [topup] minimum: expected an amount from 0.01 to "
                                   "10000, got inf"),
        ("[topup]\nmaximum = nan", "k.toml:2: [topup] maximum: expected an amount from 0.01"),
        ("[topup]\nmaximum = -inf", "k.toml:2: [topup] maximum: expected an amount from 0.01"),
        ("[topup]\npresets = [10, 1e308]", "k.toml:2: [topup] presets: expected an amount"),
        ("[topup]\nmaximum = 10000.01", "[topup] maximum: expected an amount from 0.01 to 10000"),
        ("[topup]\nminimum = 0", "[topup] minimum: expected an amount from 0.01"),
        ("[topup]\nminimum = 4.978750610701395e-192", "[topup] minimum: expected an amount from "
                                                     "0.01"),  # found by the property test
        ("[topup]\nminimum = 0.009", "[topup] minimum: expected an amount from 0.01"),
        ("[topup]\nminimum = -5", "[topup] minimum: expected an amount from 0.01"),
        ("[topup]\nminimum = \"\uff1015\"", "[topup] minimum: expected an amount such as 15"),
        ("\n[ui]\nadmin_cards = " + "[" * 3000 + "]" * 3000,
         "k.toml:3: [ui] admin_cards: invalid TOML: arrays or tables nested too deeply"),
        ("[kiosk]\nmerchant_address = [\n" + "{a = [\n" * 2000 + "]}\n" * 2000 + "]",
         "[kiosk] merchant_address: invalid TOML: arrays or tables nested too deeply"),
        ("[metrics]\nport = " + "9" * 4400, "k.toml:2: [metrics] port: invalid TOML: a number of "
                                            "more than 4300 digits"),
        # Timeouts: finite, positive, capped.
        ("[api]\nconnect_timeout = inf",
         "[api] connect_timeout: expected a finite number, got inf"),
        ("[api]\nconnect_timeout = nan", "[api] connect_timeout: expected a finite number"),
        ("[api]\nconnect_timeout = 1e300", "[api] connect_timeout: expected seconds > 0 and at "
                                           "most 60, got 1e+300"),
        ("[api]\nread_timeout = 301", "[api] read_timeout: expected seconds > 0 and at most 300"),
        ("[api]\nread_timeout = 0", "[api] read_timeout: expected seconds > 0"),
        ("[api]\nstart_cashless_timeout = 901", "[api] start_cashless_timeout: expected seconds"),
        ("[api]\nhealth_interval_s = -1", "[api] health_interval_s: expected seconds > 0"),
        ("[api]\nread_timeout = " + "9" * 400, "[api] read_timeout: expected a finite number"),
        ("[printer]\nwrite_timeout = 61", "[printer] write_timeout: expected seconds > 0 and at"),
        ("[reader]\ndebounce_s = inf", "[reader] debounce_s: expected a finite number"),
        ("[reader]\ngap_timeout_ms = 10001", "[reader] gap_timeout_ms: expected milliseconds from "
                                             "1 to 10000"),
        ("[ui]\nidle_timeout_s = 86400", "[ui] idle_timeout_s: expected seconds from 10 to 3600"),
        ("[ui]\nwidth = 100000000000000000000", "[ui] width: expected pixels from 0 to 10000"),
        ("[ui]\ndpi = inf", "[ui] dpi: expected a finite number"),
        ("[ui]\ndpi = 1e-300", "[ui] dpi: expected dots per inch from 50 to 1000"),
        ("[topup]\ntax_rate = nan", "[topup] tax_rate: expected a finite number"),
        ("[cash]\ncashbox_capacity = 5", "k.toml:2: [cash] cashbox_capacity: expected notes "
                                        "from 10 to 10000, got 5"),
        ("[cash]\ncashbox_capacity = 300.5", "[cash] cashbox_capacity: expected"),
        # Baud rates from the standard set only.
        ("[printer]\nbaudrate = 19201", "[printer] baudrate: expected a standard baud rate "
                                        "(1200, 2400, 4800, 9600, 19200"),
        ("[reader]\nbaudrate = 0", "[reader] baudrate: expected a standard baud rate"),
        # ASCII digits only wherever a digit is meant.
        ("[topup]\ncard_prefixes = [\"\uff19\uff12\uff17\uff16\"]",
         "[topup] card_prefixes: expected a list of digit prefixes (0-9)"),
        ("[topup]\ncard_prefixes = [\"\u0669\u0662\u0667\u0666\"]", "[topup] card_prefixes"),
        ("[topup]\nean = \"\uff14260447149502\"", "[topup] ean: expected an 8- or 13-digit EAN"),
        ("[topup]\nean = \"4260447149502\u0660\u0660\u0660\"", "[topup] ean: expected"),
        # Admin cards follow the card rules, and the message masks them.
        ("[ui]\nadmin_cards = [\"\uff19\uff12\uff17\uff16004429942845\"]",
         "[ui] admin_cards: expected 16-digit card numbers (0-9, no spaces)"),
        ("[ui]\nadmin_cards = [\"1234004429942845\"]",
         "got '1234 •••• •••• 2845' (wrong_prefix)"),
        ("[ui]\nadmin_cards = [\"92760044299428\"]", "(too_short)"),
        ("[ui]\nadmin_cards = [\"9276 0044 2994 2845\"]", "got '9276 •••• •••• 2845' (spaces)"),
        # Retention within reach of the calendar.
        ("[journal]\nretention_days = 100000", "[journal] retention_days: expected days from 1 to "
                                               "3650"),
        ("[journal]\nmin_free_mb = 1000001", "[journal] min_free_mb: expected megabytes from 1"),
    ],
)
def test_unusable_values_are_refused(text, expected):
    assert expected in refusal(text)


@pytest.mark.parametrize("url", [
    "http://connect.secucard.com/api/v2",
    "http://192.168.1.10:8080/api/v2",
    "http://127.0.0.1.example.com/api/v2",
    "http://localhost.example.com/x",
    "http://localhost@evil.example/x",  # the host is evil.example, not localhost
    "http://[::ffff:7f00:1]/x",
    "http://[fe80::1]/x",
])
@pytest.mark.parametrize("key", ["base_url", "token_url"])
def test_plain_http_to_a_remote_host_is_refused_and_says_why(key, url):
    message = refusal(f'[api]\n{key} = "{url}"')
    assert f"k.toml:2: [api] {key}: expected https://" in message
    assert "client secret, the access token and card numbers" in message
    assert "cleartext" in message


@pytest.mark.parametrize("url", [
    "https://connect.secucard.com/api/v2",
    "http://127.0.0.1:8080/api/v2",
    "http://127.255.0.9/api/v2",
    "http://[::1]:9000/api/v2",
    "http://localhost:9000/api/v2",
    "http://LOCALHOST/api/v2",
])
def test_https_or_loopback_is_accepted(url):
    config = parse_config(f'[api]\nbase_url = "{url}"\ntoken_url = "{url}/oauth/token"')
    assert config.api.base_url == url


@pytest.mark.parametrize("url", ["https://", "https:///path", "https://host:99999/",
                                 "https://[::1/x", "https://ho st/", "https://h\u00f6st/",
                                 "ftp://host/", "connect.secucard.com"])
def test_urls_that_are_not_urls_are_refused(url):
    assert "[api] base_url: expected an https:// URL" in refusal(f'[api]\nbase_url = "{url}"')


def test_the_caps_are_the_ones_the_example_file_documents():
    # The comments as one text, so that a wrapped line does not hide a number.
    example = " ".join(line.lstrip("# ") for line in EXAMPLE_CONFIG.read_text().splitlines())
    for cap in (rules.MAX_CONNECT_TIMEOUT_S, rules.MAX_READ_TIMEOUT_S,
                rules.MAX_START_CASHLESS_TIMEOUT_S, rules.MAX_WRITE_TIMEOUT_S,
                rules.MAX_RETENTION_DAYS):
        assert f"at most {cap:g}" in example
    assert ", ".join(map(str, rules.STANDARD_BAUDRATES)) in example


def test_values_at_the_caps_are_accepted():
    config = parse_config(
        "[api]\nconnect_timeout = 60\nread_timeout = 300\nstart_cashless_timeout = 900\n"
        "[topup]\nmaximum = 10000\npresets = [0.01, 10000]\nminimum = 0.01\n"
        "[printer]\nbaudrate = 115200\n[reader]\nbaudrate = 1200\n"
        "[journal]\nretention_days = 3650\nreceipt_retention_days = 3650\n"
    )
    assert config.topup.maximum == 1_000_000 and config.topup.presets == (1, 1_000_000)
    assert config.api.connect_timeout == 60.0 and config.printer.baudrate == 115200


def pin_file(tmp_path, content):
    path = tmp_path / "admin_pin"
    path.write_text(content)
    os.chmod(path, 0o600)
    return str(path)


@pytest.mark.parametrize("pin", [
    "1" * (PIN_MAX_LENGTH + 1),  # longer than the keypad takes: could never be typed
    "\uff11\uff12\uff13\uff14\uff15\uff16",  # full-width digits
    "\u0661\u0662\u0663\u0664\u0665\u0666",  # Arabic-Indic digits
    "12345",
    "123 456",
])
def test_an_admin_pin_the_keypad_cannot_type_is_refused(tmp_path, pin):
    ui = replace(Config().ui, admin_pin_file=pin_file(tmp_path, pin))
    with pytest.raises(ConfigError, match=r"k.toml: \[ui\] admin_pin_file .*: the PIN must be "
                                          r"6 to 12 digits \(0-9\)"):
        read_admin_pin(ui, "k.toml")


def test_the_longest_pin_the_keypad_takes_is_accepted(tmp_path):
    ui = replace(Config().ui, admin_pin_file=pin_file(tmp_path, "9" * PIN_MAX_LENGTH))
    assert read_admin_pin(ui) == "9" * PIN_MAX_LENGTH


@pytest.mark.parametrize("text, where", [
    ("[topup]\nminimum = inf\n", ":2: [topup] minimum: expected an amount"),
    ("[ui]\nadmin_cards = " + "[" * 3000 + "]" * 3000 + "\n", ":2: [ui] admin_cards: invalid TOML"),
    ('[api]\nbase_url = "http://api.example.com/api/v2"\n', ":2: [api] base_url: expected https"),
])
def test_the_cli_exits_2_with_file_line_and_key(tmp_path, text, where):
    path = tmp_path / "kiosk.toml"
    path.write_text(text)
    done = subprocess.run([sys.executable, "-m", "kiosk.cli", "journal", "--config", str(path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert f"kiosk: configuration refused: {path}{where}" in done.stderr
    assert "Traceback" not in done.stderr
