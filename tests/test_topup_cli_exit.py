"""`kiosk topup` takes its exit code from the journal row, whatever happens to stdout (issue 9,
finding 9), and answers local refusals before any wait for recovery (finding 10)."""

from __future__ import annotations

import io
import sys

import pytest

from hardware.sim.sandbox import Fault
from kiosk.config import load_config
from kiosk.journal import Journal, State
from tests.fixtures.sandbox import CARD
from tests.test_cli_topup import run  # noqa: F401 - the fixture


class BrokenPipe(io.TextIOBase):
    """A stdout whose reader went away."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


class Closed(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.close()


def journal_rows(run):
    with Journal.open_in(load_config(run.config).state_dir) as journal:
        return journal.recent()


@pytest.mark.parametrize("stdout", [None, BrokenPipe, Closed], ids=["closed-fd", "broken-pipe",
                                                                    "closed-file"])
def test_a_credit_exits_0_whatever_happens_to_stdout(run, sandbox, monkeypatch, stdout):
    monkeypatch.setattr(sys, "stdout", stdout() if stdout else None)
    code, _, err = run("topup", "--card", CARD, "--amount", "15")
    assert code == 0, err
    assert "cannot write to stdout" in err
    assert [c.amount for c in sandbox.ledger] == [1500]
    # The receipt never reached anyone: it stays owed, for a reprint.
    [row] = journal_rows(run)
    assert row.state is State.RECEIPT_OWED


def test_not_credited_still_exits_1_with_stdout_broken(run, sandbox, monkeypatch):
    # Both creates (the first and the one under a new reference) answer 500: not charged.
    sandbox.inject("create", Fault.refuse("ProductInternalException", status=500), times=2)
    monkeypatch.setattr(sys, "stdout", BrokenPipe())
    code, _, _ = run("topup", "--card", CARD, "--amount", "15")
    assert code == 1 and sandbox.ledger == []


def test_amount_below_minimum_answers_before_recovery(run, sandbox):
    # An open row and a payment service that never answers the search: recovery would wait
    # the whole --recover-timeout. The amount is refused first, without a request.
    config = load_config(run.config)
    with Journal.open_in(config.state_dir) as journal:
        row = journal.begin(card_number=CARD, amount=1000, currency="EUR", start_type="cash")
        journal.advance(row.reference, State.UNKNOWN, error="create answer lost")
    code, out, _ = run("topup", "--card", CARD, "--amount", "0", "--recover-timeout", "600")
    assert code == 1 and "reason: amount_below_minimum" in out
    assert sandbox.requests == []
    code, _, _ = run("recover")
    assert code == 0
