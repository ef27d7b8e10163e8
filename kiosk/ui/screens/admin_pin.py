"""Admin PIN screen: the PIN as dots, the keypad, and the guard's messages (wait, locked)."""

from __future__ import annotations

import math

from kiosk.flow import admin_wait_left
from kiosk.ui.screens.common import Ctx
from kiosk.ui.screens.pin_pad import pin_pad
from kiosk.ui.widgets import Widget


def build(ctx: Ctx) -> list[Widget]:
    admin = ctx.state.admin
    message = ""
    if admin.message == "admin.wait":
        message = ctx.t("admin.wait", seconds=math.ceil(admin_wait_left(ctx.state, ctx.now)))
    elif admin.message:
        message = ctx.t(admin.message)
    return pin_pad(ctx, "admin_pin.title", ctx.t("admin_pin.prompt"), len(admin.pin), message)
