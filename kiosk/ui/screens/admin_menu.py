"""Admin menu: card system, reader and printer status, version; printing, journal, cash, restart."""

from __future__ import annotations

import math

from kiosk.flow_admin import cash_actions_shown
from kiosk.flow_events import Action
from kiosk.ui.layout import grid
from kiosk.ui.screens.common import Ctx, header, paragraph, title, two_columns
from kiosk.ui.widgets import Button, Panel, Widget, equalize

ITEMS = [
    ("admin_menu.printer", Action.ADMIN_PRINTER),
    ("admin_menu.test_print", Action.ADMIN_TEST_PRINT),
    ("admin_menu.reprint", Action.ADMIN_REPRINT),
    ("admin_menu.journal", Action.ADMIN_JOURNAL),
    ("admin_menu.restart", Action.ADMIN_RESTART),
    ("admin_menu.exit", Action.ADMIN_EXIT),
]
# With a note validator, before "restart" (the exit stays last).
CASH_ITEMS = [
    ("admin_menu.cashbox_emptied", Action.ADMIN_CASHBOX_EMPTIED),
    ("admin_menu.owed", Action.ADMIN_OWED),
]


def items(ctx: Ctx) -> list[tuple[str, Action]]:
    if not cash_actions_shown(ctx.settings):
        return ITEMS
    return ITEMS[:-2] + CASH_ITEMS + ITEMS[-2:]


def status_lines(ctx: Ctx) -> list[str]:
    state = ctx.state
    ok, down = ctx.t("status.ok"), ctx.t("status.down")
    printer = state.admin.printer
    if printer is None:
        printer_text = ctx.t("status.not_asked")
    elif printer.ok and not printer.reason:
        printer_text = ok
    else:
        printer_text = ctx.t(f"printer.{printer.reason or 'ok'}")
    api = ok if state.api_ok else f"{down} {state.api_detail}".strip()
    reader = ok if state.reader_ok else f"{down} {state.reader_detail}".strip()
    return [f"{ctx.t('admin_menu.status_api')}: {api}",
            f"{ctx.t('admin_menu.status_reader')}: {reader}",
            f"{ctx.t('admin_menu.status_printer')}: {printer_text}",
            f"{ctx.t('admin_menu.version')}: {ctx.settings.version}",
            f"{ctx.t('admin_menu.kiosk')}: {ctx.settings.kiosk_id}"]


def build(ctx: Ctx) -> list[Widget]:
    lay, th = ctx.layout, ctx.theme
    widgets = header(ctx)
    head, rest = title(ctx, lay.body, "admin_menu.title", lines=1)
    widgets.append(head)
    info, actions = two_columns(ctx, rest, 0.4 if not lay.portrait else 0.36)
    widgets.append(Panel(info, th.surface, th.outline, lay.radius))
    inner = info.inflate(-2 * lay.gap, -2 * lay.gap)
    admin = ctx.state.admin
    message = " ".join(filter(None, (ctx.t(admin.message) if admin.message else "",
                                     admin.detail)))
    lines = "\n".join(status_lines(ctx) + ([message] if message else []))
    widgets.append(paragraph(ctx, inner, lines, role="small", name="status"))
    shown = items(ctx)
    rows = math.ceil(len(shown) / 2)
    cells = grid(actions, len(shown), 2, lay.gap,
                 cell_height=max(lay.min_target,
                                 (actions.height - (rows - 1) * lay.gap) // rows))
    buttons = [Button(rect, ctx.t(key), action,
                      kind="primary" if action == Action.ADMIN_EXIT else "secondary",
                      px=lay.px("button"), default=i == 0)
               for i, ((key, action), rect) in enumerate(zip(shown, cells))]
    return widgets + equalize(buttons)
