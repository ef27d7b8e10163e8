"""Self-pipe for evdev reader threads: stop() writes to it so that a poll() returns at once."""

from __future__ import annotations

import os
import select


class WakePipe:
    """Made by open() (start), closed by close() once the thread is gone (no fd reused under it)."""

    def __init__(self) -> None:
        self.read_fd = self.write_fd = -1

    def open(self) -> None:
        if self.read_fd < 0:
            self.read_fd, self.write_fd = os.pipe()
            os.set_blocking(self.read_fd, False)
            os.set_blocking(self.write_fd, False)

    def wake(self) -> None:
        if self.write_fd >= 0:
            try:
                os.write(self.write_fd, b"x")
            except BlockingIOError:
                pass  # already woken

    def close(self) -> None:
        for fd in (self.read_fd, self.write_fd):
            if fd >= 0:
                os.close(fd)
        self.read_fd = self.write_fd = -1

    def poller(self, device_fd: int) -> select.poll:
        """A poll object for the device's input and this pipe."""
        poller = select.poll()
        poller.register(device_fd, select.POLLIN | select.POLLPRI)
        poller.register(self.read_fd, select.POLLIN)
        return poller
