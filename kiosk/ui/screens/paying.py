"""Paying screen: the top-up runs; for cashless the customer follows the card terminal."""

from __future__ import annotations

from kiosk.ui.screens.common import Ctx
from kiosk.ui.screens.waiting import waiting
from kiosk.ui.widgets import Widget


def build(ctx: Ctx) -> list[Widget]:
    kind = ctx.settings.start_type
    amount = ctx.state.session.amount_cents
    extra = f"{ctx.t('confirm.amount')}: {ctx.money(amount)}" if amount is not None else ""
    return waiting(ctx, f"paying.title_{kind}", ctx.t(f"paying.text_{kind}"), extra)
