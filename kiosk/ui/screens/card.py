"""Card-recognised screen: the masked card number, its current balance, and a balance slip."""

from __future__ import annotations

import pygame

from kiosk.flow_events import Action
from kiosk.ui.screens.common import Ctx, footer, header, label_value_rows, title
from kiosk.ui.widgets import Button, Widget


def build(ctx: Ctx) -> list[Widget]:
    session = ctx.state.session
    lay = ctx.layout
    widgets = header(ctx)
    # Only a card the API named can have its balance receipt printed; the button's own label
    # tells how the slip fared, so the balance keeps all its room.
    slip = bool(session.card_id)
    choices = [(ctx.t("button.cancel"), Action.CANCEL, "secondary")]
    if slip and lay.portrait:
        choices.append((_slip_label(ctx), Action.PRINT_BALANCE, "secondary"))
    choices.append((ctx.t("card.topup"), Action.CONTINUE, "primary"))
    buttons, rest = footer(ctx, choices)
    if slip and not lay.portrait:
        # Landscape: beside the title, so the two main buttons keep their width.
        width = round(rest.width * 0.32)
        height = max(lay.min_target, round(lay.px("title") * 1.25))
        spot = pygame.Rect(rest.right - width, rest.top, width, height)
        buttons.append(Button(spot, _slip_label(ctx), Action.PRINT_BALANCE, kind="secondary",
                              px=lay.px("button")))
        head, _ = title(ctx, pygame.Rect(rest.left, rest.top, rest.width - width - lay.gap,
                                         rest.height), "card.title", lines=1)
        top = max(head.rect.bottom, spot.bottom) + lay.gap
        rest = pygame.Rect(rest.left, top, rest.width, rest.bottom - top)
    else:
        head, rest = title(ctx, rest, "card.title", lines=1)
    widgets.append(head)
    balance = ctx.money(session.balance_cents) if session.balance_cents is not None else "–"
    widgets += label_value_rows(ctx, rest, [(ctx.t("card.number"), session.masked, "body"),
                                            (ctx.t("card.balance"), balance, "huge")])
    return widgets + buttons


def _slip_label(ctx: Ctx) -> str:
    session = ctx.state.session
    if session.balance_slip_pending:
        return ctx.t("card.slip_printing")
    if session.balance_slip is None:
        return ctx.t("card.balance_slip")
    return ctx.t("card.slip_printed" if session.balance_slip.ok else "card.slip_failed")
