"""The admin menu's cash actions through the real loop: cashbox emptied, owed cash credited."""

from __future__ import annotations

import pygame
import pytest

from hardware.sim.sandbox import Fault as ApiFault
from kiosk.cards import mask_card
from kiosk.cash.ledger import CashLedger, CashState
from kiosk.config import CashConfig
from kiosk.flow import Screen
from tests.fixtures.sandbox import CARD, FUNDED_CARD
from tests.test_e2e_cash import (  # noqa: F401 (fixtures)
    insert, make_cash_kiosk, to_notes, until, validator,
)
from tests.test_e2e_kiosk import (  # noqa: F401 (fixture)
    ADMIN_CARD, ADMIN_PIN, Kiosk, _credited, make_kiosk,
)


def to_admin_menu(k: Kiosk) -> None:
    k.scan(ADMIN_CARD)
    k.reach(Screen.ADMIN_PIN)
    k.drive.type(ADMIN_PIN)
    k.drive.key(pygame.K_RETURN)
    k.reach(Screen.ADMIN_MENU)


def answered(k: Kiosk, message: str) -> None:
    until(k, lambda k: k.ui.state.admin.message == message and not k.ui.state.pending,
          f"admin message {message} (shown: {k.ui.state.admin.message})")


def ledger(k: Kiosk) -> CashLedger:
    assert k.runtime.journal is not None
    return CashLedger(k.runtime.journal)


def test_cashbox_emptied_prints_the_count_then_starts_a_new_period(make_cash_kiosk, sandbox,
                                                                   validator):
    k = make_cash_kiosk(CashConfig(mode="validator", port=str(validator.link)))
    to_notes(k, FUNDED_CARD)
    insert(k, validator, 20, 2000)
    insert(k, validator, 10, 3000)
    k.drive.tap("finish")
    k.reach(Screen.DONE)
    k.printer.wait_for_receipts(1)
    k.drive.tap("finish")
    k.reach(Screen.ATTRACT)
    to_admin_menu(k)
    k.printer.set_faults(paper="out")          # no report on paper: the period goes on
    k.drive.tap("admin_cashbox_emptied")
    answered(k, "admin.cashbox_not_printed")
    assert ledger(k).cashbox().notes == {2000: 1, 1000: 1}
    k.printer.set_faults(paper="ok")
    k.drive.tap("admin_cashbox_emptied")
    answered(k, "admin.cashbox_emptied")
    assert k.ui.state.admin.detail == "2 · 30,00 €"
    report = k.printer.wait_for_receipts(2)[1].text
    assert "CASHBOX EMPTIED" in report
    assert "1 x 20,00" in report and "1 x 10,00" in report and "30,00" in report
    after = ledger(k).cashbox()
    assert after.count == 0 and after.emptied_at is None
    assert validator.model.cashbox == {20: 1, 10: 1}     # the count matches the notes taken


def test_owed_cash_is_credited_once_when_the_card_is_scanned_at_the_admin_menu(
        make_cash_kiosk, sandbox, validator):
    k = make_cash_kiosk(CashConfig(mode="validator", port=str(validator.link)))
    sandbox.inject("create", ApiFault.drop_before_commit(), times=1000)   # the API is down
    to_notes(k, FUNDED_CARD)
    insert(k, validator, 20, 2000)
    k.drive.tap("finish")
    k.reach(Screen.CASH_OWED)
    assert "20,00" in k.printer.wait_for_receipts(1)[0].text     # the owed slip
    (owed,) = ledger(k).owed()
    assert owed.card_number is None                    # why the card is scanned again
    sandbox.faults.clear()                             # the API is back
    k.drive.tap("finish")
    k.reach(Screen.ATTRACT)
    assert _credited(sandbox, FUNDED_CARD) == []       # no silent credit after a slip
    to_admin_menu(k)
    k.scan(FUNDED_CARD)                                # not asked for: starts nothing
    k.drive.tap("admin_owed")
    answered(k, "admin.owed_scan")
    assert _credited(sandbox, FUNDED_CARD) == []
    k.scan(CARD)                                       # another customer's card: owed nothing
    answered(k, "admin.owed_none")
    assert k.ui.state.admin.detail == mask_card(CARD)
    k.drive.tap("admin_owed")
    answered(k, "admin.owed_scan")
    k.scan(FUNDED_CARD)
    answered(k, "admin.owed_credited")
    assert FUNDED_CARD not in k.ui.state.admin.detail and "20,00" in k.ui.state.admin.detail
    assert _credited(sandbox, FUNDED_CARD) == [2000]
    assert ledger(k).get(owed.reference).state is CashState.SETTLED
    receipt = k.printer.wait_for_receipts(2)[1].text
    assert "bar bezahlt" in receipt and "20,00" in receipt
    # Never twice (asked of the backend directly: the reader drops a same-card rescan
    # within its debounce time).
    again = k.runtime.backend.credit_owed(FUNDED_CARD)
    assert again.message == "admin.owed_none"
    assert _credited(sandbox, FUNDED_CARD) == [2000]


@pytest.mark.parametrize("mode", ["none", "till"])
def test_without_a_validator_the_cash_actions_are_not_offered(make_kiosk, sandbox, mode):
    k = make_kiosk(cash=CashConfig(mode=mode, staff_cards=("9276000000008888",)))
    to_admin_menu(k)
    names = {b.name for b in k.ui.frame.buttons}
    assert "admin_restart" in names
    assert not names & {"admin_cashbox_emptied", "admin_owed"}
