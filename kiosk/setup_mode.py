"""`kiosk run` before the kiosk is set up: the setup-needed screen until the files change.

A fresh install has an empty client secret. Exiting would make systemd start the kiosk every
few seconds behind a black screen; instead the kiosk stays up (READY=1, watchdog fed), says on
screen which file is missing what and the command that fixes it, and looks at the files every
SETUP_POLL_S seconds. When one changed it reloads: under systemd by exiting (systemd restarts
it, and only a restart loads LoadCredential= files again), elsewhere by opening again in place.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from kiosk.config import Config, ConfigError
from kiosk.flow_events import SetupNeeded
from kiosk.journal_down import RefusingBackend
from kiosk.sdnotify import Notifier, WatchdogPinger

log = logging.getLogger(__name__)

SETUP_POLL_S = 2.0


def setup_problem(error: ConfigError, config_path: str,
                  env: Mapping[str, str] = os.environ) -> tuple[SetupNeeded, Path]:
    """What is missing and the command that fixes it, and the file to watch, from a refusal.

    Every ConfigError starts with the file it is about ("<file>[:line]: ..."). A secret read
    from $CREDENTIALS_DIRECTORY is systemd's copy of the file beside the config
    (LoadCredential=client_secret:/etc/kiosk/client_secret): the technician edits that one.
    """
    message = str(error)
    named = Path(message.split(":", 1)[0]) if ":" in message else Path(config_path)
    credentials = env.get("CREDENTIALS_DIRECTORY")
    if credentials and named.parent == Path(credentials):
        original = Path(config_path).absolute().parent / named.name
        message = message.replace(str(named), str(original))
        named = original
    command = "chmod 600" if "chmod 600" in message else "nano"
    return SetupNeeded(message, f"sudo {command} {named}"), named


@dataclass
class FileWatch:
    """Notices a file created, removed, written or replaced (an editor saving a new inode)."""

    paths: Sequence[Path]
    _seen: tuple[object, ...] = field(default=(), init=False)

    def __post_init__(self) -> None:
        self._seen = self.snapshot()

    def snapshot(self) -> tuple[object, ...]:
        shot: list[object] = []
        for path in self.paths:
            try:
                info = path.stat()
            except OSError:
                shot.append((str(path), None))
            else:
                shot.append((str(path), info.st_ino, info.st_size, info.st_mtime_ns))
        return tuple(shot)

    def changed(self) -> bool:
        now = self.snapshot()
        if now == self._seen:
            return False
        self._seen = now
        return True


def wait_for_setup(error: ConfigError, config_path: str, *, config: Config | None = None,
                   window: bool = False, notifier: Notifier | None = None,
                   poll_s: float = SETUP_POLL_S,
                   ui_options: Mapping[str, Any] | None = None) -> bool:
    """Show the setup-needed screen; True once a watched file changed, False when stopped.

    `config` (when the file itself was fine and a secret was not) gives the screen its size,
    rotation and language; otherwise the defaults draw it. Raises pygame.error without display.
    """
    from kiosk.ui.loop import KioskUi

    problem, named = setup_problem(error, config_path)
    watch = FileWatch(sorted({Path(config_path).absolute(), named}))
    notifier = notifier if notifier is not None else Notifier()
    pinger = WatchdogPinger.from_environment(notifier)
    log.error("setup needed: %s; fix: %s (the kiosk reloads when the file changes)",
              problem.missing, problem.fix)
    changed = False
    stop_asked = False
    ready_sent = False
    next_poll = time.monotonic() + poll_s
    ui: Any = None

    def tick(now: float) -> None:
        nonlocal changed, ready_sent, next_poll
        pinger.tick()
        if stop_asked:
            ui.stop()
            return
        if not ready_sent:
            # Up and showing what to do: a restart would not fill in the secret.
            ready_sent = True
            notifier.ready(f"Kiosk: setup needed: {problem.missing}")
        if time.monotonic() >= next_poll:
            next_poll = time.monotonic() + poll_s
            if watch.changed():
                log.info("setup files changed: loading the configuration again")
                changed = True
                ui.stop()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        # Only a flag: ui.stop() sets a threading.Event, whose lock the interrupted main
        # thread may hold at this very moment. The loop wakes at least every poll_s.
        nonlocal stop_asked
        log.info("%s: stopping", signal.Signals(signum).name)
        stop_asked = True

    ui = KioskUi.from_config(config or Config(), RefusingBackend(error, lambda: ui.stop()),
                             admin_pin=None, window=window, on_tick=tick,
                             max_sleep=min(poll_s, WatchdogPinger.IDLE_SLEEP),
                             **dict(ui_options or {}))
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        ui.post(problem)
        ui.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        ui.close()
        if not changed:
            notifier.stopping("Kiosk wird beendet / stopping")
        notifier.close()
    return changed
