"""Device-registration screen: user code, URL and a QR code of the URL while the grant waits."""

from __future__ import annotations

from functools import lru_cache

import pygame

from kiosk.ui.layout import stack
from kiosk.ui.qr import encode
from kiosk.ui.screens.common import Ctx, header, paragraph, square_in, title, two_columns
from kiosk.ui.widgets import Drawing, Panel, Text, Widget


@lru_cache(maxsize=8)
def _matrix(data: str) -> list[list[bool]]:
    return encode(data)


def qr_drawing(ctx: Ctx, rect: pygame.Rect, data: str) -> Drawing:
    """A QR code, dark on white with its quiet zone, whole pixels per module (stays scannable)."""
    matrix = _matrix(data)
    n = len(matrix) + 8

    def paint(surface: pygame.Surface, r: pygame.Rect) -> None:
        module = max(1, min(r.width, r.height) // n)
        side = module * n
        x0, y0 = r.centerx - side // 2, r.centery - side // 2
        surface.fill((255, 255, 255), (x0, y0, side, side))
        for row, cells in enumerate(matrix):
            for col, dark in enumerate(cells):
                if dark:
                    surface.fill((0, 0, 0), (x0 + (col + 4) * module, y0 + (row + 4) * module,
                                             module, module))

    return Drawing(rect, paint, name="qr")


def build(ctx: Ctx) -> list[Widget]:
    lay, th = ctx.layout, ctx.theme
    registration = ctx.state.registration
    code = registration.user_code if registration else ""
    url = registration.verification_url if registration else ""
    widgets = header(ctx)
    head, rest = title(ctx, lay.body, "registration.title", lines=1)
    widgets.append(head)
    texts, picture = two_columns(ctx, rest, 0.6)
    step1, step2, box, waiting = stack(texts, [3, 1.2, 2.2, 1], lay.gap)
    widgets.append(paragraph(ctx, step1, ctx.t("registration.step1", url=url), name="step1"))
    widgets.append(paragraph(ctx, step2, ctx.t("registration.step2"), name="step2"))
    widgets.append(Panel(box, th.surface, th.primary, lay.radius))
    widgets.append(Text(box.inflate(-2 * lay.gap, -lay.gap // 2), code, lay.px("huge"), th.text,
                        bold=True, align="center", valign="middle", max_lines=1, name="code"))
    widgets.append(paragraph(ctx, waiting, ctx.t("registration.waiting"), role="small",
                             color=th.muted, name="waiting"))
    if url:
        widgets.append(qr_drawing(ctx, square_in(picture), url))
    return widgets
