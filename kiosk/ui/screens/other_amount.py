"""Other-amount screen: an amount typed like at a till, with the limits stated under it."""

from __future__ import annotations

from kiosk.flow import card_maximum, entry_unit_cents, typed_cents
from kiosk.ui.layout import stack
from kiosk.ui.screens.common import Ctx, bottom_band, header, paragraph, two_columns
from kiosk.ui.screens.keypad import keypad
from kiosk.ui.widgets import Panel, Text, Widget


def shown_amount(ctx: Ctx) -> str:
    """The typed amount as the field shows it: "17,50 €", or "17 €" when whole euros are typed."""
    text = ctx.money(typed_cents(ctx.state.session, ctx.settings))
    return text.replace(",00", "") if entry_unit_cents(ctx.settings) == 100 else text


def limit_values(ctx: Ctx) -> dict[str, str]:
    cfg = ctx.settings
    return {"minimum": ctx.money(cfg.minimum_cents),
            "maximum": ctx.money(card_maximum(ctx.state, cfg)),   # the card's limit, if lower
            "step": ctx.money(cfg.amount_step_cents)}


def limits(ctx: Ctx) -> str:
    whole_or_cents = ctx.settings.amount_step_cents in (1, 100)
    return ctx.t("other.limits" if whole_or_cents else "other.limits_step", **limit_values(ctx))


def build(ctx: Ctx) -> list[Widget]:
    lay, th = ctx.layout, ctx.theme
    session = ctx.state.session
    widgets = header(ctx)             # "Zurück" (to the amounts) is in the header
    if lay.portrait:
        # The bottom row stays free: "Jetzt aufladen" comes there on the next screen.
        rest, _ = bottom_band(ctx, lay.body)
        info, pad_area = two_columns(ctx, rest, 0.45)
    else:
        # The keypad on the left: its OK is then nowhere near the next screen's
        # "Jetzt aufladen" (bottom right), and the field is where "Anderer Betrag" was.
        pad_area, info = two_columns(ctx, lay.body, 0.5)
    # Proportional rows: whatever the text size, the column never overflows.
    head_r, display, below, error_r = stack(info, [1.1, 1.5, 0.7, 0.8], lay.gap)
    widgets.append(Text(head_r, ctx.t("other.title"), lay.px("title"), th.text, bold=True,
                        valign="bottom", max_lines=2, name="title"))
    widgets.append(Panel(display, th.surface, th.primary, lay.radius))
    # Wider side margins than the default: a huge bold "€" otherwise seems to touch the frame.
    widgets.append(Text(display.inflate(-3 * lay.gap, -lay.gap), shown_amount(ctx),
                        lay.px("huge"), th.text if session.typed else th.muted, bold=True,
                        align="right", valign="middle", max_lines=1, name="entry"))
    widgets.append(paragraph(ctx, below, limits(ctx), role="small", color=th.muted,
                             name="limits"))
    if session.entry_error:
        message = ctx.t(f"other.{session.entry_error}", **limit_values(ctx))
        widgets.append(paragraph(ctx, error_r, message, role="small", color=th.error,
                                 bold=True, name="entry_error"))
    widgets += keypad(ctx, pad_area, ctx.t("button.ok"))
    return widgets
