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
    printed = session.printed
    if session.with_receipt and printed is None:
        next_step = f"{ctx.t('slip.printing')} {ctx.t('claim.slip')}"
    elif session.with_receipt and printed is not None and printed.ok:
        next_step = ctx.t("claim.slip")
    else:
        next_step = ctx.t("claim.write_down")
    reference = outcome.reference if outcome and outcome.reference else ""
    return result(ctx, "info", "claim.title", f"{ctx.t('claim.text')}\n{next_step}",
                  reference=reference)
