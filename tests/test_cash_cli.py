"""`kiosk topup --cash`, `kiosk cash cashbox/owed` and the doctor's validator check, with the virtual validator."""

from __future__ import annotations

import io
import threading

import pytest

from hardware.sim.validator import VirtualValidator
from kiosk import cli
from kiosk.config import ConfigError, load_config
from tests.fixtures.sandbox import CARD
from tests.test_topup_env import write_config


@pytest.fixture
def sim(tmp_path):
    with VirtualValidator(tmp_path / "kiosk-validator") as sim:
        yield sim


@pytest.fixture
def cash_config(sandbox, tmp_path, sim, monkeypatch):
    monkeypatch.setattr(cli, "setup_logging", lambda level: None)
    path = write_config(tmp_path, sandbox)
    path.write_text(path.read_text() + f'\n[cash]\nmode = "validator"\nport = "{sim.link}"\n'
                    'session_timeout_s = 5.0\n')
    return path


def insert(sim: VirtualValidator, *values: int) -> threading.Thread:
    def run() -> None:
        for value in values:
            sim.wait_for(lambda m, v=value: m.insert_note(v), timeout=20)
            sim.wait_for(lambda m: m.note_stage is None, timeout=20)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_headless_cash_topup_takes_notes_up_to_the_amount(cash_config, sandbox, sim, capsys,
                                                         monkeypatch):
    monkeypatch.setattr("sys.stdin", _Blocking())  # no Enter: the amount ends it
    insert(sim, 20, 10)
    code = cli.main(["topup", "--cash", "--card", CARD, "--amount", "30",
                     "--config", str(cash_config)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "CREDITED 30,00 EUR in cash" in out and "bar bezahlt" in out
    assert [c.amount for c in sandbox.ledger] == [3000]
    assert cli.main(["cash", "cashbox", "--config", str(cash_config)]) == 0
    report = capsys.readouterr().out
    assert "1 x 10,00" in report and "1 x 20,00" in report and "30,00" in report
    assert cli.main(["cash", "cashbox", "--emptied", "--config", str(cash_config)]) == 0
    capsys.readouterr()
    assert cli.main(["cash", "cashbox", "--config", str(cash_config)]) == 0
    assert "Scheine / Notes:" in capsys.readouterr().out.replace("  ", " ")


def test_headless_cash_topup_api_down_prints_the_owed_slip(cash_config, sandbox, sim, capsys,
                                                          monkeypatch):
    from hardware.sim.sandbox import Fault
    monkeypatch.setattr("sys.stdin", _Blocking())
    monkeypatch.setattr("kiosk.commands.cash_topup.RETRY_S", 0.5)
    sandbox.inject("create", Fault.drop_before_commit(), times=1000)
    insert(sim, 10)
    code = cli.main(["topup", "--cash", "--card", CARD, "--amount", "10",
                     "--config", str(cash_config)])
    out = capsys.readouterr().out
    assert code == 1 and "OWED 10,00 EUR in cash" in out
    assert "BARGELD EINGEZAHLT" in out and "not yet credited" in out and sandbox.ledger == []
    sandbox.faults.clear()
    assert cli.main(["cash", "owed", "--config", str(cash_config)]) == 0
    listing = capsys.readouterr().out
    reference = listing.split()[0]
    assert "10,00" in listing and "slip: owed" in listing
    assert cli.main(["cash", "owed", "--credit", reference, "--card", CARD,
                     "--config", str(cash_config)]) == 0
    assert [c.amount for c in sandbox.ledger] == [1000]
    assert cli.main(["cash", "owed", "--credit", reference, "--card", CARD,
                     "--config", str(cash_config)]) == 4  # not owed any more: refused


def test_doctor_reports_the_validator(cash_config, sim, capsys):
    from kiosk.diagnose.validator import check_validator
    line = check_validator(load_config(cash_config))
    assert "serial 12345678" in line and "ch1=5, ch2=10, ch3=20, ch4=50" in line
    assert "NV02004141498000" in line


def test_cash_config_refused_with_file_key_and_line(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text('[cash]\nmode = "till"\n')
    with pytest.raises(ConfigError, match=r"kiosk.toml:2: \[cash\] staff_cards: required"):
        load_config(path)
    path.write_text('[cash]\nmode = "validator"\naccept = [5, 7]\n')
    with pytest.raises(ConfigError, match=r"kiosk.toml:3: \[cash\] accept: expected a list"):
        load_config(path)
    path.write_text('[cash]\nmode = "coins"\n')
    with pytest.raises(ConfigError, match=r"kiosk.toml:2: \[cash\] mode: expected 'none'"):
        load_config(path)


class _Blocking(io.StringIO):
    """A stdin whose Enter never comes."""

    def readline(self, *args: object) -> str:
        threading.Event().wait()
        return ""
