"""The customer session state machine: every transition, timeouts, hygiene, admin PIN guard."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kiosk.flow import (
    ADMIN_LOCKOUT_AFTER, COUNTDOWN_S, AdminView, Flow, Screen, Session, State, admin_delay_s,
    countdown, deadline, initial_state, step,
)
from kiosk.flow_events import (
    Action, ApiStatus, CardChecked, CardInfo, CardProblem, CardProblemReason, CardScanned,
    CheckCard, CheckPrinter, JournalLoaded, JournalRow, LoadJournal, PlaySound, Press,
    PrinterChecked, PrinterState, Printed, PrintReceipt, PrintResult, PrintSlip, ReaderStatus,
    Recovering, RegistrationDone, RegistrationPending, ReprintLast, Restart, StartTopup,
    PrintTestPage, StillHere, Tick, TopupFinished, TopupOutcome,
)
from tests.fixtures.ui import ADMIN_CARD, ADMIN_PIN, VALID_CARD, ui_settings

T0 = 1000.0


def run(flow: Flow, *events, now: float | None = None):
    """Feed events at `now` (default: the flow's last input time); return all commands."""
    out = []
    for e in events:
        out += flow.handle(e, flow.state.last_input if now is None else now)
    return out


def request_of(commands, kind):
    matches = [c for c in commands if isinstance(c, kind)]
    assert len(matches) == 1, commands
    return matches[0]


def at_card(flow: Flow, balance: int = 1250):
    check = request_of(run(flow, CardScanned(VALID_CARD)), CheckCard)
    assert check.number == VALID_CARD
    commands = run(flow, CardChecked(check.request, CardInfo("9276 •••• •••• 2845", balance)))
    assert flow.state.screen == Screen.CARD
    return commands


def at_confirm(flow: Flow, amount: int = 2000):
    at_card(flow)
    run(flow, Press(Action.CONTINUE), Press(Action.AMOUNT, amount))
    assert flow.state.screen == Screen.CONFIRM


def at_paying(flow: Flow, amount: int = 2000):
    at_confirm(flow, amount)
    check = request_of(run(flow, Press(Action.CONFIRM)), CheckPrinter)
    assert flow.state.screen == Screen.CHECKING_PRINTER
    start = request_of(run(flow, PrinterChecked(check.request, PrinterState(True))), StartTopup)
    assert flow.state.screen == Screen.PAYING
    return start


@pytest.fixture
def flow() -> Flow:
    return Flow(ui_settings(), T0)


# --- the customer's way ------------------------------------------------------------------------


def test_full_topup_with_receipt(flow):
    commands = at_card(flow)
    assert PlaySound("accepted") in commands
    assert flow.state.session.balance_cents == 1250
    run(flow, Press(Action.CANCEL))
    start = at_paying(flow, 5000)
    assert (start.amount_cents, start.start_type, start.with_receipt) == (5000, "cash", True)
    assert start.number == VALID_CARD
    outcome = TopupOutcome("credited", "REF-1", 6250, True)
    printing = request_of(run(flow, TopupFinished(start.request, outcome)), PrintReceipt)
    assert flow.state.screen == Screen.PRINTING and printing.reference == "REF-1"
    assert flow.state.session.number == ""       # the full number is gone once money moved
    commands = run(flow, Printed(printing.request, PrintResult(True)))
    assert flow.state.screen == Screen.DONE and PlaySound("done") in commands
    done_at = flow.state.entered
    run(flow, Press(Action.FINISH), now=done_at + 0.9)   # a second tap of "pay now"
    assert flow.state.screen == Screen.DONE
    run(flow, Press(Action.FINISH), now=done_at + 1.0)
    assert flow.state.screen == Screen.ATTRACT and flow.state.session == Session()


def test_start_type_comes_from_settings():
    flow = Flow(ui_settings(start_type="cashless"), T0)
    assert at_paying(flow).start_type == "cashless"


def test_back_steps(flow):
    at_confirm(flow)
    run(flow, Press(Action.BACK))
    assert flow.state.screen == Screen.AMOUNT
    run(flow, Press(Action.BACK))
    assert flow.state.screen == Screen.CARD
    run(flow, Press(Action.BACK))
    assert flow.state.screen == Screen.ATTRACT and flow.state.session == Session()


def test_cancel_from_any_customer_screen_clears_the_session(flow):
    for screen_steps in ([], [Press(Action.CONTINUE)], [Press(Action.CONTINUE),
                                                        Press(Action.OTHER_AMOUNT)]):
        at_card(flow)
        run(flow, *screen_steps, Press(Action.CANCEL))
        assert flow.state.screen == Screen.ATTRACT and flow.state.session == Session()


def test_only_configured_presets_are_accepted(flow):
    at_card(flow)
    run(flow, Press(Action.CONTINUE), Press(Action.AMOUNT, 1234))
    assert flow.state.screen == Screen.AMOUNT


def test_other_amount_keypad_limits(flow):
    at_card(flow)
    run(flow, Press(Action.CONTINUE), Press(Action.OTHER_AMOUNT))
    assert flow.state.screen == Screen.OTHER_AMOUNT
    run(flow, Press(Action.KEYPAD_OK))
    assert flow.state.session.entry_error == "amount_empty"
    run(flow, Press(Action.DIGIT, 0), Press(Action.DIGIT, 4), Press(Action.KEYPAD_OK))
    assert flow.state.session.typed == "4"           # a leading zero is not typed
    assert flow.state.session.entry_error == "amount_too_low"
    for d in (5, 0, 0):                              # cents shift in: 45,00 €
        run(flow, Press(Action.DIGIT, d))
    assert flow.state.session.typed == "4500"
    assert run(flow, Press(Action.DIGIT, 9)) == [PlaySound("rejected")]   # 450,09 € > 200 €
    assert flow.state.session.typed == "4500"
    assert flow.state.session.entry_error == "amount_too_high"
    run(flow, Press(Action.ERASE), Press(Action.ERASE), Press(Action.ERASE))
    assert flow.state.session.typed == "4" and flow.state.session.entry_error == ""
    run(flow, Press(Action.DIGIT, 2), Press(Action.DIGIT, 5), Press(Action.DIGIT, 0),
        Press(Action.KEYPAD_OK))
    assert flow.state.screen == Screen.CONFIRM and flow.state.session.amount_cents == 4250
    run(flow, Press(Action.BACK), Press(Action.OTHER_AMOUNT), Press(Action.BACK))
    assert flow.state.screen == Screen.AMOUNT and flow.state.session.typed == ""


# --- rejections --------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["1234", "92760000000028451", "1111000000002845", "92x6"])
def test_malformed_scan_is_rejected_without_asking_the_api(flow, number):
    commands = run(flow, CardScanned(number))
    assert flow.state.screen == Screen.REJECTED
    assert flow.state.session.problem == CardProblemReason.MALFORMED
    assert commands == [PlaySound("rejected")]


def test_unreadable_scan(flow):
    run(flow, CardScanned("", unreadable=True))
    assert flow.state.session.problem == CardProblemReason.UNREADABLE


@pytest.mark.parametrize("reason,screen", [
    (CardProblemReason.UNKNOWN, Screen.REJECTED), (CardProblemReason.LOCKED, Screen.CARD_LOCKED),
    (CardProblemReason.NOT_VALID_HERE, Screen.REJECTED),
    (CardProblemReason.EXPIRED, Screen.REJECTED), (CardProblemReason.AT_LIMIT, Screen.CARD_LIMIT)])
def test_card_problems_are_shown_with_their_reason(flow, reason, screen):
    check = request_of(run(flow, CardScanned(VALID_CARD)), CheckCard)
    commands = run(flow, CardChecked(check.request, CardProblem(reason)))
    assert flow.state.screen == screen and flow.state.session.problem == reason
    assert flow.state.session.number == "" and PlaySound("rejected") in commands
    run(flow, Press(Action.FINISH))
    assert flow.state.screen == Screen.ATTRACT


def test_unreachable_card_check_means_out_of_service(flow):
    run(flow, Press(Action.TOGGLE_LANGUAGE))
    check = request_of(run(flow, CardScanned(VALID_CARD)), CheckCard)
    run(flow, CardChecked(check.request, CardProblem(CardProblemReason.UNREACHABLE, "refused")))
    assert flow.state.screen == Screen.OUT_OF_SERVICE and not flow.state.api_ok
    assert flow.state.session == Session() and flow.state.language == "de"
    run(flow, ApiStatus(True))
    assert flow.state.screen == Screen.ATTRACT


# --- printer readiness, asked before payment ---------------------------------------------------


def printer_problem(flow, state=PrinterState(False, True, "paper_out")):
    at_confirm(flow)
    check = request_of(run(flow, Press(Action.CONFIRM)), CheckPrinter)
    assert run(flow, PrinterChecked(check.request, state)) == []
    assert flow.state.screen == Screen.PRINTER_PROBLEM


def test_printer_problem_continue_without_receipt(flow):
    printer_problem(flow)
    start = request_of(run(flow, Press(Action.WITHOUT_RECEIPT)), StartTopup)
    assert not start.with_receipt
    commands = run(flow, TopupFinished(start.request, TopupOutcome("credited", "R", 3250)))
    assert flow.state.screen == Screen.DONE and commands == [PlaySound("done")]


def test_printer_problem_retry_and_cancel(flow):
    printer_problem(flow)
    check = request_of(run(flow, Press(Action.RETRY_PRINTER)), CheckPrinter)
    request_of(run(flow, PrinterChecked(check.request, PrinterState(True))), StartTopup)
    assert flow.state.screen == Screen.PAYING
    flow2 = Flow(ui_settings(), T0)
    printer_problem(flow2)
    run(flow2, Press(Action.BACK))
    assert flow2.state.screen == Screen.CONFIRM
    run(flow2, Press(Action.CONFIRM))
    run(flow2, Press(Action.CANCEL))
    assert flow2.state.screen == Screen.ATTRACT


@pytest.mark.parametrize("allowed,backend_allows", [(False, True), (True, False)])
def test_without_receipt_can_be_forbidden(allowed, backend_allows):
    flow = Flow(ui_settings(allow_without_receipt=allowed), T0)
    printer_problem(flow, PrinterState(False, backend_allows, "cover_open"))
    assert run(flow, Press(Action.WITHOUT_RECEIPT)) == []
    assert flow.state.screen == Screen.PRINTER_PROBLEM


# --- outcomes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind,screen", [("claim", Screen.CLAIM),
                                         ("not_charged", Screen.NOT_CHARGED)])
