"""Renders every screen (with example data) to PNG files, and checks each one while at it."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable

import pygame

from kiosk import __version__
from kiosk.cards import mask_card
from kiosk.config import Config
from kiosk.flow import (
    AdminGuard, AdminView, Registration, Screen, Session, Settings, State, initial_state,
)
from kiosk.flow_events import (
    CardProblemReason, JournalRow, PrinterState, PrintResult, SetupNeeded, TopupOutcome,
)
from kiosk.ui.check import check_frame, check_large_text
from kiosk.ui.gallery_cash import cash_samples
from kiosk.ui.render import Look, build_frame, render
from kiosk.ui.settings import flow_settings, look as look_of

DEMO_CARD = "9276000000002845"
# As long as a real one: kiosk.journal.new_reference() makes a UUID.
DEMO_REFERENCE = "7d6b75ec-d032-48e0-8a06-c4ca3a9e248f"
NOW = 1000.0


@dataclass(frozen=True)
class Shot:
    name: str
    size: tuple[int, int]
    language: str
    path: Path
    problems: tuple[str, ...]


def sample_states(settings: Settings) -> dict[str, State]:
    """One example state per screen, plus the variants a customer can meet."""
    base = replace(initial_state(settings, NOW), last_input=NOW)
    card = Session(number=DEMO_CARD, masked=mask_card(DEMO_CARD), balance_cents=1250)
    chosen = replace(card, amount_cents=settings.presets[min(1, len(settings.presets) - 1)])
    credited = TopupOutcome("credited", DEMO_REFERENCE, chosen.amount_cents + 1250, True)
    journal = tuple(
        JournalRow(f"2026-11-24 0{i // 6}:{i % 6}5", f"K1-{i:08X}", mask_card(DEMO_CARD),
                   1000 * (1 + i % 5), "DONE" if i % 4 else "RECEIPT_OWED") for i in range(20))

    def at(screen: Screen, **changes: object) -> State:
        return replace(base, screen=screen, **changes)  # type: ignore[arg-type]

    return {
        "attract": at(Screen.ATTRACT),
        "checking_card": at(Screen.CHECKING_CARD, session=Session(masked=card.masked)),
        "card": at(Screen.CARD, session=card),
        "amount": at(Screen.AMOUNT, session=card),
        "other_amount": at(Screen.OTHER_AMOUNT, session=replace(card, typed="1750")),
        "other_amount_error": at(Screen.OTHER_AMOUNT, session=replace(
            card, typed="20000", entry_error="amount_too_high")),
        "second_card": at(Screen.OTHER_AMOUNT, session=replace(
            card, typed="1750", second_card="9276000000003330")),
        "confirm": at(Screen.CONFIRM, session=chosen),
        "checking_printer": at(Screen.CHECKING_PRINTER, session=chosen),
        "printer_problem": at(Screen.PRINTER_PROBLEM, session=replace(
            chosen, printer=PrinterState(False, True, "paper_out"))),
        "printer_problem_forbidden": at(Screen.PRINTER_PROBLEM, session=replace(
            chosen, printer=PrinterState(False, False, "cover_open"))),
        "paying": at(Screen.PAYING, session=chosen),
        "paying_cashless": at(Screen.PAYING, session=chosen),
        "printing": at(Screen.PRINTING, session=replace(chosen, outcome=credited)),
        "done": at(Screen.DONE, session=replace(chosen, outcome=credited,
                                                printed=PrintResult(True))),
        "done_print_failed": at(Screen.DONE, session=replace(
            chosen, outcome=credited, printed=PrintResult(False, "paper_out"))),
        "done_without_receipt": at(Screen.DONE, session=replace(
            chosen, outcome=credited, with_receipt=False)),
        "rejected_unknown": at(Screen.REJECTED, session=Session(
            masked=card.masked, problem=CardProblemReason.UNKNOWN)),
        "rejected_locked": at(Screen.REJECTED, session=Session(
            masked=card.masked, problem=CardProblemReason.LOCKED)),
        "rejected_not_valid_here": at(Screen.REJECTED, session=Session(
            masked=card.masked, problem=CardProblemReason.NOT_VALID_HERE)),
        "rejected_malformed": at(Screen.REJECTED, session=Session(
            problem=CardProblemReason.MALFORMED)),
        "not_charged": at(Screen.NOT_CHARGED, session=replace(
            chosen, outcome=TopupOutcome("not_charged", DEMO_REFERENCE,
                                         reason="payment_declined"),
            printed=PrintResult(True))),
        "not_charged_refused": at(Screen.NOT_CHARGED, session=replace(
            chosen, outcome=TopupOutcome("refused", reason="amount_refused"))),
        "not_charged_unreachable": at(Screen.NOT_CHARGED, session=replace(
            chosen, outcome=TopupOutcome("unreachable", reason="api_unreachable"))),
        "claim": at(Screen.CLAIM, session=replace(
            chosen, outcome=TopupOutcome("claim", DEMO_REFERENCE, reason="unresolved_start"),
            printed=PrintResult(True))),
        "out_of_service": at(Screen.OUT_OF_SERVICE, api_ok=False, reader_ok=False),
        "out_of_service_clock": at(Screen.OUT_OF_SERVICE, clock_ok=False),
        "setup_needed": at(Screen.SETUP_NEEDED, setup=SetupNeeded(
            "/etc/kiosk/client_secret: client secret file is empty",
            "sudo nano /etc/kiosk/client_secret")),
        "registration": at(Screen.REGISTRATION, registration=Registration(
            "WXYZ-4711", "https://connect.secucard.com/device")),
        "card_easy_view": replace(at(Screen.CARD, session=card), easy_view=True),
        "countdown": replace(at(Screen.AMOUNT, session=card),
                             last_input=NOW - settings.idle_timeout_s + 7),
        "card_balance_slip": at(Screen.CARD, session=replace(
            card, card_id="MCD_DEMO", balance_slip=PrintResult(True))),
        "card_balance_slip_failed": at(Screen.CARD, session=replace(
            card, card_id="MCD_DEMO", balance_slip=PrintResult(False, "paper_out"))),
        "amount_card_limit": at(Screen.AMOUNT, session=replace(card, max_cents=2500)),
        "pin_entry": at(Screen.PIN_ENTRY, session=replace(card, pin_required=True, pin="12")),
        "pin_entry_wrong": at(Screen.PIN_ENTRY, session=replace(
            card, pin_required=True, pin_failures=1, pin_message="pin.wrong")),
        "pin_entry_checking": at(Screen.PIN_ENTRY, session=replace(
            card, pin_required=True, pin="1234", pin_message="pin.checking")),
        "card_limit": at(Screen.CARD_LIMIT, session=Session(
            masked=card.masked, problem=CardProblemReason.AT_LIMIT, balance_cents=14950,
            limit_cents=15000)),
        "card_locked_lost": at(Screen.CARD_LOCKED, session=Session(
            masked=card.masked, problem=CardProblemReason.LOCKED, lock_reason=1,
            lock_text="Karte verloren")),
        "card_locked_api_text": at(Screen.CARD_LOCKED, session=Session(
            masked=card.masked, problem=CardProblemReason.LOCKED, lock_reason=9,
            lock_text="PIN zu oft falsch eingegeben")),
        "card_locked_no_reason": at(Screen.CARD_LOCKED, session=Session(
            masked=card.masked, problem=CardProblemReason.LOCKED)),
        "rejected_pin_tries": at(Screen.REJECTED, session=Session(
            masked=card.masked, problem=CardProblemReason.PIN_TRIES)),
        "admin_pin": at(Screen.ADMIN_PIN, admin=AdminView(pin="123", message="admin.wrong_pin")),
        "admin_pin_wait": at(Screen.ADMIN_PIN, admin=AdminView(message="admin.wait"),
                             admin_guard=AdminGuard(failures=4, wait_until=NOW + 9.2)),
        "admin_menu": at(Screen.ADMIN_MENU, admin=AdminView(
            printer=PrinterState(False, True, "paper_near_end"), message="admin.printed_ok")),
        "admin_journal": at(Screen.ADMIN_JOURNAL, admin=AdminView(journal=journal)),
        **cash_samples(at, card, DEMO_REFERENCE),   # type: ignore[arg-type]
    }


def gallery_settings(config: Config) -> Settings:
    return replace(flow_settings(config, admin_pin=None), version=__version__)


def render_gallery(out_dir: str | os.PathLike[str], config: Config | None = None,
                   sizes: Iterable[tuple[int, int]] = ((800, 480), (480, 800)),
                   languages: Iterable[str] = ("de", "en"), look: Look | None = None,
                   only: Iterable[str] | None = None, save: bool = True) -> list[Shot]:
    """Render every sample screen per size and language to `out_dir`; returns shots + problems."""
    config = config or Config()
    settings = gallery_settings(config)
    look = look or look_of(config.ui)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pygame.font.init()
    states = sample_states(settings)
    wanted = set(only) if only is not None else None
    shots: list[Shot] = []
    for size in sizes:
        surface = pygame.Surface(size)
        for language in languages:
            for name, state in states.items():
                if wanted is not None and name not in wanted:
                    continue
                s = settings
                if name == "paying_cashless":
                    s = replace(settings, start_type="cashless")
                if name.startswith(("pay_choice", "cash_", "insert_notes", "till")):
                    s = replace(settings, start_type="cashless", cash_mode="validator")
                state = replace(state, language=language)  # type: ignore[arg-type]
                problems: list[str] = []
                if look.large_text:
                    normal = replace(look, large_text=False)
                    reference = render(surface, state, s, normal, NOW, phase=0.35)
                frame = render(surface, state, s, look, NOW, phase=0.35)
                _, layout, theme = build_frame(state, s, look, size, NOW)
                problems += check_frame(surface, frame, layout, theme)
                if look.large_text:
                    problems += check_large_text(reference, frame)
                path = out / f"{size[0]}x{size[1]}-{language}-{name}.png"
                if save:
                    pygame.image.save(surface, str(path))
                shots.append(Shot(name, size, language, path, tuple(problems)))
    return shots


def main(argv: list[str] | None = None) -> int:
    """`python -m kiosk.ui.gallery OUT_DIR [--config PATH] [--size 800x480 ...]`: PNGs + checks."""
    import argparse

    from kiosk.config import ConfigError, load_config

    parser = argparse.ArgumentParser(prog="python -m kiosk.ui.gallery",
                                     description="Render every kiosk screen to PNG and check it")
    parser.add_argument("out_dir")
    parser.add_argument("--config", help="kiosk config file (default: built-in defaults)")
    parser.add_argument("--size", action="append", default=[],
                        help="WIDTHxHEIGHT, repeatable (default 800x480 and 480x800)")
    parser.add_argument("--language", action="append", choices=["de", "en"], default=[])
    parser.add_argument("--high-contrast", action="store_true")
    parser.add_argument("--large-text", action="store_true")
    args = parser.parse_args(argv)
    try:
        config = load_config(args.config) if args.config else Config()
        sizes = [tuple(int(v) for v in s.lower().split("x")) for s in args.size] or \
            [(800, 480), (480, 800)]
    except (ConfigError, ValueError) as exc:
        parser.error(str(exc))
    base = look_of(config.ui)
    chosen = Look(base.dpi, args.high_contrast or base.high_contrast,
                  args.large_text or base.large_text)
    shots = render_gallery(args.out_dir, config, sizes,  # type: ignore[arg-type]
                           args.language or ["de", "en"], look=chosen)
    bad = [(s, p) for s in shots for p in s.problems]
    for shot, problem in bad:
        print(f"{shot.path.name}: {problem}")
    print(f"{len(shots)} screens written to {args.out_dir}; {len(bad)} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
