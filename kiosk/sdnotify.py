"""systemd's sd_notify protocol (READY, STATUS, WATCHDOG) written out, plus a gated main-loop watchdog pinger."""

from __future__ import annotations

import logging
import os
import socket
import time
from typing import Callable, Mapping

log = logging.getLogger(__name__)

# systemd's own advice is to speak the protocol directly instead of linking libsystemd: one
# datagram of newline-separated KEY=VALUE assignments to the unix socket in $NOTIFY_SOCKET.


def notify_address(env: Mapping[str, str] | None = None) -> str | bytes | None:
    """The socket address from $NOTIFY_SOCKET, or None when not started by systemd (Type=notify).

    A leading "@" names a socket in the abstract namespace, whose kernel name starts with a
    NUL byte. Only unix sockets are supported; a "vsock:" address (VMs) is refused with a log.
    """
    value = (os.environ if env is None else env).get("NOTIFY_SOCKET", "")
    if not value:
        return None
    if value.startswith("@"):
        return "\0" + value[1:]
    if value.startswith("/"):
        return value
    log.error("NOTIFY_SOCKET=%r is not a unix socket path; systemd will not hear from the kiosk", value)
    return None


def watchdog_interval(env: Mapping[str, str] | None = None, pid: int | None = None) -> float | None:
    """Seconds between WATCHDOG=1 pings (half of $WATCHDOG_USEC), or None if no watchdog is on us.

    systemd sets WATCHDOG_PID when the watchdog is meant for one process; a child that inherited
    the environment must not ping in its parent's name.
    """
    env = os.environ if env is None else env
    raw = env.get("WATCHDOG_USEC", "")
    if not raw:
        return None
    try:
        usec = int(raw)
    except ValueError:
        log.error("WATCHDOG_USEC=%r is not a number of microseconds; watchdog pings are off", raw)
        return None
    if usec <= 0:
        return None
    watchdog_pid = env.get("WATCHDOG_PID", "")
    if watchdog_pid:
        try:
            if int(watchdog_pid) != (os.getpid() if pid is None else pid):
                return None
        except ValueError:
            log.error("WATCHDOG_PID=%r is not a process id; watchdog pings are off", watchdog_pid)
            return None
    return usec / 2_000_000


class Notifier:
    """Sends state changes to systemd; without $NOTIFY_SOCKET every call is a quiet no-op.

    A failed send is logged (with the address) and reported as False, never raised: the main
    loop must not die because systemd's socket went away, but the operator must learn of it.
    """

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        self.address = notify_address(env)
        self._socket: socket.socket | None = None
        self._failures = 0

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def notify(self, *assignments: str) -> bool:
        """Send one datagram such as ("READY=1", "STATUS=Bereit"); True if it was delivered."""
        if self.address is None:
            return False
        for item in assignments:
            if "=" not in item:
                raise ValueError(f"sd_notify assignment without '=': {item!r}")  # a bug, not I/O
        payload = "\n".join(assignments).encode("utf-8")
        try:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
            self._socket.sendto(payload, self.address)
        except OSError as exc:
            self._failures += 1
            # Every failure is logged; after a few the socket is rebuilt in case it went bad.
            log.error("sd_notify to %s failed (%s): %s", self._shown_address(), exc, payload[:80])
            if self._failures >= 3:
                self.close()
                self._failures = 0
            return False
        self._failures = 0
        return True

    def ready(self, status: str | None = None) -> bool:
        """Start-up finished: journal recovered, devices opened (or their absence on screen)."""
        return self.notify("READY=1", *_status(status))

    def status(self, text: str) -> bool:
        """A one-line status shown by `systemctl status kiosk`."""
        return self.notify(*_status(text))

    def stopping(self, status: str | None = None) -> bool:
        return self.notify("STOPPING=1", *_status(status))

    def extend_timeout(self, seconds: float) -> bool:
        """Ask for more start-up (or stop) time, e.g. while recovery waits for a slow API."""
        return self.notify(f"EXTEND_TIMEOUT_USEC={int(seconds * 1_000_000)}")

    def watchdog(self) -> bool:
        return self.notify("WATCHDOG=1")

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def _shown_address(self) -> str:
        address = self.address or ""
        return "@" + address[1:] if address.startswith("\0") else address


def _status(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    # STATUS= is one line; a newline would start a new (bogus) assignment.
    return ("STATUS=" + " ".join(text.splitlines()),)


class WatchdogPinger:
    """Sends WATCHDOG=1 from the main loop, at most once per interval (half of WatchdogSec).

    Call `tick()` on every pass through the main loop and never sleep longer than
    `max_sleep()`: then a loop that hangs stops pinging and systemd restarts the kiosk, while a
    busy loop costs one datagram per interval. Without a watchdog (interval None) tick() is a no-op.

    In `kiosk run`:
        notifier = Notifier()
        pinger = WatchdogPinger.from_environment(notifier)
        notifier.status("Journal wird geprüft")      # recovery, devices ...
        notifier.ready("Bereit")                     # then the loop, which on every pass does
        pinger.tick(now); metrics.heartbeat()        # and sleeps at most pinger.max_sleep(now)
        notifier.stopping()                          # on SIGTERM, before cleaning up
    """

    # The loop wakes at least this often even without a watchdog (or with a long one), so the
    # /healthz heartbeat (kiosk/metrics.py) stays fresh; an idle wake-up costs next to nothing.
    IDLE_SLEEP = 5.0
    # After a failed ping, try again this soon (not a whole interval later), but not on every
    # pass of a 10 fps animation: each failure is an error line in the journal.
    RETRY_S = 1.0

    def __init__(
        self,
        notifier: Notifier,
        interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        gate: Callable[[], bool] | None = None,
    ) -> None:
        self.notifier = notifier
        self.interval = interval
        self.clock = clock
        # The rest of the kiosk's say: no ping while it answers False (a vital thread is dead
        # or hung), so systemd restarts a kiosk that only its main loop keeps looking alive.
        self.gate = gate
        self._due: float | None = None  # None: ping on the first tick

    @classmethod
    def from_environment(cls, notifier: Notifier | None = None,
                         gate: Callable[[], bool] | None = None) -> "WatchdogPinger":
        notifier = notifier if notifier is not None else Notifier()
        return cls(notifier, watchdog_interval() if notifier.enabled else None, gate=gate)

    @property
    def enabled(self) -> bool:
        return self.interval is not None and self.notifier.enabled

    def tick(self, now: float | None = None) -> bool:
        """Ping if the next ping is due; True if a ping was sent."""
        if not self.enabled:
            return False
        assert self.interval is not None
        now = self.clock() if now is None else now
        if self._due is not None and now < self._due:
            return False
        if self.gate is not None and not self.gate():
            return False   # still due: the first tick after the gate opens pings
        sent = self.notifier.watchdog()
        self._due = now + (self.interval if sent else min(self.RETRY_S, self.interval))
        return sent

    def max_sleep(self, now: float | None = None) -> float:
        """Seconds the main loop may sleep before it must call tick() again (at most IDLE_SLEEP)."""
        if not self.enabled:
            return self.IDLE_SLEEP
        if self._due is None:
            return 0.0
        now = self.clock() if now is None else now
        return min(self.IDLE_SLEEP, max(0.0, self._due - now))
