"""Card-recognised screen: the masked card number and its current balance."""

from __future__ import annotations

from kiosk.flow_events import Action
from kiosk.ui.screens.common import Ctx, footer, header, label_value_rows, title
from kiosk.ui.widgets import Widget


def build(ctx: Ctx) -> list[Widget]:
    session = ctx.state.session
    widgets = header(ctx)             # "Zurück" (to the start) is in the header
    buttons, rest = footer(ctx, [(ctx.t("card.topup"), Action.CONTINUE, "primary")])
    head, rest = title(ctx, rest, "card.title", lines=1)
    widgets.append(head)
    balance = ctx.money(session.balance_cents) if session.balance_cents is not None else "–"
    widgets += label_value_rows(ctx, rest, [(ctx.t("card.number"), session.masked, "body"),
                                            (ctx.t("card.balance"), balance, "huge")])
    return widgets + buttons
