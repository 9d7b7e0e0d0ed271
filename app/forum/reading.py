"""How far each member has read each thread, for the unread markers of the Latest page.

Opening a thread records its highest post number (Thread.post_count) under a member seal of the
member and the thread: the table names no member and no thread in clear, so it cannot tell who
followed a safe-space thread from its start. The numbers reach the reader's own pages only."""

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from app.core import db
from app.forum import visibility
from app.forum.models import Channel, Post, Thread, ThreadRead
from app.safespace import service as safespace


def read_key(member_id: int, thread_public_id: str) -> str:
    return safespace.member_seal(member_id, f"read:{thread_public_id}")


def mark_read(session: Session, member_id: int, thread_public_id: str, number: int) -> None:
    """Read up to ``number``; a lower number (an older page still loading) changes nothing."""
    statement = db.upsert(session, ThreadRead).values(key=read_key(member_id, thread_public_id), number=number)
    session.execute(statement.on_conflict_do_update(
        index_elements=["key"], set_={"number": statement.excluded.number},
        where=ThreadRead.number < statement.excluded.number))


def read_by_its_author(session: Session, *, post, thread, channel) -> None:
    """A member's own post is no news to them: publishing it reads the thread up to it for its author
    (in the safe space too, when it is released: the mark is keyed, like the rest of the table), if
    they had read everything before it; else others' posts they have not seen stay news."""
    author_id = safespace.author_id_of(post)
    if author_id is None:
        return
    if post.number == 1:
        mark_read(session, author_id, thread.public_id, 1)
        return
    key = read_key(author_id, thread.public_id)
    session.execute(update(ThreadRead).where(ThreadRead.key == key, ThreadRead.number == post.number - 1)
                    .values(number=post.number))


_READ_NUMBERS = select(ThreadRead.key, ThreadRead.number).where(ThreadRead.key.in_(bindparam("keys", expanding=True)))


def read_numbers(session: Session, member_id: int, thread_public_ids: list[str]) -> dict[str, int]:
    """How far the member has read each of these threads (those they never opened are left out)."""
    keys = {read_key(member_id, public_id): public_id for public_id in thread_public_ids}
    if not keys:
        return {}
    rows = session.connection().execute(_READ_NUMBERS, {"keys": list(keys)})
    return {keys[key]: number for key, number in rows}


_FIRST_AFTER = (select(Post.public_id).join(Thread, Thread.id == Post.thread_id)
                .join(Channel, Channel.id == Thread.channel_id)
                .where(Post.thread_id == bindparam("thread_id"), Post.number > bindparam("read"),
                       visibility.published_filter(visibility.Audience(member_id=0), Post, Thread, Channel))
                .order_by(Post.number).limit(1))


def first_unread(session: Session, thread_id: int, read: int) -> str | None:
    """The public id of the first published post numbered after ``read``, if there is one."""
    return session.connection().execute(_FIRST_AFTER, {"thread_id": thread_id, "read": read}).scalar()
