"""Till screen: "Bitte zahlen Sie 20,00 € an der Kasse", the short reference, waiting for a staff card."""

from __future__ import annotations

import pygame

from kiosk.flow_events import Action
from kiosk.ui.screens.common import Ctx, footer, header, paragraph, spinner, title
from kiosk.ui.widgets import Panel, Text, Widget


def build(ctx: Ctx) -> list[Widget]:
    lay, th = ctx.layout, ctx.theme
    session = ctx.state.session
    cash = session.cash
    widgets = header(ctx)
    buttons: list[Widget] = []
    rest = lay.body
    if not cash.finishing:
        buttons, rest = footer(ctx, [(ctx.t("button.cancel"), Action.CANCEL, "secondary")])
    amount = ctx.money(session.amount_cents or 0)
    head, rest = title(ctx, rest, ctx.t("till.title", amount=amount), raw=True)
    widgets.append(head)
    label_h = round(lay.px("small") * 1.3)
    box_h = min(rest.height // 2, round(lay.px("huge") * 1.3) + label_h + 2 * lay.gap)
    box_w = rest.width if lay.portrait else rest.width * 11 // 20
    box = pygame.Rect(rest.left, rest.top, box_w, box_h)
    inner = box.inflate(-2 * lay.gap, -lay.gap)
    widgets += [
        Panel(box, th.surface, th.outline, lay.radius),
        Text(pygame.Rect(inner.left, inner.top, inner.width, label_h), ctx.t("till.reference"),
             lay.px("small"), th.muted, max_lines=1, name="reference_label"),
        Text(pygame.Rect(inner.left, inner.top + label_h, inner.width, inner.height - label_h),
             cash.reference or "…", lay.px("huge"), th.text, bold=True, valign="middle",
             max_lines=1, name="reference"),
    ]
    if lay.portrait:
        text_area = pygame.Rect(rest.left, box.bottom + lay.gap, rest.width,
                                rest.bottom - box.bottom - lay.gap)
        spin_side = min(text_area.height // 3, round(lay.base * 0.2))
        spin = pygame.Rect(0, 0, spin_side, spin_side)
        spin.midbottom = text_area.midbottom
        text_area.height -= spin_side + lay.gap
    else:
        text_area = pygame.Rect(box.right + lay.gap, rest.top, rest.right - box.right - lay.gap,
                                rest.height)
        spin_side = min(box.height, round(lay.base * 0.2))
        spin = pygame.Rect(0, 0, spin_side, spin_side)
        spin.center = (box.centerx, box.bottom + (rest.bottom - box.bottom) // 2)
    widgets.append(paragraph(ctx, text_area, ctx.t("till.text") + "\n" + ctx.t("till.waiting"),
                             name="text"))
    widgets.append(spinner(ctx, spin))
    return widgets + buttons
