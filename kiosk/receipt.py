"""Receipt documents: kiosk header + the API's receipt lines + footer, and the problem slips."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Iterable, Sequence

from hardware.printer import layout
from hardware.printer.escpos import (
    Align,
    Blank,
    Block,
    Cut,
    Document,
    NameValue,
    QrCode,
    Rule,
    Text,
)
from kiosk.cards import mask_card, mask_card_numbers_in_text, mask_last4
from kiosk.config import KioskConfig
from kiosk.money import format_amount
from kiosk.receipt_text import receipt_text
from kiosk.secuconnect.models import ReceiptLine, bound_receipt
from kiosk.shortref import short_reference

log = logging.getLogger(__name__)

COPY_MARK = "KOPIE / COPY"
DEFAULT_SUPPORT = "Bitte wenden Sie sich an das Personal. / Please ask the staff."

# The API's decorations (the old SDK spellings with an underscore are the same thing).
_ALIGNS = {
    "align-left": Align.LEFT, "align_left": Align.LEFT,
    "align-center": Align.CENTER, "align_center": Align.CENTER,
    "align-right": Align.RIGHT, "align_right": Align.RIGHT,
}
_IMPORTANT = "important"
_KNOWN_DECORATIONS = frozenset(_ALIGNS) | {_IMPORTANT}


def topup_receipt(
    kiosk: KioskConfig,
    *,
    when: datetime,
    lines: Sequence[ReceiptLine],
    stx_id: str,
    reference: str,
    amount: int,
    currency: str,
    start_type: str,
    language: str = "de",
    copy: bool = False,
    paid_cash: bool = False,
) -> Document:
    """The customer's receipt for a confirmed top-up; `copy` marks a reprint, `paid_cash` cash
    the kiosk took (note validator or staff-confirmed at the till).

    The kiosk's own lines (merchant, what was topped up and how it was paid, the short
    reference, the VAT note) are in the customer's `language`; the API's lines follow exactly
    as sent (card numbers masked); the technical ids close it in one plain last line each.
    """
    t = lambda key: receipt_text(language, key)  # noqa: E731 - a local shorthand
    blocks: list[Block] = _merchant(kiosk)
    blocks += _support(kiosk, required=False)
    blocks += [
        Blank(),
        NameValue(t("kiosk"), kiosk.id),
        NameValue(t("date"), when.strftime("%d.%m.%Y %H:%M:%S")),
        NameValue(t("topped_up"), format_amount(amount, currency), bold=True),
        # Notes taken by the kiosk's validator or confirmed by staff: "paid in cash", not
        # "cash" (which, at a kiosk without cash handling, would mean "pay at the till").
        NameValue(t("payment"), t("pay_cash_paid") if paid_cash else t(f"pay_{start_type}")),
        NameValue(t("reference"), short_reference(reference), bold=True),
    ]
    if copy:
        blocks += _copy_mark()
    api = api_lines(lines)
    # One rule between the kiosk's lines and the API's (which often open with a separator).
    blocks += (api if api[:1] == [Rule()] else [Rule()] + api) + [Rule()]
    vat_note = kiosk.vat_note or t("vat_note")
    if vat_note != "-":
        blocks.append(Text(vat_note))
    blocks += [QrCode(reference), Text(t("thanks"), bold=True, align=Align.CENTER)]
    if copy:
        blocks += _copy_mark()
    blocks += [Blank(), Text(stx_id), Text(reference)]
    blocks.append(Cut())
    return Document(tuple(blocks))


def balance_slip(
    kiosk: KioskConfig,
    *,
    when: datetime,
    card_number: str,
    header: Sequence[ReceiptLine],
    lines: Sequence[ReceiptLine],
    balance: int,
    currency: str,
) -> Document:
    """A balance enquiry (getCardBalanceReceipt): the API's lines, or its balance when it
    sent none. Everything on it is the server's; the kiosk adds no figure of its own."""
    blocks = _slip_heading(kiosk, when, "GUTHABEN", "BALANCE",
                           "Keine Aufladung, nur Auskunft über Ihr Guthaben.",
                           "No top-up, only information on your balance.")
    blocks.append(NameValue("Karte / Card:", mask_card(card_number)))
    blocks += api_lines(header)
    if lines:
        blocks += api_lines(lines)
    else:
        blocks += [Blank(), NameValue("Guthaben / Balance:", format_amount(balance, currency),
                                      bold=True)]
    blocks.append(Blank())
    blocks += _support(kiosk, required=False)
    blocks.append(Cut())
    return Document(tuple(blocks))


def not_charged_slip(
    kiosk: KioskConfig,
    *,
    when: datetime,
    reference: str,
    amount: int,
    currency: str,
    card_number: str,
    reason: str,
) -> Document:
    """The top-up did not happen and the customer's money was not taken (or was given back)."""
    blocks = _slip_heading(
        kiosk, when, "NICHT BELASTET", "NOT CHARGED",
        "Die Aufladung wurde nicht ausgeführt. Ihnen wurde nichts berechnet.",
        "The top-up was not carried out. You have not been charged.",
    )
    blocks += [
        NameValue("Betrag / Amount:", format_amount(amount, currency)),
    ]
    if card_number:
        blocks.append(NameValue("Karte / Card:", mask_card(card_number)))
    blocks.append(NameValue("Grund / Reason:", mask_card_numbers_in_text(reason)))
    blocks.append(Rule())
    blocks += _reference(reference)
    blocks += _support(kiosk, required=False)
    blocks.append(Cut())
    return Document(tuple(blocks))