def test_claim_and_not_charged_print_a_slip(flow, kind, screen):
    start = at_paying(flow)
    slip = request_of(run(flow, TopupFinished(start.request, TopupOutcome(kind, "REF-9"))),
                      PrintSlip)
    assert (slip.reference, slip.kind) == ("REF-9", kind) and flow.state.screen == screen
    run(flow, Printed(slip.request, PrintResult(False, "paper_out")))
    assert flow.state.session.printed == PrintResult(False, "paper_out")
    assert flow.state.screen == screen


@pytest.mark.parametrize("kind", ["refused", "unreachable"])
def test_refused_and_unreachable_print_nothing(flow, kind):
    start = at_paying(flow)
    commands = run(flow, TopupFinished(start.request, TopupOutcome(kind, reason="x")))
    assert flow.state.screen == Screen.NOT_CHARGED and commands == [PlaySound("rejected")]
    run(flow, Press(Action.FINISH))
    expected = Screen.OUT_OF_SERVICE if kind == "unreachable" else Screen.ATTRACT
    assert flow.state.screen == expected


def test_receipt_print_failure_still_ends_done(flow):
    start = at_paying(flow)
    printing = request_of(run(flow, TopupFinished(start.request, TopupOutcome(
        "credited", "R", 3250, True))), PrintReceipt)
    run(flow, Printed(printing.request, PrintResult(False, "paper_out")))
    assert flow.state.screen == Screen.DONE and not flow.state.session.printed.ok


