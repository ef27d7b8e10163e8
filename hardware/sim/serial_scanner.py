"""Serial-mode scanner on a real pseudo-terminal, reached through a path that can vanish (unplug)."""

from __future__ import annotations

import os
import tty
from pathlib import Path


class SerialScannerSim:
    """Types barcodes as `text + CR/LF` into a pty; the reader opens `path` (a symlink to the pty).

    unplug() removes the path and hangs up the pty, as pulling a USB-serial scanner does;
    plug() creates a new pty behind the same path.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._master = -1
        self._slave = -1
        self.plug()

    @property
    def plugged(self) -> bool:
        return self._master >= 0

    @property
    def tty_name(self) -> str:
        return os.ttyname(self._slave)

    def plug(self) -> None:
        if self.plugged:
            return
        master, slave = os.openpty()
        # Raw: the line discipline must not turn CR into LF or hold bytes back until a newline.
        tty.setraw(slave)
        # The simulator keeps the slave open too, so bytes written before the reader opens are
        # queued rather than dropped with a hang-up.
        self._master, self._slave = master, slave
        tmp = self.path.with_name(self.path.name + ".new")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(os.ttyname(slave))
        os.replace(tmp, self.path)

    def unplug(self) -> None:
        if not self.plugged:
            return
        self.path.unlink(missing_ok=True)
        os.close(self._master)
        os.close(self._slave)
        self._master = self._slave = -1

    def send(self, data: bytes) -> None:
        if not self.plugged:
            raise OSError(f"{self.path}: the virtual serial scanner is unplugged")
        view = memoryview(data)
        while view:
            view = view[os.write(self._master, view):]

    def scan(self, text: str, suffix: str = "\r\n") -> None:
        """Send one barcode the way a serial-mode scanner does: its characters and the suffix."""
        self.send((text + suffix).encode("latin-1"))

    def close(self) -> None:
        self.unplug()

    def __enter__(self) -> SerialScannerSim:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
