"""Out-of-service screen: the kiosk cannot serve (API, reader, start-up); it clears by itself."""

from __future__ import annotations

from kiosk.ui.screens.common import Ctx
from kiosk.ui.screens.result import result
from kiosk.ui.widgets import Widget


def build(ctx: Ctx) -> list[Widget]:
    state = ctx.state
    lines = [ctx.t("out_of_service.text")]
    if state.recovering:
        lines.append(ctx.t("oos.recovering"))
    if not state.api_ok:
        lines.append(ctx.t("oos.api"))
    if not state.reader_ok:
        lines.append(ctx.t("oos.reader"))
    if state.no_payment_left:
        lines.append(ctx.t("oos.terminal"))
    if not state.clock_ok:
        lines.append(ctx.t("oos.clock"))
    if not state.journal_ok:
        # For the operator (path and cause); the customer reads the lines above.
        lines.append(f"{ctx.t('oos.journal')} {state.journal_detail}".strip())
    return result(ctx, "info", "out_of_service.title", "\n".join(lines), button_key="")
