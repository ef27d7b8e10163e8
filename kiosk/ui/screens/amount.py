"""Amount screen: the configured preset amounts and "other amount"."""

from __future__ import annotations

import math

import pygame

from kiosk.flow_events import Action
from kiosk.flow_state import card_maximum
from kiosk.ui.layout import grid
from kiosk.ui.screens.common import Ctx, bottom_band, header, paragraph, title
from kiosk.ui.widgets import Button, Widget, equalize


def build(ctx: Ctx) -> list[Widget]:
    lay, th = ctx.layout, ctx.theme
    session = ctx.state.session
    widgets = header(ctx)
    # The bottom row, where "Guthaben aufladen" was, holds only the card's balance.
    rest, band = bottom_band(ctx, lay.body)
    if session.balance_cents is not None:
        widgets.append(paragraph(ctx, band, ctx.t("amount.balance", masked=session.masked,
                                                  balance=ctx.money(session.balance_cents)),
                                 role="small", color=th.muted, name="balance"))
    head, rest = title(ctx, rest, "amount.title")
    widgets.append(head)
    # Only what this card may still take (the card group's balance limit).
    largest = card_maximum(ctx.state, ctx.settings)
    presets = tuple(cents for cents in ctx.settings.presets if cents <= largest)
    count = len(presets) + 1
    columns = 2 if lay.portrait else min(count, 3 if count in (5, 6, 9) else 4)
    rows = math.ceil(count / columns)
    cell = min(round(lay.button_height * 2.0),
               (rest.height - (rows - 1) * lay.gap) // rows)
    cell = max(cell, lay.min_target)
    area = pygame.Rect(rest.left, rest.top, rest.width, rows * cell + (rows - 1) * lay.gap)
    cells = grid(area, count, columns, lay.gap, cell)
    for i, cents in enumerate(presets):
        widgets.append(Button(cells[i], ctx.money(cents), Action.AMOUNT, cents, kind="choice",
                              px=round(lay.px("title") * 1.1), default=i == 0))
    choices = [w for w in widgets if isinstance(w, Button) and w.action == Action.AMOUNT]
    equalize(choices)                 # all amounts in one size, however long the longest
    widgets.append(Button(cells[-1], ctx.t("amount.other"), Action.OTHER_AMOUNT,
                          kind="secondary", px=lay.px("button")))
    return widgets
