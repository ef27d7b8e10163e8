"""Pay-choice screen: card payment and cash are both on, the customer chooses."""

from __future__ import annotations

import pygame

from kiosk.flow_events import Action
from kiosk.ui.screens.common import Ctx, footer, header, paragraph, title, two_columns
from kiosk.ui.widgets import Button, Widget, equalize


def build(ctx: Ctx) -> list[Widget]:
    lay, th = ctx.layout, ctx.theme
    widgets = header(ctx)
    buttons, rest = footer(ctx, [(ctx.t("button.back"), Action.BACK, "secondary")])
    head, rest = title(ctx, rest, "pay_choice.title", lines=1)
    widgets.append(head)
    hint_h = round(lay.px("small") * 1.4 * 2)
    button_h = min(round(lay.button_height * 1.8), rest.height - hint_h - lay.gap)
    card_area, cash_area = two_columns(ctx, rest, 0.5)
    till = ctx.settings.cash_mode == "till"
    cash_key = "pay_choice.cash_hint_till" if till else "pay_choice.cash_hint_validator"
    choices: list[Button] = []
    for area, label, action, hint in (
            (card_area, "pay_choice.card", Action.PAY_CARD, "pay_choice.card_hint"),
            (cash_area, "pay_choice.cash", Action.PAY_CASH, cash_key)):
        if lay.portrait:
            button_h = min(button_h, area.height - hint_h - lay.gap)
        box = pygame.Rect(area.left, area.top, area.width, button_h)
        below = pygame.Rect(area.left, box.bottom + lay.gap // 2, area.width, hint_h)
        if action == Action.PAY_CASH and not ctx.state.cash_ok:
            widgets.append(paragraph(ctx, box, ctx.t("pay_choice.cash_off"), color=th.error,
                                     align="center", name="cash_off"))
            continue
        if action == Action.PAY_CARD and not ctx.state.card_payment_ok:   # terminal down
            widgets.append(paragraph(ctx, box, ctx.t("oos.terminal"), color=th.error,
                                     align="center", name="card_off"))
            continue
        choices.append(Button(box, ctx.t(label), action, kind="choice",
                              px=round(lay.px("title")), default=action == Action.PAY_CARD or not ctx.state.card_payment_ok))
        widgets.append(paragraph(ctx, below, ctx.t(hint), role="small", color=th.muted,
                                 align="center", name=f"hint:{action.value}"))
    equalize(choices)
    return widgets + choices + buttons
