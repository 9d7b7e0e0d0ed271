"""`forum backup` and `forum restore`: a whole database to a file and back, safe while the server runs.

SQLite goes through its online backup API (a copy of the file while it is written can lose what the
write-ahead log still holds); PostgreSQL through pg_dump and pg_restore, its documented route.
"""

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app.core.db import is_sqlite

# What a summary counts: enough to see at a glance that a backup holds the forum.
COUNTED = ("member", "channel", "thread", "post", "notification", "subscription")


class BackupError(Exception):
    """Why a backup or a restore did not happen, in words for the operator."""


def backup(url: str, target: Path) -> dict[str, int]:
    """Write the database at ``url`` to ``target``; the row counts of what it holds."""
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists already: choose a new file")
    if not is_sqlite(url):
        _run("pg_dump", "--format=custom", f"--file={target}", f"--dbname={_libpq(url)}")
        return counts(url)
    partial = target.with_name(target.name + ".partial")
    source, copy = sqlite3.connect(_sqlite_path(url)), sqlite3.connect(partial)
    try:
        source.backup(copy)  # pages copied under a read transaction: a consistent snapshot
        _check(copy, partial)
    finally:
        source.close()
        copy.close()
    partial.rename(target)
    return counts(f"sqlite:///{target}")


def restore(source: Path, url: str, *, force: bool = False) -> dict[str, int]:
    """Put a backup back into the database at ``url``; refuses one that holds members, unless ``force``."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    if not force and counts(url).get("member"):
        raise BackupError("the database holds members already: stop the server and add --force to replace it")
    if not is_sqlite(url):
        _run("pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={_libpq(url)}", str(source))
        return counts(url)
    backup_file = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    target_path = _sqlite_path(url)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    target = sqlite3.connect(target_path)
    try:
        _check(backup_file, source)
        backup_file.backup(target)
    finally:
        backup_file.close()
        target.close()
    return counts(url)


def counts(url: str) -> dict[str, int]:
    """Rows in each COUNTED table that exists (none for an empty or missing database)."""
    if is_sqlite(url) and not _sqlite_path(url).exists():
        return {}
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            present = set(inspect(connection).get_table_names())
            return {name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
                    for name in COUNTED if name in present}
    finally:
        engine.dispose()


def _check(connection: sqlite3.Connection, path: Path) -> None:
    try:
        found = connection.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a SQLite database ({error})") from error
    if found != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check: {found}")
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if "alembic_version" not in tables:
        raise BackupError(f"{path} is not a Common Ground database (it has no migrations)")


def _sqlite_path(url: str) -> Path:
    return Path(make_url(url).database or "")


def _libpq(url: str) -> str:
    """The SQLAlchemy URL as pg_dump takes it (no driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(tool: str, *args: str) -> None:
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is not installed: install PostgreSQL's client tools (apt-get install "
                          "postgresql-client) or run it yourself")
    done = subprocess.run([tool, *args], capture_output=True, text=True)
    if done.returncode:
        raise BackupError(f"{tool} failed: {done.stderr.strip()}")
