"""The digit keypad shared by the "other amount" and admin PIN screens."""

from __future__ import annotations

import pygame

from kiosk.flow_events import Action
from kiosk.ui.layout import grid
from kiosk.ui.screens.common import Ctx
from kiosk.ui.widgets import Button, Widget

ERASE_SYMBOL = "⌫"


def keypad(ctx: Ctx, area: pygame.Rect, ok_label: str) -> list[Widget]:
    """1-9, then erase, 0, OK; OK is the default focus so Enter after typed digits submits."""
    lay = ctx.layout
    # Keys no wider than about 1.6 x their height: a keypad, not a row of bars.
    rows_h = (area.height - 3 * lay.gap) // 4
    width = min(area.width, rows_h * 5 + 2 * lay.gap)
    pad = pygame.Rect(0, 0, width, area.height)
    pad.center = area.center
    cells = grid(pad, 12, 3, lay.gap)
    labels: list[tuple[str, Action, int | None, str]] = [
        (str(d), Action.DIGIT, d, "key") for d in range(1, 10)]
    labels += [(ERASE_SYMBOL, Action.ERASE, None, "key"), ("0", Action.DIGIT, 0, "key"),
               (ok_label, Action.KEYPAD_OK, None, "primary")]
    widgets: list[Widget] = []
    for rect, (label, action, value, kind) in zip(cells, labels):
        widgets.append(Button(rect, label, action, value, kind=kind,  # type: ignore[arg-type]
                              px=round(lay.px("title") * (0.8 if kind == "primary" else 1.0)),
                              default=action == Action.KEYPAD_OK))
    return widgets
