"""`kiosk doctor`: each check says OK or FAIL with a reason an operator can act on."""

from __future__ import annotations

import os

from kiosk import cli
from kiosk.commands.doctor import run_checks
from kiosk.config import load_config
from kiosk.journal import Journal, State
from tests.fixtures.sandbox import CARD
from tests.test_topup_env import secret_file, write_config


def failures(checks):
    return {c.name: c.detail for c in checks if not c.ok}


def test_all_ok_against_the_sandbox(sandbox, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "setup_logging", lambda level: None)
    config = write_config(tmp_path, sandbox)
    assert cli.main(["doctor", "--config", str(config)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["OK"] * 8
    names = [line.split(":")[0].split(None, 1)[1] for line in lines]
    assert names == ["config", "state directory", "journal", "speech", "client secret",
                     "API reachable", "authentication", "API call"]


def test_missing_config(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "setup_logging", lambda level: None)
    assert cli.main(["doctor", "--config", str(tmp_path / "nope.toml")]) == 1
    out = capsys.readouterr().out
    assert out.startswith("FAIL  config: ") and "nope.toml: config file not found" in out


def test_state_directory_missing(sandbox, tmp_path):
    config = write_config(tmp_path, sandbox)
    state = load_config(config).state_dir
    state.rmdir()
    failed = failures(run_checks(str(config)))
    assert "state directory does not exist" in failed["state directory"]
    assert str(state) in failed["state directory"]


def test_state_directory_is_a_file(sandbox, tmp_path):
    config = write_config(tmp_path, sandbox)
    state = load_config(config).state_dir
    state.rmdir()
    state.write_text("")
    failed = failures(run_checks(str(config)))
    assert "state directory does not exist" in failed["state directory"]
    assert str(state) in failed["journal"]


def test_secret_readable_by_others(sandbox, tmp_path):
    config = write_config(tmp_path, sandbox)
    os.chmod(secret_file(config), 0o644)
    failed = failures(run_checks(str(config)))
    assert "chmod 600" in failed["client secret"]
    assert failed["authentication"].startswith("skipped")


def test_api_unreachable(sandbox, tmp_path):
    config = write_config(tmp_path, sandbox)
    sandbox.stop()
    failed = failures(run_checks(str(config)))
    assert f"127.0.0.1:{sandbox.port}: cannot connect" in failed["API reachable"]
    assert set(failed) == {"API reachable", "authentication"}


def test_wrong_secret(sandbox, tmp_path):
    config = write_config(tmp_path, sandbox)
    secret_file(config).write_text("not-the-secret\n")
    failed = failures(run_checks(str(config)))
    assert "refused: invalid_client" in failed["authentication"]
    assert "client_id and the client secret" in failed["authentication"]


def test_unfinished_rows(sandbox, tmp_path):
    config = write_config(tmp_path, sandbox)
    with Journal.open_in(load_config(config).state_dir) as journal:
        ref = journal.begin(card_number=CARD, amount=500, currency="EUR",
                            start_type="cash").reference
        failed = failures(run_checks(str(config)))
        assert "1 unfinished top-up(s); run `kiosk recover`" in failed["journal"]
        journal.advance(ref, State.NOT_EXECUTED)
    assert failures(run_checks(str(config))) == {}


def test_speech_line_names_the_program(sandbox, tmp_path):
    import shutil
    config = write_config(tmp_path, sandbox)
    checks = {c.name: c for c in run_checks(str(config))}
    if shutil.which("espeak-ng"):
        assert checks["speech"].ok and "espeak-ng" in checks["speech"].detail
        import re
        for language in ("de", "en"):
            assert re.search(rf"\b{language} \d+\.\d s of audio in \d+ ms", checks["speech"].detail)
    with open(config, "a", encoding="utf-8") as f:
        f.write('\n[speech]\nenabled = false\n')
    checks = {c.name: c for c in run_checks(str(config))}
    assert checks["speech"].ok and checks["speech"].detail == "off ([speech] enabled = false)"
