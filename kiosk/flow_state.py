"""The customer session's state: screens, settings, the session and admin bookkeeping, and the
pure queries and helpers every transition of the flow (kiosk.flow, kiosk.flow_admin) uses."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Literal

from kiosk.cards import DEFAULT_PREFIXES
from kiosk.flow_cash_events import CashOutcome, CashPayment, CashView
from kiosk.flow_events import (
    CardProblemReason, JournalRow, PrinterState, PrintResult, SetupNeeded, TopupOutcome,
)

COUNTDOWN_S = 10          # the last seconds before an idle timeout are counted down on screen
DONE_HOLD_S = 1.0         # the done screen ignores "finish" this long: a double tap must not skip it
PIN_MIN_LENGTH = 6
PIN_MAX_LENGTH = 12
ADMIN_DELAY_AFTER = 3     # failures before each further attempt must wait
ADMIN_LOCKOUT_AFTER = 10  # failures that lock admin access until the kiosk restarts
ADMIN_BASE_DELAY_S = 5.0
ADMIN_MAX_DELAY_S = 300.0


class Screen(str, Enum):
    ATTRACT = "attract"
    CHECKING_CARD = "checking_card"
    CARD = "card"
    AMOUNT = "amount"
    OTHER_AMOUNT = "other_amount"
    CONFIRM = "confirm"
    CHECKING_PRINTER = "checking_printer"
    PRINTER_PROBLEM = "printer_problem"
    PAYING = "paying"
    PRINTING = "printing"
    DONE = "done"
    REJECTED = "rejected"
    NOT_CHARGED = "not_charged"
    CLAIM = "claim"
    OUT_OF_SERVICE = "out_of_service"
    REGISTRATION = "registration"
    ADMIN_PIN = "admin_pin"
    ADMIN_MENU = "admin_menu"
    ADMIN_JOURNAL = "admin_journal"
    SETUP_NEEDED = "setup_needed"
    # Cash (kiosk.flow_cash): the choice, the two ways to pay cash, their own outcomes.
    PAY_CHOICE = "pay_choice"
    INSERT_NOTES = "insert_notes"
    TILL = "till"
    CASH_FAULT = "cash_fault"
    CASH_OWED = "cash_owed"
    PIN_ENTRY = "pin_entry"           # the card's PIN, before an amount can be chosen
    CARD_LIMIT = "card_limit"         # the card is at its balance limit
    CARD_LOCKED = "card_locked"       # the card is locked, with the API's reason


# Screens where the kiosk waits for the worker; the customer cannot leave them (money may move).
WAITING_FOR_WORKER = frozenset({Screen.PAYING, Screen.PRINTING, Screen.INSERT_NOTES,
                                Screen.TILL})
# Screens without a customer: nothing to time out.
IDLE_SCREENS = frozenset({Screen.ATTRACT, Screen.OUT_OF_SERVICE, Screen.REGISTRATION,
                          Screen.SETUP_NEEDED})
# Screens where a customer is on their way but no money has moved yet.
BEFORE_PAYMENT = frozenset({Screen.CHECKING_CARD, Screen.CARD, Screen.AMOUNT,
                            Screen.OTHER_AMOUNT, Screen.CONFIRM, Screen.CHECKING_PRINTER,
                            Screen.PRINTER_PROBLEM, Screen.PAY_CHOICE, Screen.PIN_ENTRY})
# Screens where a new scan starts a new session for that card.
SCAN_STARTS_SESSION = frozenset({Screen.ATTRACT, Screen.CARD, Screen.AMOUNT,
                                 Screen.OTHER_AMOUNT, Screen.CONFIRM, Screen.PRINTER_PROBLEM,
                                 Screen.DONE, Screen.REJECTED, Screen.NOT_CHARGED,
                                 Screen.CLAIM, Screen.PAY_CHOICE, Screen.CASH_FAULT,
                                 Screen.CASH_OWED, Screen.PIN_ENTRY, Screen.CARD_LIMIT,
                                 Screen.CARD_LOCKED})
ADMIN_SCREENS = frozenset({Screen.ADMIN_PIN, Screen.ADMIN_MENU, Screen.ADMIN_JOURNAL})
# Screens where typed digits are a secret (never shown, never spoken).
PIN_SCREENS = frozenset({Screen.ADMIN_PIN, Screen.PIN_ENTRY})


@dataclass(frozen=True)
class Settings:
    """What the flow needs from the configuration (built by kiosk.ui.settings from Config)."""

    default_language: Literal["de", "en"] = "de"
    presets: tuple[int, ...] = (1000, 2000, 5000)
    minimum_cents: int = 500
    maximum_cents: int = 20000
    amount_step_cents: int = 1        # 100: whole euros are typed; else cents shift in like a till
    currency: str = "EUR"
    start_type: Literal["cash", "cashless"] = "cash"
    card_prefixes: tuple[str, ...] = DEFAULT_PREFIXES
    allow_without_receipt: bool = True
    idle_timeout_s: float = 45.0
    done_timeout_s: float = 15.0      # the done screen returns to attract after this (no countdown)
    admin_cards: tuple[str, ...] = field(default=(), repr=False)
    # None: no PIN file configured, admin mode is off.
    admin_pin: str | None = field(default=None, repr=False)
    version: str = ""
    kiosk_id: str = ""
    merchant_name: str = ""           # shown in the header; the generic brand when empty
    speech_time_factor: float = 3.0   # every timeout this many times longer in speech mode
    # [cash] mode; with start_type "cashless" the customer chooses card or cash on screen.
    cash_mode: Literal["none", "till", "validator"] = "none"
    cash_accept: tuple[int, ...] = (5, 10, 20, 50)

    @property
    def cash_offered(self) -> bool:
        """Cash remains a way to pay when the card terminal is down."""
        return self.cash_mode != "none"


@dataclass(frozen=True)
class Session:
    """Everything about the current customer; replaced by a fresh Session when they leave."""

    number: str = field(default="", repr=False)   # full card number: only for commands
    masked: str = ""
    balance_cents: int | None = None
    amount_cents: int | None = None
    typed: str = ""                   # keypad digits, in units of entry_unit_cents()
    entry_error: str = ""             # catalog key: amount_too_low / _too_high / _step / _empty
    problem: CardProblemReason | None = None
    printer: PrinterState | None = None
    with_receipt: bool = True
    outcome: TopupOutcome | None = None
    printed: PrintResult | None = None   # receipt or slip of this session
    # A different card scanned mid-way: asked "use the other card?" while set.
    second_card: str = field(default="", repr=False)
    payment: CashPayment = ""         # cash chosen: "till" or "validator"
    cash: CashView = CashView()
    cash_outcome: CashOutcome | None = None
    # The card gates (kiosk.flow_card): the card's largest top-up (None: the configured
    # maximum), its PIN state, and why it was refused.
    max_cents: int | None = None
    card_id: str = ""
    pin_required: bool = False
    pin_ok: bool = False
    pin: str = field(default="", repr=False)
    pin_failures: int = 0
    pin_message: str = ""             # catalog key: pin.wrong / pin.checking
    lock_reason: int | None = None
    lock_text: str = ""
    limit_cents: int | None = None
    balance_slip: PrintResult | None = None
    balance_slip_pending: bool = False
    balance_slip_request: int = 0


@dataclass(frozen=True)
class AdminGuard:
    """PIN attempt bookkeeping; kept in memory across sessions (not across restarts)."""

    failures: int = 0
    wait_until: float = 0.0

    @property
    def locked(self) -> bool:
        return self.failures >= ADMIN_LOCKOUT_AFTER


@dataclass(frozen=True)
class AdminView:
    """What the admin screens show; cleared when admin mode is left."""

    pin: str = field(default="", repr=False)
    message: str = ""                 # catalog key of the last result
    printer: PrinterState | None = None
    journal: tuple[JournalRow, ...] = ()
    page: int = 0                     # journal page; the screen clamps it to what exists
    detail: str = ""                  # figures of the last cash action (count, amount, card)
    owed_scan: bool = False           # "owed cash: credit now" waits for the customer's card


@dataclass(frozen=True)
class Registration:
    user_code: str
    verification_url: str


@dataclass(frozen=True)
class State:
    screen: Screen = Screen.ATTRACT
    session: Session = Session()
    language: Literal["de", "en"] = "de"
    easy_view: bool = False           # large text and high contrast, chosen for this session
    last_input: float = 0.0           # when the idle timer was last restarted
    entered: float = 0.0              # when the current screen appeared
    warned: bool = False              # the countdown sound was played for this idle period
    pending: int = 0                  # request number the flow waits for; 0: none
    next_request: int = 1
    api_ok: bool = True
    api_detail: str = ""
    reader_ok: bool = True
    reader_detail: str = ""
    recovering: bool = False
    journal_ok: bool = True           # False: journal damaged or state directory nearly full
    journal_detail: str = ""
    clock_ok: bool = True             # False: clock not synchronised ([kiosk] clock_check)
    clock_detail: str = ""
    card_payment_ok: bool = True      # False: no terminal routed, or it is offline (monitor)
    card_payment_detail: str = ""
    no_payment_left: bool = False     # card payment unavailable and nothing else configured
    setup: SetupNeeded | None = None  # the config or secret cannot be used: nothing else runs
    registration: Registration | None = None
    admin_guard: AdminGuard = AdminGuard()
    admin: AdminView = AdminView()
    speech: bool = False              # speech mode: a customer who may not see the screen
    cash_ok: bool = True              # False: a validator fault took cash out of service
    cash_detail: str = ""

    @property
    def in_service(self) -> bool:
        return (self.api_ok and self.reader_ok and self.journal_ok and self.clock_ok
                and not self.recovering and self.setup is None and not self.no_payment_left)


def initial_state(settings: Settings, now: float = 0.0) -> State:
    return State(language=settings.default_language, last_input=now, entered=now)


def deadline(state: State, settings: Settings) -> float | None:
    """When the current screen times out back to attract; None where nothing times out."""
    if state.screen in IDLE_SCREENS or state.screen in WAITING_FOR_WORKER:
        return None
    if state.screen == Screen.DONE:
        # Fixed from its start, whatever is touched: the next person must not see the balance.
        return state.entered + settings.done_timeout_s
    factor = settings.speech_time_factor if state.speech else 1.0
    return state.last_input + settings.idle_timeout_s * factor


def countdown(state: State, settings: Settings, now: float) -> int | None:
    """Whole seconds left to show, during the last COUNTDOWN_S seconds (at most a third of the
    idle time); else None.

    The done screen has no countdown: it goes by itself, nobody needs to stay.
    """
    end = deadline(state, settings)
    if end is None or state.screen == Screen.DONE:
        return None
    left = end - now
    # The countdown covers the screen: with a short idle time it must leave most of it usable.
    if left > min(COUNTDOWN_S, settings.idle_timeout_s / 3):
        return None
    return max(0, int(left + 0.999))


def admin_wait_left(state: State, now: float) -> float:
    return max(0.0, state.admin_guard.wait_until - now)


def admin_delay_s(failures: int) -> float:
    """The wait imposed after `failures` wrong PINs: none for the first 3, then doubling."""
    if failures < ADMIN_DELAY_AFTER:
        return 0.0
    return min(ADMIN_MAX_DELAY_S, ADMIN_BASE_DELAY_S * 2 ** (failures - ADMIN_DELAY_AFTER))


def may_continue_without_receipt(s: State, cfg: Settings) -> bool:
    printer = s.session.printer
    return bool(cfg.allow_without_receipt and printer is not None
                and printer.can_continue_without_receipt)


def done_held(state: State, now: float) -> bool:
    """The done screen is in its first DONE_HOLD_S seconds, when "finish" is not taken."""
    return state.screen == Screen.DONE and now - state.entered < DONE_HOLD_S


def entry_unit_cents(cfg: Settings) -> int:
    """What one keypad unit is worth: a euro when only whole euros are allowed, else a cent."""
    return 100 if cfg.amount_step_cents % 100 == 0 else 1


def typed_cents(session: Session, cfg: Settings) -> int:
    return int(session.typed or "0") * entry_unit_cents(cfg)
def card_maximum(s: State, cfg: Settings) -> int:
    """The largest amount this customer's card may be topped up by."""
    card_max = s.session.max_cents
    return cfg.maximum_cents if card_max is None else min(cfg.maximum_cents, card_max)


def max_typed_digits(cfg: Settings) -> int:
    return len(str(cfg.maximum_cents // 100))


# --- helpers shared by the transitions -----------------------------------------------------


def idle_screen(s: State) -> Screen:
    """The screen without a customer: setup needed, registration, out of service, or attract."""
    if s.setup is not None:
        return Screen.SETUP_NEEDED
    if s.registration is not None:
        return Screen.REGISTRATION
    if not s.in_service:
        return Screen.OUT_OF_SERVICE
    return Screen.ATTRACT


def end_session(s: State, cfg: Settings) -> State:
    """Back to the idle screen; nothing of the customer (or the admin) survives."""
    return replace(s, screen=idle_screen(s), session=Session(), admin=AdminView(),
                   pending=0, language=cfg.default_language, speech=False,
                   easy_view=False)


def take_request(s: State) -> tuple[State, int]:
    """A new request number for a command, which the flow now waits for."""
    number = s.next_request
    return replace(s, next_request=number + 1, pending=number), number