def test_paying_and_printing_cannot_be_left_by_the_customer(flow):
    start = at_paying(flow)
    for action in (Action.CANCEL, Action.BACK, Action.FINISH):
        run(flow, Press(action))
    run(flow, CardScanned(VALID_CARD), now=T0 + 10_000)
    run(flow, Tick(), now=T0 + 10_000)              # no timeout while money may move
    assert flow.state.screen == Screen.PAYING
    run(flow, TopupFinished(start.request, TopupOutcome("credited", "R", 1, True)))
    assert flow.state.screen == Screen.PRINTING
    run(flow, Press(Action.CANCEL), Tick(), now=T0 + 20_000)
    assert flow.state.screen == Screen.PRINTING


# --- stale answers, timeouts, hygiene ----------------------------------------------------------


def test_late_answers_never_reach_the_next_customer(flow):
    old = request_of(run(flow, CardScanned(VALID_CARD)), CheckCard)
    run(flow, Press(Action.CANCEL))
    assert flow.state.screen == Screen.ATTRACT
    run(flow, CardChecked(old.request, CardInfo("x", 999)))
    assert flow.state.screen == Screen.ATTRACT and flow.state.session == Session()
    new = request_of(run(flow, CardScanned(VALID_CARD)), CheckCard)
    assert new.request != old.request
    run(flow, CardChecked(old.request, CardInfo("x", 999)))
    assert flow.state.screen == Screen.CHECKING_CARD


