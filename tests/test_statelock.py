"""One owner per state directory: a second writer process is refused, naming the holder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kiosk.cli import EXIT_BUSY
from kiosk.commands.sandbox import write_client_config
from kiosk.config import load_config
from kiosk.journal import Journal, State
from kiosk.statelock import LOCK_FILE, StateBusy, StateLock
from tests.fixtures.sandbox import CARD

import pytest

ROOT = Path(__file__).resolve().parents[1]
WAIT_S = 60.0


def _kiosk(*args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, "-m", "kiosk.cli", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_second_process_is_refused_while_a_topup_runs(sandbox, tmp_path):
    config_path = write_client_config(sandbox, tmp_path / "kiosk.toml",
                                      start_cashless_timeout=WAIT_S)
    state_dir = load_config(config_path).state_dir
    sandbox.terminal(wait=WAIT_S)                     # the customer is still at the terminal
    first = _kiosk("topup", "--config", str(config_path), "--card", CARD, "--amount", "10",
                   "--start-type", "cashless")
    try:
        assert sandbox.terminal_waiting.wait(WAIT_S), first.communicate()
        # Finding 8: `kiosk recover` beside a top-up in flight used to settle its row.
        second = _kiosk("recover", "--config", str(config_path))
        out, err = second.communicate(timeout=WAIT_S)
        assert second.returncode == EXIT_BUSY, (out, err)
        assert f"PID {first.pid} (kiosk topup)" in err
        assert str(state_dir / LOCK_FILE) in err
        with Journal.open_in(state_dir) as journal:
            [row] = journal.recent()
            assert row.state is State.STARTING            # untouched by the refused process
        sandbox.release_terminal()
        out, err = first.communicate(timeout=WAIT_S)
        assert first.returncode == 0, (out, err)
        assert out.startswith("CREDITED 10,00 EUR")
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    # The holder is gone: the next command gets the directory.
    again = _kiosk("recover", "--config", str(config_path))
    out, err = again.communicate(timeout=WAIT_S)
    assert again.returncode == 0, (out, err)
    assert out == "nothing to recover\n"


def test_a_killed_holder_leaves_no_stale_lock(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from kiosk.statelock import StateLock; "
         f"StateLock.acquire({str(tmp_path)!r}, 'run'); print('held', flush=True); "
         "sys.stdin.read()"],
        env=dict(os.environ, PYTHONPATH=str(ROOT)), cwd=ROOT,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(StateBusy, match=f"in use by PID {holder.pid} \\(kiosk run\\)"):
            StateLock.acquire(tmp_path, "reprint")
    finally:
        holder.kill()
        holder.wait()
    with StateLock.acquire(tmp_path, "reprint"):
        assert f'"pid": {os.getpid()}' in (tmp_path / LOCK_FILE).read_text()
    assert (tmp_path / LOCK_FILE).read_text() == ""      # released: nobody is named


@pytest.mark.parametrize("command", [["run", "--window"], ["topup", "--card", CARD, "--amount",
                                     "10"], ["recover"], ["reprint"], ["register"]])
def test_every_writing_command_takes_the_lock(sandbox, tmp_path, monkeypatch, capsys, command):
    from kiosk import cli

    monkeypatch.setattr(cli, "setup_logging", lambda level: None)
    config_path = write_client_config(sandbox, tmp_path / "kiosk.toml")
    with StateLock.acquire(load_config(config_path).state_dir, "run"):
        code = cli.main([command[0], "--config", str(config_path), *command[1:]])
    assert code == EXIT_BUSY
    err = capsys.readouterr().err
    assert f"kiosk {command[0]}: " in err and f"in use by PID {os.getpid()} (kiosk run)" in err
    # (the holder is this very process: flock locks belong to the open file, not the PID)


def test_reading_commands_work_beside_the_owner(sandbox, tmp_path, monkeypatch, capsys):
    from kiosk import cli

    monkeypatch.setattr(cli, "setup_logging", lambda level: None)
    config_path = write_client_config(sandbox, tmp_path / "kiosk.toml")
    with StateLock.acquire(load_config(config_path).state_dir, "run"):
        assert cli.main(["journal", "--config", str(config_path)]) == 0
    assert "no top-ups in the journal" in capsys.readouterr().out
