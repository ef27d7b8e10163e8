"""Not-charged screen: the top-up did not happen and nothing was charged (or it was reversed)."""

from __future__ import annotations

from kiosk.ui.screens.common import Ctx
from kiosk.ui.screens.result import result
from kiosk.ui.strings import has
from kiosk.ui.widgets import Widget


def build(ctx: Ctx) -> list[Widget]:
    # One calm sentence of what happened (the reason, when it has words for the customer),
    # one of what to do; the short reference for the staff.
    session = ctx.state.session
    outcome = session.outcome
    kind = outcome.kind if outcome else "unreachable"
    if outcome and has(ctx.state.language, f"reason.{outcome.reason}"):
        happened = ctx.t(f"reason.{outcome.reason}")
    else:
        happened = ctx.t(f"not_charged.{kind}")
    printed = session.printed
    if kind == "not_charged" and session.with_receipt and printed is None:
        next_step = ctx.t("slip.printing")
    elif kind == "not_charged" and session.with_receipt and printed.ok:  # type: ignore[union-attr]
        next_step = ctx.t("not_charged.slip")
    else:
        next_step = ctx.t(f"not_charged.next_{kind}")
    reference = outcome.reference if outcome and outcome.reference else ""
    return result(ctx, "info", "not_charged.title", f"{happened}\n{next_step}",
                  reference=reference)
