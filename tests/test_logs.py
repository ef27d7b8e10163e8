"""Journald log form: a priority prefix on every line, no timestamps, never a full card number."""

from __future__ import annotations

import io
import logging
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.logs import setup_logging, syslog_priority

REPO = Path(__file__).resolve().parents[1]
CARD = "9276004429942845"
MASKED = "9276 •••• •••• 2845"
FULL_CARD_RE = re.compile(r"\d(?:[ -]?\d){15}")


@pytest.fixture
def log_stream():
    """setup_logging into a buffer; the root logger and hooks are restored afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level, sys.excepthook
    import threading
    saved_thread_hook = threading.excepthook
    stream = io.StringIO()
    setup_logging(logging.DEBUG, stream)
    yield stream
    root.handlers[:], root.level, sys.excepthook = saved
    threading.excepthook = saved_thread_hook


@pytest.mark.parametrize(
    "level, priority",
    [(logging.DEBUG, 7), (logging.INFO, 6), (25, 6), (logging.WARNING, 4), (35, 4),
     (logging.ERROR, 3), (logging.CRITICAL, 2), (5, 7)],
)
def test_priorities(level, priority):
    assert syslog_priority(level) == priority


def test_one_line_per_record_with_prefix_and_no_timestamp(log_stream):
    logging.getLogger("kiosk.printer").warning("paper near end on %s", "/dev/kiosk-printer")
    logging.getLogger("kiosk.ui").debug("frame")
    assert log_stream.getvalue() == (
        "<4>kiosk.printer: paper near end on /dev/kiosk-printer\n<7>kiosk.ui: frame\n"
    )


def test_card_number_in_arguments_is_masked(log_stream):
    logging.getLogger("kiosk.flow").info("card %s scanned, spaced %s", CARD, "9276 0044 2994 2845")
    out = log_stream.getvalue()
    assert out == f"<6>kiosk.flow: card {MASKED} scanned, spaced {MASKED}\n"
    assert not FULL_CARD_RE.search(out)


def test_traceback_is_masked_and_every_line_keeps_the_priority(log_stream):
    try:
        raise ValueError(f"card {CARD} refused by the API")
    except ValueError:
        logging.getLogger("kiosk.topup").exception("top-up failed for %s", CARD)
    out = log_stream.getvalue()
    lines = out.splitlines()
    assert len(lines) > 3
    assert all(line.startswith("<3>") for line in lines), out
    assert lines[0] == f"<3>kiosk.topup: top-up failed for {MASKED}"
    assert lines[-1] == f"<3>ValueError: card {MASKED} refused by the API"
    assert CARD not in out


def test_stack_info_is_masked_too(log_stream):
    def deep(number):  # the card number appears in source text shown by the stack dump
        logging.getLogger("kiosk").info("here", stack_info=True)

    deep("9276004429942845")
    out = log_stream.getvalue()
    assert all(line.startswith("<6>") for line in out.splitlines())
    assert CARD not in out


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("INVOCATION_ID", "JOURNAL_STREAM")}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env={**clean, **env},
        capture_output=True, text=True, timeout=30,
    )


def test_uncaught_exceptions_go_through_the_masking_path():
    result = run_python(
        "import threading\n"
        "from kiosk.logs import setup_logging\n"
        "setup_logging()\n"
        f"t = threading.Thread(target=lambda: int('card {CARD}'), name='reader')\n"
        "t.start(); t.join()\n"
        f"raise RuntimeError('lost answer for {CARD}')\n"
    )
    assert result.returncode == 1
    err = result.stderr
    assert CARD not in err
    assert "<2>kiosk: uncaught exception in thread reader" in err
    assert f"<2>RuntimeError: lost answer for {MASKED}" in err
    assert all(line.startswith("<2>") for line in err.splitlines()), err


def test_watchdog_abort_under_systemd_dumps_every_thread():
    # WatchdogSignal=SIGABRT: with faulthandler on, the journal shows where the loop hung.
    code = (
        "import os, threading\n"
        "from kiosk.logs import setup_logging\n"
        "setup_logging()\n"
        "def hung_main_loop():\n"
        "    os.abort()\n"
        "hung_main_loop()\n"
    )
    result = run_python(code, INVOCATION_ID="0123456789abcdef")
    assert result.returncode == -signal.SIGABRT
    assert "Fatal Python error: Aborted" in result.stderr
    assert "hung_main_loop" in result.stderr
    # Outside systemd nothing is dumped (an interactive crash keeps Python's own behaviour).
    plain = run_python(code)
    assert plain.returncode == -signal.SIGABRT
    assert "hung_main_loop" not in plain.stderr


def test_default_handler_follows_a_swapped_stderr(monkeypatch):
    """A stderr replaced after set-up (pytest's capture, a wrapper) gets the records."""
    import io
    import logging
    import sys

    from kiosk.logs import setup_logging

    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_hooks = sys.excepthook, __import__("threading").excepthook
    try:
        setup_logging()
        later = io.StringIO()
        monkeypatch.setattr(sys, "stderr", later)
        logging.getLogger("kiosk.test").warning("card 9276004429942845 seen")
        assert later.getvalue() == "<4>kiosk.test: card 9276 •••• •••• 2845 seen\n"
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        sys.excepthook, __import__("threading").excepthook = saved_hooks