def claim_slip(
    kiosk: KioskConfig,
    *,
    when: datetime,
    reference: str,
    amount: int,
    currency: str,
    card_number: str,
    reason_code: str,
) -> Document:
    """A top-up that could not be settled on the spot: what support needs to settle it."""
    blocks = _slip_heading(
        kiosk, when, "KLÄRUNGSBELEG", "CLAIM SLIP",
        "Die Aufladung konnte nicht sofort abgeschlossen werden. Bitte bewahren Sie "
        "diesen Beleg auf und wenden Sie sich an den Support.",
        "The top-up could not be completed on the spot. Please keep this slip and "
        "contact support.",
    )
    blocks += [
        NameValue("Betrag / Amount:", format_amount(amount, currency), bold=True),
        NameValue("Karte / Card:", mask_last4(card_number) if card_number else "-"),
        NameValue("Code:", reason_code, bold=True),
        Rule(),
    ]
    blocks += _reference(reference)
    blocks += _support(kiosk, required=True)
    blocks.append(Cut())
    return Document(tuple(blocks))


def cash_slip(
    kiosk: KioskConfig,
    *,
    when: datetime,
    reference: str,
    amount: int,
    currency: str,
    card_masked: str,
    uncertain: Sequence[int] = (),
    claim: bool = False,
) -> Document:
    """Notes taken by the validator that are not on the card (yet): what the kiosk owes.

    `claim`: the top-up's outcome is still being checked; otherwise it certainly did not run.
    `uncertain`: cents of jammed notes whose fate the engineer settles from the cashbox.
    """
    if claim:
        title = ("KLÄRUNGSBELEG", "CLAIM SLIP",
                 "Ihr Bargeld ist eingezahlt; die Gutschrift wird geprüft.",
                 "Your cash was paid in; the top-up is being checked.")
    else:
        title = ("BARGELD EINGEZAHLT", "CASH PAID IN",
                 f"{format_amount(amount, currency)} eingezahlt, noch nicht gutgeschrieben.",
                 f"{format_amount(amount, currency)} paid in, not yet credited.")
    blocks = _slip_heading(kiosk, when, *title)
    blocks += [NameValue("Betrag / Amount:", format_amount(amount, currency), bold=True),
               NameValue("Karte / Card:", card_masked)]
    for cents in uncertain:
        blocks.append(NameValue("Ungewiss / Uncertain:", format_amount(cents, currency)))
    blocks.append(Rule())
    blocks += _reference(reference)
    blocks += _support(kiosk, required=True)
    blocks.append(Cut())
    return Document(tuple(blocks))


def _slip_heading(kiosk: KioskConfig, when: datetime, title_de: str, title_en: str,
                  text_de: str, text_en: str) -> list[Block]:
    """Header, then a bilingual title and explanation: how every slip that is no receipt opens."""
    return _header(kiosk, when) + [
        Rule(),
        Text(title_de, bold=True, width=2, height=2, align=Align.CENTER),
        Text(title_en, bold=True, align=Align.CENTER),
        Blank(),
        Text(text_de),
        Blank(),
        Text(text_en),
        Blank(),
    ]


def render_text(document: Document, columns: int) -> str:
    """Plain-text preview of a document as it prints (for the CLI and for logs)."""
    return layout.render_text(document, columns)


def api_lines(lines: Iterable[ReceiptLine]) -> list[Block]:
    """The API's receipt[] as blocks; every text scrubbed of card numbers, unknown types skipped.

    Bounded like a parsed answer (bound_receipt), also for lines that did not come through
    the parser: a journal row written before the bound, or a caller's own lines.
    """
    blocks: list[Block] = []
    for line in bound_receipt(lines):
        unknown = [d for d in line.decorations if d not in _KNOWN_DECORATIONS]
        if unknown:
            log.debug("receipt line: ignoring unknown decorations %s", unknown)
        important = _IMPORTANT in line.decorations
        align = next((_ALIGNS[d] for d in line.decorations if d in _ALIGNS), Align.LEFT)
        if line.type == "separator":
            blocks.append(Rule())
            if line.caption:
                blocks.append(Text(_scrub(line.caption), bold=True, align=Align.CENTER))
        elif line.type == "name-value":
            blocks.append(NameValue(_scrub(line.name), _scrub(line.value), bold=important))
        elif line.type == "textline":
            size = 2 if important else 1
            blocks.append(Text(_scrub(line.text), bold=important, width=size, height=size,
                               align=align))
        elif line.type == "space":
            blocks.append(Blank())
        else:
            log.info("receipt line of unknown type %r skipped", line.type)
    return blocks


def _scrub(text: str) -> str:
    return mask_card_numbers_in_text(text)


def _merchant(kiosk: KioskConfig) -> list[Block]:
    blocks: list[Block] = [
        Text(kiosk.merchant_name, bold=True, width=2, height=2, align=Align.CENTER),
    ]
    return blocks + [Text(line, align=Align.CENTER) for line in kiosk.merchant_address]


def _header(kiosk: KioskConfig, when: datetime) -> list[Block]:
    return _merchant(kiosk) + [
        Blank(),
        NameValue("Kiosk:", kiosk.id),
        NameValue("Datum:", when.strftime("%d.%m.%Y %H:%M:%S")),
    ]


def _copy_mark() -> list[Block]:
    return [Blank(), Text(COPY_MARK, bold=True, width=2, height=2, align=Align.CENTER), Blank()]


def _reference(reference: str) -> list[Block]:
    """The short reference people read out, the full one support searches the API by, its QR."""
    return [NameValue("Referenz / Reference:", short_reference(reference), bold=True),
            NameValue("Ref.:", reference), QrCode(reference)]


def _support(kiosk: KioskConfig, *, required: bool) -> list[Block]:
    text = kiosk.support_line or (DEFAULT_SUPPORT if required else "")
    return [Text(text, align=Align.CENTER)] if text else []
