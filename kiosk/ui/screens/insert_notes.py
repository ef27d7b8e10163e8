"""Insert-notes screen: the notes the validator takes, drawn; the running total large; Fertig / Abbrechen."""

from __future__ import annotations

import math

import pygame

from kiosk.flow_cash import abort_allowed
from kiosk.flow_events import Action
from kiosk.ui.fonts import font
from kiosk.ui.layout import grid
from kiosk.ui.screens.common import Ctx, footer, header, paragraph, title, two_columns
from kiosk.ui.theme import Color
from kiosk.ui.widgets import Drawing, Panel, Text, Widget

# Pale fills (dark text stays readable on them) and a stronger band, by note value: the
# familiar colour families of the euro notes, nothing of their artwork.
NOTE_COLOURS: dict[int, tuple[Color, Color]] = {
    5: ((222, 224, 226), (120, 126, 132)),
    10: ((247, 214, 208), (190, 70, 60)),
    20: ((206, 222, 247), (50, 100, 180)),
    50: ((250, 222, 190), (214, 120, 30)),
    100: ((208, 238, 212), (50, 140, 70)),
    200: ((242, 232, 190), (170, 140, 30)),
    500: ((228, 214, 242), (120, 80, 170)),
}


def currency_sign(ctx: Ctx) -> str:
    return "€" if ctx.settings.currency == "EUR" else ctx.settings.currency


