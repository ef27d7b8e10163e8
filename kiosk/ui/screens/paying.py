"""Paying screen: the top-up runs; for cashless the customer follows the card terminal."""

from __future__ import annotations

import pygame

from kiosk.ui.screens.common import Ctx, spinner
from kiosk.ui.screens.waiting import waiting
from kiosk.ui.widgets import Drawing, Widget


def card_terminal(ctx: Ctx, rect: pygame.Rect) -> Drawing:
    """A card terminal whose display shows calm moving dots: "look over there"."""
    th = ctx.theme
    phase = ctx.phase

    def paint(surface: pygame.Surface, r: pygame.Rect) -> None:
        body = pygame.Rect(0, 0, int(r.height * 0.62), r.height)
        body.center = r.center
        radius = max(4, body.width // 10)
        pygame.draw.rect(surface, th.text, body, border_radius=radius)
        if th.name == "high_contrast":
            pygame.draw.rect(surface, th.outline, body, width=2, border_radius=radius)
        inset = body.width // 9
        screen = pygame.Rect(body.left + inset, body.top + inset, body.width - 2 * inset,
                             int(body.height * 0.34))
        pygame.draw.rect(surface, th.surface if th.name != "high_contrast" else th.background,
                         screen, border_radius=max(2, radius // 2))
        lead = int(phase * 3) % 3
        dot = max(3, screen.height // 9)
        for i in range(3):
            x = screen.centerx + (i - 1) * dot * 3
            color = th.accent if i == lead else th.outline
            pygame.draw.circle(surface, color, (x, screen.centery), dot)
        keys = pygame.Rect(screen.left, screen.bottom + inset, screen.width,
                           body.bottom - inset - screen.bottom - inset)
        kw, kh = keys.width // 3, keys.height // 4
        for row in range(4):
            for col in range(3):
                key = pygame.Rect(keys.left + col * kw + kw // 8, keys.top + row * kh + kh // 8,
                                  kw - kw // 4, kh - kh // 4)
                pygame.draw.rect(surface, th.key, key, border_radius=max(2, kh // 5))

    return Drawing(rect, paint, name="card_terminal")


def build(ctx: Ctx) -> list[Widget]:
    kind = ctx.settings.start_type
    amount = ctx.state.session.amount_cents
    extra = f"{ctx.t('confirm.amount')}: {ctx.money(amount)}" if amount is not None else ""
    picture = card_terminal if kind == "cashless" else spinner
    return waiting(ctx, f"paying.title_{kind}", ctx.t(f"paying.text_{kind}"), extra, picture)
