"""Not-charged screen: the top-up did not happen and nothing was charged (or it was reversed)."""

from __future__ import annotations

from kiosk.ui.screens.common import Ctx
from kiosk.ui.screens.result import result
from kiosk.ui.strings import has
from kiosk.ui.widgets import Widget


def build(ctx: Ctx) -> list[Widget]:
    session = ctx.state.session
    outcome = session.outcome
    kind = outcome.kind if outcome else "unreachable"
    lines = [ctx.t(f"not_charged.{kind}")]
    if outcome and has(ctx.state.language, f"reason.{outcome.reason}"):
        reason = ctx.t(f"reason.{outcome.reason}")
        if reason not in lines[0]:      # "unreachable" already says the same sentence
            lines.append(reason)
    if kind == "not_charged" and session.with_receipt:
        printed = session.printed
        if printed is None:
            lines.append(ctx.t("slip.printing"))
        elif printed.ok:
            lines.append(ctx.t("not_charged.slip"))
    reference = outcome.reference if outcome and outcome.reference else ""
    return result(ctx, "info", "not_charged.title", "\n".join(lines),
                  value_label=ctx.t("reference") if reference else "", value=reference,
                  value_lines=2)  # a UUID breaks after a hyphen rather than shrink
