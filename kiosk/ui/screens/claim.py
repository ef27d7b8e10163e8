"""Claim screen: the outcome is not settled on the spot; the customer keeps the reference."""

from __future__ import annotations

from kiosk.ui.screens.common import Ctx
from kiosk.ui.screens.result import result
from kiosk.ui.strings import has
from kiosk.ui.widgets import Widget


def build(ctx: Ctx) -> list[Widget]:
    session = ctx.state.session
    outcome = session.outcome
    reference = outcome.reference if outcome and outcome.reference else "–"
    lines = [ctx.t("claim.text")]
    if outcome and has(ctx.state.language, f"reason.{outcome.reason}"):
        lines.insert(0, ctx.t(f"reason.{outcome.reason}"))
    printed = session.printed
    if session.with_receipt and printed is None:
        lines.append(ctx.t("slip.printing"))
    elif session.with_receipt and printed is not None and printed.ok:
        lines.append(ctx.t("claim.slip"))
    else:
        lines.append(ctx.t("claim.write_down"))
    return result(ctx, "error", "claim.title", "\n".join(lines),
                  value_label=ctx.t("reference"), value=reference)
