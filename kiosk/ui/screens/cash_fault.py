"""Cash-fault screen: why the cash payment ended (a validator fault, cancel, timeout) and what became of the money."""

from __future__ import annotations

from kiosk.flow_cash_events import CashOutcome
from kiosk.ui.screens.common import Ctx
from kiosk.ui.screens.result import result
from kiosk.ui.strings import has
from kiosk.ui.widgets import Widget


def outcome_key(ctx: Ctx, o: CashOutcome) -> str:
    """The catalog entry for this end: the fault's own, a till's own, else the kind's."""
    payment = ctx.state.session.payment
    for key in (o.fault, f"{payment}_{o.kind}", o.kind):
        if key and has(ctx.state.language, f"cash_end.{key}.title"):
            return key
    return "refused"


def build(ctx: Ctx) -> list[Widget]:
    o = ctx.state.session.cash_outcome or CashOutcome("refused")
    key = outcome_key(ctx, o)
    lines = [ctx.t(f"cash_end.{key}.text")]
    if o.credited and o.total_cents:
        lines.append(ctx.t("cash_end.credited", amount=ctx.money(o.total_cents)))
    elif not o.total_cents and not o.uncertain_cents and key != "till_refused":
        lines.append(ctx.t("cash_end.nothing"))
    if o.uncertain_cents:
        lines.append(ctx.t("cash_end.uncertain", amount=ctx.money(o.uncertain_cents)))
    if o.out_of_service:
        lines.append(ctx.t("cash_end.out_of_service"))
    kind = "info" if o.kind in ("cancelled", "timeout") else "error"
    return result(ctx, kind, f"cash_end.{key}.title", "\n".join(lines),
                  value_label=ctx.t("reference") if o.reference and o.total_cents else "",
                  value=o.reference if o.total_cents else "", value_lines=2)
