"""Shared shape of result screens: icon, title, message, maybe a big value and the short
reference, one button."""

from __future__ import annotations

from dataclasses import replace

import pygame

from kiosk.flow_events import Action
from kiosk.shortref import short_reference
from kiosk.ui.screens.common import Ctx, footer, header, icon, paragraph, title
from kiosk.ui.widgets import Panel, Text, Widget


def result(ctx: Ctx, kind: str, title_key: str, message: str, *, value_label: str = "",
           value: str = "", button_key: str = "button.ok",
           action: Action = Action.FINISH, value_lines: int = 1,
           title_text: str = "", reference: str = "") -> list[Widget]:
    """`title_text`, when given, is shown instead of the catalog's `title_key`; `reference`:
    the top-up's full reference, its short code shown in body text size under the message (the
    code people read out, never the UUID)."""
    lay, th = ctx.layout, ctx.theme
    widgets = header(ctx)
    buttons: list[Widget] = []
    rest = lay.body
    if button_key:
        buttons, rest = footer(ctx, [(ctx.t(button_key), action, "primary")], share=0.3)
        # Bottom left: a double tap on the previous screen's primary button (bottom right)
        # must not land on "finish".
        buttons[0].rect.left = lay.body.left
    side = min(round(lay.px("title") * 1.8), rest.height // 4)
    widgets.append(icon(ctx, pygame.Rect(rest.left, rest.top, side, side), kind))
    head, _ = title(ctx, pygame.Rect(rest.left + side + lay.gap, rest.top,
                                     rest.width - side - lay.gap, rest.height),
                    title_text or title_key, lines=3 if lay.portrait else 2,
                    raw=bool(title_text))
    widgets.append(head)
    top = max(head.rect.bottom, rest.top + side) + lay.gap
    area = pygame.Rect(rest.left, top, rest.width, rest.bottom - top)
    if value:
        # The figure first (it is what the customer came for): the message keeps room for
        # two lines of normal-size text and the label its normal height whatever the mode,
        # so large text never leaves the figure less room than normal text does.
        normal = replace(lay, large_text=False)
        keep = round(normal.px("body") * 2.5)
        wanted = round(lay.px("huge") * 1.6 + lay.px("small") * 1.4 + 3 * lay.gap)
        if lay.portrait or not buttons:
            box = pygame.Rect(area.left, area.top, area.width,
                              min(area.height * 3 // 5, area.height - keep, wanted))
            area = pygame.Rect(area.left, box.bottom + lay.gap, area.width,
                               area.bottom - box.bottom - lay.gap)
        else:
            # Landscape: the value above "finish" on the left, the message down the right.
            box = pygame.Rect(area.left, area.top, area.width // 2, min(area.height, wanted))
            area = pygame.Rect(box.right + 2 * lay.gap, area.top,
                               lay.body.right - box.right - 2 * lay.gap,
                               lay.body.bottom - area.top)
        widgets.append(Panel(box, th.surface, th.outline, lay.radius))
        inner = box.inflate(-2 * lay.gap, -lay.gap)
        label_h = round(normal.px("small") * 1.3)
        widgets.append(Text(pygame.Rect(inner.left, inner.top, inner.width, label_h),
                            value_label, lay.px("small"), th.muted, max_lines=1,
                            name="value_label"))
        widgets.append(Text(pygame.Rect(inner.left, inner.top + label_h, inner.width,
                                        inner.height - label_h), value, lay.px("huge"),
                            th.text, bold=True, valign="middle", max_lines=value_lines,
                            name="value"))
    if reference:
        line_h = round(lay.px("body") * 1.4)
        line = pygame.Rect(area.left, area.bottom - line_h, area.width, line_h)
        widgets.append(Text(line, ctx.t("reference.line", code=short_reference(reference)),
                            lay.px("body"), th.text, bold=True, valign="bottom", max_lines=1,
                            name="reference"))
        area = pygame.Rect(area.left, area.top, area.width, line.top - lay.gap - area.top)
    widgets.append(paragraph(ctx, area, message, name="message"))
    return widgets + buttons
