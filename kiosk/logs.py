"""Logging for journald: syslog priority prefixes, no timestamps of our own, card numbers masked."""

from __future__ import annotations

import logging
import sys

from kiosk.cards import mask_card_numbers_in_text

# sd-daemon(3) priority prefixes: journald strips them and stores the level.
_PRIORITY = {
    logging.CRITICAL: 2,
    logging.ERROR: 3,
    logging.WARNING: 4,
    logging.INFO: 6,
    logging.DEBUG: 7,
}


class CardMaskingFilter(logging.Filter):
    """Rewrites every record's message so that no full card number reaches any handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_card_numbers_in_text(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        return True


class JournaldFormatter(logging.Formatter):
    """`<6>kiosk.topup: message` — journald adds time and unit, so we add neither."""

    def format(self, record: logging.LogRecord) -> str:
        prefix = _PRIORITY.get(record.levelno, 6 if record.levelno < logging.WARNING else 3)
        text = f"<{prefix}>{record.name}: {record.getMessage()}"
        if record.exc_info:
            trace = self.formatException(record.exc_info)
            text += "\n" + mask_card_numbers_in_text(trace)
        return text


def setup_logging(level: int = logging.INFO) -> None:
    """Route all logging to stderr in journald form, with card masking on every record."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JournaldFormatter())
    handler.addFilter(CardMaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
