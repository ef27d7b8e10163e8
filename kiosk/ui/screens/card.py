"""Card-recognised screen: the masked card number, its current balance, and a balance slip."""

from __future__ import annotations

import pygame

from kiosk.flow_events import Action
from kiosk.ui.screens.common import Ctx, footer, header, label_value_rows, paragraph, title
from kiosk.ui.widgets import Widget


def build(ctx: Ctx) -> list[Widget]:
    session = ctx.state.session
    widgets = header(ctx)
    choices = [(ctx.t("button.cancel"), Action.CANCEL, "secondary")]
    if session.card_id:
        # Only a card the API named can have its balance receipt printed.
        choices.append((ctx.t("card.balance_slip"), Action.PRINT_BALANCE, "secondary"))
    choices.append((ctx.t("card.topup"), Action.CONTINUE, "primary"))
    buttons, rest = footer(ctx, choices)
    head, rest = title(ctx, rest, "card.title", lines=1)
    widgets.append(head)
    balance = ctx.money(session.balance_cents) if session.balance_cents is not None else "–"
    slip = _slip_message(ctx)
    if slip:
        # The slip's line keeps its own strip below the balance, two small lines high.
        lay = ctx.layout
        strip = round(lay.px("small") * 2.8)
        area = pygame.Rect(rest.left, rest.bottom - strip, rest.width, strip)
        rest = pygame.Rect(rest.left, rest.top, rest.width, rest.height - strip - lay.gap)
    widgets += label_value_rows(ctx, rest, [(ctx.t("card.number"), session.masked, "body"),
                                            (ctx.t("card.balance"), balance, "huge")])
    if slip:
        failed = session.balance_slip is not None and not session.balance_slip.ok
        widgets.append(paragraph(ctx, area, slip, role="small",
                                 color=ctx.theme.error if failed else ctx.theme.muted,
                                 bold=failed, name="slip"))
    return widgets + buttons


def _slip_message(ctx: Ctx) -> str:
    session = ctx.state.session
    if session.balance_slip_pending:
        return ctx.t("card.slip_printing")
    if session.balance_slip is None:
        return ""
    return ctx.t("card.slip_printed" if session.balance_slip.ok else "card.slip_failed")