def test_idle_timeout_with_countdown_and_nothing_survives():
    settings = ui_settings(idle_timeout_s=30.0)
    flow = Flow(settings, T0)
    at_card(flow)
    run(flow, Press(Action.TOGGLE_LANGUAGE), Press(Action.CONTINUE), Press(Action.OTHER_AMOUNT),
        Press(Action.DIGIT, 3))
    assert flow.state.language == "en"
    start = flow.state.last_input
    assert deadline(flow.state, settings) == start + 30
    assert countdown(flow.state, settings, start + 30 - COUNTDOWN_S - 0.5) is None
    assert countdown(flow.state, settings, start + 30 - COUNTDOWN_S) == COUNTDOWN_S
    assert countdown(flow.state, settings, start + 29.2) == 1
    run(flow, Tick(), now=start + 29.9)
    assert flow.state.screen == Screen.OTHER_AMOUNT
    run(flow, Press(Action.DIGIT, 5), now=start + 29.9)          # input restarts the timer
    run(flow, Tick(), now=start + 45)
    assert flow.state.screen == Screen.OTHER_AMOUNT
    run(flow, Tick(), now=start + 29.9 + 30)
    fresh = initial_state(settings)
    assert flow.state.screen == Screen.ATTRACT
    assert flow.state.session == Session() and flow.state.session == fresh.session
    assert flow.state.language == "de" and flow.state.pending == 0
    assert flow.state.admin == AdminView()


def test_a_touch_that_is_no_button_restarts_the_idle_timer():
    settings = ui_settings(idle_timeout_s=30.0)
    flow = Flow(settings, T0)
    at_card(flow)
    start = flow.state.last_input
    run(flow, StillHere(), now=start + 25)           # during the countdown
    assert flow.state.screen == Screen.CARD and countdown(flow.state, settings, start + 26) is None
    run(flow, Tick(), now=start + 54.9)
    assert flow.state.screen == Screen.CARD and flow.state.session.number == VALID_CARD
    run(flow, Tick(), now=start + 55)
    assert flow.state.screen == Screen.ATTRACT and flow.state.session == Session()


@pytest.mark.parametrize("screen", [Screen.REJECTED, Screen.DONE, Screen.CLAIM,
                                    Screen.NOT_CHARGED, Screen.CARD, Screen.AMOUNT,
                                    Screen.CONFIRM, Screen.PRINTER_PROBLEM, Screen.ADMIN_MENU,
                                    Screen.ADMIN_PIN, Screen.ADMIN_JOURNAL,
                                    Screen.CHECKING_CARD, Screen.CHECKING_PRINTER])
def test_every_screen_with_a_customer_times_out(screen):
    settings = ui_settings(done_timeout_s=ui_settings().idle_timeout_s)
    state = replace(initial_state(settings, T0), screen=screen,
                    session=Session(number=VALID_CARD, masked="m", amount_cents=1000))
    state, _ = step(state, Tick(), T0 + settings.idle_timeout_s - 0.01, settings)
    assert state.screen == screen
    state, _ = step(state, Tick(), T0 + settings.idle_timeout_s, settings)
    assert state.screen == Screen.ATTRACT and state.session == Session()


