"""Confirm screen: amount, masked card and how to pay, before any money moves."""

from __future__ import annotations

from kiosk.flow_events import Action
from kiosk.ui.screens.common import Ctx, footer, header, label_value_rows, title
from kiosk.ui.widgets import Widget


def build(ctx: Ctx) -> list[Widget]:
    session = ctx.state.session
    widgets = header(ctx)
    buttons, rest = footer(ctx, [(ctx.t("button.back"), Action.BACK, "secondary"),
                                 (ctx.t("confirm.go"), Action.CONFIRM, "primary")])
    head, rest = title(ctx, rest, "confirm.title", lines=1)
    widgets.append(head)
    amount = ctx.money(session.amount_cents) if session.amount_cents is not None else "–"
    widgets += label_value_rows(ctx, rest, [
        (ctx.t("confirm.amount"), amount, "huge"),
        (ctx.t("confirm.card"), session.masked, "body"),
        (ctx.t("confirm.payment"), ctx.t(f"confirm.pay_{ctx.settings.start_type}")
         if ctx.state.card_payment_ok else ctx.t("oos.terminal"), "body"),
    ])
    return widgets + buttons
