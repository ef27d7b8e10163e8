"""The money-safe cash session against the virtual validator (real pty) and the sandbox (real HTTP)."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from hardware.cash.driver import SspValidator
from hardware.sim.sandbox import Fault as ApiFault
from hardware.sim.validator import VirtualValidator
from kiosk.cash.desk import CashDesk, CashRefused
from kiosk.cash.ledger import CashLedger, CashState, NoteFate
from kiosk.cash.session import Controls, EndReason, Fault
from kiosk.cash.settle import Slip
from kiosk.config import CashConfig
from kiosk.journal import JournalError, State
from tests.fixtures.sandbox import CARD, LOCKED_CARD


@pytest.fixture
def sim(tmp_path):
    with VirtualValidator(tmp_path / "kiosk-validator") as sim:
        yield sim


def make_desk(env, sim, **cash) -> CashDesk:
    config = dataclasses.replace(env.config, cash=CashConfig(
        mode="validator", port=str(sim.link), **{"session_timeout_s": 5.0, **cash}))
    desk = CashDesk(config, env.service, CashLedger(env.journal),
                    open_unit=lambda: SspValidator(str(sim.link), timeout=0.3, tries=3),
                    poll_interval_s=0.0, retry_s=0.3, backoff_s=0.05)
    return desk


@pytest.fixture
def desk(env, sim):
    desk = make_desk(env, sim)
    yield desk
    desk.close()


def customer(sim: VirtualValidator, notes: list[int], controls: Controls,
             before: callable = lambda: None) -> threading.Thread:
    """Inserts each note once the unit draws one in, then presses Fertig."""
    def run() -> None:
        for value in notes:
            sim.wait_for(lambda m, v=value: m.insert_note(v), timeout=10)
            sim.wait_for(lambda m: m.note_stage is None, timeout=10)
        before()
        controls.finish.set()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_notes_are_credited_once_with_one_cash_topup(env, sim, desk):
    controls = Controls()
    customer(sim, [20, 10], controls)
    end, result = desk.run(CARD, controls)
    assert (end.reason, end.total, end.faults) == (EndReason.FINISHED, 3000, ())
    assert result.credited and result.slip is None
    assert env.credits() == [3000] and sim.model.cashbox == {20: 1, 10: 1}
    assert sim.model.credited == [20, 10]
    row = desk.ledger.get(end.reference)
    assert row.state is CashState.CREDITED and row.card_number is None
    topup = env.journal.get(row.topup_reference())
    assert topup.start_type == "cash" and topup.state is State.CONFIRMED
    env.service.receipt_printed(topup.reference)
    assert desk.ledger.cashbox().notes == {1000: 1, 2000: 1}


def test_maximum_reached_ends_the_session_and_inhibits_larger_notes(env, sim):
    config_max = dataclasses.replace(env.config.topup, maximum=3000)
    env.config = dataclasses.replace(env.config, topup=config_max)
    desk = make_desk(env, sim)
    desk.service.config = env.config
    controls = Controls()
    # 50 does not fit under 30,00: the unit returns it (channel inhibited by the host).
    customer(sim, [50, 20, 10], controls)
    end, result = desk.run(CARD, controls)
    desk.close()
    assert end.reason is EndReason.MAXIMUM and end.total == 3000
    assert sim.model.returned == [50] and env.credits() == [3000]
    assert Fault.REJECTED in end.faults and result.credited


def test_cancel_with_nothing_stacked_books_nothing(env, sim, desk):
    controls = Controls()
    controls.cancel.set()
    end, result = desk.run(CARD, controls)
    assert end.reason is EndReason.CANCELLED and end.total == 0
    assert result.session.state is CashState.EMPTY and env.credits() == []


def test_session_row_is_committed_before_the_validator_is_enabled(env, sim, desk):
    opened, notes = desk.open(CARD, receipt_ok=True)
    assert desk.ledger.get(opened.session.reference).state is CashState.OPEN
    assert not sim.insert_note(10)  # still disabled: the loop enables it
    assert opened.accepted == (5, 10, 20, 50)
    # A crash here: recovery drains the unit and closes the empty session.
    (recovered,) = desk.recover()
    assert recovered.session.state is CashState.EMPTY


def test_pre_checks_refuse_before_any_row(env, sim, desk):
    with pytest.raises(CashRefused) as refused:
        desk.open(LOCKED_CARD, receipt_ok=True)
    assert refused.value.reason == "card_locked"
    with pytest.raises(CashRefused) as refused:
        desk.open(CARD, receipt_ok=False)
    assert refused.value.reason == "printer"
    sim.unplug()
    with pytest.raises(CashRefused) as refused:
        desk.open(CARD, receipt_ok=True)
    assert refused.value.reason == "validator" and desk.out_of_service is Fault.UNPLUGGED
    assert desk.ledger.all_sessions() == []


def test_not_executed_is_retried_on_the_spot(env, sim, desk):
    env.sandbox.inject("create", ApiFault.server_error(503), times=1)
    controls = Controls()
    customer(sim, [10], controls)
    end, result = desk.run(CARD, controls)
    assert result.credited and env.credits() == [1000]
    assert desk.ledger.get(end.reference).attempts >= 1


def test_api_down_gives_an_owed_slip_then_only_the_admin_credits(env, sim, desk):
    env.sandbox.inject("create", ApiFault.drop_before_commit(), times=50)
    controls = Controls()
    customer(sim, [20], controls)
    end, result = desk.run(CARD, controls)
    assert result.slip is Slip.OWED and not result.credited
    row = desk.ledger.get(end.reference)
    assert row.state is CashState.OWED and row.card_number is None and row.total == 2000
    env.sandbox.faults.clear()  # the API is back
    # Recovery never credits a session whose slip is out.
    env.service.recover()
    desk.recover()
    assert desk.ledger.get(end.reference).state is CashState.OWED and env.credits() == []
    with pytest.raises(JournalError, match="belongs to card"):
        desk.settler.credit_owed(end.reference, LOCKED_CARD)  # another card
    settled = desk.settler.credit_owed(end.reference, CARD)
    assert settled.credited and settled.session.state is CashState.SETTLED
    assert env.credits() == [2000]
    with pytest.raises(JournalError, match="not owed"):
        desk.settler.credit_owed(end.reference, CARD)  # never twice


def test_safe_jam_is_uncertain_and_takes_cash_out_of_service(env, sim, desk):
    sim.set_fault("safe_jam")
    controls = Controls()
    threading.Thread(target=lambda: sim.wait_for(lambda m: m.insert_note(10), timeout=10),
                     daemon=True).start()
    end, result = desk.run(CARD, controls)
    assert end.reason is EndReason.FAULT and Fault.JAM in end.faults
    row = result.session
    assert [n.fate for n in row.notes] == [NoteFate.UNCERTAIN] and row.total == 0
    assert desk.out_of_service is Fault.JAM and env.credits() == []
    with pytest.raises(CashRefused):
        desk.open(CARD, receipt_ok=True)


def test_power_loss_while_stacking_books_the_cleared_note(env, sim, desk):
    sim.set_fault("power_loss", returns_after=0)
    controls = Controls()
    customer(sim, [50], controls)
    end, result = desk.run(CARD, controls)
    assert Fault.POWER_LOSS in end.faults
    assert sim.model.uncredited == [50] and sim.model.credited == []
    assert [n.fate for n in result.session.notes] == [NoteFate.CLEARED]
    assert result.credited and env.credits() == [5000]


@pytest.mark.parametrize("fault", ["drop_replies", "corrupt_replies"])
def test_lost_replies_never_double_or_lose_a_note(env, sim, desk, fault):
    controls = Controls()
    sim.set_fault(fault, count=2)
    customer(sim, [20, 20], controls)
    end, result = desk.run(CARD, controls)
    assert sim.model.credited == [20, 20] and env.credits() == [4000]
    assert result.credited
