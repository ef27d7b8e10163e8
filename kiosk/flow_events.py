"""The customer session's vocabulary: backend results, events into the flow, commands out of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Literal, Union

# --- results the backend hands back (the shell wraps them into events) ----------------------


class CardProblemReason(str, Enum):
    """Why a card cannot be topped up; values are stable catalog keys ("reject.<value>")."""

    UNKNOWN = "unknown"            # the API does not know this card
    LOCKED = "locked"              # the card is locked
    NOT_VALID_HERE = "not_valid_here"  # the card belongs to another merchant
    MALFORMED = "malformed"        # the scan is not a card number (form check failed)
    UNREADABLE = "unreadable"      # the reader saw something but could not decode a number
    UNREACHABLE = "unreachable"    # the API could not be asked: out of service, not the card
    ADMIN_DISABLED = "admin_disabled"  # an admin card, but no admin PIN is configured
    EXPIRED = "expired"            # the card's expiry date has passed
    AT_LIMIT = "at_limit"          # the balance is at the card group's limit: no top-up fits
    PIN_TRIES = "pin_tries"        # the PIN was wrong three times in this session


@dataclass(frozen=True)
class CardInfo:
    """A card the kiosk may top up: its masked number and current balance.

    `max_cents`: the largest top-up it may get (None: the configured maximum);
    `pin_required`: its PIN must be checked before a top-up; `card_id`: the API's id of the
    merchant card (MCD_...), for the PIN check and the balance slip.
    """

    masked: str
    balance_cents: int
    max_cents: int | None = None
    pin_required: bool = False
    card_id: str = ""


@dataclass(frozen=True)
class CardProblem:
    """A card the kiosk must refuse, and why (detail is for logs and the admin, not customers).

    A locked card may carry the API's lock reason (id and German text); a card at its limit
    its balance and the limit.
    """

    reason: CardProblemReason
    detail: str = ""
    lock_reason: int | None = None
    lock_text: str = ""
    balance_cents: int | None = None
    limit_cents: int | None = None


PinVerdict = Literal["ok", "wrong", "locked", "unreachable"]


@dataclass(frozen=True)
class PrinterState:
    """The printer's readiness, asked before payment.

    `ok` means a receipt can be printed now. `can_continue_without_receipt` is the backend's
    view (e.g. False when the printer state is unknown and the merchant's config forbids it);
    the flow also honours PrinterConfig.allow_without_receipt. `reason` is a catalog key
    suffix ("printer.<reason>"): paper_out, paper_near_end, cover_open, offline, no_answer,
    unknown, error.
    """

    ok: bool
    can_continue_without_receipt: bool = True
    reason: str = ""


TopupKind = Literal["credited", "not_charged", "claim", "refused", "unreachable"]


@dataclass(frozen=True)
class TopupOutcome:
    """How a top-up ended, in terms the customer can act on.

    credited:    the card was topped up (new_balance_cents set when the API told it).
    not_charged: money was taken and given back (e.g. a card payment reversed), or nothing
                 was charged after an attempt; a "not charged" slip is printed.
    claim:       the outcome could not be settled on the spot; a claim slip is printed.
    refused:     the API refused the top-up before any money moved (reason says why).
    unreachable: the API could not be reached before any money moved.
    """

    kind: TopupKind
    reference: str = ""
    new_balance_cents: int | None = None
    receipt_available: bool = False
    reason: str = ""


@dataclass(frozen=True)
class PrintResult:
    """Whether a document came out of the printer; reason as in PrinterState."""

    ok: bool
    reason: str = ""


@dataclass(frozen=True)
class JournalRow:
    """One top-up as the admin screen lists it; the card number is already masked."""

    when: str
    reference: str
    masked_card: str
    amount_cents: int
    state: str


# --- events into the flow --------------------------------------------------------------------


class Action(str, Enum):
    """What a button (or its key) asks for; the UI's buttons carry one of these."""

    CONTINUE = "continue"                # card recognised -> choose amount
    AMOUNT = "amount"                    # a preset amount (value = cents)
    OTHER_AMOUNT = "other_amount"        # open the keypad
    DIGIT = "digit"                      # value = 0..9 (keypad amount or admin PIN)
    ERASE = "erase"                      # remove the last digit
    KEYPAD_OK = "keypad_ok"              # accept the typed amount / PIN
    CONFIRM = "confirm"                  # pay now
    BACK = "back"                        # one step back (Esc)
    CANCEL = "cancel"                    # end the session
    RETRY_PRINTER = "retry_printer"
    WITHOUT_RECEIPT = "without_receipt"
    FINISH = "finish"                    # leave a result screen
    TOGGLE_LANGUAGE = "toggle_language"
    TOGGLE_VIEW = "toggle_view"       # large text + high contrast, for this session
    ADMIN_PRINTER = "admin_printer"
    ADMIN_TEST_PRINT = "admin_test_print"
    ADMIN_REPRINT = "admin_reprint"
    ADMIN_JOURNAL = "admin_journal"
    ADMIN_RESTART = "admin_restart"
    ADMIN_CASHBOX_EMPTIED = "admin_cashbox_emptied"   # validator mode: count report, new period
    ADMIN_OWED = "admin_owed"                         # validator mode: credit owed cash now
    ADMIN_EXIT = "admin_exit"
    PAGE = "page"                        # value = +1 / -1 (admin journal pages)
    STAY = "stay"                        # "continue" on the idle countdown: restart the timer
    USE_OTHER_CARD = "use_other_card"    # a second card was scanned: serve that one instead
    KEEP_CARD = "keep_card"              # a second card was scanned: carry on with the first
    PAY_CARD = "pay_card"                # card and cash on: pay by card
    PAY_CASH = "pay_cash"                # ... or in cash (till or note validator)
    PRINT_BALANCE = "print_balance"      # a balance slip of the scanned card


@dataclass(frozen=True)
class Press:
    """A button pressed by touch or keypad."""

    action: Action
    value: int | None = None


@dataclass(frozen=True)
class CardScanned:
    """A reader delivered something; `number` is what it read (may be malformed)."""

    number: str = field(repr=False)
    unreadable: bool = False


@dataclass(frozen=True)
class CardChecked:
    request: int
    result: CardInfo | CardProblem


@dataclass(frozen=True)
class PrinterChecked:
    request: int
    state: PrinterState


@dataclass(frozen=True)
class TopupFinished:
    request: int
    outcome: TopupOutcome


@dataclass(frozen=True)
class Printed:
    request: int
    result: PrintResult


@dataclass(frozen=True)
class PinChecked:
    request: int
    verdict: PinVerdict


@dataclass(frozen=True)
class BalancePrinted:
    request: int
    result: PrintResult


@dataclass(frozen=True)
class JournalLoaded:
    request: int
    rows: tuple[JournalRow, ...]


@dataclass(frozen=True)
class Tick:
    """Time passes; the flow looks at its timers (the `now` argument of step)."""


@dataclass(frozen=True)
class StillHere:
    """The customer touched the screen or a key that is no button: restart the idle timer."""


@dataclass(frozen=True)
class SpeechMode:
    """Speech output turned on (headset plugged, start key held); it ends with the session."""

    on: bool


@dataclass(frozen=True)
class ApiStatus:
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class ReaderStatus:
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class TerminalStatus:
    """Card payment possible (ok: the kiosk's device is routed to a terminal that is online)."""

    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class JournalStatus:
    """The journal can (ok) or cannot take a top-up: damaged, or too little free space."""

    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class ClockStatus:
    """The clock can (ok) or cannot be trusted to date receipts: no money while it cannot."""

    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class SetupNeeded:
    """The kiosk cannot start serving: what is missing (for the operator) and the fix command."""

    missing: str
    fix: str


@dataclass(frozen=True)
class Recovering:
    """The journal is being recovered (True) or done (False): no customer before it is done."""

    active: bool


@dataclass(frozen=True)
class RegistrationPending:
    """The `device` grant waits: show the user code and URL (and a QR code of the URL)."""

    user_code: str
    verification_url: str


@dataclass(frozen=True)
class RegistrationDone:
    pass


@dataclass(frozen=True)
class AdminResult:
    """How an admin cash action ended: a catalog key ("admin.…") and the figures to show."""

    message: str
    detail: str = ""


@dataclass(frozen=True)
class AdminDone:
    request: int
    result: AdminResult


Event = Union[Press, CardScanned, CardChecked, PrinterChecked, TopupFinished, Printed,
              JournalLoaded, AdminDone, Tick, StillHere, ApiStatus, ReaderStatus, Recovering,
              RegistrationPending, RegistrationDone, JournalStatus, SpeechMode, ClockStatus,
              SetupNeeded, TerminalStatus, PinChecked, BalancePrinted]


# --- commands out of the flow (executed by the shell; those with `request` answer) ------------


@dataclass(frozen=True)
class CheckCard:
    request: int
    number: str = field(repr=False)


@dataclass(frozen=True)
class CheckPrinter:
    request: int


@dataclass(frozen=True)
class StartTopup:
    request: int
    number: str = field(repr=False)
    amount_cents: int
    start_type: Literal["cash", "cashless"]
    with_receipt: bool


@dataclass(frozen=True)
class CheckPin:
    """Check the PIN typed for this card with the API (checkPasscode)."""

    request: int
    number: str = field(repr=False)
    card_id: str
    pin: str = field(repr=False)


@dataclass(frozen=True)
class PrintBalance:
    """Print a balance slip of this card (getCardBalanceReceipt)."""

    request: int
    number: str = field(repr=False)
    card_id: str


@dataclass(frozen=True)
class PrintReceipt:
    request: int
    reference: str
    language: str = "de"      # the customer's: the receipt's own lines are in it


@dataclass(frozen=True)
class PrintSlip:
    """A claim or "not charged" slip for the top-up with this reference."""

    request: int
    reference: str
    kind: Literal["claim", "not_charged"]
    language: str = "de"


@dataclass(frozen=True)
class ReprintLast:
    request: int


@dataclass(frozen=True)
class PrintTestPage:
    request: int


@dataclass(frozen=True)
class LoadJournal:
    request: int
    limit: int = 20


@dataclass(frozen=True)
class EmptyCashbox:
    """The cashbox was emptied: print its count report, then start a new period."""

    request: int


@dataclass(frozen=True)
class CreditOwed:
    """Credit the owed cash of the customer whose card was scanned again at the admin menu."""

    request: int
    number: str = field(repr=False)


@dataclass(frozen=True)
class Restart:
    pass


@dataclass(frozen=True)
class PlaySound:
    name: Literal["accepted", "rejected", "done", "countdown"]


Command = Union[CheckCard, CheckPrinter, StartTopup, PrintReceipt, PrintSlip, ReprintLast,
                PrintTestPage, LoadJournal, EmptyCashbox, CreditOwed, Restart, PlaySound, CheckPin,
                PrintBalance]
