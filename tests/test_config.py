"""Config loading: defaults, the example file, and every kind of bad file refused by name."""

import os

import pytest

from kiosk.config import (
    EXAMPLE_CONFIG,
    Config,
    ConfigError,
    load_config,
    parse_config,
    read_secret_file,
    write_private_file,
)


def test_example_file_loads_and_equals_the_defaults():
    loaded = load_config(EXAMPLE_CONFIG)
    defaults = Config()
    # The example documents every default: apart from illustrative values it matches them.
    assert loaded.topup == defaults.topup
    assert loaded.reader == defaults.reader
    assert loaded.printer == defaults.printer
    assert loaded.ui == defaults.ui
    assert loaded.journal == defaults.journal
    assert loaded.speech == defaults.speech
    assert loaded.topup.ean == "4260447149502"
    assert loaded.topup.tax_rate == 0
    assert loaded.topup.presets == (1000, 2000, 5000)
    assert loaded.api.resolved_token_url == "https://connect-testing.secuconnect.com/oauth/token"


def test_values_are_converted():
    config = parse_config(
        '[topup]\npresets = [10, 12.5]\nminimum = 1\nstart_type = "cashless"\n'
        '[printer]\ncolumns = 32\n'
    )
    assert config.topup.presets == (1000, 1250)
    assert config.topup.start_type == "cashless"
    assert config.printer.columns == 32


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[api\nbase_url = 1", "k.toml: invalid TOML"),
        ("[topup]\nmaximum = \"lots\"", "k.toml:2: [topup] maximum: expected an amount"),
        ("[topup]\n\nmaximun = 20", "k.toml:3: [topup] maximun: unknown key"),
        ("[topupp]\nmaximum = 20", "k.toml:1: unknown section [topupp]"),
        ("[topup]\nstart_type = \"card\"", "[topup] start_type: expected 'cash' or 'cashless'"),
        ("[printer]\ncolumns = 40", "[printer] columns: expected 32 or 42 or 48"),
        ("[printer]\ncolumns = \"42\"", "[printer] columns: expected 32 or 42 or 48"),
        ("[ui]\nfullscreen = 1", "[ui] fullscreen: expected true or false"),
        ("[printer]\nbaudrate = 9600.5", "[printer] baudrate: expected a whole number"),
        ("[topup]\npresets = 10", "[topup] presets: expected a list"),
        ("[topup]\npresets = []", "[topup] presets: expected 1 to 8 preset amounts"),
        ("[topup]\npresets = [10.001]", "[topup] presets: expected an amount with at most 2"),
        ("[topup]\nminimum = 50\nmaximum = 20", "k.toml:2: [topup] minimum must not exceed"),
        ("[topup]\npresets = [500]", "[topup] presets: every preset must lie between"),
        ("[topup]\ncard_prefixes = [\"92x6\"]", "[topup] card_prefixes: expected a list of digit"),
        ("[topup]\nean = \"123\"", "[topup] ean: expected an 8- or 13-digit EAN"),
        ("[api]\nbase_url = \"ftp://x\"", "[api] base_url: expected an https:// URL"),
        ("[api]\nauth_mode = \"device\"", "[api] device_uuid: required when auth_mode"),
        ("[ui]\nadmin_cards = [9276004429942845]", "[ui] admin_cards: expected a text"),
        ("api = 3", "'api' must be a [section]"),
        ("[journal]\nmin_free_mb = 0", "[journal] min_free_mb: expected megabytes from 1 to"),
        ("[journal]\nretention_days = 30.5", "[journal] retention_days: expected a whole number"),
        ("[journal]\nretention_days = 30\nreceipt_retention_days = 31",
         "k.toml:3: [journal] receipt_retention_days must not exceed retention_days (30)"),
    ],
)
def test_bad_files_are_refused_with_file_key_and_expectation(tmp_path, text, expected):
    path = tmp_path / "k.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    assert expected.replace("k.toml", str(path)) in str(info.value)


def test_journal_keys_have_their_defaults():
    journal = parse_config("").journal
    assert (journal.min_free_mb, journal.retention_days, journal.receipt_retention_days) == (
        50, 400, 90)
    equal = parse_config("[journal]\nretention_days = 7\nreceipt_retention_days = 7\n").journal
    assert equal.receipt_retention_days == equal.retention_days == 7


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_secret_file_must_be_private(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    os.chmod(secret, 0o644)
    with pytest.raises(ConfigError, match=r"accessible by other users \(mode 0644\); run: chmod 600"):
        read_secret_file(secret)
    os.chmod(secret, 0o600)
    assert read_secret_file(secret) == "s3cret"


def test_secret_file_missing_or_empty(tmp_path):
    with pytest.raises(ConfigError, match="secret file not found"):
        read_secret_file(tmp_path / "none")
    empty = tmp_path / "empty"
    write_private_file(empty, "")
    with pytest.raises(ConfigError, match="secret file is empty"):
        read_secret_file(empty)


def test_secret_from_credentials_directory(tmp_path, monkeypatch):
    write_private_file(tmp_path / "client_secret", "from-systemd")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    assert read_secret_file("client_secret") == "from-systemd"


def test_private_file_mode(tmp_path):
    path = tmp_path / "sub" / "token"
    write_private_file(path, "t")
    assert (path.stat().st_mode & 0o777) == 0o600
