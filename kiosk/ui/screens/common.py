"""What every screen shares: render context, header (back, brand, language), footers."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable

import pygame

from kiosk.flow import Screen, Settings, State
from kiosk.flow_events import Action
from kiosk.money import format_amount
from kiosk.ui.layout import Layout, split_rows
from kiosk.ui.strings import text
from kiosk.ui.theme import Theme
from kiosk.ui.widgets import Button, Drawing, Panel, Text, Widget, equalize


@dataclass(frozen=True)
class Ctx:
    state: State
    settings: Settings
    layout: Layout
    theme: Theme
    now: float
    phase: float = 0.0      # animation phase in seconds (waiting screens only)

    def t(self, key: str, **values: object) -> str:
        return text(self.state.language, key, **values)

    def money(self, cents: int) -> str:
        # A no-break space keeps "15,00 €" together when text wraps.
        return format_amount(cents, self.settings.currency).replace(" ", "\u00a0")


# Customer screens with a way back: "Zurück" sits in one place on all of them, the header's
# left corner, far from the primary buttons at the bottom right.
BACK_SCREENS = frozenset({Screen.CARD, Screen.AMOUNT, Screen.OTHER_AMOUNT, Screen.CONFIRM})


def header(ctx: Ctx) -> list[Widget]:
    """"Zurück" (where there is a way back) and the brand on the left; the view toggle (large
    text and high contrast) and the language toggle on the right."""
    lay, th = ctx.layout, ctx.theme
    h = lay.header_height
    pad = max(4, min((h - lay.min_target) // 2, round(h * 0.12)))
    toggle_w = max(lay.min_target * 2, round(lay.width * (0.25 if lay.portrait else 0.2)))
    toggle = pygame.Rect(lay.width - lay.margin - toggle_w, pad, toggle_w, h - 2 * pad)
    view_w = max(round(lay.min_target * 1.6), round(lay.width * 0.12))
    view = pygame.Rect(toggle.left - lay.gap - view_w, pad, view_w, h - 2 * pad)
    left = pygame.Rect(lay.margin, pad, view.left - 2 * lay.margin, h - 2 * pad)
    widgets: list[Widget] = [Panel(pygame.Rect(0, 0, lay.width, h), th.header)]
    widgets.append(Panel(pygame.Rect(0, h - 2, lay.width, 2), th.outline))
    show_brand = True
    if ctx.state.screen in BACK_SCREENS:
        back = pygame.Rect(lay.margin, pad, toggle_w, h - 2 * pad)
        widgets.append(Button(back, ctx.t("button.back_arrow"), Action.BACK, kind="secondary",
                              px=lay.px("header"), name="back"))
        left = pygame.Rect(back.right + lay.margin, pad, view.left - back.right - 2 * lay.margin,
                           h - 2 * pad)
        show_brand = not lay.portrait      # no room for the brand between the buttons
    if show_brand:
        brand = ctx.settings.merchant_name or ctx.t("brand")
        widgets.append(Text(left, brand, lay.px("header"), th.header_text, bold=True,
                            valign="middle", max_lines=1, name="brand"))
    # "Aa" and a half-filled circle, in any language: bigger letters, stronger contrast. It
    # shows as pressed (filled) while on, so a customer sees how to switch it off again.
    widgets.append(Button(view, "Aa\u00a0◐", Action.TOGGLE_VIEW,
                          kind="primary" if ctx.state.easy_view else "secondary",
                          px=lay.px("header"), name="view"))
    return widgets + [language_toggle(ctx, toggle)]


def language_toggle(ctx: Ctx, rect: pygame.Rect) -> Button:
    return Button(rect, ctx.t("language.toggle"), Action.TOGGLE_LANGUAGE, kind="secondary",
                  px=ctx.layout.px("header"), name="language")


def bottom_band(ctx: Ctx, area: pygame.Rect) -> tuple[pygame.Rect, pygame.Rect]:
    """The area above the footer row, and the row itself, left without buttons.

    Screens that follow a primary button at the bottom keep that row free of buttons, so a
    double tap cannot land on one of theirs.
    """
    lay = ctx.layout
    band = pygame.Rect(area.left, area.bottom - lay.button_height, area.width, lay.button_height)
    return pygame.Rect(area.left, area.top, area.width, band.top - lay.gap - area.top), band


def title(ctx: Ctx, area: pygame.Rect, key_or_text: str, *, lines: int = 2,
          color: tuple[int, int, int] | None = None, raw: bool = False) -> tuple[Text, pygame.Rect]:
    """A title at the top of `area`; returns it and the area left below it."""
    lay = ctx.layout
    px = lay.px("title")
    if lay.portrait:
        lines = max(lines, 2)      # narrow screens wrap titles rather than shrink them
    height = round(px * 1.25 * lines)
    rect = pygame.Rect(area.left, area.top, area.width, height)
    rest = pygame.Rect(area.left, rect.bottom + lay.gap, area.width,
                       area.bottom - rect.bottom - lay.gap)
    label = key_or_text if raw else ctx.t(key_or_text)
    return Text(rect, label, px, color or ctx.theme.text, bold=True, max_lines=lines,
                name="title"), rest


def footer(ctx: Ctx, buttons: list[tuple[str, Action, str]], *, value: int | None = None,
           area: pygame.Rect | None = None, share: float | None = None
           ) -> tuple[list[Widget], pygame.Rect]:
    """Buttons along the bottom (landscape: a row, primary on the right; portrait: a stack).

    `buttons` are (label, action, kind); the first "primary" one is the default focus.
    Returns the buttons and the area left above them.
    """
    lay = ctx.layout
    area = area or lay.body
    n = len(buttons)
    bh = lay.button_height
    stacked = lay.portrait and n > 1
    if stacked:
        total = n * bh + (n - 1) * lay.gap
        rects = split_rows(pygame.Rect(area.left, area.bottom - total, area.width, total),
                           [bh] * n, lay.gap)
        # Primary first (top), so the stack reads like the landscape row from right to left.
        order = sorted(range(n), key=lambda i: buttons[i][2] != "primary")
        placed = {i: rects[k] for k, i in enumerate(order)}
        top = area.bottom - total
    else:
        # A lone button in portrait gets more width: its label should not need to wrap.
        default_share = 0.65 if lay.portrait and n == 1 else (0.42 if n <= 2 else 0.32)
        width = min(round(area.width * (share or default_share)),
                    (area.width - (n - 1) * lay.gap) // n)
        width = max(width, lay.min_target)
        x = area.right
        placed = {}
        for i in reversed(range(n)):
            placed[i] = pygame.Rect(x - width, area.bottom - bh, width, bh)
            x -= width + lay.gap
        top = area.bottom - bh
    widgets: list[Widget] = []
    default_given = False
    for i, (label, action, kind) in enumerate(buttons):
        default = kind == "primary" and not default_given
        default_given = default_given or default
        widgets.append(Button(placed[i], label, action, value, kind=kind,  # type: ignore[arg-type]
                              px=lay.px("button"), default=default))
    equalize([w for w in widgets if isinstance(w, Button)])
    rest = pygame.Rect(area.left, area.top, area.width, top - lay.gap - area.top)
    return widgets, rest


def label_value_rows(ctx: Ctx, area: pygame.Rect, rows: list[tuple[str, str, str]]
                     ) -> list[Widget]:
    """A panel of "label  value" rows, as tall as it needs (at most `area`), at its top.

    A row's third item is the value's size role ("huge" for amounts). Rows that do not fit are
    scaled down together; in large text they never get less room than in normal text, so
    their values never come out smaller (kiosk.ui.check).
    """
    lay, th = ctx.layout, ctx.theme
    label_px = lay.px("small")
    label_h = round(label_px * 1.4)

    def natural(layout: Layout, role: str) -> int:
        value_h = round(layout.px(role) * 1.5)
        return label_h + value_h if layout.portrait else max(label_h, value_h)

    wanted = [natural(lay, role) for _, _, role in rows]
    inner_h = sum(wanted) + lay.gap * (len(rows) - 1)
    panel = pygame.Rect(area.left, area.top, area.width,
                        min(area.height, inner_h + 2 * lay.gap))
    inner = panel.inflate(-2 * lay.gap, -2 * lay.gap)
    room = inner.height - lay.gap * (len(rows) - 1)
    scale = min(1.0, room / max(1, sum(wanted)))
    if scale < 1.0 and lay.large_text:
        # Too little room for the larger rows: the rows normal text would get (which fit),
        # filled with the larger text as far as it fits.
        wanted = [natural(replace(lay, large_text=False), role) for _, _, role in rows]
        scale = min(1.0, room / max(1, sum(wanted)))
    widgets: list[Widget] = [Panel(panel, th.surface, th.outline, lay.radius)]
    y = inner.top
    for (label, value, role), want in zip(rows, wanted):
        h = int(want * scale)
        row = pygame.Rect(inner.left, y, inner.width, h)
        if lay.portrait:
            lab = pygame.Rect(row.left, row.top, row.width, min(label_h, h // 3))
            val = pygame.Rect(row.left, lab.bottom, row.width, h - lab.height)
            align = "left"
        else:
            lab = pygame.Rect(row.left, row.top, row.width * 2 // 5, h)
            val = pygame.Rect(lab.right + lay.gap, row.top, row.width - lab.width - lay.gap, h)
            align = "right"
        widgets.append(Text(lab, label, label_px, th.muted, valign="middle",
                            name=f"label:{label}"))
        widgets.append(Text(val, value, lay.px(role), th.text, bold=True, align=align,  # type: ignore[arg-type]
                            valign="middle", max_lines=1 if role == "huge" else 2,
                            name=f"value:{label}"))
        y += h + lay.gap
    return widgets


def paragraph(ctx: Ctx, rect: pygame.Rect, body: str, *, role: str = "body",
              color: tuple[int, int, int] | None = None, align: str = "left",
              bold: bool = False, name: str = "") -> Text:
    return Text(rect, body, ctx.layout.px(role), color or ctx.theme.text, bold=bold,
                align=align, name=name or body[:24])  # type: ignore[arg-type]


# --- drawings ------------------------------------------------------------------------------


def icon(ctx: Ctx, rect: pygame.Rect, kind: str) -> Drawing:
    """A round status icon: "ok" (tick), "error" (!) or "info" (i)."""
    th = ctx.theme
    color = {"ok": th.success, "error": th.error, "info": th.primary}[kind]

    def paint(surface: pygame.Surface, r: pygame.Rect) -> None:
        radius = min(r.width, r.height) // 2
        c = r.center
        pygame.draw.circle(surface, color, c, radius)
        stroke = max(3, radius // 6)
        inner = th.background if th.name == "high_contrast" else th.surface
        if kind == "ok":
            pts = [(c[0] - radius * 0.45, c[1] + radius * 0.02), (c[0] - radius * 0.1,
                   c[1] + radius * 0.38), (c[0] + radius * 0.5, c[1] - radius * 0.35)]
            pygame.draw.lines(surface, inner, False, pts, stroke)
        else:
            top, bottom = (-0.5, 0.12) if kind == "error" else (-0.1, 0.5)
            dot = 0.35 if kind == "error" else -0.38
            pygame.draw.line(surface, inner, (c[0], c[1] + radius * top),
                             (c[0], c[1] + radius * bottom), stroke)
            pygame.draw.circle(surface, inner, (c[0], round(c[1] + radius * dot)), stroke // 1.4)

    return Drawing(rect, paint, name=f"icon:{kind}")


def spinner(ctx: Ctx, rect: pygame.Rect) -> Drawing:
    """A calm progress indication: dots on a circle, one brighter dot going round slowly."""
    th = ctx.theme
    phase = ctx.phase

    def paint(surface: pygame.Surface, r: pygame.Rect) -> None:
        radius = min(r.width, r.height) // 2
        dots = 10
        dot = max(3, radius // 7)
        lead = int(phase * 8) % dots      # 0.8 revolutions per second
        for i in range(dots):
            angle = 2 * math.pi * i / dots - math.pi / 2
            x = r.centerx + (radius - dot) * math.cos(angle)
            y = r.centery + (radius - dot) * math.sin(angle)
            age = (lead - i) % dots
            color = th.accent if age == 0 else (th.primary if age < 3 else th.outline)
            pygame.draw.circle(surface, color, (round(x), round(y)), dot if age else dot + 2)

    return Drawing(rect, paint, name="spinner")


def square_in(rect: pygame.Rect, fraction: float = 1.0) -> pygame.Rect:
    side = int(min(rect.width, rect.height) * fraction)
    r = pygame.Rect(0, 0, side, side)
    r.center = rect.center
    return r


def two_columns(ctx: Ctx, area: pygame.Rect, left_share: float = 0.55
                ) -> tuple[pygame.Rect, pygame.Rect]:
    """Side by side in landscape, one above the other in portrait."""
    gap = ctx.layout.gap
    if ctx.layout.portrait:
        h = int(area.height * left_share)
        return (pygame.Rect(area.left, area.top, area.width, h),
                pygame.Rect(area.left, area.top + h + gap, area.width, area.height - h - gap))
    w = int(area.width * left_share)
    return (pygame.Rect(area.left, area.top, w, area.height),
            pygame.Rect(area.left + w + gap, area.top, area.width - w - gap, area.height))


Builder = Callable[[Ctx], list[Widget]]
