"""Printing screen: the receipt is being printed."""

from __future__ import annotations

from kiosk.ui.screens.common import Ctx
from kiosk.ui.screens.waiting import waiting
from kiosk.ui.widgets import Widget


def build(ctx: Ctx) -> list[Widget]:
    return waiting(ctx, "printing.title", ctx.t("wait.moment"))
