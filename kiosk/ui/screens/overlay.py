"""Sheets over a customer screen: the idle countdown, and "use the other card?"."""

from __future__ import annotations

import pygame

from kiosk.cards import mask_card
from kiosk.flow import Settings, State, countdown
from kiosk.flow_events import Action
from kiosk.ui.layout import stack
from kiosk.ui.screens.common import Ctx, header, paragraph
from kiosk.ui.widgets import Button, Panel, Text, Widget, equalize


def overlay_kind(state: State, settings: Settings, now: float) -> str:
    """Which sheet covers the screen: "countdown", "second_card" or "" (none)."""
    if countdown(state, settings, now) is not None:
        return "countdown"
    if state.session.second_card:
        return "second_card"
    return ""


def build(ctx: Ctx) -> list[Widget]:
    """The header, and the sheet over the whole body: nothing of the screen below is tappable."""
    lay, th = ctx.layout, ctx.theme
    widgets = header(ctx)
    sheet = lay.body.inflate(lay.margin, lay.margin // 2)
    widgets.append(Panel(sheet, th.surface, th.primary, lay.radius))
    inner = sheet.inflate(-2 * lay.margin, -lay.margin)
    if overlay_kind(ctx.state, ctx.settings, ctx.now) == "countdown":
        return widgets + _countdown(ctx, inner)
    return widgets + _second_card(ctx, inner)


def _countdown(ctx: Ctx, area: pygame.Rect) -> list[Widget]:
    lay, th = ctx.layout, ctx.theme
    seconds = countdown(ctx.state, ctx.settings, ctx.now)
    head, number, text, row = stack(area, [1.0, 2.0, 1.0, 1.2], lay.gap)
    share = 0.8 if lay.portrait else 0.5
    button = pygame.Rect(0, 0, min(row.width, max(lay.min_target * 4, int(row.width * share))),
                         min(row.height, lay.button_height))
    button.center = row.center
    return [
        Text(head, ctx.t("countdown.title"), lay.px("title"), th.text, bold=True,
             align="center", valign="middle", max_lines=2, name="title"),
        Text(number, str(seconds), round(lay.px("huge") * 1.8), th.error, bold=True,
             align="center", valign="middle", max_lines=1, name="countdown"),
        paragraph(ctx, text, ctx.t("countdown.text", seconds=seconds), align="center",
                  name="countdown_text"),
        Button(button, ctx.t("countdown.stay"), Action.STAY, kind="primary",
               px=lay.px("button"), default=True, name="stay"),
    ]


def _second_card(ctx: Ctx, area: pygame.Rect) -> list[Widget]:
    lay, th = ctx.layout, ctx.theme
    session = ctx.state.session
    head, text, row = stack(area, [1.2, 1.6, 1.2], lay.gap)
    # No-break spaces: a masked number must not break across lines.
    values = {"other": mask_card(session.second_card).replace(" ", "\u00a0"),
              "current": session.masked.replace(" ", "\u00a0")}
    if lay.portrait:
        h = min(lay.button_height, (row.height - lay.gap) // 2)
        keep = pygame.Rect(row.left, row.top, row.width, h)
        use = pygame.Rect(row.left, keep.bottom + lay.gap, row.width, h)
    else:
        w = (row.width - lay.gap) // 2
        h = min(row.height, lay.button_height)
        keep = pygame.Rect(row.left, row.centery - h // 2, w, h)
        use = pygame.Rect(keep.right + lay.gap, keep.top, w, h)
    buttons = equalize([
        Button(keep, ctx.t("second_card.keep"), Action.KEEP_CARD, kind="choice",
               px=lay.px("button"), default=True),
        Button(use, ctx.t("second_card.use"), Action.USE_OTHER_CARD, kind="choice",
               px=lay.px("button")),
    ])
    return [
        Text(head, ctx.t("second_card.title"), lay.px("title"), th.text, bold=True,
             valign="middle", max_lines=2, name="second_card"),
        paragraph(ctx, text, ctx.t("second_card.text", **values), name="second_card_text"),
        *buttons,
    ]
