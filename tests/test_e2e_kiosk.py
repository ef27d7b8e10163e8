"""End to end through the real app: virtual scanner -> evdev reader -> UI loop -> sandbox -> printer pty."""

from __future__ import annotations

import dataclasses
import json
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pygame
import pytest

from hardware.sim.printer import PrinterEmulator
from hardware.sim.sandbox import SandboxServer
from hardware.sim.scanner import VirtualScanner
from kiosk.cli import main
from kiosk.commands.sandbox import write_client_config
from kiosk.config import CashConfig, Config, load_config, write_private_file
from kiosk.flow import Screen, Session
from kiosk.journal import Journal, State
from kiosk.receipt import COPY_MARK
from kiosk.runtime import KioskRuntime
from kiosk.ui.driver import UiDriver
from tests.fixtures.sandbox import CARD, FUNDED_CARD
from tests.fixtures.ui import ManualClock

ADMIN_CARD = "9276000000009999"
ADMIN_PIN = "135790"
WAIT_S = 15.0          # upper bound for one step; normally met in milliseconds


def kiosk_config(sandbox: SandboxServer, folder: Path, printer_link: Path | str, *,
                 start_type: str = "cash", reader: str = 'type = "simulator"',
                 health_interval_s: float = 0.2, idle_timeout_s: int = 10,
                 auth_mode: str = "client_credentials") -> Config:
    """A complete kiosk.toml for the sandbox, the printer emulator and the virtual scanner."""
    path = write_client_config(sandbox, folder / "kiosk.toml", read_timeout=5.0,
                               start_cashless_timeout=10.0, auth_mode=auth_mode)
    pin = folder / "admin_pin"
    write_private_file(pin, ADMIN_PIN + "\n")
    with path.open("a", encoding="utf-8") as f:
        f.write(f"""
[topup]
start_type = "{start_type}"
[reader]
{reader}
debounce_s = 0.2
[printer]
type = "simulator"
port = {json.dumps(str(printer_link))}
write_timeout = 2.0
[ui]
width = 800
height = 480
fullscreen = false
sound = false
idle_timeout_s = {idle_timeout_s}
admin_cards = ["{ADMIN_CARD}"]
admin_pin_file = {json.dumps(str(pin))}
[metrics]
enabled = false
""")
    config = load_config(path)
    # The probe interval is a float in the file too; a short one keeps these tests quick.
    return dataclasses.replace(config, api=dataclasses.replace(
        config.api, health_interval_s=health_interval_s))


@dataclasses.dataclass
class Kiosk:
    """A running kiosk (in this process) and its simulated world."""

    runtime: KioskRuntime
    sandbox: SandboxServer
    printer: PrinterEmulator
    scanner: VirtualScanner
    config: Config

    @property
    def ui(self):  # type: ignore[no-untyped-def]
        return self.runtime.ui

    @property
    def drive(self) -> UiDriver:
        return UiDriver(self.runtime.ui, timeout=WAIT_S)

    def reach(self, screen: Screen) -> None:
        self.drive.wait_for(screen)

    def scan(self, number: str) -> None:
        """A real scan: evdev InputEvents into the reader thread, which posts to the UI."""
        ok = self.ui.run_until(lambda u: _scanner_open(self.scanner), WAIT_S)
        assert ok, "the reader never opened the virtual scanner"
        self.scanner.scan(number)

    def choose(self, card: str, cents: int, *, english: bool = False) -> None:
        """Scan `card`, tap through to a preset amount, and stop on the confirm screen."""
        self.scan(card)
        self.reach(Screen.CARD)
        if english:
            self.drive.tap("language")
        self.drive.tap("continue")
        self.reach(Screen.AMOUNT)
        self.drive.tap(f"amount:{cents}")
        self.reach(Screen.CONFIRM)

    def pay(self, cents: int) -> None:
        """From the amount screen: tap a preset, confirm, and wait for the done screen."""
        self.drive.tap(f"amount:{cents}")
        self.reach(Screen.CONFIRM)
        self.drive.tap("confirm")
        self.reach(Screen.DONE)

    def journal_rows(self):  # type: ignore[no-untyped-def]
        assert self.runtime.journal is not None
        return self.runtime.journal.recent(10)


def _scanner_open(scanner: VirtualScanner) -> bool:
    try:
        return scanner.device is not None
    except RuntimeError:
        return False


