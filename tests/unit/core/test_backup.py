"""forum backup and restore: a backup taken during a burst of posting restores with every post
acknowledged before it began; a restore checks what it is given and will not replace a database in use."""

import os
import threading
import time

import pytest
from alembic import command
from sqlalchemy import select

from app.accounts.models import Member, Viewer
from app.cli import alembic_config
from app.core import backup
from app.core.db import Database, is_sqlite
from app.forum import posting
from app.forum.models import Channel, Post, Thread
from tests.databases import scratch_database
from tests.factories import make_channel, make_member


@pytest.fixture
def forum(scratch_database_url):
    command.upgrade(alembic_config(scratch_database_url), "head")
    db = Database(scratch_database_url)
    with db.session() as session:
        channel, author = make_channel(session), make_member(session)
        thread, _ = posting.start_thread(session, channel=channel, author=Viewer.of(author), title="Busy",
                                         body="Posts keep coming.")
        session.commit()
        ids = {"channel": channel.id, "thread": thread.id, "author": author.id}
    yield db, scratch_database_url, ids
    db.dispose()


def _burst(db, ids, acknowledged: list[str], stop: threading.Event) -> None:
    """Replies, each committed before it counts as acknowledged, until told to stop."""
    while not stop.is_set():
        with db.session() as session:
            thread, channel = session.get(Thread, ids["thread"]), session.get(Channel, ids["channel"])
            post, _ = posting.reply_to_thread(session, thread=thread, channel=channel, body="One more.",
                                              author=Viewer.of(session.get(Member, ids["author"])))
            session.commit()
        acknowledged.append(post.public_id)


def test_a_backup_taken_during_a_burst_restores_every_post_acknowledged_before_it(forum, tmp_path):
    db, url, ids = forum
    if not is_sqlite(url) and backup.shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    acknowledged, stop = [], threading.Event()
    writer = threading.Thread(target=_burst, args=(db, ids, acknowledged, stop))
    writer.start()
    try:
        while len(acknowledged) < 20:
            time.sleep(0.01)
        before = list(acknowledged)
        found = backup.backup(url, tmp_path / "forum.backup")
        while len(acknowledged) < len(before) + 20:  # the burst went on through the backup
            time.sleep(0.01)
    finally:
        stop.set()
        writer.join()
    assert found["member"] == 1 and found["post"] >= len(before) + 1
    # Beside the test's own database (importing tests.conftest would run it a second time)
    with scratch_database(os.environ.get("TEST_DATABASE_URL", ""), tmp_path, prefix="cg_restored") as restored_url:
        counts = backup.restore(tmp_path / "forum.backup", restored_url)
        restored = Database(restored_url)
        with restored.session() as session:
            kept = set(session.execute(select(Post.public_id)).scalars())
        restored.dispose()
        assert set(before) <= kept and counts["post"] == len(kept)
        # A second restore would replace a forum in use: refused unless forced.
        with pytest.raises(backup.BackupError, match="--force"):
            backup.restore(tmp_path / "forum.backup", restored_url)
        assert backup.restore(tmp_path / "forum.backup", restored_url, force=True)["post"] == len(kept)
    with pytest.raises(backup.BackupError, match="exists already"):
        backup.backup(url, tmp_path / "forum.backup")


def test_a_restore_refuses_what_is_not_a_forum_backup(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"SQLite format 3\x00" + b"\x00" * 4000)
    with pytest.raises(backup.BackupError):
        backup.restore(junk, f"sqlite:///{tmp_path / 'new.db'}")
    with pytest.raises(backup.BackupError, match="not a file"):
        backup.restore(tmp_path / "missing", f"sqlite:///{tmp_path / 'new.db'}")
