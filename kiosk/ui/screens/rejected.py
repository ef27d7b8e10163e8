"""Card-rejected screen: why this card cannot be topped up, in plain words."""

from __future__ import annotations

from kiosk.ui.screens.common import Ctx
from kiosk.ui.screens.result import result
from kiosk.ui.widgets import Widget


def build(ctx: Ctx) -> list[Widget]:
    session = ctx.state.session
    reason = session.problem.value if session.problem else "unknown"
    message = ctx.t(f"reject.{reason}")
    if session.masked:
        # No-break spaces: a narrow screen must not split the card number across lines.
        number = session.masked.replace(" ", "\u00a0")
        message = f"{message}\n{ctx.t('card.number')}: {number}"
    return result(ctx, "error", "rejected.title", message)