@pytest.fixture
def make_kiosk(sandbox: SandboxServer, tmp_path: Path,
               make_printer_emulator: Callable[..., PrinterEmulator]) -> Iterator[Callable[..., Kiosk]]:
    made: list[KioskRuntime] = []

    def make(*, ui_options: dict | None = None, cash: CashConfig | None = None,
             cash_options: dict | None = None, **config_options: object) -> Kiosk:
        # render=False: this process's pygame belongs to the kiosk's screen (the receipt PNG
        # is checked through `kiosk simulate`, whose emulator is a subprocess).
        printer = make_printer_emulator(columns=42, render=False)
        config = kiosk_config(sandbox, tmp_path, printer.link, **config_options)  # type: ignore[arg-type]
        if cash is not None:
            config = dataclasses.replace(config, cash=cash)
        scanner = VirtualScanner()
        runtime = KioskRuntime(config, window=True, scanner=scanner, ui_options=ui_options,
                               cash_options=cash_options)
        made.append(runtime)
        runtime.open()
        kiosk = Kiosk(runtime, sandbox, printer, scanner, config)
        kiosk.reach(Screen.ATTRACT)
        return kiosk

    yield make
    for runtime in made:
        runtime.close()


def _credited(sandbox: SandboxServer, card: str) -> list[int]:
    return [c.amount for c in sandbox.ledger if c.card == card and c.amount > 0]


@pytest.mark.parametrize("start_type", ["cash", "cashless"])
def test_topup_by_taps_credits_the_card_and_prints_the_receipt(make_kiosk, sandbox, start_type):
    if start_type == "cashless":
        sandbox.terminal(wait=0.3)          # the customer at the card terminal
    k = make_kiosk(start_type=start_type)
    k.scan(FUNDED_CARD)
    k.reach(Screen.CARD)
    assert k.ui.state.session.balance_cents == 2500
    k.drive.tap("continue")
    k.reach(Screen.AMOUNT)
    k.drive.tap("amount:2000")
    k.reach(Screen.CONFIRM)
    k.drive.tap("confirm")
    k.reach(Screen.PAYING)
    k.reach(Screen.DONE)
    assert k.ui.state.session.outcome.new_balance_cents == 4500
    assert k.ui.state.session.printed.ok
    assert _credited(sandbox, FUNDED_CARD) == [2000]
    assert sandbox.balance(FUNDED_CARD) == 4500
    receipt = k.printer.wait_for_receipts(1)[0]
    assert "Aktuelles Guthaben" in receipt.text and "45,00 EUR" in receipt.text
    assert FUNDED_CARD not in receipt.text and "7890" in receipt.text
    row = k.journal_rows()[0]
    assert row.state is State.DONE and row.start_type == start_type
    assert row.reference in receipt.text
    k.drive.tap("finish")
    k.reach(Screen.ATTRACT)
    assert k.ui.state.session == Session()


@pytest.mark.parametrize("start_type", ["cash", "cashless"])
def test_topup_by_keypad_alone(make_kiosk, sandbox, start_type):
    if start_type == "cashless":
        sandbox.terminal(wait=0.2)
    k = make_kiosk(start_type=start_type)
    k.scan(CARD)
    k.reach(Screen.CARD)
    k.drive.key(pygame.K_RETURN)                      # "continue" has the focus
    k.reach(Screen.AMOUNT)
    for _ in range(6):
        if k.ui.focus == "other_amount":
            break
        k.drive.key(pygame.K_TAB)
    assert k.ui.focus == "other_amount"
    k.drive.key(pygame.K_RETURN)
    k.reach(Screen.OTHER_AMOUNT)
    k.drive.type("1500")                              # like a till: 15,00 €
    k.drive.key(pygame.K_RETURN)                      # OK has the focus after typing
    k.reach(Screen.CONFIRM)
    assert k.ui.state.session.amount_cents == 1500
    k.drive.key(pygame.K_RETURN)
    k.reach(Screen.DONE)
    assert _credited(sandbox, CARD) == [1500]
    receipt = k.printer.wait_for_receipts(1)[0]
    assert "15,00 EUR" in receipt.text
    k.drive.key(pygame.K_RETURN)
    k.reach(Screen.ATTRACT)


