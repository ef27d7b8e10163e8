"""Other-amount screen: whole euros typed on the keypad, within the configured limits."""

from __future__ import annotations

from kiosk.flow_events import Action
from kiosk.flow_state import card_maximum
from kiosk.ui.layout import stack
from kiosk.ui.screens.common import Ctx, footer, header, paragraph, two_columns
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
    # Proportional rows: whatever the text size, the column never overflows.
    head_r, display, below = stack(info, [1.2, 1.5, 1.1], lay.gap)
    widgets.append(Text(head_r, ctx.t("other.title"), lay.px("title"), th.text, bold=True,
                        valign="bottom", max_lines=2, name="title"))
    widgets.append(Panel(display, th.surface, th.primary, lay.radius))
    shown = ctx.money(int(session.typed) * 100) if session.typed else ctx.money(0)
    # Wider side margins than the default: a huge bold "€" otherwise seems to touch the frame.
    widgets.append(Text(display.inflate(-3 * lay.gap, -lay.gap), shown, lay.px("huge"),
                        th.text if session.typed else th.muted, bold=True, align="right",
                        valign="middle", max_lines=1, name="entry"))
    values = {"minimum": ctx.money(cfg.minimum_cents),
              "maximum": ctx.money(card_maximum(ctx.state, cfg))}
    message = ctx.t(f"other.{session.entry_error}", **values) if session.entry_error else \
        ctx.t("other.hint", **values)
    widgets.append(paragraph(ctx, below, message, role="small",
                             color=th.error if session.entry_error else th.muted,
                             bold=bool(session.entry_error), name="hint"))
    widgets += keypad(ctx, pad_area, ctx.t("button.ok"))
    return widgets + buttons
