"""Databases of their own for tests that need real separate connections or a whole server."""

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def scratch_database(test_url: str, folder: Path, prefix: str = "cg_scratch") -> Iterator[str]:
    """A new SQLite file in ``folder``, or a new PostgreSQL database beside ``test_url``, dropped afterwards."""
    if not test_url.startswith("postgresql"):
        yield f"sqlite:///{folder / f'{prefix}.db'}"
        return
    from sqlalchemy import create_engine, text

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(test_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield test_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
