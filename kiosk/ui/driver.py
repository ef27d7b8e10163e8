"""Drives the real UI loop like a customer would: keys, taps, waiting for screens (demos, tests)."""

from __future__ import annotations

import pygame

from kiosk.flow import Screen
from kiosk.ui.loop import TAP_DEBOUNCE_S, KioskUi


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

    def key(self, key: int, mod: int = 0) -> None:
        """One key press (pygame.K_...), handled by one turn of the loop."""
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, mod=mod, unicode="",
                                             scancode=0))
        self.ui.iterate(max_wait=0.01)

    def type(self, digits: str) -> None:
        for d in digits:
            self.key(getattr(pygame, f"K_{d}"))

    def tap(self, name: str) -> None:
        """A tap where the named button appears on the (possibly rotated) panel."""
        ui = self.ui
        # A person does not tap twice within the debounce time; neither does the script.
        ui.run_until(lambda u: u.clock() - u.taps.last_tap >= TAP_DEBOUNCE_S, self.timeout)
        assert ui.frame is not None
        button = ui.frame.button(name)
        x, y = ui.rotation.to_physical(*button.rect.center)
        for kind in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
            pygame.event.post(pygame.event.Event(kind, pos=(int(x), int(y)), button=1))
        ui.iterate(max_wait=0.01)

    def screenshot(self, path: str) -> None:
        self.ui.screenshot(path)
