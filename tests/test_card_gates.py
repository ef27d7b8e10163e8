"""The card gates against the sandbox: lock reasons, expiry, stock status, balance limit, PIN,
bonus on the top-up, the balance receipt - through TopupService over real HTTP."""

from __future__ import annotations

import datetime as dt

import pytest

from hardware.sim.sandbox import Fault
from hardware.sim.sandbox_cards import PIN_LOCK_REASON
from kiosk.secuconnect.card_models import CardGroup, card_lock_reason, lock_reasons, result_flag
from kiosk.secuconnect.models import ModelError
from kiosk.topup import CardStatus, Outcome, PinResult, Reason
from kiosk.topup.cards import card_expired, largest_topup, pin_may_be_asked
from tests.fixtures.sandbox import FUNDED_CARD

LOST = "9276000000003001"
EXPIRED = "9276000000003002"
INACTIVE = "9276000000003003"
NEAR_LIMIT = "9276000000003004"
AT_LIMIT = "9276000000003005"
PIN_CARD = "9276000000003006"
PIN_OTHER_OP = "9276000000003007"
BONUS = "9276000000003008"
ODD_LOCK = "9276000000003009"
ZERO_PIN = "9276000000003010"
GATE_CARDS = (LOST, EXPIRED, INACTIVE, NEAR_LIMIT, AT_LIMIT, PIN_CARD, PIN_OTHER_OP, BONUS,
              ODD_LOCK, ZERO_PIN)


@pytest.fixture
def cards(env):
    sb = env.sandbox
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    sb.add_card(LOST, balance=700, locked=True, lock_reason=1)
    sb.add_card(ODD_LOCK, locked=True, lock_reason=PIN_LOCK_REASON)
    sb.add_card(EXPIRED, balance=300, expiry_date=yesterday)
    sb.add_card(INACTIVE, balance=100, stock_status="inactive",
                expiry_date=dt.date.today().isoformat())   # expires tonight: still good today
    sb.card_group("CRG_LIMIT", balance_limit=15000)
    sb.add_card(NEAR_LIMIT, balance=12000, group="CRG_LIMIT")
    sb.add_card(AT_LIMIT, balance=14800, group="CRG_LIMIT")
    sb.add_card(PIN_CARD, balance=1000, passcode=3, pin=4711)
    sb.add_card(PIN_OTHER_OP, balance=1000, passcode=2, pin=4711)   # PIN for discharges only
    sb.add_card(ZERO_PIN, passcode=1, pin=815)                     # the customer types 0815
    sb.card_group("CRG_BONUS", bonus_percent=10)
    sb.add_card(BONUS, balance=500, group="CRG_BONUS")
    return env


def assert_no_full_numbers(env) -> None:
    """The env fixture checks the journal for its own cards' numbers; this for these cards."""
    for path in env.journal_files():
        data = path.read_bytes()
        for number in GATE_CARDS:
            assert number.encode() not in data, f"full card number in {path.name}"


# --- pure rules -------------------------------------------------------------------------------


def test_largest_topup_is_the_room_below_the_limit_or_the_maximum():
    assert largest_topup(20000, None, 99999) == 20000
    assert largest_topup(20000, 15000, 12000) == 3000
    assert largest_topup(2000, 15000, 12000) == 2000
    assert largest_topup(20000, 15000, 16000) == 0       # above the limit already: nothing


def test_expiry_date_forms():
    today = dt.date(2026, 11, 30)
    assert card_expired("", today) is False
    assert card_expired("2026-11-30", today) is False    # valid through its last day
    assert card_expired("2026-11-29T23:59:59+01:00", today) is True
    assert card_expired("31.12.2026", today) is None     # unreadable: the server decides


def test_passcode_settings_that_may_ask_for_a_pin_on_a_charge():
    from kiosk.secuconnect.models import MerchantCard
    def card(passcode):
        return MerchantCard("MCD_1", "9276", 0, 0, 0, 0, "unlocked", "active", passcode)
    assert [p for p in range(7) if pin_may_be_asked(card(p), False)] == [1, 3, 4]
    assert pin_may_be_asked(card(None), True) and not pin_may_be_asked(card(None), False)


