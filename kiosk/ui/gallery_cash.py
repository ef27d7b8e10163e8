"""Example states of the cash screens for the gallery: every screen, every fault, both ways to pay."""

from __future__ import annotations

from dataclasses import replace

from kiosk.flow import AdminView, Screen, Session, State
from kiosk.flow_cash_events import CashOutcome, CashView
from kiosk.flow_events import PrintResult

# What a validator fault ends in (kiosk.cash.session.Fault values), with money on it or not.
FAULT_SAMPLES: dict[str, CashOutcome] = {
    "jam": CashOutcome("fault", "CASH-REF", 2000, True, uncertain_cents=1000,
                       fault="jam", out_of_service=True),
    "stacker_full": CashOutcome("fault", "CASH-REF", 5000, True, fault="stacker_full",
                                out_of_service=True),
    "cashbox_removed": CashOutcome("fault", fault="cashbox_removed", out_of_service=True),
    "power_loss": CashOutcome("fault", "CASH-REF", 1000, True, fault="power_loss"),
    "comms": CashOutcome("fault", "CASH-REF", 3000, True, fault="comms"),
    "unplugged": CashOutcome("fault", fault="unplugged", out_of_service=True),
    "protocol": CashOutcome("fault", fault="protocol", out_of_service=True),
    "setup": CashOutcome("refused", fault="setup", out_of_service=True),
    "validator": CashOutcome("refused", fault="validator", out_of_service=True),
    "cancelled": CashOutcome("cancelled"),
    "timeout": CashOutcome("timeout"),
    "till_timeout": CashOutcome("timeout"),
    "till_refused": CashOutcome("refused", "CASH-REF", 2000, fault="till_refused"),
}


def cash_samples(at: "At", card: Session, reference: str) -> dict[str, State]:
    """`at(screen, **changes)` makes a state on that screen; `card` is a checked card."""
    chosen = replace(card, amount_cents=2000)
    notes = replace(card, payment="validator")
    opened = CashView(reference, 0, (5, 10, 20, 50), 20000)
    samples: dict[str, State] = {
        "pay_choice": at(Screen.PAY_CHOICE, session=card),
        "pay_choice_cash_off": at(Screen.PAY_CHOICE, session=card, cash_ok=False),
        "confirm_till": at(Screen.CONFIRM, session=replace(chosen, payment="till")),
        "insert_notes_opening": at(Screen.INSERT_NOTES, session=notes),
        "insert_notes_empty": at(Screen.INSERT_NOTES, session=replace(notes, cash=opened)),
        "insert_notes": at(Screen.INSERT_NOTES, session=replace(notes, cash=replace(
            opened, total_cents=3000))),
        "insert_notes_rejected": at(Screen.INSERT_NOTES, session=replace(notes, cash=replace(
            opened, total_cents=3000, fault="rejected"))),
        "insert_notes_fraud": at(Screen.INSERT_NOTES, session=replace(notes, cash=replace(
            opened, total_cents=1000, fault="fraud"))),
        "insert_notes_near_max": at(Screen.INSERT_NOTES, session=replace(notes, cash=replace(
            opened, total_cents=18500, accepted=(5, 10)))),
        "insert_notes_full": at(Screen.INSERT_NOTES, session=replace(notes, cash=replace(
            opened, total_cents=20000, accepted=()))),
        "insert_notes_finishing": at(Screen.INSERT_NOTES, session=replace(notes, cash=replace(
            opened, total_cents=3000, finishing=True))),
        "till": at(Screen.TILL, session=replace(chosen, payment="till", cash=CashView(
            reference[:8].upper(), 2000))),
        "cash_owed": at(Screen.CASH_OWED, session=replace(notes, cash_outcome=CashOutcome(
            "owed", reference, 3000, printed=PrintResult(True)))),
        "cash_owed_claim_no_slip": at(Screen.CASH_OWED, session=replace(
            notes, cash_outcome=CashOutcome("claim", reference, 3000,
                                            printed=PrintResult(False, "paper_out")))),
        # The admin menu of a validator kiosk: the cash actions and their answers.
        "cash_admin_menu": at(Screen.ADMIN_MENU, admin=AdminView(
            message="admin.cashbox_emptied", detail="37 · 740,00\u00a0€")),
        "cash_admin_menu_owed": at(Screen.ADMIN_MENU, admin=AdminView(
            message="admin.owed_scan", owed_scan=True)),
        "cash_admin_menu_credited": at(Screen.ADMIN_MENU, admin=AdminView(
            message="admin.owed_credited", detail="9276 **** **** 2845 · 30,00\u00a0€")),
    }
    for name, outcome in FAULT_SAMPLES.items():
        payment = "till" if name.startswith("till") else "validator"
        outcome = replace(outcome, reference=reference if outcome.reference else "")
        samples[f"cash_fault_{name}"] = at(Screen.CASH_FAULT, session=replace(
            card, payment=payment, cash_outcome=outcome))
    return samples


class At:
    """The shape of the gallery's `at` helper (a screen and state changes -> a state)."""

    def __call__(self, screen: Screen, **changes: object) -> State: ...
