"""The real backend and supervisor: outcome mapping, metrics, device registration on screen and headless."""

from __future__ import annotations

import pytest

from hardware.sim.printer import PrinterEmulator
from hardware.sim.sandbox import Fault
from hardware.sim.scanner import VirtualScanner
from kiosk.app import topup_outcome
from kiosk.cli import main
from kiosk.commands.sandbox import write_client_config
from kiosk.flow import Screen
from kiosk.journal import State
from kiosk.runtime import KioskRuntime
from kiosk.secuconnect.auth import DeviceAuth
from kiosk.topup import Outcome, Reason, TopupResult
from tests.fixtures.sandbox import FUNDED_CARD, LOCKED_CARD, UNKNOWN_CARD
from tests.test_e2e_kiosk import kiosk_config, make_kiosk  # noqa: F401  (make_kiosk: fixture)


def _result(outcome: Outcome, reason: Reason | None = None, **kw: object) -> TopupResult:
    return TopupResult(outcome, "ref-1", 1500, "EUR", "9276 •••• •••• 2845", reason=reason,
                       **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("result, kind", [
    (_result(Outcome.CONFIRMED, new_balance=4000), "credited"),
    (_result(Outcome.NOT_EXECUTED, Reason.PAYMENT_DECLINED), "not_charged"),
    (_result(Outcome.UNRESOLVED, Reason.UNRESOLVED_START), "claim"),
    (_result(Outcome.REFUSED, Reason.CARD_LOCKED), "refused"),
    (_result(Outcome.REFUSED, Reason.API_UNREACHABLE), "unreachable"),
])
def test_topup_results_map_to_the_screens_outcomes(result, kind):
    outcome = topup_outcome(result)
    assert outcome.kind == kind
    assert outcome.reference == "ref-1"
    assert outcome.reason == (result.reason.value if result.reason else "")
    if kind == "credited":
        assert outcome.new_balance_cents == 4000


def test_card_problems_reach_the_rejected_screen_with_their_reason(make_kiosk):  # noqa: F811
    k = make_kiosk()
    for card, reason, screen in ((LOCKED_CARD, "locked", Screen.CARD_LOCKED),
                                 (UNKNOWN_CARD, "unknown", Screen.REJECTED),
                                 ("92761234", "malformed", Screen.REJECTED)):
        k.scan(card)
        k.reach(screen)
        assert k.ui.state.session.problem.value == reason
        assert card not in k.ui.state.session.masked
        k.drive.tap("finish")
        k.reach(Screen.ATTRACT)


def test_not_charged_prints_a_slip_and_counts_in_metrics(make_kiosk, sandbox):  # noqa: F811
    k = make_kiosk()
    sandbox.inject("start", Fault.refuse("ProductNotAllowedException", status=403))
    k.choose(FUNDED_CARD, 1000)
    k.drive.tap("confirm")
    k.reach(Screen.NOT_CHARGED)
    slip = k.printer.wait_for_receipts(1)[0]
    assert "NICHT BELASTET" in slip.text and "10,00 €" in slip.text
    # Masked (PC858 has no bullet: the printer's fallback character stands in for it).
    card_line = next(line for line in slip.text.splitlines() if "Karte / Card:" in line)
    assert card_line.endswith("7890") and FUNDED_CARD not in slip.text
    assert not [c for c in sandbox.ledger if c.amount > 0]
    assert k.journal_rows()[0].state is State.NOT_EXECUTED
    text = k.runtime.metrics.exposition().decode()
    assert 'kiosk_topups_total{outcome="not_executed"} 1.0' in text
    assert 'kiosk_device_status{device="printer",status="ok"} 1.0' in text
    assert 'kiosk_device_status{device="api",status="ok"} 1.0' in text


def test_device_registration_shows_the_code_until_confirmed(sandbox, tmp_path):
    with PrinterEmulator(tmp_path / "printer", tmp_path / "receipts", render=False) as printer:
        config = kiosk_config(sandbox, tmp_path, printer.link, auth_mode="device")
        runtime = KioskRuntime(config, window=True, scanner=VirtualScanner())
        try:
            runtime.open()
            ui = runtime.ui
            assert ui.run_until(lambda u: u.state.screen == Screen.REGISTRATION, 15)
            registration = ui.state.registration
            assert registration.verification_url.startswith(sandbox.root_url)
            assert runtime.supervisor.settled.is_set()       # READY may go out: code on screen
            sandbox.confirm_device(registration.user_code)
            assert ui.run_until(lambda u: u.state.screen == Screen.ATTRACT, 15)
            auth = runtime.client.auth
            assert isinstance(auth, DeviceAuth) and auth.is_registered
        finally:
            runtime.close()


def test_register_command_waits_for_confirmation(sandbox, tmp_path, capsys):
    sandbox.auto_confirm_device = True
    config = write_client_config(sandbox, tmp_path / "kiosk.toml", auth_mode="device")
    assert main(["register", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "Enter this code in SecuOffice:" in out and sandbox.root_url in out
    assert "registered; refresh token stored in" in out
    assert main(["register", "--config", str(config)]) == 0
    assert "already registered" in capsys.readouterr().out


def test_register_command_explains_client_credentials(sandbox, tmp_path, capsys):
    config = write_client_config(sandbox, tmp_path / "kiosk.toml")
    assert main(["register", "--config", str(config)]) == 1
    assert 'registration is for auth_mode = "device"' in capsys.readouterr().err


def test_reprint_with_an_empty_journal_says_so(sandbox, tmp_path, capsys):
    config = write_client_config(sandbox, tmp_path / "kiosk.toml")
    assert main(["reprint", "--config", str(config), "--text"]) == 1
    assert "no such receipt" in capsys.readouterr().err


def test_the_outcome_stands_when_the_bookkeeping_after_the_topup_fails(make_kiosk, sandbox,  # noqa: F811
                                                                      monkeypatch):
    """Issue 9 finding 5: a failure after the top-up ended (here: metrics) must not turn its
    outcome into a claim without reference; the customer sees what the journal says."""
    k = make_kiosk()

    def broken_metrics(label: str, cents: int) -> None:
        raise RuntimeError("metrics registry broke")

    monkeypatch.setattr(k.runtime.metrics, "topup_finished", broken_metrics)
    sandbox.inject("start", Fault.refuse("ProductNotAllowedException", status=403))
    k.choose(FUNDED_CARD, 1000)
    k.drive.tap("confirm")
    k.reach(Screen.NOT_CHARGED)
    row = k.journal_rows()[0]
    assert row.state is State.NOT_EXECUTED
    assert k.ui.state.session.outcome.reference == row.reference
    assert not [c for c in sandbox.ledger if c.amount > 0]
