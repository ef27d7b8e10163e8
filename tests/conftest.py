"""Shared test setup: headless SDL, and the fixture plugins of each part of the kiosk."""

import os

# pygame must never try to open a real window or sound device in tests.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

pytest_plugins: list[str] = ["tests.fixtures.reader", "tests.fixtures.sandbox", "tests.fixtures.printer", "tests.fixtures.ui", "tests.test_topup_env"]
