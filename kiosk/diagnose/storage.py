"""State directory and journal checks that only read: no file is created, written or chowned."""

from __future__ import annotations

import os
import pwd
import sqlite3
import stat
from pathlib import Path

from kiosk.config import Config
from kiosk.diagnose import CheckFailed
from kiosk.journal import JOURNAL_FILE, SCHEMA_VERSION, UNFINISHED

# Below this the kiosk goes out of service before taking money (`[journal] min_free_mb`, where
# the config has that section; this is its default).
DEFAULT_MIN_FREE_MB = 50


def min_free_mb(config: Config) -> int:
    journal = getattr(config, "journal", None)  # the [journal] section of newer configs
    return int(getattr(journal, "min_free_mb", DEFAULT_MIN_FREE_MB))


def check_state_dir(config: Config, service_user: str) -> str:
    """Exists, belongs to the service's user, owner-only, enough free space."""
    directory = config.state_dir
    where = f"[state] directory in {config.source}"
    try:
        info = directory.stat()
    except FileNotFoundError:
        raise CheckFailed(f"{directory}: state directory does not exist ({where}); the package "
                          f"creates it (owner {service_user}, mode 0700)") from None
    if not stat.S_ISDIR(info.st_mode):
        raise CheckFailed(f"{directory}: state directory does not exist, a file is there "
                          f"({where})")
    owner = _user_name(info.st_uid)
    if owner != service_user:
        raise CheckFailed(f"{directory}: owned by {owner}, but the service runs as "
                          f"{service_user}: sudo chown -R {service_user}: {directory}")
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o700 != 0o700 or mode & 0o022:
        # Whoever may write the folder may swap the journal (full card numbers in open rows)
        # or the device token; the package makes it 0700, as StateDirectoryMode= does.
        raise CheckFailed(f"{directory}: mode {mode:04o}; the journal's folder must be "
                          f"writable by {service_user} only: sudo chmod 0700 {directory}")
    fs = os.statvfs(directory)
    free_mb = fs.f_bavail * fs.f_frsize / 1e6
    floor = min_free_mb(config)
    if free_mb < floor:
        raise CheckFailed(f"{directory}: only {free_mb:.0f} MB free, the kiosk needs "
                          f"{floor} MB to take money; free space on that disk")
    return f"{directory}: owner {owner}, mode {mode:04o}, {free_mb:.0f} MB free"


def check_journal(config: Config) -> str:
    """Integrity (PRAGMA quick_check), schema and unfinished rows, read without writing.

    The Journal class would create a missing file and switch it to WAL, so SQLite is asked
    directly: `immutable=1` when no -wal file exists (all content is in the main file, and a
    read-only connection would otherwise create -wal and -shm owned by whoever runs doctor);
    `mode=ro` while the kiosk has them open, so that the WAL's newest commits are seen.
    """
    path = config.state_dir / JOURNAL_FILE
    if not path.exists():
        return f"{path}: no journal yet (the kiosk creates it at its first start)"
    try:
        db = open_read_only(path)
        try:
            problems = [row[0] for row in db.execute("PRAGMA quick_check")]
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if problems != ["ok"]:
                raise CheckFailed(f"{path}: damaged ({'; '.join(problems[:3])}); keep the file "
                                  f"for support and do not delete it")
            if version == 0:
                raise CheckFailed(f"{path}: holds no journal (empty or truncated file); keep "
                                  f"it for support")
            if version != SCHEMA_VERSION:
                raise CheckFailed(f"{path}: journal schema {version}, this kiosk uses "
                                  f"{SCHEMA_VERSION}")
            marks = ",".join("?" for _ in UNFINISHED)
            open_rows = db.execute(f"SELECT COUNT(*) FROM topups WHERE state IN ({marks})",
                                   tuple(s.value for s in UNFINISHED)).fetchone()[0]
            total = db.execute("SELECT COUNT(*) FROM topups").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error as exc:
        raise CheckFailed(f"{path}: cannot read the journal: {exc}; keep the file for "
                          f"support") from None
    if open_rows:
        raise CheckFailed(f"{path}: {open_rows} unfinished top-up(s); run `kiosk recover` "
                          f"(the kiosk also settles them before its first customer)")
    return f"{path}: intact, {total} top-up(s), none unfinished"


def open_read_only(path: Path) -> sqlite3.Connection:
    """The journal without writing to it (see check_journal)."""
    live = Path(f"{path}-wal").exists() and Path(f"{path}-shm").exists()
    return sqlite3.connect(f"file:{path}?{'mode=ro' if live else 'immutable=1'}", uri=True)


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"
