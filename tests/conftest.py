"""Shared test setup: headless SDL, and the fixture plugins of each part of the kiosk."""

import os
import re
from pathlib import Path

import pytest

# pygame must never try to open a real window or sound device in tests.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

pytest_plugins: list[str] = ["tests.fixtures.reader", "tests.fixtures.sandbox", "tests.fixtures.printer", "tests.fixtures.ui", "tests.test_topup_env"]


# --- after the suite: no full card number left on disk --------------------------------------
# Every journal, log and printed receipt the tests wrote lies under pytest's base temp folder.
# Card numbers are credentials: once the suite is over, none may remain there in full. Config
# files are exempt (they name admin cards on purpose).
_CARD_RE = re.compile(rb"(?<![0-9])9276[0-9]{12}(?![0-9])")
_SCANNED_SUFFIXES = (".sqlite3", ".sqlite3-wal", ".sqlite3-shm", ".log", ".txt", ".json")


def _files_with_card_numbers(base: Path) -> list[str]:
    found = []
    for path in base.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.name.endswith(_SCANNED_SUFFIXES):
            try:
                data = path.read_bytes()
            except OSError:
                continue
            if _CARD_RE.search(data):
                found.append(str(path.relative_to(base)))
    return found


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None or session.config.option.collectonly:
        return
    leaked = _files_with_card_numbers(factory.getbasetemp())
    if leaked:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line("FULL CARD NUMBERS LEFT ON DISK AFTER THE SUITE:", red=True)
            for name in leaked:
                reporter.write_line(f"  {name}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