def test_idle_screens_have_no_timeout():
    settings = ui_settings()
    for screen in (Screen.ATTRACT, Screen.OUT_OF_SERVICE, Screen.REGISTRATION):
        assert deadline(replace(State(), screen=screen), settings) is None


def test_new_scan_mid_way_is_asked_about_before_it_replaces_the_customer(flow):
    at_confirm(flow)
    assert run(flow, CardScanned("9276000000001111")) == []
    assert flow.state.screen == Screen.CONFIRM and flow.state.session.amount_cents == 2000
    assert flow.state.session.second_card == "9276000000001111"
    assert "1111" not in repr(flow.state)
    run(flow, Press(Action.CONFIRM))                 # the question comes first
    assert flow.state.screen == Screen.CONFIRM
    run(flow, Press(Action.KEEP_CARD))
    assert flow.state.session.second_card == "" and flow.state.session.amount_cents == 2000
    for stray in (CardScanned(VALID_CARD), CardScanned("12", unreadable=True),
                  CardScanned("1234")):
        assert run(flow, stray) == [] and flow.state.session.second_card == ""
    run(flow, CardScanned("9276000000001111"))
    check = request_of(run(flow, Press(Action.USE_OTHER_CARD)), CheckCard)
    assert check.number == "9276000000001111"
    assert flow.state.screen == Screen.CHECKING_CARD
    assert flow.state.session.amount_cents is None


def test_a_new_scan_after_the_result_starts_the_next_customer_at_once(flow):
    request_of(run(flow, CardScanned("9276000000001111")), CheckCard)
    run(flow, Press(Action.CANCEL))
    at_paying(flow)
    flow.state = replace(flow.state, screen=Screen.DONE)
    check = request_of(run(flow, CardScanned("9276000000001111")), CheckCard)
    assert check.number == "9276000000001111"


def test_whole_euro_steps_and_steps_of_five():
    flow = Flow(ui_settings(amount_step_cents=500), T0)
    at_card(flow)
    run(flow, Press(Action.CONTINUE), Press(Action.OTHER_AMOUNT))
    run(flow, Press(Action.DIGIT, 1), Press(Action.DIGIT, 2), Press(Action.KEYPAD_OK))
    assert flow.state.session.entry_error == "amount_step"
    run(flow, Press(Action.ERASE), Press(Action.DIGIT, 5), Press(Action.KEYPAD_OK))
    assert flow.state.screen == Screen.CONFIRM and flow.state.session.amount_cents == 1500


def test_the_countdown_sounds_once_per_idle_period_and_done_has_none():
    settings = ui_settings(idle_timeout_s=30.0, done_timeout_s=15.0)
    flow = Flow(settings, T0)
    at_card(flow)
    start = flow.state.last_input
    assert run(flow, Tick(), now=start + 19) == []
    assert run(flow, Tick(), now=start + 21) == [PlaySound("countdown")]
    assert run(flow, Tick(), now=start + 22) == []
    run(flow, Press(Action.STAY), now=start + 23)
    assert flow.state.screen == Screen.CARD and not flow.state.warned
    assert run(flow, Tick(), now=start + 44) == [PlaySound("countdown")]
    done = replace(flow.state, screen=Screen.DONE, entered=start + 60, last_input=start + 74)
    assert deadline(done, settings) == start + 75 and countdown(done, settings, start + 74) is None


# --- service status, registration --------------------------------------------------------------


def test_out_of_service_and_recovery(flow):
    run(flow, ReaderStatus(False, "/dev/input/kiosk-scanner gone"))
    assert flow.state.screen == Screen.OUT_OF_SERVICE
    assert run(flow, CardScanned(VALID_CARD)) == []
    run(flow, ApiStatus(False))
    run(flow, ReaderStatus(True))
    assert flow.state.screen == Screen.OUT_OF_SERVICE
    run(flow, ApiStatus(True))
    assert flow.state.screen == Screen.ATTRACT


