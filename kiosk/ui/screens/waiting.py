"""Shared shape of the screens that wait for the worker: title, explanation, calm progress."""

from __future__ import annotations

from typing import Callable

import pygame

from kiosk.ui.screens.common import Ctx, header, paragraph, spinner, title
from kiosk.ui.widgets import Drawing, Widget

Picture = Callable[[Ctx, pygame.Rect], Drawing]


def waiting(ctx: Ctx, title_key: str, text: str, extra: str = "",
            picture: Picture = spinner) -> list[Widget]:
    lay, th = ctx.layout, ctx.theme
    widgets = header(ctx)
    head, rest = title(ctx, lay.body, title_key)
    widgets.append(head)
    text_h = round(lay.px("body") * 1.3 * (3 if extra else 2))
    widgets.append(paragraph(ctx, pygame.Rect(rest.left, rest.top, rest.width, text_h),
                             text + ("\n" + extra if extra else ""), color=th.muted,
                             name="text"))
    spin_area = pygame.Rect(rest.left, rest.top + text_h + lay.gap, rest.width,
                            rest.height - text_h - lay.gap)
    side = min(spin_area.width, spin_area.height, round(lay.base * 0.3))
    spin = pygame.Rect(0, 0, side, side)
    spin.center = spin_area.center
    widgets.append(picture(ctx, spin))
    return widgets
