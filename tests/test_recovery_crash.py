"""The kiosk process killed with SIGKILL at each journal step, then started again.

Test hook: kiosk.journal honours the environment variable KIOSK_TEST_CRASH_AFTER=<STATE>: the
process kills itself with SIGKILL right after committing a row into that state. Each case runs
`kiosk topup` in a subprocess against the sandbox in this process, lets it die there, runs
`kiosk recover`, lets the customer try again if recovery says "not charged", and then expects
the same ledger as an uninterrupted run and no unfinished journal rows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hardware.sim.sandbox import Fault, SandboxServer
from kiosk.config import load_config
from kiosk.journal import CRASH_ENV, FINAL, JOURNAL_FILE, Journal, State
from tests.fixtures.sandbox import CARD
from tests.test_topup_env import write_config

REPO = Path(__file__).resolve().parents[1]


def kiosk(config: Path, *args: str, crash_after: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    if crash_after:
        env[CRASH_ENV] = crash_after
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *args[:1], "--config", str(config), *args[1:]],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )


def ledger_of(sandbox: SandboxServer) -> list[tuple[str, int]]:
    return [(c.card, c.amount) for c in sandbox.ledger]


def check_no_card_numbers(outputs: list[subprocess.CompletedProcess], state_dir: Path) -> None:
    for run in outputs:
        assert CARD not in run.stdout and CARD not in run.stderr
    for path in state_dir.glob(JOURNAL_FILE + "*"):
        assert CARD.encode() not in path.read_bytes(), path.name


def test_uninterrupted_run(sandbox, tmp_path):
    config = write_config(tmp_path, sandbox)
    run = kiosk(config, "topup", "--card", CARD, "--amount", "15.00")
    assert run.returncode == 0, run.stderr
    assert "CREDITED 15,00 EUR to 9276 •••• •••• 2845" in run.stdout
    assert "Aktuelles Guthaben:" in run.stdout and "9276 •••• •••• 2845" in run.stdout
    assert ledger_of(sandbox) == [(CARD, 1500)]
    check_no_card_numbers([run], load_config(config).state_dir)


# (kill point, fault planned in the sandbox for the killed run)
CASES = {
    "INTENT": (State.INTENT, None),
    "CREATED": (State.CREATED, None),
    "STARTING": (State.STARTING, None),
    "CONFIRMED": (State.CONFIRMED, None),
    "DONE": (State.DONE, None),
    # A lost create is "not created" at once (no money moved); killed before the new create.
    "NOT_EXECUTED-create-lost-after-commit": (State.NOT_EXECUTED,
                                              ("create", Fault.drop_after_commit())),
    "NOT_EXECUTED-create-lost-before-commit": (State.NOT_EXECUTED,
                                               ("create", Fault.drop_before_commit())),
    "UNKNOWN-start-lost-after-commit": (State.UNKNOWN, ("start", Fault.drop_after_commit())),
    "UNKNOWN-start-5xx-before-commit": (State.UNKNOWN, ("start", Fault.server_error())),
}


@pytest.mark.parametrize("case", list(CASES))
def test_killed_at_each_step_then_restarted(sandbox, tmp_path, case):
    state, fault = CASES[case]
    config = write_config(tmp_path, sandbox)
    if fault:
        sandbox.inject(*fault)
    killed = kiosk(config, "topup", "--card", CARD, "--amount", "15.00", crash_after=state.value)
    assert killed.returncode == -signal.SIGKILL, (killed.returncode, killed.stderr)
    sandbox.faults.clear()
    assert sandbox.wait_idle()

    recovered = kiosk(config, "recover")
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    runs = [killed, recovered]
    if not sandbox.ledger:
        # Recovery reported "not charged" (or the killed run had already settled it so): the
        # customer tries again.
        if state is not State.NOT_EXECUTED:
            assert "NOT CHARGED 15,00 EUR" in recovered.stdout
        again = kiosk(config, "topup", "--card", CARD, "--amount", "15.00")
        assert again.returncode == 0, again.stderr
        runs.append(again)
    elif state not in (State.DONE,):
        assert "recovered: CREDITED 15,00 EUR" in recovered.stdout
        assert "Aktuelles Guthaben:" in recovered.stdout

    assert ledger_of(sandbox) == [(CARD, 1500)]
    with Journal.open_in(load_config(config).state_dir) as journal:
        assert journal.unfinished() == []
        rows = journal.recent(10)
        assert all(r.state in FINAL for r in rows), [(r.state, r.reason) for r in rows]
        assert [r.state for r in rows].count(State.DONE) == 1
    # Nothing the server holds is left half-way: every transaction ended ok or aborted.
    assert sorted(s["status"] for s in sandbox.transactions if s["status"] != "ok") in (
        [], ["aborted"])
    check_no_card_numbers(runs, load_config(config).state_dir)
