"""Device-registration screen: user code, URL and a QR code of the URL while the grant waits."""

from __future__ import annotations

from kiosk.ui.layout import stack
from kiosk.ui.qr import qr_drawing
from kiosk.ui.screens.common import Ctx, header, paragraph, square_in, title, two_columns
from kiosk.ui.widgets import Panel, Text, Widget


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
        widgets.append(qr_drawing(square_in(picture), url))
    return widgets
