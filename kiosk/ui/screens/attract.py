"""Attract screen: invites the next customer to scan their loyalty card."""

from __future__ import annotations

import pygame

from kiosk.ui.screens.common import Ctx, header, paragraph, square_in, two_columns
from kiosk.ui.widgets import Drawing, Text, Widget


def card_illustration(ctx: Ctx, rect: pygame.Rect) -> Drawing:
    """A loyalty card under a scanner beam: what to do, without words."""
    th = ctx.theme

    def paint(surface: pygame.Surface, r: pygame.Rect) -> None:
        w = r.width
        card = pygame.Rect(0, 0, int(w * 0.78), int(w * 0.78 * 0.63))
        card.center = (r.centerx, r.centery + int(w * 0.12))
        pygame.draw.rect(surface, th.primary, card, border_radius=max(4, w // 22))
        stripe = pygame.Rect(card.left, card.top + card.height // 5, card.width, card.height // 6)
        pygame.draw.rect(surface, th.accent, stripe)
        # the barcode the customer should present
        bars = pygame.Rect(card.left + card.width // 8, card.bottom - card.height // 3,
                           card.width * 3 // 4, card.height // 5)
        pygame.draw.rect(surface, th.surface if th.name != "high_contrast" else th.text, bars)
        x, i = bars.left + 3, 0
        while x < bars.right - 3:
            bw = 1 + (i * 7 % 3)
            pygame.draw.rect(surface, (0, 0, 0), (x, bars.top + 3, bw, bars.height - 6))
            x += bw + 2 + (i * 5 % 2)
            i += 1
        # the scanner's beam above it
        beam_y = card.top - int(w * 0.1)
        head = pygame.Rect(0, 0, int(w * 0.5), max(6, w // 14))
        head.midbottom = (r.centerx, beam_y)
        pygame.draw.rect(surface, th.text, head, border_radius=4)
        # A soft light cone, drawn translucent so the barcode shows through.
        beam = [(head.left + 6, head.bottom), (head.right - 6, head.bottom),
                (bars.right + 4, bars.centery), (bars.left - 4, bars.centery)]
        light = pygame.Surface(r.size, pygame.SRCALPHA)
        shifted = [(x - r.left, y - r.top) for x, y in beam]
        pygame.draw.polygon(light, (255, 255, 255, 90), shifted)
        surface.blit(light, r.topleft)
        pygame.draw.line(surface, th.error, (bars.left - 4, bars.centery),
                         (bars.right + 4, bars.centery), max(2, w // 80))

    return Drawing(square_in(rect, 0.95), paint, name="illustration")


def build(ctx: Ctx) -> list[Widget]:
    lay, th = ctx.layout, ctx.theme
    widgets = header(ctx)
    texts, picture = two_columns(ctx, lay.body, 0.58 if not lay.portrait else 0.42)
    title_h = int(texts.height * (0.5 if not lay.portrait else 0.45))
    widgets.append(Text(pygame.Rect(texts.left, texts.top, texts.width, title_h),
                        ctx.t("attract.title"), round(lay.px("title") * 1.5), th.primary,
                        bold=True, valign="bottom", max_lines=2, name="title"))
    widgets.append(paragraph(ctx, pygame.Rect(texts.left, texts.top + title_h + lay.gap,
                                              texts.width, texts.height - title_h - lay.gap),
                             ctx.t("attract.text"), color=th.muted, name="text"))
    widgets.append(card_illustration(ctx, picture))
    return widgets
