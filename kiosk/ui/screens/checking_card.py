"""Checking-card screen: shown while the card system looks the card up."""

from __future__ import annotations

from kiosk.ui.screens.common import Ctx
from kiosk.ui.screens.waiting import waiting
from kiosk.ui.widgets import Widget


def build(ctx: Ctx) -> list[Widget]:
    return waiting(ctx, "checking_card.title", ctx.t("wait.moment"), ctx.state.session.masked)
