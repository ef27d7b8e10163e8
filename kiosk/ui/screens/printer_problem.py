"""Printer-problem screen: asked before payment — continue without a receipt, retry or cancel."""

from __future__ import annotations

import pygame

from kiosk.flow import may_continue_without_receipt
from kiosk.flow_events import Action
from kiosk.ui.strings import has
from kiosk.ui.screens.common import Ctx, footer, header, icon, paragraph, title
from kiosk.ui.widgets import Widget


def build(ctx: Ctx) -> list[Widget]:
    lay, th = ctx.layout, ctx.theme
    session = ctx.state.session
    allowed = may_continue_without_receipt(ctx.state, ctx.settings)
    choices = [(ctx.t("button.cancel"), Action.CANCEL, "secondary"),
               (ctx.t("printer_problem.retry"), Action.RETRY_PRINTER, "secondary")]
    if allowed:
        choices.append((ctx.t("printer_problem.without"), Action.WITHOUT_RECEIPT, "primary"))
    widgets = header(ctx)
    buttons, rest = footer(ctx, choices)
    if not allowed:
        buttons[-1].default = True     # "check again" is the useful first choice
    side = min(lay.px("title") * 2, rest.height // 3)
    widgets.append(icon(ctx, pygame.Rect(rest.left, rest.top, side, side), "error"))
    head, _ = title(ctx, pygame.Rect(rest.left + side + lay.gap, rest.top,
                                     rest.width - side - lay.gap, rest.height),
                    "printer_problem.title", lines=3 if lay.portrait else 2)
    widgets.append(head)
    below = pygame.Rect(rest.left, max(head.rect.bottom, rest.top + side) + lay.gap, rest.width, 0)
    below.height = rest.bottom - below.top
    reason = session.printer.reason if session.printer and session.printer.reason else "unknown"
    key = f"printer.{reason}" if has(ctx.state.language, f"printer.{reason}") else "printer.unknown"
    ask = ctx.t("printer_problem.ask") if allowed else ctx.t("printer_problem.forbidden")
    widgets.append(paragraph(ctx, below, f"{ctx.t(key)}\n{ask}", name="text",
                             color=th.text))
    return widgets + buttons

