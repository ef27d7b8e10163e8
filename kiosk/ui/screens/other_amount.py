"""Other-amount screen: whole euros typed on the keypad, within the configured limits."""

from __future__ import annotations

import pygame

from kiosk.flow_events import Action
from kiosk.ui.screens.common import Ctx, footer, header, paragraph, title, two_columns
from kiosk.ui.screens.keypad import keypad
from kiosk.ui.widgets import Panel, Text, Widget


def build(ctx: Ctx) -> list[Widget]:
    lay, th, cfg = ctx.layout, ctx.theme, ctx.settings
    session = ctx.state.session
    widgets = header(ctx)
    if lay.portrait:
        buttons, rest = footer(ctx, [(ctx.t("button.back"), Action.BACK, "secondary")])
        info, pad_area = two_columns(ctx, rest, 0.42)
    else:
        info, pad_area = two_columns(ctx, lay.body, 0.48)
        buttons, info = footer(ctx, [(ctx.t("button.back"), Action.BACK, "secondary")],
                               area=info)
        for b in buttons:
            b.rect.left = info.left     # "back" sits under the entry, on the left
    head, rest = title(ctx, info, "other.title", lines=1)
    widgets.append(head)
    display_h = max(lay.min_target, round(lay.px("huge") * 1.5))
    display = pygame.Rect(rest.left, rest.top, rest.width, display_h)
    widgets.append(Panel(display, th.surface, th.primary, lay.radius))
    shown = ctx.money(int(session.typed) * 100) if session.typed else ctx.money(0)
    widgets.append(Text(display.inflate(-2 * lay.gap, -lay.gap), shown, lay.px("huge"),
                        th.text if session.typed else th.muted, bold=True, align="right",
                        valign="middle", max_lines=1, name="entry"))
    below = pygame.Rect(rest.left, display.bottom + lay.gap, rest.width,
                        rest.bottom - display.bottom - lay.gap)
    values = {"minimum": ctx.money(cfg.minimum_cents), "maximum": ctx.money(cfg.maximum_cents)}
    message = ctx.t(f"other.{session.entry_error}", **values) if session.entry_error else \
        ctx.t("other.hint", **values)
    widgets.append(paragraph(ctx, below, message, role="small",
                             color=th.error if session.entry_error else th.muted,
                             bold=bool(session.entry_error), name="hint"))
    widgets += keypad(ctx, pad_area, ctx.t("button.ok"))
    return widgets + buttons
