"""`kiosk topup`, `kiosk recover` and `kiosk journal` run in-process against the sandbox."""

from __future__ import annotations

import os

import pytest

from hardware.sim.sandbox import Fault
from kiosk import cli
from kiosk.config import load_config
from kiosk.journal import Journal, State
from tests.fixtures.sandbox import CARD, UNKNOWN_CARD
from tests.fixtures.sandbox import FUNDED_CARD as FUNDED
from tests.test_topup_env import secret_file, write_config


@pytest.fixture
def run(monkeypatch, capsys, sandbox, tmp_path):
    """Run `kiosk <args> --config <sandbox config>`; returns (exit code, stdout, stderr)."""
    # main() would install its journald handler on the root logger, replacing pytest's.
    monkeypatch.setattr(cli, "setup_logging", lambda level: None)
    config = write_config(tmp_path, sandbox)

    def kiosk(*args: str, config_path=None):
        code = cli.main([args[0], "--config", str(config_path or config), *args[1:]])
        out, err = capsys.readouterr()
        assert CARD not in out + err and FUNDED not in out + err
        return code, out, err

    kiosk.config = config
    return kiosk


def test_topup_credited(run, sandbox):
    code, out, _ = run("topup", "--card", CARD, "--amount", "15,00")
    assert code == 0
    assert out.startswith("CREDITED 15,00 EUR to 9276 •••• •••• 2845\n")
    assert "  TA code: 29218171\n" in out and "  new balance: 15,00 EUR\n" in out
    assert "Kartennummer:          9276 •••• •••• 2845" in out
    assert sandbox.balance(CARD) == 1500
    with Journal.open_in(load_config(run.config).state_dir) as journal:
        [row] = journal.recent()
        assert row.state is State.DONE  # the receipt went to stdout


def test_topup_refused_card(run, sandbox):
    code, out, _ = run("topup", "--card", UNKNOWN_CARD, "--amount", "10")
    assert code == 1
    assert out.startswith("NOT CHARGED 10,00 EUR for 9276 •••• •••• 9999")
    assert "reason: card_unknown: the card is not known" in out
    assert "supportId: " in out and sandbox.ledger == []


@pytest.mark.parametrize(
    "args, message",
    [(("--card", "12345", "--amount", "10"), "--card: not a card number (too_short)"),
     (("--card", CARD, "--amount", "ten"), "--amount: not an amount"),
     (("--card", CARD, "--amount", "10.001"), "--amount: not an amount")],
)
def test_topup_bad_arguments(run, sandbox, args, message):
    code, _, err = run("topup", *args)
    assert code == 1 and message in err
    assert sandbox.requests == []


def test_topup_amount_limits(run, sandbox):
    code, out, _ = run("topup", "--card", CARD, "--amount", "200.01")
    assert code == 1 and "reason: amount_above_maximum" in out
    assert sandbox.requests == []


def test_bad_config_and_secret_are_refused_by_name(run, tmp_path, capsys):
    secret = secret_file(run.config)
    os.chmod(secret, 0o644)
    code, _, err = run("topup", "--card", CARD, "--amount", "10")
    assert code == 2 and str(secret) in err and "chmod 600" in err
    code, _, err = run("journal", config_path=tmp_path / "missing.toml")
    assert code == 2 and "missing.toml: config file not found" in err


def test_topup_waits_for_recovery_then_recover_settles(run, sandbox):
    # An earlier top-up lost its start answer and its transaction cannot be read.
    config = load_config(run.config)
    with Journal.open_in(config.state_dir) as journal:
        row = journal.begin(card_number=CARD, amount=1000, currency="EUR", start_type="cash")
        journal.advance(row.reference, State.CREATED, stx_id="STX_LOST")
        journal.advance(row.reference, State.STARTING)
        journal.advance(row.reference, State.UNKNOWN, error="start answer lost")
    sandbox.inject("get", Fault.not_json(), times=10_000)
    code, out, err = run("topup", "--card", FUNDED, "--amount", "10", "--recover-timeout", "0.3")
    assert code == 3 and "earlier top-ups are still unresolved" in err
    assert sandbox.attempts("create") == 0  # no new top-up was sent
    code, out, _ = run("journal")
    assert "UNKNOWN" in out and "1 unfinished top-up(s)" in out
    sandbox.faults.clear()
    code, out, _ = run("recover")
    assert code == 0
    # The server has no such transaction: support settles it.
    assert "9276 •••• •••• 2845" in out and "reason: server_mismatch" in out
    code, out, _ = run("recover")
    assert (code, out) == (0, "nothing to recover\n")


def test_journal_lists_recent_rows_masked(run):
    code, out, _ = run("journal")
    assert (code, out) == (0, "no top-ups in the journal\n")
    for amount in ("10", "20", "30"):
        assert run("topup", "--card", FUNDED, "--amount", amount)[0] == 0
    run("topup", "--card", UNKNOWN_CARD, "--amount", "15")
    code, out, _ = run("journal", "--limit", "3")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3
    assert "NOT_EXECUTED" in lines[0] and "card_unknown" in lines[0] and "supportId" in lines[0]
    assert "DONE" in lines[1] and "30,00 EUR" in lines[1] and "9276 •••• •••• 7890" in lines[1]
    assert "20,00 EUR" in lines[2] and "STX_" in lines[2]
