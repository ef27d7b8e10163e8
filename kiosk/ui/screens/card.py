"""Card-recognised screen: the masked card number, its current balance, and a balance slip."""

from __future__ import annotations

from kiosk.flow_events import Action
from kiosk.ui.screens.common import Ctx, footer, header, label_value_rows, title
from kiosk.ui.widgets import Widget


def build(ctx: Ctx) -> list[Widget]:
    session = ctx.state.session
    widgets = header(ctx)             # "Zurück" (to the start) is in the header
    choices = []
    if session.card_id:
        # Only a card the API named can have its balance receipt printed; the button's own
        # label tells how the slip fared, so the balance keeps all its room.
        choices.append((_slip_label(ctx), Action.PRINT_BALANCE, "secondary"))
    choices.append((ctx.t("card.topup"), Action.CONTINUE, "primary"))
    buttons, rest = footer(ctx, choices)
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