def test_recovering_blocks_customers(flow):
    run(flow, Recovering(True))
    assert flow.state.screen == Screen.OUT_OF_SERVICE
    run(flow, Recovering(False))
    assert flow.state.screen == Screen.ATTRACT


def test_api_loss_before_payment_ends_the_session_but_not_during_payment(flow):
    at_confirm(flow)
    run(flow, ApiStatus(False))
    assert flow.state.screen == Screen.OUT_OF_SERVICE and flow.state.session == Session()
    run(flow, ApiStatus(True))
    start = at_paying(flow)
    run(flow, ApiStatus(False))
    assert flow.state.screen == Screen.PAYING
    run(flow, TopupFinished(start.request, TopupOutcome("claim", "R")))
    run(flow, Press(Action.FINISH))
    assert flow.state.screen == Screen.OUT_OF_SERVICE


def test_reader_loss_mid_session_lets_the_customer_finish(flow):
    at_card(flow)
    run(flow, ReaderStatus(False))
    assert flow.state.screen == Screen.CARD
    run(flow, Press(Action.CANCEL))
    assert flow.state.screen == Screen.OUT_OF_SERVICE


def test_registration_screen(flow):
    run(flow, RegistrationPending("ABCD-1234", "https://example.test/device"))
    assert flow.state.screen == Screen.REGISTRATION
    assert flow.state.registration.user_code == "ABCD-1234"
    run(flow, RegistrationDone())
    assert flow.state.screen == Screen.ATTRACT and flow.state.registration is None


def test_language_chosen_before_scanning_is_kept(flow):
    run(flow, Press(Action.TOGGLE_LANGUAGE))
    at_card(flow)
    assert flow.state.language == "en"
    run(flow, Press(Action.CANCEL))
    assert flow.state.language == "de"


def test_language_toggle_everywhere_keeps_the_session(flow):
    at_card(flow)
    before = flow.state.session
    run(flow, Press(Action.TOGGLE_LANGUAGE))
    assert flow.state.language == "en" and flow.state.session == before
    run(flow, Press(Action.TOGGLE_LANGUAGE))
    assert flow.state.language == "de"
    flow2 = Flow(ui_settings(default_language="en"), T0)
    assert flow2.state.language == "en"
    run(flow2, Press(Action.TOGGLE_LANGUAGE))
    assert flow2.state.language == "de"             # also on the attract screen


# --- admin -------------------------------------------------------------------------------------


def enter_pin(flow, pin, now=None):
    return run(flow, *[Press(Action.DIGIT, int(d)) for d in pin], Press(Action.KEYPAD_OK),
               now=now)


def test_admin_card_and_pin_open_the_menu(flow):
    assert run(flow, CardScanned(ADMIN_CARD)) == []   # never sent to the API
    assert flow.state.screen == Screen.ADMIN_PIN
    enter_pin(flow, ADMIN_PIN)
    assert flow.state.screen == Screen.ADMIN_MENU


def test_admin_menu_commands(flow):
    run(flow, CardScanned(ADMIN_CARD))
    enter_pin(flow, ADMIN_PIN)
    check = request_of(run(flow, Press(Action.ADMIN_PRINTER)), CheckPrinter)
    assert run(flow, Press(Action.ADMIN_TEST_PRINT)) == []     # one job at a time
    run(flow, PrinterChecked(check.request, PrinterState(False, True, "paper_near_end")))
    assert flow.state.admin.printer.reason == "paper_near_end"
    test = request_of(run(flow, Press(Action.ADMIN_TEST_PRINT)), PrintTestPage)
    run(flow, Printed(test.request, PrintResult(True)))
    assert flow.state.admin.message == "admin.printed_ok"
    reprint = request_of(run(flow, Press(Action.ADMIN_REPRINT)), ReprintLast)
    run(flow, Printed(reprint.request, PrintResult(False)))
    assert flow.state.admin.message == "admin.printed_failed"
    load = request_of(run(flow, Press(Action.ADMIN_JOURNAL)), LoadJournal)
    assert load.limit == 20
    rows = tuple(JournalRow("t", f"R{i}", "9276 •••• •••• 2845", 1000, "DONE") for i in range(3))
    run(flow, JournalLoaded(load.request, rows))
    assert flow.state.screen == Screen.ADMIN_JOURNAL and flow.state.admin.journal == rows
    run(flow, Press(Action.PAGE, 1), Press(Action.PAGE, -1), Press(Action.PAGE, -1))
    assert flow.state.admin.page == 0
    run(flow, Press(Action.BACK))
    assert flow.state.screen == Screen.ADMIN_MENU
    assert run(flow, Press(Action.ADMIN_RESTART)) == [Restart()]
    run(flow, Press(Action.ADMIN_EXIT))
    assert flow.state.screen == Screen.ATTRACT and flow.state.admin == AdminView()


