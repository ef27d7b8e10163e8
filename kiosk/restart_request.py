"""A restart asked for from outside (a package upgrade), taken only between customers."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger(__name__)

# systemd/restart-when-idle writes this file into the state directory (keep the two in step;
# tests/test_restart_request.py checks they are).
FLAG_NAME = "restart-requested"


class RestartRequest:
    """The flag file: present means "restart when no customer is at the kiosk"."""

    def __init__(self, state_dir: str | Path) -> None:
        self.path = Path(state_dir) / FLAG_NAME

    def clear_stale(self) -> None:
        """At start: this process already runs the newest code, an old request is done."""
        self.take()

    def pending(self) -> bool:
        return self.path.exists()

    def take(self) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:   # the restart still happens; the next start tries again
            log.error("cannot remove the restart request %s: %s", self.path, exc)