def test_typed_1_7_5_0_credits_17_50_in_the_sandbox_ledger(make_kiosk, sandbox):
    k = make_kiosk()
    k.scan(FUNDED_CARD)
    k.reach(Screen.CARD)
    k.drive.tap("continue")
    k.reach(Screen.AMOUNT)
    k.drive.tap("other_amount")
    k.reach(Screen.OTHER_AMOUNT)
    for digit in "1750":
        k.drive.tap(f"digit:{digit}")
    entry = next(t.text for t in k.ui.frame.texts if t.name == "entry")
    assert entry == "17,50\u00a0€"
    k.drive.tap("keypad_ok")
    k.reach(Screen.CONFIRM)
    k.drive.tap("confirm")
    k.reach(Screen.DONE)
    assert _credited(sandbox, FUNDED_CARD) == [1750]
    assert sandbox.balance(FUNDED_CARD) == 4250
    title = next(t.text for t in k.ui.frame.texts if t.name == "title")
    assert title == "17,50\u00a0€ aufgeladen"
    assert "17,50 EUR" in k.printer.wait_for_receipts(1)[0].text


def test_idle_timeout_returns_to_attract_and_forgets_the_customer(make_kiosk, sandbox):
    clock = ManualClock()
    k = make_kiosk(ui_options={"clock": clock}, idle_timeout_s=10)
    k.scan(FUNDED_CARD)
    k.reach(Screen.CARD)
    assert k.ui.state.session.number == FUNDED_CARD
    clock.advance(6)
    k.ui.run_until(lambda u: u.state.screen == Screen.CARD and u.frame is not None, 1)
    assert k.ui.state.screen == Screen.CARD           # not yet: the countdown shows first
    clock.advance(5)
    k.reach(Screen.ATTRACT)
    assert k.ui.state.session == Session()
    assert not sandbox.ledger


def test_out_of_service_while_the_api_is_gone_and_back_by_itself(make_kiosk, sandbox):
    k = make_kiosk(health_interval_s=0.2)
    sandbox.stop()
    k.reach(Screen.OUT_OF_SERVICE)
    assert not k.ui.state.api_ok
    k.scan(FUNDED_CARD)                               # no customer while out of service
    k.ui.run_until(lambda u: False, 0.3)
    assert k.ui.state.screen == Screen.OUT_OF_SERVICE
    sandbox.start()                                   # same port
    k.reach(Screen.ATTRACT)
    k.scan(FUNDED_CARD)
    k.reach(Screen.CARD)


def test_missing_reader_shows_out_of_service_instead_of_crashing(make_kiosk, tmp_path):
    missing = tmp_path / "no-such-event-device"
    k = make_kiosk(reader=f'type = "evdev"\ndevice = {json.dumps(str(missing))}')
    k.reach(Screen.OUT_OF_SERVICE)
    assert not k.ui.state.reader_ok
    assert "not connected" in k.ui.state.reader_detail


def test_paper_out_before_payment_asks_and_cancel_charges_nothing(make_kiosk, sandbox):
    k = make_kiosk()
    k.printer.set_faults(paper="out")
    k.choose(FUNDED_CARD, 1000)
    k.drive.tap("confirm")
    k.reach(Screen.PRINTER_PROBLEM)
    assert k.ui.state.session.printer.reason == "paper_out"
    k.drive.tap("cancel")
    k.reach(Screen.ATTRACT)
    assert not sandbox.ledger and not k.journal_rows()


def test_paper_out_before_payment_continue_without_receipt_owes_it(make_kiosk, sandbox):
    k = make_kiosk()
    k.printer.set_faults(paper="out")
    k.choose(FUNDED_CARD, 1000)
    k.drive.tap("confirm")
    k.reach(Screen.PRINTER_PROBLEM)
    k.drive.tap("without_receipt")
    k.reach(Screen.DONE)
    assert _credited(sandbox, FUNDED_CARD) == [1000]
    assert k.journal_rows()[0].state is State.RECEIPT_OWED
    assert not k.printer.receipts


def test_printer_failing_after_payment_owes_the_receipt_and_reprint_settles_it(
        make_kiosk, sandbox, capsys):
    k = make_kiosk()
    k.choose(FUNDED_CARD, 2000)
    # Ready when asked before payment; the paper runs out a few lines into the receipt.
    k.printer.set_faults(paper_out_after_lines=3)
    k.drive.tap("confirm")
    k.reach(Screen.DONE)
    assert k.ui.state.session.printed is not None and not k.ui.state.session.printed.ok
    assert _credited(sandbox, FUNDED_CARD) == [2000]   # the money moved; only paper is owed
    row = k.journal_rows()[0]
    assert row.state is State.RECEIPT_OWED
    k.runtime.close()                                 # the port is the kiosk's while it runs
    k.printer.set_faults(paper="ok", paper_out_after_lines=None)
    assert main(["reprint", "--config", k.config.source]) == 0
    copy = k.printer.wait_for_receipts(1)[-1]
    assert COPY_MARK in copy.text and row.reference in copy.text and "45,00 EUR" in copy.text
    with Journal.open_in(k.config.state_dir) as journal:
        assert journal.get(row.reference).state is State.DONE
    assert "printed copy of" in capsys.readouterr().out


