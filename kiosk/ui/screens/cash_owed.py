"""Cash-owed screen: notes were taken but not credited; the slip "eingezahlt, noch nicht gutgeschrieben"."""

from __future__ import annotations

from kiosk.flow_cash_events import CashOutcome
from kiosk.ui.screens.common import Ctx
from kiosk.ui.screens.result import result
from kiosk.ui.widgets import Widget


def build(ctx: Ctx) -> list[Widget]:
    o = ctx.state.session.cash_outcome or CashOutcome("owed")
    amount = ctx.money(o.total_cents)
    text_key = "cash_owed.claim_text" if o.kind == "claim" else "cash_owed.text"
    lines = [ctx.t(text_key, amount=amount)]
    if o.uncertain_cents:
        lines.append(ctx.t("cash_end.uncertain", amount=ctx.money(o.uncertain_cents)))
    if o.printed is not None and not o.printed.ok:
        lines.append(ctx.t("cash_owed.no_slip"))
    if o.out_of_service:
        lines.append(ctx.t("cash_end.out_of_service"))
    return result(ctx, "info", "cash_owed.title", "\n".join(lines),
                  value_label=ctx.t("reference"), value=o.reference, value_lines=2)
