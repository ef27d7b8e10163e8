"""`kiosk doctor`'s checks: each one looks at one thing, creates nothing and says what to fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from kiosk.config import ConfigError


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report: the check's name, its verdict and the reason."""

    name: str
    ok: bool
    detail: str
    # Passes, yet the operator must read it: a setting that works but may cost money.
    warning: bool = False

    def line(self) -> str:
        verdict = "FAIL" if not self.ok else "WARN" if self.warning else "OK  "
        return f"{verdict}  {self.name}: {self.detail}"

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail,
                "warning": self.warning}


class CheckFailed(Exception):
    """A check's verdict: the message says what is wrong and what to do."""


def guard(name: str, check: Callable[[], str]) -> Check:
    """Run one check: its return value is the OK detail, an exception the FAIL reason."""
    from kiosk.journal import JournalError
    from kiosk.secuconnect.errors import SecuconnectError

    try:
        return Check(name, True, check())
    except (CheckFailed, ConfigError, JournalError, SecuconnectError) as exc:
        return Check(name, False, str(exc))
    except OSError as exc:
        return Check(name, False, f"{exc.filename or ''} {exc.strerror or exc}".strip())
