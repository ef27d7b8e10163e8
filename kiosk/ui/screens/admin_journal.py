"""Admin journal screen: the last 20 top-ups, masked, one per line, in pages that fit."""

from __future__ import annotations

import pygame

from kiosk.flow_events import Action
from kiosk.ui.screens.common import Ctx, footer, header, paragraph, title
from kiosk.ui.widgets import Button, Panel, Text, Widget


def lines_per_row(ctx: Ctx, width: int) -> int:
    """Narrow (portrait) screens give each top-up two lines."""
    return 1 if width >= ctx.layout.px("small") * 36 else 2


def rows_per_page(ctx: Ctx, width: int, height: int) -> int:
    return max(1, height // round(ctx.layout.px("small") * 1.4 * lines_per_row(ctx, width)))


def build(ctx: Ctx) -> list[Widget]:
    lay, th = ctx.layout, ctx.theme
    rows = ctx.state.admin.journal
    widgets = header(ctx)
    buttons, rest = footer(ctx, [(ctx.t("button.back"), Action.BACK, "secondary"),
                                 (ctx.t("admin_journal.newer"), Action.PAGE, "secondary"),
                                 (ctx.t("admin_journal.older"), Action.PAGE, "primary")])
    head, rest = title(ctx, rest, "admin_journal.title", lines=1)
    widgets.append(head)
    widgets.append(Panel(rest, th.surface, th.outline, lay.radius))
    inner = rest.inflate(-2 * lay.gap, -lay.gap)
    per_page = rows_per_page(ctx, inner.width, inner.height)
    lines = lines_per_row(ctx, inner.width)
    pages = max(1, -(-len(rows) // per_page))
    page = min(ctx.state.admin.page, pages - 1)
    if pages > 1:
        head.text = f"{head.text} ({page + 1}/{pages})"
    previous, following = buttons[1], buttons[2]
    assert isinstance(previous, Button) and isinstance(following, Button)
    previous.value, previous.name = -1, "page:-1"
    following.value, following.name = 1, "page:1"
    nav: list[Widget] = [buttons[0]]
    if page > 0:
        nav.append(previous)
    if page < pages - 1:
        nav.append(following)
    else:
        buttons[0].default = True
    if not rows:
        widgets.append(paragraph(ctx, inner, ctx.t("admin_journal.empty"), name="empty"))
        return widgets + nav
    row_h = inner.height // per_page
    for line, row in enumerate(rows[page * per_page:(page + 1) * per_page]):
        rect = pygame.Rect(inner.left, inner.top + line * row_h, inner.width, row_h)
        sep = "\n" if lines == 2 else "  "
        text = f"{row.when}  {row.masked_card}{sep}{ctx.money(row.amount_cents)}  {row.state}"
        widgets.append(Text(rect, text, lay.px("small"), th.text, valign="middle", max_lines=lines,
                            name=f"row{page * per_page + line}"))
    return widgets + nav
