"""Checking-printer screen: the printer is asked for paper before anyone pays."""

from __future__ import annotations

from kiosk.ui.screens.common import Ctx
from kiosk.ui.screens.waiting import waiting
from kiosk.ui.widgets import Widget


def build(ctx: Ctx) -> list[Widget]:
    return waiting(ctx, "checking_printer.title", ctx.t("checking_printer.text"))