def test_admin_leaves_after_inactivity(flow):
    run(flow, CardScanned(ADMIN_CARD))
    enter_pin(flow, ADMIN_PIN)
    t = flow.state.last_input
    run(flow, Tick(), now=t + 45)
    assert flow.state.screen == Screen.ATTRACT


def test_admin_delay_grows_after_three_failures_and_locks_after_ten(flow):
    assert [admin_delay_s(n) for n in range(1, 7)] == [0, 0, 5, 10, 20, 40]
    now = T0
    run(flow, CardScanned(ADMIN_CARD), now=now)
    for attempt in range(1, ADMIN_LOCKOUT_AFTER + 1):
        # Wait out any delay first; a try during the delay is refused without being counted.
        wait = flow.state.admin_guard.wait_until
        if wait > now:
            enter_pin(flow, "000000", now=now)
            assert flow.state.admin.message == "admin.wait"
            assert flow.state.admin_guard.failures == attempt - 1
            now = wait
        commands = enter_pin(flow, "000000", now=now)
        assert PlaySound("rejected") in commands
        assert flow.state.admin_guard.failures == attempt
    assert flow.state.admin_guard.locked and flow.state.admin.message == "admin.locked"
    enter_pin(flow, ADMIN_PIN, now=now + 10_000)
    assert flow.state.screen == Screen.ADMIN_PIN        # even the right PIN: locked
    # The lock survives sessions (kept in memory until the kiosk restarts).
    run(flow, Press(Action.CANCEL), now=now + 10_000)
    run(flow, CardScanned(ADMIN_CARD), now=now + 10_001)
    enter_pin(flow, ADMIN_PIN, now=now + 10_001)
    assert flow.state.screen == Screen.ADMIN_PIN


def test_right_pin_resets_the_failure_count(flow):
    run(flow, CardScanned(ADMIN_CARD))
    enter_pin(flow, "111111")
    enter_pin(flow, "222222")
    assert flow.state.admin_guard.failures == 2
    enter_pin(flow, ADMIN_PIN)
    assert flow.state.screen == Screen.ADMIN_MENU and flow.state.admin_guard.failures == 0


def test_admin_without_pin_file_is_refused():
    flow = Flow(ui_settings(admin_pin=None), T0)
    run(flow, CardScanned(ADMIN_CARD))
    assert flow.state.screen == Screen.REJECTED
    assert flow.state.session.problem == CardProblemReason.ADMIN_DISABLED


def test_short_configured_pin_never_matches():
    flow = Flow(ui_settings(admin_pin="12345"), T0)
    run(flow, CardScanned(ADMIN_CARD))
    enter_pin(flow, "12345")
    assert flow.state.screen == Screen.ADMIN_PIN


def test_full_card_numbers_do_not_appear_in_reprs(flow):
    at_confirm(flow)
    start = at_paying(Flow(ui_settings(), T0))
    assert VALID_CARD not in repr(flow.state) and VALID_CARD not in repr(start)
    assert VALID_CARD not in repr(CardScanned(VALID_CARD))
    assert ADMIN_PIN not in repr(ui_settings())


def test_a_short_idle_time_is_counted_down_only_in_its_last_third():
    settings = ui_settings(idle_timeout_s=10.0)
    state = replace(initial_state(settings, T0), screen=Screen.CARD)
    assert countdown(state, settings, T0 + 6.6) is None
    assert countdown(state, settings, T0 + 6.7) == 4
