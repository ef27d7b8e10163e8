"""Setup-needed screen: the config or secret cannot be used yet; names what and the fix command."""

from __future__ import annotations

from kiosk.ui.screens.common import Ctx
from kiosk.ui.screens.result import result
from kiosk.ui.widgets import Widget


def build(ctx: Ctx) -> list[Widget]:
    setup = ctx.state.setup
    lines = [ctx.t("setup.text")]
    if setup is not None:
        # For the technician in front of it: the file and key, then the command to type.
        lines.append(f"{ctx.t('setup.missing')} {setup.missing}")
        lines.append(f"{ctx.t('setup.fix')} {setup.fix}")
    lines.append(ctx.t("setup.reload"))
    return result(ctx, "info", "setup.title", "\n".join(lines), button_key="")
