"""Card-limit screen: the balance has reached the card group's limit, so no top-up fits."""

from __future__ import annotations

from kiosk.ui.screens.common import Ctx
from kiosk.ui.screens.result import result
from kiosk.ui.widgets import Widget


def build(ctx: Ctx) -> list[Widget]:
    session = ctx.state.session
    limit = ctx.money(session.limit_cents) if session.limit_cents is not None else "–"
    balance = ctx.money(session.balance_cents) if session.balance_cents is not None else "–"
    return result(ctx, "info", "card_limit.title", ctx.t("card_limit.message", limit=limit),
                  value_label=ctx.t("card_limit.balance"), value=balance)