def test_admin_reprint_prints_a_marked_copy(make_kiosk, sandbox):
    k = make_kiosk()
    k.choose(CARD, 1000)
    k.drive.tap("confirm")
    k.reach(Screen.DONE)
    k.drive.tap("finish")
    k.reach(Screen.ATTRACT)
    k.scan(ADMIN_CARD)
    k.reach(Screen.ADMIN_PIN)
    k.drive.type(ADMIN_PIN)
    k.drive.key(pygame.K_RETURN)
    k.reach(Screen.ADMIN_MENU)
    k.drive.tap("admin_reprint")
    ok = k.ui.run_until(lambda u: u.state.admin.message == "admin.printed_ok", WAIT_S)
    assert ok, k.ui.state.admin.message
    first, copy = k.printer.wait_for_receipts(2)
    assert COPY_MARK not in first.text and COPY_MARK in copy.text
    assert _credited(sandbox, CARD) == [1000]         # a copy is paper, not money


# --- the card gates (issue 11), through the real loop against the sandbox --------------------

def shown(k: Kiosk, name: str) -> str:
    """The text of the widget `name` on the kiosk's current frame."""
    assert k.ui.frame is not None
    return next(w.text for w in k.ui.frame.widgets if getattr(w, "name", "") == name
                and isinstance(getattr(w, "text", None), str))


PIN_CARD = "9276000000004001"
LIMIT_CARD = "9276000000004002"
LOST_CARD = "9276000000004003"
BONUS_CARD = "9276000000004004"
NEAR_CARD = "9276000000004005"


def test_pin_card_wrong_pin_never_reaches_start_right_pin_tops_up(make_kiosk, sandbox):
    sandbox.add_card(PIN_CARD, balance=1000, passcode=3, pin=4711)
    k = make_kiosk()
    k.scan(PIN_CARD)
    k.reach(Screen.CARD)
    k.drive.tap("continue")
    k.reach(Screen.PIN_ENTRY)
    k.drive.type("1234")
    k.drive.key(pygame.K_RETURN)
    ok = k.ui.run_until(lambda u: u.state.session.pin_message == "pin.wrong", WAIT_S)
    assert ok and k.ui.state.screen == Screen.PIN_ENTRY
    assert shown(k, "pin") == ""                             # the wrong PIN is cleared
    assert sandbox.attempts("create") == 0 and sandbox.attempts("start") == 0
    k.drive.type("4711")
    assert shown(k, "pin") == "●●●●"                         # the PIN shows as dots only
    k.drive.key(pygame.K_RETURN)
    k.reach(Screen.AMOUNT)
    k.pay(2000)
    assert _credited(sandbox, PIN_CARD) == [2000] and sandbox.pin_checks == [1234, 4711]


def test_card_at_its_limit_is_told_and_a_card_near_it_gets_only_what_fits(make_kiosk, sandbox):
    sandbox.card_group("CRG_LIMIT", balance_limit=15000)
    sandbox.add_card(LIMIT_CARD, balance=14800, group="CRG_LIMIT")
    sandbox.add_card(NEAR_CARD, balance=12500, group="CRG_LIMIT")
    k = make_kiosk()
    k.scan(LIMIT_CARD)
    k.reach(Screen.CARD_LIMIT)
    assert "150,00" in shown(k, "message")
    k.drive.tap("finish")
    k.reach(Screen.ATTRACT)
    k.scan(NEAR_CARD)
    k.reach(Screen.CARD)
    k.drive.tap("continue")
    k.reach(Screen.AMOUNT)
    offered = sorted(b.value for b in k.ui.frame.buttons if b.action.value == "amount")
    assert offered == [1000, 2000]                           # 50,00 would pass 150,00
    k.pay(2000)
    assert sandbox.balance(NEAR_CARD) == 14500 and sandbox.pin_checks == []


