"""The journal's tables, indexes and triggers, and the upgrade from older journal files."""

from __future__ import annotations

import sqlite3

# user_version of a journal made by this code; 1: receipts inside `topups`, no state_counts;
# 2: no short reference; 3: no `events` table (CREATE IF NOT EXISTS adds it to older files).
SCHEMA_VERSION = 4

_SCRIPT = """
CREATE TABLE IF NOT EXISTS topups (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    reference    TEXT NOT NULL UNIQUE,
    short_ref    TEXT,  -- kiosk.shortref.short_reference(reference), e.g. K7Q4-2MXD
    amount       INTEGER NOT NULL CHECK (amount > 0),
    currency     TEXT NOT NULL,
    card_masked  TEXT NOT NULL,
    card_number  TEXT,
    start_type   TEXT NOT NULL,
    state        TEXT NOT NULL,
    stx_id       TEXT,
    trans_id     TEXT,
    receipt      TEXT,  -- schema 1 only; since schema 2 the lines live in `receipts`
    new_balance  INTEGER,
    last_error   TEXT,
    support_id   TEXT,
    reason       TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    CHECK (card_number IS NULL OR state IN ('INTENT', 'CREATED', 'STARTING', 'UNKNOWN'))
);
CREATE INDEX IF NOT EXISTS topups_state ON topups (state);
-- Retention walks rows by age; reprint looks for the newest row with receipt lines.
CREATE INDEX IF NOT EXISTS topups_updated ON topups (updated_at);
-- Receipt lines apart from their rows: dropping old receipts frees whole pages, which the
-- incremental vacuum hands back (a NULLed column would leave every page part-empty).
CREATE TABLE IF NOT EXISTS receipts (id INTEGER PRIMARY KEY, lines TEXT NOT NULL);
-- Rows per state, kept by triggers: metrics read it at every scrape, and counting the
-- state index grows with the journal.
CREATE TABLE IF NOT EXISTS state_counts (state TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS topups_counted_insert AFTER INSERT ON topups BEGIN
    INSERT INTO state_counts (state, n) VALUES (NEW.state, 1)
        ON CONFLICT (state) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS topups_counted_update AFTER UPDATE OF state ON topups
    WHEN OLD.state IS NOT NEW.state BEGIN
    UPDATE state_counts SET n = n - 1 WHERE state = OLD.state;
    INSERT INTO state_counts (state, n) VALUES (NEW.state, 1)
        ON CONFLICT (state) DO UPDATE SET n = n + 1;
END;
-- What happened besides top-ups (the card terminal's end of day, its diagnosis): a log the
-- operator reads with the top-ups, a handful of rows a day.
CREATE TABLE IF NOT EXISTS events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    kind    TEXT NOT NULL,
    result  TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT ''
);
CREATE TRIGGER IF NOT EXISTS topups_counted_delete AFTER DELETE ON topups BEGIN
    UPDATE state_counts SET n = n - 1 WHERE state = OLD.state;
    DELETE FROM receipts WHERE id = OLD.id;
END;
"""
# From schema 1: count the rows once (the triggers count from here on), move the receipts.
UPGRADE_FROM_1 = (
    "INSERT INTO state_counts (state, n) SELECT state, COUNT(*) FROM topups GROUP BY state",
    "INSERT INTO receipts (id, lines) SELECT id, receipt FROM topups WHERE receipt IS NOT NULL",
    "UPDATE topups SET receipt = NULL WHERE receipt IS NOT NULL",
)
# From schema 1 or 2: the short reference, computed for every row by the function the journal
# registers as short_ref() (kiosk.shortref); then its index (SHORT_REF_INDEX).
UPGRADE_TO_3 = (
    "ALTER TABLE topups ADD COLUMN short_ref TEXT",
    "UPDATE topups SET short_ref = short_ref(reference)",
)
# After the upgrade: an older table has no short_ref column before it. `kiosk journal --find`.
SHORT_REF_INDEX = "CREATE INDEX IF NOT EXISTS topups_short_ref ON topups (short_ref)"
# Every row read comes with its receipt lines.
SELECT_ROWS = ("SELECT topups.*, receipts.lines AS receipt_lines FROM topups"
           " LEFT JOIN receipts ON receipts.id = topups.id")


def _statements(script: str) -> list[str]:
    """A script cut into statements (a trigger's body holds semicolons of its own)."""
    statements, pending = [], ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    return statements


SCHEMA = _statements(_SCRIPT)
