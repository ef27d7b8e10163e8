"""What a top-up or a card check came to, with everything a screen, a slip or the CLI shows."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from kiosk.journal import State, TopupRow
from kiosk.money import format_amount
from kiosk.secuconnect.models import ReceiptLine
from kiosk.topup.reasons import REASON_TEXT, Outcome, Reason


@dataclass(frozen=True)
class TopupResult:
    """A top-up's outcome with everything a screen, a slip or the CLI shows."""

    outcome: Outcome
    reference: str | None  # None: refused before a journal row was written
    amount: int
    currency: str
    card_masked: str
    reason: Reason | None = None
    state: State | None = None
    stx_id: str | None = None
    trans_id: str | None = None  # the "TA code"
    receipt: tuple[ReceiptLine, ...] = ()  # card numbers already masked
    new_balance: int | None = None
    support_id: str | None = None
    error: str | None = None  # technical detail for the operator

    @property
    def credited(self) -> bool:
        return self.outcome is Outcome.CONFIRMED

    @property
    def message(self) -> str:
        if self.outcome is Outcome.CONFIRMED:
            return f"{format_amount(self.amount, self.currency)} credited"
        text = REASON_TEXT.get(self.reason, "not charged") if self.reason else "not charged"
        if self.support_id:
            text += f" (supportId {self.support_id})"
        return text

    @classmethod
    def from_row(cls, row: TopupRow, outcome: Outcome) -> "TopupResult":
        return cls(
            outcome=outcome, reference=row.reference, amount=row.amount, currency=row.currency,
            card_masked=row.card_masked,
            # A credited row may carry the reason of a claim slip handed out before it was
            # settled; the journal keeps it, the result of a credit has no reason.
            reason=(Reason(row.reason) if row.reason in Reason._value2member_map_
                    and outcome is not Outcome.CONFIRMED else None),
            state=row.state, stx_id=row.stx_id, trans_id=row.trans_id, receipt=row.receipt,
            new_balance=row.new_balance, support_id=row.support_id, error=row.last_error,
        )


class CardStatus(str, Enum):
    OK = "ok"
    INVALID = "invalid"  # not a card number by form
    UNKNOWN = "unknown"
    LOCKED = "locked"
    FOREIGN = "foreign"  # a card, but not valid at this merchant
    UNREACHABLE = "unreachable"
    API_ERROR = "api_error"


@dataclass(frozen=True)
class CardCheckResult:
    status: CardStatus
    card_masked: str
    balance: int | None = None
    reason: Reason | None = None
    support_id: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is CardStatus.OK
