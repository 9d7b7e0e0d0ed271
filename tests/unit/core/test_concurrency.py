"""Concurrent posters never see "database is locked" (SQLite) and post numbers stay unique (both)."""

import threading

from alembic import command
from sqlalchemy import func, select

from app.accounts.models import Member, Viewer
from app.cli import alembic_config
from app.core.db import Database, is_sqlite
from app.forum import posting
from app.forum.models import Channel, Post, Thread
from tests.factories import password_hash


def test_many_writers_at_once(scratch_database_url):
    url = scratch_database_url
    command.upgrade(alembic_config(url), "head")
    db = Database(url)
    with db.session() as session:
        channel = Channel(slug="c", name="C")
        session.add(channel)
        members = [Member(email=f"m{i}@example.org", handle=f"m{i}", display_name=f"M {i}",
                          password_hash=password_hash()) for i in range(8)]
        session.add_all(members)
        session.flush()
        thread, _ = posting.start_thread(session, channel=channel, author=members[0], title="T", body="B")
        session.commit()
        viewers = [Viewer.of(m) for m in members]
        thread_id, channel_id = thread.id, channel.id
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def post_replies(viewer: Viewer) -> None:
        barrier.wait()
        for n in range(10):
            try:
                with db.session() as session:
                    thread = session.get(Thread, thread_id)
                    channel = session.get(Channel, channel_id)
                    # Read first, then write: the pattern that deadlocks without BEGIN IMMEDIATE.
                    session.execute(select(func.count()).select_from(Post)).scalar_one()
                    post, problems = posting.reply_to_thread(session, thread=thread, channel=channel,
                                                             author=viewer, body=f"reply {n}")
                    assert post is not None, problems.fields
                    session.commit()
            except BaseException as exc:  # collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=post_replies, args=(v,)) for v in viewers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with db.session(write=False) as session:
        numbers = session.execute(select(Post.number).where(Post.thread_id == thread_id)).scalars().all()
        assert sorted(numbers) == list(range(1, 82))
        assert session.get(Thread, thread_id).reply_count == 80
        mode = session.execute(select(func.count()).select_from(Post)).scalar_one()
        assert mode == 81
    if is_sqlite(url):
        with db.reader.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    db.dispose()
