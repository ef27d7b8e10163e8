"""One owner per state directory: an exclusive flock on `<state dir>/kiosk.lock`, naming its holder."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

LOCK_FILE = "kiosk.lock"


class StateBusy(Exception):
    """Another process owns the state directory; the message names its PID and command."""

    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(
            f"{path}: the state directory is in use by {holder}; stop it first "
            f"(systemctl stop kiosk, or wait for that command to finish)"
        )
        self.path = path
        self.holder = holder


class StateLock:
    """Held from `acquire` until `release` (or the process ends: the kernel drops a flock then).

    flock, not a PID file: a crashed holder can never leave a stale lock behind. The holder's
    PID and command are written into the file only so that the refusal can name them.
    """

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, state_dir: str | os.PathLike[str], command: str) -> StateLock:
        """Take the lock or raise StateBusy at once (never waits); OSError if no file is made."""
        directory = Path(state_dir)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / LOCK_FILE
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = describe_holder(_read(fd))
            os.close(fd)
            raise StateBusy(path, holder) from None
        except BaseException:
            os.close(fd)
            raise
        # Ours now: say who we are (truncate first, a longer earlier text must not linger).
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "command": command}).encode(), 0)
        return cls(path, fd)

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)   # a holder that is gone is not named in the next refusal
        finally:
            os.close(fd)          # closing drops the flock

    def __enter__(self) -> StateLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def describe_holder(text: str) -> str:
    """'PID 1234 (kiosk run)' from the lock file's content; the holder writes it just after
    locking, so a reader may briefly see it empty."""
    try:
        data = json.loads(text)
        return f"PID {int(data['pid'])} (kiosk {data['command']})"
    except (ValueError, TypeError, KeyError):
        return "another kiosk process (its PID is not written yet)"


def _read(fd: int) -> str:
    return os.pread(fd, 4096, 0).decode("utf-8", "replace")
