"""Confirm screen: amount beside the current balance, masked card and how to pay."""

from __future__ import annotations

from kiosk.flow_events import Action
from kiosk.ui.screens.common import Ctx, footer, header, label_value_rows, title
from kiosk.ui.widgets import Widget


def build(ctx: Ctx) -> list[Widget]:
    session = ctx.state.session
    widgets = header(ctx)             # "Zurück" (to the amounts) is in the header
    buttons, rest = footer(ctx, [(ctx.t("confirm.go"), Action.CONFIRM, "primary")])
    head, rest = title(ctx, rest, "confirm.title", lines=1)
    widgets.append(head)
    amount = ctx.money(session.amount_cents) if session.amount_cents is not None else "–"
    balance = ctx.money(session.balance_cents) if session.balance_cents is not None else "–"
    widgets += label_value_rows(ctx, rest, [
        (ctx.t("confirm.amount"), amount, "huge"),
        (ctx.t("card.balance"), balance, "body"),
        (ctx.t("confirm.card"), session.masked, "body"),
        (ctx.t("confirm.payment"), _payment(ctx), "body"),
    ])
    return widgets + buttons


def _payment(ctx: Ctx) -> str:
    """How this top-up is paid: the cash way the customer chose, else by card (while a
    terminal takes cards) or the configured start type."""
    payment = ctx.state.session.payment
    if payment:
        return ctx.t(f"confirm.pay_{payment}")
    if not ctx.state.card_payment_ok:
        return ctx.t("oos.terminal")
    return ctx.t(f"confirm.pay_{ctx.settings.start_type}")
