"""`kiosk run` without a usable secret: the setup-needed screen, READY and the watchdog, and a
reload when the file changes (in place, or by exiting under systemd's credentials)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from kiosk.config import ConfigError, write_private_file
from kiosk.setup_mode import FileWatch, setup_problem
from tests.fixtures.notify import kiosk_run_notified
from tests.test_e2e_kiosk import kiosk_config
from tests.test_e2e_run import WAIT_S, _datagrams


def test_problem_names_the_file_the_technician_edits_not_systemds_copy(tmp_path):
    creds = tmp_path / "creds"
    error = ConfigError(f"{creds}/client_secret: client secret file is empty")
    problem, named = setup_problem(error, "/etc/kiosk/kiosk.toml",
                                   env={"CREDENTIALS_DIRECTORY": str(creds)})
    assert str(named) == "/etc/kiosk/client_secret"
    assert problem.missing == "/etc/kiosk/client_secret: client secret file is empty"
    assert problem.fix == "sudo nano /etc/kiosk/client_secret"


def test_problem_with_a_line_number_and_a_mode_problem():
    problem, named = setup_problem(
        ConfigError("/etc/kiosk/kiosk.toml:44: [topup] start_type: expected 'cash'"),
        "/etc/kiosk/kiosk.toml", env={})
    assert (str(named), problem.fix) == ("/etc/kiosk/kiosk.toml", "sudo nano /etc/kiosk/kiosk.toml")
    problem, _ = setup_problem(ConfigError(
        "/etc/kiosk/client_secret: client secret file is accessible by other users (mode "
        "0644); run: chmod 600 /etc/kiosk/client_secret"), "/etc/kiosk/kiosk.toml", env={})
    assert problem.fix == "sudo chmod 600 /etc/kiosk/client_secret"


def test_file_watch_sees_write_replace_create_and_remove(tmp_path):
    path = tmp_path / "client_secret"
    watch = FileWatch([path])
    assert not watch.changed()
    path.write_text("")
    assert watch.changed() and not watch.changed()          # created, then quiet
    path.write_text("s3cret\n")
    assert watch.changed()                                   # written in place (nano)
    other = tmp_path / "new"
    other.write_text("s3cret\n")
    os.replace(other, path)                                  # saved as a new file (sudoedit)
    assert watch.changed()
    path.unlink()
    assert watch.changed()


def _empty_secret(config_source: str) -> str:
    """Empties the secret the config names; returns its path."""
    line = next(line for line in open(config_source, encoding="utf-8")
                if line.startswith("credentials_file"))
    secret = line.split("=", 1)[1].strip().strip('"')
    write_private_file(Path(secret), "")
    return secret


def test_empty_secret_shows_setup_then_serves_once_it_is_filled_in(sandbox, tmp_path,
                                                                     make_printer_emulator):
    printer = make_printer_emulator(columns=42, render=False)
    config = kiosk_config(sandbox, tmp_path, printer.link)
    secret = _empty_secret(config.source)
    seen: list[str] = []
    with kiosk_run_notified(config.source, tmp_path) as (proc, sock, log):
        _datagrams(sock, "READY=1", seen)
        assert f"STATUS=Kiosk: setup needed: {secret}: client secret file is empty" in seen[-1]
        _datagrams(sock, "WATCHDOG=1", seen)            # up, fed, no restart loop
        _datagrams(sock, "WATCHDOG=1", seen)
        assert proc.poll() is None
        write_private_file(Path(secret), sandbox.client_secret + "\n")
        seen.clear()
        _datagrams(sock, "READY=1", seen)                 # opened again in place, recovered
        assert "STATUS=Kiosk: ready" in seen[-1]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(WAIT_S) == 0
    log.seek(0)
    output = log.read()
    assert "Traceback" not in output, output
    assert f"fix: sudo nano {secret}" in output
    assert "loading the configuration again" in output


def test_under_systemd_credentials_a_changed_secret_exits_for_a_restart(sandbox, tmp_path,
                                                                        make_printer_emulator):
    printer = make_printer_emulator(columns=42, render=False)
    config = kiosk_config(sandbox, tmp_path, printer.link)
    text = open(config.source, encoding="utf-8").read()
    secret = _empty_secret(config.source)
    with open(config.source, "w", encoding="utf-8") as f:
        f.write(text.replace(f'"{secret}"', '"client_secret"'))
    creds = tmp_path / "credentials"                      # systemd's copy, taken at start
    write_private_file(creds / "client_secret", "")
    beside = tmp_path / "client_secret"                   # the file behind LoadCredential=
    write_private_file(beside, "")
    seen: list[str] = []
    with kiosk_run_notified(config.source, tmp_path,
                            env={"CREDENTIALS_DIRECTORY": str(creds)}) as (proc, sock, log):
        _datagrams(sock, "READY=1", seen)
        assert f"setup needed: {beside}: client secret file is empty" in seen[-1]
        write_private_file(beside, sandbox.client_secret + "\n")
        assert proc.wait(WAIT_S) == 0                     # Restart=always brings it back
    log.seek(0)
    output = log.read()
    assert "Traceback" not in output, output
    assert "exiting for systemd to start the kiosk again" in output
