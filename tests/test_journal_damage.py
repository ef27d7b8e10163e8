"""A damaged journal is refused at open, named, and left byte for byte as it was (issue 9 finding 12)."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from kiosk.journal import JOURNAL_FILE, Journal, JournalDamaged, State
from kiosk.journal_check import MARKER_FILE

CARD = "9276004429942845"


def _journal_with_rows(state_dir: Path, rows: int = 300) -> Path:
    with Journal.open_in(state_dir) as journal:
        for _ in range(rows):
            ref = journal.begin(card_number=CARD, amount=100, currency="EUR",
                                start_type="cash").reference
            journal.advance(ref, State.NOT_EXECUTED, error="x" * 300)
    path = state_dir / JOURNAL_FILE
    assert not path.with_name(JOURNAL_FILE + "-wal").exists()   # all in the main file
    return path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _refused(path: Path, match: str) -> None:
    before = _digest(path) if path.exists() else None
    with pytest.raises(JournalDamaged, match=match) as caught:
        Journal(path)
    assert str(path) in str(caught.value) and "kept as it is for support" in str(caught.value)
    assert (_digest(path) if path.exists() else None) == before


def test_garbage_is_refused(tmp_path):
    path = tmp_path / JOURNAL_FILE
    path.write_bytes(b"this is not a database\n" * 500)
    _refused(path, "not an SQLite database")


def test_truncated_file_is_refused(tmp_path):
    path = _journal_with_rows(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    _refused(path, "truncated")


def test_overwritten_page_fails_the_integrity_check(tmp_path):
    path = _journal_with_rows(tmp_path)
    page = sqlite3.connect(path).execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(path.read_bytes())
    data[page * 3: page * 4] = b"\xa5" * page          # one whole page of garbage
    path.write_bytes(bytes(data))
    _refused(path, "integrity check failed")


def test_empty_file_after_creation_is_refused(tmp_path):
    path = _journal_with_rows(tmp_path, rows=1)
    path.write_bytes(b"")
    _refused(path, "empty \\(0 bytes\\)")


def test_missing_file_after_creation_is_refused(tmp_path):
    path = _journal_with_rows(tmp_path, rows=1)
    path.unlink()
    _refused(path, "missing")
    assert not path.exists()                            # not silently made anew


def test_missing_schema_after_creation_is_refused(tmp_path):
    path = _journal_with_rows(tmp_path, rows=1)
    db = sqlite3.connect(path)
    db.execute("DROP TABLE topups")
    db.commit()
    db.close()
    _refused(path, "top-up table is missing")


def test_new_and_never_finished_journals_are_accepted(tmp_path):
    # No marker: a 0-byte file is what a process stopped between create and schema leaves.
    path = tmp_path / JOURNAL_FILE
    path.write_bytes(b"")
    with Journal(path) as journal:
        assert journal.recent() == []
    assert (tmp_path / MARKER_FILE).exists()


SCHEMA_1 = """
CREATE TABLE topups (
    id INTEGER PRIMARY KEY AUTOINCREMENT, reference TEXT NOT NULL UNIQUE,
    amount INTEGER NOT NULL CHECK (amount > 0), currency TEXT NOT NULL,
    card_masked TEXT NOT NULL, card_number TEXT, start_type TEXT NOT NULL, state TEXT NOT NULL,
    stx_id TEXT, trans_id TEXT, receipt TEXT, new_balance INTEGER, last_error TEXT,
    support_id TEXT, reason TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    CHECK (card_number IS NULL OR state IN ('INTENT', 'CREATED', 'STARTING', 'UNKNOWN')));
CREATE INDEX topups_state ON topups (state);
PRAGMA user_version=1;
"""


def test_a_schema_1_journal_is_upgraded_and_marked(tmp_path):
    """Journals made before the marker existed: opened as they are, marked from then on."""
    path = tmp_path / JOURNAL_FILE
    db = sqlite3.connect(path)
    db.executescript(SCHEMA_1)
    lines = '[{"type": "textline", "value": {"text": "15,00 EUR"}}]'
    for i, (state, receipt) in enumerate([("DONE", lines), ("NOT_EXECUTED", None),
                                          ("DONE", None)]):
        db.execute("INSERT INTO topups (reference, amount, currency, card_masked, start_type,"
                   " state, receipt, created_at, updated_at) VALUES (?,1500,'EUR','x','cash',"
                   "?,?,'t','t')", (f"ref-{i}", state, receipt))
    db.commit()
    db.close()
    with Journal(path) as journal:
        counts = journal.counts()
        assert counts[State.DONE] == 2 and counts[State.NOT_EXECUTED] == 1
        assert [line.text for line in journal.get("ref-0").receipt] == ["15,00 EUR"]
        assert journal.last_receipt().reference == "ref-0"
    assert (tmp_path / MARKER_FILE).exists()


@pytest.mark.parametrize("command", [["journal"], ["recover"], ["reprint"],
                                     ["topup", "--card", CARD, "--amount", "10"]])
def test_commands_exit_4_naming_the_file(sandbox, tmp_path, monkeypatch, capsys, command):
    from kiosk import cli
    from kiosk.commands.sandbox import write_client_config
    from kiosk.config import load_config

    monkeypatch.setattr(cli, "setup_logging", lambda level: None)
    config_path = write_client_config(sandbox, tmp_path / "kiosk.toml")
    state_dir = load_config(config_path).state_dir
    state_dir.mkdir(exist_ok=True)
    path = state_dir / JOURNAL_FILE
    path.write_bytes(b"\x00garbage" * 100)
    assert cli.main([command[0], "--config", str(config_path), *command[1:]]) == cli.EXIT_JOURNAL
    err = capsys.readouterr().err
    assert f"{path}: the journal is damaged" in err
    assert path.read_bytes() == b"\x00garbage" * 100


def test_a_journal_left_by_a_killed_process_is_not_damage(tmp_path):
    """Commits still in the WAL (no checkpoint, no close) are SQLite's to replay, not damage."""
    import subprocess
    import sys

    script = (f"import os\nfrom kiosk.journal import Journal\n"
              f"j = Journal.open_in({str(tmp_path)!r})\nfor _ in range(300):\n"
              f"    j.begin(card_number={CARD!r}, amount=100, currency='EUR', start_type='cash')\n"
              f"os._exit(0)\n")
    subprocess.run([sys.executable, "-c", script], check=True,
                   cwd=Path(__file__).resolve().parents[1])
    assert (tmp_path / (JOURNAL_FILE + "-wal")).stat().st_size > 0
    (tmp_path / (JOURNAL_FILE + "-shm")).unlink()       # only an index SQLite rebuilds
    with Journal(tmp_path / JOURNAL_FILE) as journal:
        assert len(journal.unfinished()) == 300