def test_card_gate_answers_parse_leniently_and_totally():
    assert lock_reasons([{"id": 1, "text": "Karte verloren"}, {"id": "x"}, 5]) == {1: "Karte verloren"}
    assert lock_reasons({"data": {"6": "Abgelaufen", "8": ""}}) == {6: "Abgelaufen"}
    with pytest.raises(ModelError):
        lock_reasons("locked")
    assert card_lock_reason({"lock_reason": {"id": "2"}}) == 2
    assert card_lock_reason({"lock_status": "locked"}) is None
    assert CardGroup.from_json({"id": "CRG_1", "balance_limit": 0}).balance_limit is None
    assert CardGroup.from_json({"id": "CRG_1", "balance_limit": "15000"}).balance_limit == 15000
    for bad in ({"balance_limit": -1}, {"balance_limit": 1.5}, []):
        with pytest.raises(ModelError):
            CardGroup.from_json(bad)
    assert result_flag({"result": False}) is False
    with pytest.raises(ModelError):
        result_flag({"result": "true"})      # text is no verdict


# --- against the sandbox ----------------------------------------------------------------------


def test_locked_card_names_the_apis_lock_reason(cards):
    lost = cards.service.check_card(LOST)
    assert (lost.status, lost.lock_reason, lost.lock_text) == (
        CardStatus.LOCKED, 1, "Karte verloren")
    odd = cards.service.check_card(ODD_LOCK)
    assert (odd.lock_reason, odd.lock_text) == (PIN_LOCK_REASON, "PIN zu oft falsch eingegeben")
    assert cards.sandbox.attempts("lock_reasons") == 1      # the texts are read once
    cards.sandbox.inject("card_lock", Fault.server_error())
    unknown_reason = cards.service.check_card(LOST)          # still locked, just no words
    assert (unknown_reason.status, unknown_reason.lock_reason) == (CardStatus.LOCKED, None)


def test_expired_card_is_refused_and_stock_status_is_no_gate(cards):
    expired = cards.service.check_card(EXPIRED)
    assert (expired.status, expired.reason) == (CardStatus.EXPIRED, Reason.CARD_EXPIRED)
    inactive = cards.service.check_card(INACTIVE)
    assert inactive.status is CardStatus.OK and inactive.balance == 100


def test_balance_limit_caps_the_largest_amount_and_a_full_card_is_told(cards):
    near = cards.service.check_card(NEAR_LIMIT)
    assert (near.status, near.balance_limit, near.max_amount) == (CardStatus.OK, 15000, 3000)
    full = cards.service.check_card(AT_LIMIT)
    assert (full.status, full.reason, full.balance, full.balance_limit) == (
        CardStatus.AT_LIMIT, Reason.CARD_AT_LIMIT, 14800, 15000)
    assert cards.service.check_card(FUNDED_CARD).max_amount == cards.config.topup.maximum
    # The sandbox, like the API, refuses what would pass the limit: nothing is charged.
    over = cards.service.topup(NEAR_LIMIT, 5000)
    assert over.outcome is Outcome.REFUSED and cards.credits(NEAR_LIMIT) == []
    assert cards.service.topup(NEAR_LIMIT, 3000).credited
    assert cards.sandbox.balance(NEAR_LIMIT) == 15000
    assert_no_full_numbers(cards)


def test_card_group_not_readable_offers_the_maximum(cards):
    cards.sandbox.inject("cardgroup", Fault.refuse("ProductNotAllowedException", status=403))
    near = cards.service.check_card(NEAR_LIMIT)
    assert (near.status, near.max_amount) == (CardStatus.OK, cards.config.topup.maximum)
    cards.sandbox.inject("cardgroup", Fault.server_error())
    assert cards.service.check_card(NEAR_LIMIT).status is CardStatus.UNREACHABLE


