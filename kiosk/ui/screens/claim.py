"""Claim screen: the outcome is not settled on the spot; the customer keeps the reference."""

from __future__ import annotations

from kiosk.ui.screens.common import Ctx
from kiosk.ui.screens.result import result
from kiosk.ui.widgets import Widget


def build(ctx: Ctx) -> list[Widget]:
    # Calm and to the point: reassurance, then exactly what to do. The technical reason is on
    # the claim slip and in the journal for the staff; the customer cannot act on it.
    session = ctx.state.session
    outcome = session.outcome
    reference = outcome.reference if outcome and outcome.reference else "–"
    lines = [ctx.t("claim.text")]
    printed = session.printed
    if session.with_receipt and printed is None:
        lines += [ctx.t("slip.printing"), ctx.t("claim.slip")]
    elif session.with_receipt and printed is not None and printed.ok:
        lines.append(ctx.t("claim.slip"))
    else:
        lines.append(ctx.t("claim.write_down"))
    return result(ctx, "info", "claim.title", "\n".join(lines),
                  value_label=ctx.t("reference"), value=reference,
                  value_lines=2)  # a UUID breaks after a hyphen rather than shrink
