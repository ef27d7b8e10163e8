"""The cash payment's vocabulary: what the cash thread reports to the flow and what the flow asks of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from kiosk.flow_events import PrintResult

# How a cash payment is made once the customer chose cash ("" on the session: card payment).
CashPayment = Literal["", "till", "validator"]
# How a cash payment ended, in terms the screens act on.
CashKind = Literal["credited", "owed", "claim", "cancelled", "timeout", "refused", "fault"]


@dataclass(frozen=True)
class CashView:
    """What the cash screens show while notes come in or the till payment waits."""

    reference: str = ""              # the cash session's (or till payment's) reference
    total_cents: int = 0             # stacked so far
    accepted: tuple[int, ...] = ()   # note values (euros) the validator takes now
    cap_cents: int = 0
    fault: str = ""                  # the last non-final fault (a note returned, fraud)
    finishing: bool = False          # Fertig was pressed: notes are being settled


@dataclass(frozen=True)
class CashOutcome:
    """How a cash session or till payment ended.

    credited:  the total was topped up (receipt printed when asked for).
    owed:      notes were taken but not credited: the owed slip was handed out.
    claim:     the top-up's outcome is unknown: the claim slip was handed out.
    cancelled: the customer cancelled before paying anything: nothing charged.
    timeout:   nobody paid (or confirmed at the till) in time: nothing charged.
    refused:   the session never opened (card, API, printer, validator): nothing charged.
    fault:     a validator fault ended the session; `fault` says which, `total_cents` and
               `credited` what became of the notes taken until then.
    """

    kind: CashKind
    reference: str = ""              # the top-up's reference (receipt) or the session's
    total_cents: int = 0
    credited: bool = False
    uncertain_cents: int = 0         # notes whose fate a jam left unknown: on the slip
    new_balance_cents: int | None = None
    fault: str = ""                  # kiosk.cash.session.Fault value, or the refusal's reason
    out_of_service: bool = False     # cash is off until an engineer clears the fault
    printed: PrintResult | None = None


# --- events into the flow ---------------------------------------------------------------------


@dataclass(frozen=True)
class CashUpdate:
    """The cash session opened or changed (a note stacked, a note returned)."""

    request: int
    view: CashView


@dataclass(frozen=True)
class CashEnded:
    request: int
    outcome: CashOutcome


@dataclass(frozen=True)
class CashStatus:
    """Cash taken out of service (a fault) or back in service (an engineer cleared it)."""

    ok: bool
    detail: str = ""


# --- commands to the cash thread --------------------------------------------------------------


@dataclass(frozen=True)
class StartCash:
    """Open a validator session for this card and take notes up to `cap_cents`."""

    request: int
    number: str = field(repr=False)
    cap_cents: int
    with_receipt: bool
    language: str = "de"              # the customer's: the receipt is printed in it


@dataclass(frozen=True)
class StartTill:
    """Wait for a staff card, then top up `amount_cents` with start type "cash"."""

    request: int
    number: str = field(repr=False)
    amount_cents: int
    with_receipt: bool
    language: str = "de"              # the customer's: the receipt is printed in it


@dataclass(frozen=True)
class FinishCash:
    """The customer pressed Fertig."""


@dataclass(frozen=True)
class CancelCash:
    """The customer pressed Abbrechen (validator: only while nothing is stacked)."""


@dataclass(frozen=True)
class TillScan:
    """A card scanned while the till payment waits: maybe the staff card."""

    number: str = field(repr=False)


CASH_COMMANDS = (StartCash, StartTill, FinishCash, CancelCash, TillScan)
CASH_EVENTS = (CashUpdate, CashEnded, CashStatus)
