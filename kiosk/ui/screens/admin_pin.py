"""Admin PIN screen: the PIN as dots, the keypad, and the guard's messages (wait, locked)."""

from __future__ import annotations

import math

from kiosk.flow import admin_wait_left
from kiosk.flow_events import Action
from kiosk.ui.layout import stack
from kiosk.ui.screens.common import Ctx, footer, header, paragraph, title, two_columns
from kiosk.ui.screens.keypad import keypad
from kiosk.ui.widgets import Panel, Text, Widget


def build(ctx: Ctx) -> list[Widget]:
    lay, th = ctx.layout, ctx.theme
    admin = ctx.state.admin
    widgets = header(ctx)
    if lay.portrait:
        buttons, rest = footer(ctx, [(ctx.t("button.cancel"), Action.CANCEL, "secondary")])
        info, pad_area = two_columns(ctx, rest, 0.42)
    else:
        info, pad_area = two_columns(ctx, lay.body, 0.48)
        buttons, info = footer(ctx, [(ctx.t("button.cancel"), Action.CANCEL, "secondary")],
                               area=info)
        for b in buttons:
            b.rect.left = info.left
    head, rest = title(ctx, info, "admin_pin.title", lines=1)
    widgets.append(head)
    prompt, display, below = stack(rest, [1, 1.6, 1.4], lay.gap)
    widgets.append(paragraph(ctx, prompt, ctx.t("admin_pin.prompt"), name="prompt"))
    widgets.append(Panel(display, th.surface, th.primary, lay.radius))
    widgets.append(Text(display.inflate(-2 * lay.gap, -lay.gap), "●" * len(admin.pin),
                        lay.px("title"), th.text, bold=True, align="center", valign="middle",
                        max_lines=1, name="pin"))
    message = ""
    if admin.message == "admin.wait":
        message = ctx.t("admin.wait", seconds=math.ceil(admin_wait_left(ctx.state, ctx.now)))
    elif admin.message:
        message = ctx.t(admin.message)
    if message:
        widgets.append(paragraph(ctx, below, message, role="small", color=th.error, bold=True,
                                 name="message"))
    widgets += keypad(ctx, pad_area, ctx.t("button.ok"))
    return widgets + buttons