def test_pin_is_asked_only_when_a_charge_needs_it(cards):
    pin = cards.service.check_card(PIN_CARD)
    assert pin.status is CardStatus.OK and pin.pin_required and pin.merchantcard_id
    other = cards.service.check_card(PIN_OTHER_OP)
    assert other.status is CardStatus.OK and not other.pin_required
    assert not cards.service.check_card(FUNDED_CARD).pin_required
    assert cards.sandbox.attempts("passcode_enabled") == 1   # asked for the one that may


def test_wrong_pin_three_times_locks_the_card_and_never_reaches_start(cards):
    service, sb = cards.service, cards.sandbox
    mcd = service.check_card(PIN_CARD).merchantcard_id
    assert service.verify_pin(PIN_CARD, mcd, "1234") is PinResult.WRONG
    assert service.verify_pin(PIN_CARD, mcd, "0000") is PinResult.WRONG
    assert service.verify_pin(PIN_CARD, mcd, "9999") is PinResult.WRONG
    # The API counted three and locked the card: the fourth try is refused as locked.
    assert service.verify_pin(PIN_CARD, mcd, "4711") is PinResult.LOCKED
    locked = service.check_card(PIN_CARD)
    assert (locked.status, locked.lock_reason) == (CardStatus.LOCKED, PIN_LOCK_REASON)
    assert sb.attempts("create") == 0 and sb.attempts("start") == 0 and not sb.ledger


def test_right_pin_lets_exactly_one_topup_through(cards):
    service, sb = cards.service, cards.sandbox
    mcd = service.check_card(PIN_CARD).merchantcard_id
    # A kiosk that skipped the PIN is refused by the API at start: nothing charged.
    skipped = service.topup(PIN_CARD, 1000)
    assert skipped.outcome is Outcome.NOT_EXECUTED and cards.credits(PIN_CARD) == []
    assert service.verify_pin(PIN_CARD, mcd, "4711") is PinResult.OK
    assert service.topup(PIN_CARD, 1000).credited
    assert cards.credits(PIN_CARD) == [1000] and sb.balance(PIN_CARD) == 2000
    assert_no_full_numbers(cards)


def test_leading_zeros_of_a_pin_go_out_as_the_apis_integer(cards):
    service = cards.service
    mcd = service.check_card(ZERO_PIN).merchantcard_id
    assert service.verify_pin(ZERO_PIN, mcd, "0815") is PinResult.OK
    assert cards.sandbox.pin_checks == [815]


def test_pin_check_without_an_answer_is_no_verdict(cards):
    mcd = cards.service.check_card(PIN_CARD).merchantcard_id
    cards.sandbox.inject("check_passcode", Fault.drop_before_commit())
    assert cards.service.verify_pin(PIN_CARD, mcd, "4711") is PinResult.UNREACHABLE


def test_bonus_card_group_credits_more_than_paid_and_the_kiosk_shows_the_servers_balance(cards):
    result = cards.service.topup(BONUS, 2000)
    assert result.credited
    assert cards.credits(BONUS) == [2000]                     # paid: 20,00
    assert cards.sandbox.balance(BONUS) == 500 + 2000 + 200   # credited: 22,00 with bonus
    assert result.new_balance == 2700                         # the server's, not 500 + 2000
    texts = [line.text or line.value for line in result.receipt]
    assert "27,00 EUR" in texts
    assert_no_full_numbers(cards)


def test_balance_receipt_carries_the_servers_balances(cards):
    mcd = cards.service.check_card(BONUS).merchantcard_id
    answer = cards.service.balance_receipt(BONUS, mcd)
    assert (answer.valid, answer.balance, answer.cash_balance) == (True, 500, 500)
    assert answer.header and any("5,00 EUR" in (line.text or line.value) for line in answer.lines)
    assert all(BONUS not in (line.value or "") for line in answer.lines)