def test_locked_card_shows_the_lock_reason_in_the_customers_language(make_kiosk, sandbox):
    sandbox.add_card(LOST_CARD, locked=True, lock_reason=1)
    k = make_kiosk()
    k.drive.tap("language")
    k.scan(LOST_CARD)
    k.reach(Screen.CARD_LOCKED)
    assert "reported lost" in shown(k, "message")
    assert sandbox.attempts("create") == 0


def test_bonus_shows_the_servers_new_balance_and_the_balance_slip_prints(make_kiosk, sandbox):
    sandbox.card_group("CRG_BONUS", bonus_percent=10)
    sandbox.add_card(BONUS_CARD, balance=500, group="CRG_BONUS")
    k = make_kiosk()
    k.scan(BONUS_CARD)
    k.reach(Screen.CARD)
    k.drive.tap("print_balance")
    ok = k.ui.run_until(lambda u: u.state.session.balance_slip is not None, WAIT_S)
    assert ok and k.ui.state.session.balance_slip.ok
    slip = k.printer.wait_for_receipts(1)[0]
    assert "GUTHABEN" in slip.text and "5,00 EUR" in slip.text and BONUS_CARD not in slip.text
    assert k.ui.state.screen == Screen.CARD
    k.drive.tap("continue")
    k.reach(Screen.AMOUNT)
    k.pay(2000)
    # Paid 20,00; the card group added 2,00 bonus: the screen shows what the server holds.
    assert _credited(sandbox, BONUS_CARD) == [2000]
    assert k.ui.state.session.outcome.new_balance_cents == 2700 == sandbox.balance(BONUS_CARD)
    receipt = k.printer.wait_for_receipts(2)[1]
    assert "27,00 EUR" in receipt.text


def test_english_customer_gets_english_receipt_lines_and_slip_reason_with_the_short_code(
        make_kiosk, sandbox, capsys):
    sandbox.terminal(wait=0.1, outcome="failed")       # declined at the card terminal first
    k = make_kiosk(start_type="cashless")
    k.choose(FUNDED_CARD, 2000, english=True)
    k.drive.tap("confirm")
    k.reach(Screen.NOT_CHARGED)
    slip = k.printer.wait_for_receipts(1)[0]
    row = k.journal_rows()[0]
    shown = {t.name: t.text for t in k.ui.frame.texts}
    assert shown["reference"] == f"Reference: {row.short_ref}"
    assert row.short_ref in slip.text and row.reference in slip.text
    reason = " ".join(slip.text.split("Grund / Reason:")[1].split("---")[0].split())
    assert reason == "The payment at the card terminal was declined."   # the screen's words
    assert not _credited(sandbox, FUNDED_CARD)
    # The code on the screen finds the row in the journal.
    assert main(["journal", "--config", k.config.source, "--find", row.short_ref]) == 0
    assert row.reference in capsys.readouterr().out
    # Then the same customer pays: the kiosk's own receipt lines are in English too.
    sandbox.terminal(wait=0.1, outcome="ok")
    k.drive.tap("finish")
    k.reach(Screen.ATTRACT)
    k.choose(FUNDED_CARD, 2000, english=True)
    k.drive.tap("confirm")
    k.reach(Screen.DONE)
    receipt = k.printer.wait_for_receipts(2)[1]
    row = k.journal_rows()[0]
    assert "Topped up:" in receipt.text and "Card" in receipt.text and "Payment:" in receipt.text
    assert row.short_ref in receipt.text and "Aktuelles Guthaben" in receipt.text  # API as sent
    assert receipt.text.rstrip().endswith(row.reference)


def test_sigterm_handler_never_waits_for_the_loop_s_own_locks(make_kiosk):
    """The handler runs on the main thread between two bytecodes, maybe while the loop holds
    its wake event's lock (inside wait/clear): it must not need that lock, and the loop must
    still stop on the request."""
    k = make_kiosk()
    done = threading.Event()

    def handle() -> None:
        k.runtime._on_signal(signal.SIGTERM, None)
        done.set()

    with k.ui._wake._cond:           # as if interrupted inside _wake.clear()
        handler = threading.Thread(target=handle, daemon=True)
        handler.start()
        handler.join(timeout=5)
        assert done.is_set(), "the SIGTERM handler waited for the wake event's lock"
    k.ui.running = True
    for _ in range(100):             # the loop takes the posted stop within a poll or two
        k.ui.iterate(max_wait=0.05)
        if not k.ui.running:
            break
    assert not k.ui.running
