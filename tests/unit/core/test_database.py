"""The engines behind requests: safe requests read through one that cannot write."""

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.core.db import Database
from app.forum.models import Channel


def test_the_reader_refuses_to_write_and_the_writer_writes(database):
    db = Database(database.url)
    try:
        with db.session(write=False) as session:
            assert session.execute(select(func.count()).select_from(Channel)).scalar_one() >= 0
            with pytest.raises(DBAPIError):
                session.execute(text("DELETE FROM rate_limit WHERE 1 = 0"))
        with db.session() as session:
            session.execute(text("DELETE FROM rate_limit WHERE 1 = 0"))
            session.rollback()
    finally:
        db.dispose()
