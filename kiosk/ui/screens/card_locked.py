"""Card-locked screen: why the card is locked, from the API's lock reason, in plain words."""

from __future__ import annotations

from kiosk.ui import strings
from kiosk.ui.screens.common import Ctx
from kiosk.ui.screens.result import result
from kiosk.ui.widgets import Widget


def lock_words(ctx: Ctx) -> str:
    """The kiosk's own words for a reason it knows; the API's text for one it does not."""
    session = ctx.state.session
    key = f"lock.{session.lock_reason}"
    if session.lock_reason is not None and strings.has(ctx.state.language, key):
        return ctx.t(key)
    if session.lock_text:
        return ctx.t("lock.other", text=session.lock_text)
    return ctx.t("reject.locked")


def build(ctx: Ctx) -> list[Widget]:
    session = ctx.state.session
    message = lock_words(ctx)
    if message != ctx.t("reject.locked"):
        message += "\n" + ctx.t("lock.help")
    if session.masked:
        number = session.masked.replace(" ", "\u00a0")
        message = f"{message}\n{ctx.t('card.number')}: {number}"
    return result(ctx, "error", "card_locked.title", message)
