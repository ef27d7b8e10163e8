"""Cash end to end through the real loop: scanner -> UI -> cash thread -> validator pty / till -> sandbox -> printer."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hardware.cash.driver import SspValidator
from hardware.sim.validator import VirtualValidator
from kiosk.config import CashConfig
from kiosk.flow import Screen
from tests.fixtures.sandbox import CARD, FUNDED_CARD
from tests.test_e2e_kiosk import WAIT_S, Kiosk, _credited, make_kiosk  # noqa: F401 (fixture)

STAFF_CARD = "9276000000008888"


@pytest.fixture
def validator(tmp_path: Path) -> Iterator[VirtualValidator]:
    with VirtualValidator(tmp_path / "kiosk-validator") as sim:
        yield sim


@pytest.fixture
def make_cash_kiosk(make_kiosk: Callable[..., Kiosk]) -> Callable[..., Kiosk]:
    def make(cash: CashConfig, *, start_type: str = "cashless") -> Kiosk:
        options = {"open_unit": lambda: SspValidator(cash.port, timeout=0.3, tries=3),
                   "poll_interval_s": 0.05, "retry_s": 0.3, "backoff_s": 0.05}
        return make_kiosk(cash=cash, cash_options=options, start_type=start_type)

    return make


def until(k: Kiosk, predicate: Callable[[Kiosk], bool], what: str) -> None:
    assert k.ui.run_until(lambda u: predicate(k), WAIT_S), f"not reached: {what}"


def to_notes(k: Kiosk, card: str) -> None:
    """Scan, choose cash, and wait until the validator session is open."""
    k.scan(card)
    k.reach(Screen.CARD)
    k.drive.tap("continue")
    k.reach(Screen.PAY_CHOICE)
    k.drive.tap("pay_cash")
    k.reach(Screen.INSERT_NOTES)
    until(k, lambda k: bool(k.ui.state.session.cash.reference), "session opened")


def insert(k: Kiosk, sim: VirtualValidator, value: int, total: int) -> None:
    sim.wait_for(lambda m: m.insert_note(value))
    until(k, lambda k: k.ui.state.session.cash.total_cents == total, f"total {total}")


def test_notes_20_and_10_then_fertig_credit_30_with_a_cash_receipt(make_cash_kiosk, sandbox,
                                                                     validator):
    k = make_cash_kiosk(CashConfig(mode="validator", port=str(validator.link)))
    assert k.runtime.cash is not None and k.runtime.cash.desk is not None
    to_notes(k, FUNDED_CARD)
    assert k.ui.frame.button("cancel")                 # nothing stacked: Abbrechen offered
    insert(k, validator, 20, 2000)
    assert all(b.name != "cancel" for b in k.ui.frame.buttons)   # a note in: no Abbrechen
    insert(k, validator, 10, 3000)
    assert _credited(sandbox, FUNDED_CARD) == []       # nothing credited before Fertig
    k.drive.tap("finish")
    k.reach(Screen.DONE)
    assert _credited(sandbox, FUNDED_CARD) == [3000]
    assert sandbox.balance(FUNDED_CARD) == 5500
    assert k.ui.state.session.outcome.new_balance_cents == 5500
    receipt = k.printer.wait_for_receipts(1)[0]
    assert "bar bezahlt" in receipt.text and "30,00 EUR" in receipt.text
    assert validator.model.cashbox == {20: 1, 10: 1}
    k.drive.tap("finish")
    k.reach(Screen.ATTRACT)


def test_abbrechen_returns_the_note_held_in_escrow(make_cash_kiosk, sandbox, validator):
    k = make_cash_kiosk(CashConfig(mode="validator", port=str(validator.link)))
    to_notes(k, CARD)

    def insert_then_cancel(model) -> bool:  # type: ignore[no-untyped-def]
        # Under the simulator's lock: the note is in the unit before the next poll, and
        # Abbrechen reaches the session before the host decides on its escrow.
        if not model.insert_note(20):
            return False
        k.drive.tap("cancel")
        return True

    validator.wait_for(insert_then_cancel)
    k.reach(Screen.CASH_FAULT)
    outcome = k.ui.state.session.cash_outcome
    assert outcome.kind == "cancelled" and outcome.total_cents == 0
    validator.wait_for(lambda m: m.returned == [20])
    assert not validator.model.cashbox
    assert _credited(sandbox, CARD) == []
    k.drive.tap("finish")
    k.reach(Screen.ATTRACT)


def test_a_rejected_note_shows_then_a_jam_ends_on_the_fault_screen(make_cash_kiosk, sandbox,
                                                                   validator):
    k = make_cash_kiosk(CashConfig(mode="validator", port=str(validator.link)))
    to_notes(k, CARD)
    validator.set_fault("reject")
    validator.wait_for(lambda m: m.insert_note(20))
    until(k, lambda k: k.ui.state.session.cash.fault == "rejected", "note returned")
    validator.set_fault("safe_jam")
    validator.wait_for(lambda m: m.insert_note(10))
    k.reach(Screen.CASH_FAULT)
    outcome = k.ui.state.session.cash_outcome
    assert (outcome.kind, outcome.fault, outcome.out_of_service) == ("fault", "jam", True)
    assert outcome.uncertain_cents == 1000 and not outcome.credited
    slip = k.printer.wait_for_receipts(1)[0]     # the uncertain note is on the slip
    assert "10,00" in slip.text
    assert _credited(sandbox, CARD) == []
    assert not k.ui.state.cash_ok                 # cash out of service, card payment stays
    k.drive.tap("finish")
    k.reach(Screen.ATTRACT)
    k.scan(CARD)
    k.reach(Screen.CARD)
    k.drive.tap("continue")
    k.reach(Screen.PAY_CHOICE)
    assert all(b.name != "pay_cash" for b in k.ui.frame.buttons)


def till_config(timeout: float = 120.0) -> CashConfig:
    return CashConfig(mode="till", staff_cards=(STAFF_CARD,), confirm_timeout_s=timeout)


def to_till(k: Kiosk, card: str) -> None:
    k.scan(card)
    k.reach(Screen.CARD)
    k.drive.tap("continue")
    k.reach(Screen.AMOUNT)          # cash only (start type "cash"): no choice screen
    k.drive.tap("amount:2000")
    k.reach(Screen.CONFIRM)
    k.drive.tap("confirm")
    k.reach(Screen.TILL)
    until(k, lambda k: bool(k.ui.state.session.cash.reference), "reference shown")


def test_till_credits_only_after_the_staff_scan(make_cash_kiosk, sandbox):
    k = make_cash_kiosk(till_config(), start_type="cash")
    to_till(k, FUNDED_CARD)
    shown = k.ui.state.session.cash.reference
    assert len(shown) == 8
    k.scan(CARD)                    # not a staff card: confirms nothing
    k.scan(FUNDED_CARD)
    until(k, lambda k: k.runtime.cash.scans.empty(), "scans seen by the till")
    assert k.ui.state.screen == Screen.TILL
    assert _credited(sandbox, FUNDED_CARD) == [] and k.journal_rows() == []
    k.scan(STAFF_CARD)
    k.reach(Screen.DONE)
    assert _credited(sandbox, FUNDED_CARD) == [2000]
    row = k.journal_rows()[0]
    assert row.start_type == "cash" and row.reference.upper().startswith(shown)
    receipt = k.printer.wait_for_receipts(1)[0]
    assert "bar bezahlt" in receipt.text and "20,00 EUR" in receipt.text


def test_till_timeout_and_cancel_charge_nothing(make_cash_kiosk, sandbox):
    k = make_cash_kiosk(dataclasses.replace(till_config(), confirm_timeout_s=0.5),
                        start_type="cash")
    to_till(k, FUNDED_CARD)
    k.reach(Screen.CASH_FAULT)
    assert k.ui.state.session.cash_outcome.kind == "timeout"
    assert k.ui.frame.button("finish")
    k.drive.tap("finish")
    k.reach(Screen.ATTRACT)
    assert _credited(sandbox, FUNDED_CARD) == [] and k.journal_rows() == []
    k.runtime.cash.till.confirm_timeout_s = 120.0
    to_till(k, FUNDED_CARD)
    k.drive.tap("cancel")
    k.reach(Screen.CASH_FAULT)
    assert k.ui.state.session.cash_outcome.kind == "cancelled"
    k.scan(STAFF_CARD)              # too late: the payment is over
    assert _credited(sandbox, FUNDED_CARD) == [] and k.journal_rows() == []


def test_a_validator_missing_at_start_takes_cash_out_of_service_and_card_stays(
        make_cash_kiosk, sandbox, tmp_path):
    k = make_cash_kiosk(CashConfig(mode="validator", port=str(tmp_path / "no-validator")))
    until(k, lambda k: not k.ui.state.cash_ok, "cash out of service")
    assert k.runtime.cash.desk.out_of_service.value == "unplugged"
    assert k.ui.state.screen == Screen.ATTRACT          # card payment still serves
    k.scan(FUNDED_CARD)
    k.reach(Screen.CARD)
    k.drive.tap("continue")
    k.reach(Screen.PAY_CHOICE)
    assert all(b.name != "pay_cash" for b in k.ui.frame.buttons)
    k.drive.tap("pay_card")
    k.reach(Screen.AMOUNT)
