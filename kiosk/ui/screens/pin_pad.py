"""The layout every PIN screen shares: title, prompt, the PIN as dots, a message, the keypad."""

from __future__ import annotations

from kiosk.flow_events import Action
from kiosk.ui.layout import stack
from kiosk.ui.screens.common import Ctx, footer, header, paragraph, title, two_columns
from kiosk.ui.screens.keypad import keypad
from kiosk.ui.widgets import Panel, Text, Widget


def pin_pad(ctx: Ctx, title_key: str, prompt: str, digits: int, message: str, *,
            message_is_error: bool = True, back_key: str = "button.cancel",
            back_action: Action = Action.CANCEL) -> list[Widget]:
    """`digits` typed so far are shown as dots only: a PIN never appears on the screen."""
    lay, th = ctx.layout, ctx.theme
    widgets = header(ctx)
    back = [(ctx.t(back_key), back_action, "secondary")]
    if lay.portrait:
        buttons, rest = footer(ctx, back)
        info, pad_area = two_columns(ctx, rest, 0.42)
    else:
        info, pad_area = two_columns(ctx, lay.body, 0.48)
        buttons, info = footer(ctx, back, area=info)
        for b in buttons:
            b.rect.left = info.left
    head, rest = title(ctx, info, title_key, lines=1)
    widgets.append(head)
    prompt_r, display, below = stack(rest, [1, 1.6, 1.4], lay.gap)
    widgets.append(paragraph(ctx, prompt_r, prompt, name="prompt"))
    widgets.append(Panel(display, th.surface, th.primary, lay.radius))
    widgets.append(Text(display.inflate(-2 * lay.gap, -lay.gap), "●" * digits,
                        lay.px("title"), th.text, bold=True, align="center", valign="middle",
                        max_lines=1, name="pin"))
    if message:
        widgets.append(paragraph(ctx, below, message, role="small",
                                 color=th.error if message_is_error else th.muted,
                                 bold=message_is_error, name="message"))
    widgets += keypad(ctx, pad_area, ctx.t("button.ok"))
    return widgets + buttons
