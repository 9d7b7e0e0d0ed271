"""Plain functions that make test data through the services the site uses."""

import itertools
from datetime import timedelta

from sqlmodel import Session

from app.accounts.models import Member, Role
from app.core.timeutil import utcnow
from app.forum import posting
from app.forum.models import Channel, ChannelKind, Post, Thread, Visibility

_ids = itertools.count(1)
# Hashing with argon2 for every test member would dominate the suite; this is a real hash of PASSWORD.
PASSWORD = "plenty of words make a good passphrase"
_HASH: list[str] = []


def password_hash() -> str:
    if not _HASH:
        from app.core.security import hash_password

        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


def make_member(session: Session, **overrides) -> Member:
    n = next(_ids)
    fields = {
        "email": f"person{n}@example.org", "handle": f"person{n}", "display_name": f"Person {n}",
        "password_hash": password_hash(), "role": Role.member,
        "created_at": utcnow() - timedelta(days=90),  # established, unless a test says otherwise
    } | overrides
    member = Member(**fields)
    session.add(member)
    session.flush()
    return member


def make_channel(session: Session, **overrides) -> Channel:
    n = next(_ids)
    fields = {"slug": f"channel-{n}", "name": f"Channel {n}", "kind": ChannelKind.theme,
              "visibility": Visibility.public, "description": "A channel for tests."} | overrides
    channel = Channel(**fields)
    session.add(channel)
    session.flush()
    return channel


def make_thread(session: Session, *, channel: Channel | None = None, author: Member | None = None,
                title: str = "How did you fund the first year?", body: str = "We tried **three** things.",
                replies: int = 0, tags: str = "") -> Thread:
    channel = channel or make_channel(session)
    author = author or make_member(session)
    thread, problems = posting.start_thread(session, channel=channel, author=author, title=title, body=body,
                                            tags=tags, confirmed_guidelines=True)
    assert thread is not None, problems.fields
    for i in range(replies):
        make_reply(session, thread, author=author, body=f"Reply number {i + 1} with some *text*.")
    return thread


def make_reply(session: Session, thread: Thread, *, author: Member | None = None, body: str = "I agree.",
               parent: Post | None = None) -> Post:
    channel = session.get(Channel, thread.channel_id)
    post, problems = posting.reply_to_thread(
        session, thread=thread, channel=channel, author=author or make_member(session), body=body,
        parent_id=parent.public_id if parent else None, confirmed_guidelines=True,
    )
    assert post is not None, problems.fields
    return post


def first_post(session: Session, thread: Thread) -> Post:
    from sqlalchemy import select

    return session.execute(select(Post).where(Post.thread_id == thread.id, Post.number == 1)).scalar_one()


def make_channel_moderator(session: Session, channel: Channel, **overrides) -> Member:
    """A member who moderates this one channel."""
    from app.accounts.models import ChannelModerator

    member = make_member(session, **overrides)
    session.add(ChannelModerator(member_id=member.id, channel_id=channel.id))
    session.flush()
    return member
