"""Card PIN screen: the card's PIN as dots on the keypad, tries left, the check in progress."""

from __future__ import annotations

from kiosk.flow_card import pin_tries_left
from kiosk.flow_events import Action
from kiosk.ui.screens.common import Ctx
from kiosk.ui.screens.pin_pad import pin_pad
from kiosk.ui.widgets import Widget


def build(ctx: Ctx) -> list[Widget]:
    session = ctx.state.session
    tries = pin_tries_left(session)
    key = session.pin_message
    if key == "pin.checking":
        message, error = ctx.t(key), False
    elif key:
        message, error = ctx.t(key, tries=tries) if key == "pin.wrong" else ctx.t(key), True
    else:
        message, error = ctx.t("pin.tries_left", tries=tries), False
    return pin_pad(ctx, "pin.title", ctx.t("pin.prompt"), len(session.pin), message,
                   message_is_error=error, back_key="button.back", back_action=Action.BACK)
