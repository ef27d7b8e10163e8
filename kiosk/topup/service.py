"""The top-up service as callers use it: the customer's procedure, recovery and the orphan sweep over one journal."""

from __future__ import annotations

from kiosk.topup.orphans import OrphanSweep
from kiosk.topup.procedure import TopupProcedure
from kiosk.topup.recovery import Recovery


class TopupService(TopupProcedure, Recovery, OrphanSweep):
    """Runs top-ups and recovery against one journal and one API client. Knows no screens.

    A top-up and recovery may run at once, each on its own rows (ServiceCore._own).
    """
