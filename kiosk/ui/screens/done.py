"""Done screen: "20,00 € aufgeladen", the new balance large, and "take your receipt" (or the
reference when there is none)."""

from __future__ import annotations

from kiosk.ui.screens.common import Ctx
from kiosk.ui.screens.result import result
from kiosk.ui.widgets import Widget


def build(ctx: Ctx) -> list[Widget]:
    session = ctx.state.session
    outcome = session.outcome
    reference = ""     # shown (as the short code) only when there is no receipt to carry it
    if not session.with_receipt:
        message, reference = ctx.t("done.no_receipt"), outcome.reference if outcome else ""
    elif session.printed is not None and not session.printed.ok:
        message, reference = ctx.t("done.print_failed"), outcome.reference if outcome else ""
    else:
        message = ctx.t("done.take_receipt")
    balance = outcome.new_balance_cents if outcome else None
    amount = session.amount_cents
    heading = ctx.t("done.topped_up", amount=ctx.money(amount)) if amount else ""
    return result(ctx, "ok", "done.title", message,
                  value_label=ctx.t("done.balance") if balance is not None else "",
                  value=ctx.money(balance) if balance is not None else "",
                  button_key="button.finish", title_text=heading, reference=reference)
