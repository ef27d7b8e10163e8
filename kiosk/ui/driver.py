"""Drives the real UI loop like a customer would: keys, taps, waiting for screens (demos, tests)."""

from __future__ import annotations

import pygame

from kiosk.flow import Screen, done_held
from kiosk.ui.loop import KioskUi


class UiDriver:
    """Scripted input through the same pygame event path as a real keypad or touch panel."""

    def __init__(self, ui: KioskUi, timeout: float = 10.0) -> None:
        self.ui = ui
        self.timeout = timeout

    def wait_for(self, screen: Screen, timeout: float | None = None) -> None:
        """Run the loop until `screen` is shown; TimeoutError names where it got stuck."""
        ok = self.ui.run_until(lambda u: u.state.screen == screen and u.frame is not None
                               and u.shown_screen == screen, timeout or self.timeout)
        if not ok:
            raise TimeoutError(f"waited for the {screen.value} screen, still on "
                               f"{self.ui.state.screen.value}")

    def settle(self) -> None:
        """Let the done screen's first second pass, as a person would before "finish"."""
        self.ui.run_until(lambda u: not done_held(u.state, u.clock()), self.timeout)

    def key(self, key: int, mod: int = 0) -> None:
        """One key press (pygame.K_...), handled by one turn of the loop."""
        self.settle()
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=mod, unicode="",
                                             scancode=0))
        self.ui.iterate(max_wait=0.01)

    def type(self, digits: str) -> None:
        for d in digits:
            self.key(getattr(pygame, f"K_{d}"))

    def tap(self, name: str) -> None:
        """A tap where the named button appears on the (possibly rotated) panel."""
        ui = self.ui
        self.settle()
        assert ui.frame is not None
        point = ui.frame.button(name).rect.center
        # A person looks at a new screen before tapping, and does not tap where they just
        # tapped at once: the script waits the same (see TapFilter).
        ui.run_until(lambda u: u.taps.wait_needed(point, u.clock()) <= 0, self.timeout)
        x, y = ui.rotation.to_physical(*point)
        for kind in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
            pygame.event.post(pygame.event.Event(kind, pos=(int(x), int(y)), button=1))
        ui.iterate(max_wait=0.01)

    def screenshot(self, path: str) -> None:
        self.ui.screenshot(path)
