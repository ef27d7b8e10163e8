"""Till mode end to end against the sandbox: no start/cash without a staff scan; cancel and timeout charge nothing."""

from __future__ import annotations

import queue

from kiosk.cash.till import TillEnd, TillPayment, is_staff_card, short_reference
from kiosk.journal import State
from tests.fixtures.sandbox import CARD, FUNDED_CARD

STAFF = "9276000000000001"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def scanner(*numbers: str, clock: Clock | None = None):
    """Hands out the scans in order; an empty queue lets `seconds` pass on the clock."""
    scans: queue.Queue[str] = queue.Queue()
    for number in numbers:
        scans.put(number)

    def next_scan(seconds: float) -> str | None:
        try:
            return scans.get_nowait()
        except queue.Empty:
            if clock is not None:
                clock.now += seconds
            return None
    return next_scan


def test_staff_cards_by_number_or_prefix():
    assert is_staff_card(STAFF, (STAFF,)) and is_staff_card("9276999900001234", ("92769999",))
    assert not is_staff_card(CARD, (STAFF, "92769999"))
    assert short_reference("3f2a9c41-aaaa") == "3F2A9C41"


def starts(env) -> list[str]:
    return [r.path for r in env.sandbox.requests if r.path.endswith("/start/cash")]


def test_only_a_staff_scan_starts_the_cash_topup(env):
    till = TillPayment(env.service, (STAFF,), 60.0)
    # The customer scanning their own card (or any other) confirms nothing.
    result = till.pay(CARD, 2000, next_scan=scanner(CARD, FUNDED_CARD, STAFF))
    assert result.end is TillEnd.CONFIRMED and result.topup.credited
    assert result.staff_masked == "9276 •••• •••• 0001"
    assert env.credits() == [2000] and len(starts(env)) == 1
    row = env.journal.get(result.reference)
    assert row.start_type == "cash" and row.state is State.CONFIRMED
    env.service.receipt_printed(row.reference)


def test_timeout_and_cancel_charge_nothing_and_send_nothing(env):
    clock = Clock()
    till = TillPayment(env.service, (STAFF,), 30.0, clock=clock)
    timed_out = till.pay(CARD, 2000, next_scan=scanner(CARD, clock=clock))
    assert timed_out.end is TillEnd.TIMEOUT and clock.now >= 30.0
    presses = iter([False, False, True])
    cancelled = till.pay(CARD, 2000, next_scan=scanner(clock=clock),
                         cancelled=lambda: next(presses))
    assert cancelled.end is TillEnd.CANCELLED
    assert env.sandbox.requests == [] and env.journal.recent() == []