def banknote(ctx: Ctx, rect: pygame.Rect, value: int, enabled: bool) -> list[Widget]:
    """A note as simple shapes: body, coloured band with rings, the value; faded when off."""
    th = ctx.theme
    fill, band = NOTE_COLOURS.get(value, ((230, 230, 230), (110, 110, 110)))
    high = th.name == "high_contrast"
    if high or not enabled:
        fill, band = (th.surface if enabled else th.background), th.outline
    edge = th.text if enabled else th.outline
    radius = max(3, rect.height // 10)
    band_w = rect.width // 4

    sign = currency_sign(ctx)

    def paint(surface: pygame.Surface, r: pygame.Rect) -> None:
        pygame.draw.rect(surface, fill, r, border_radius=radius)
        strip = pygame.Rect(r.left, r.top, band_w, r.height)
        pygame.draw.rect(surface, band, strip, border_top_left_radius=radius,
                         border_bottom_left_radius=radius)
        # The currency sign on a light disc in the band (drawn, not a text: the value beside
        # it is what speech reads, after "Angenommen werden").
        disc = max(4, min(band_w, r.height) * 2 // 5)
        pygame.draw.circle(surface, fill, strip.center, disc)
        glyph = font(round(disc * 1.3), bold=True).render(sign, True, th.text if enabled
                                                          else th.muted)
        if glyph.get_width() > 2 * disc:
            glyph = pygame.transform.smoothscale(glyph, (2 * disc, glyph.get_height()))
        surface.blit(glyph, glyph.get_rect(center=strip.center))
        pygame.draw.rect(surface, edge, r, width=max(1, r.height // 40), border_radius=radius)
        if not enabled:   # crossed out: this note would go over the maximum
            pygame.draw.line(surface, th.outline, r.topleft, r.bottomright, max(2, r.height // 25))

    text_box = pygame.Rect(rect.left + band_w + rect.width // 20, rect.top + rect.height // 8,
                           rect.width - band_w - rect.width // 10, rect.height * 3 // 4)
    return [Drawing(rect, paint, name=f"note:{value}"),
            Text(text_box, str(value), ctx.layout.px("huge"),
                 th.text if enabled else th.muted, bold=True, align="center",
                 valign="middle", max_lines=1, name=f"note_value:{value}")]


def build(ctx: Ctx) -> list[Widget]:
    lay = ctx.layout
    cash = ctx.state.session.cash
    opened = bool(cash.reference)
    widgets = header(ctx)
    wanted: list[tuple[str, Action, str]] = []
    if opened and abort_allowed(ctx.state):
        wanted.append((ctx.t("button.cancel"), Action.CANCEL, "secondary"))
    if cash.total_cents > 0 and not cash.finishing:
        wanted.append((ctx.t("button.finish"), Action.FINISH, "primary"))
    buttons: list[Widget] = []
    rest = lay.body
    if wanted:
        buttons, rest = footer(ctx, wanted)
    head, rest = title(ctx, rest, "notes.title", lines=1)
    widgets.append(head)
    left, right = two_columns(ctx, rest, 0.45 if not lay.portrait else 0.42)
    widgets += _total(ctx, left, opened)
    widgets += _notes(ctx, right, opened)
    return widgets + buttons


def _total(ctx: Ctx, area: pygame.Rect, opened: bool) -> list[Widget]:
    lay, th = ctx.layout, ctx.theme
    cash = ctx.state.session.cash
    label_h = round(lay.px("small") * 1.4)
    value_h = round(lay.px("huge") * 1.35)
    box = pygame.Rect(area.left, area.top, area.width,
                      min(area.height // 2, label_h + value_h + 2 * lay.gap))
    inner = box.inflate(-2 * lay.gap, -lay.gap)
    widgets: list[Widget] = [
        Panel(box, th.surface, th.outline, lay.radius),
        Text(pygame.Rect(inner.left, inner.top, inner.width, label_h), ctx.t("notes.total"),
             lay.px("small"), th.muted, max_lines=1, name="total_label"),
        Text(pygame.Rect(inner.left, inner.top + label_h, inner.width, inner.height - label_h),
             ctx.money(cash.total_cents), lay.px("huge"), th.text, bold=True,
             valign="middle", max_lines=1, name="total"),
    ]
    below = pygame.Rect(area.left, box.bottom + lay.gap, area.width,
                        area.bottom - box.bottom - lay.gap)
    if not opened:
        status, color = ctx.t("notes.opening"), th.muted
    elif cash.finishing:
        status, color = ctx.t("notes.finishing"), th.text
    elif cash.fault:
        status, color = ctx.t(f"notes.fault.{cash.fault}"), th.error
    elif not cash.accepted:
        status, color = ctx.t("notes.full"), th.text
    else:
        limit = ctx.t("notes.limit", maximum=ctx.money(ctx.settings.maximum_cents))
        hint = ctx.t("notes.cancel_hint") if cash.total_cents == 0 else ""
        status, color = limit + ("\n" + hint if hint else ""), th.muted
    widgets.append(paragraph(ctx, below, status, role="body" if color != th.muted else "small",
                             color=color, name="status"))
    return widgets


def _notes(ctx: Ctx, area: pygame.Rect, opened: bool) -> list[Widget]:
    lay, th = ctx.layout, ctx.theme
    cash = ctx.state.session.cash
    values = sorted(ctx.settings.cash_accept)
    label_h = round(lay.px("small") * 1.4)
    widgets: list[Widget] = [Text(pygame.Rect(area.left, area.top, area.width, label_h),
                                  ctx.t("notes.accepted"), lay.px("small"), th.muted,
                                  max_lines=1, name="accepted_label")]
    field = pygame.Rect(area.left, area.top + label_h + lay.gap // 2, area.width,
                        area.height - label_h - lay.gap // 2)
    columns = 2 if len(values) > 1 else 1
    rows = math.ceil(len(values) / columns)
    # Notes keep a banknote's shape (about 2:1), as large as the field allows.
    cell_w = (field.width - (columns - 1) * lay.gap) // columns
    cell_h = min(cell_w // 2, (field.height - (rows - 1) * lay.gap) // rows)
    cell_w = min(cell_w, cell_h * 2)
    block = pygame.Rect(field.left, field.top, columns * cell_w + (columns - 1) * lay.gap,
                        rows * cell_h + (rows - 1) * lay.gap)
    for value, cell in zip(values, grid(block, len(values), columns, lay.gap, cell_h)):
        enabled = not opened or value in cash.accepted
        widgets += banknote(ctx, cell, value, enabled)
    return widgets
