"""What the channel and thread feeds hold: a public channel's newest threads, and a thread's newest
posts, read as a visitor through the visibility rule (members-only and safe-space channels have none)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session

from app.accounts.models import Member
from app.forum import visibility
from app.forum.models import Channel, Post, Thread, Visibility

LIMIT = 30


@dataclass(frozen=True)
class Item:
    public_id: str
    title: str
    path: str
    body_html: str
    author: str | None
    published: datetime
    updated: datetime


def _readable():
    """Published posts of listed threads in channels a visitor may read, never the safe space's."""
    return (visibility.published_filter(visibility.VISITOR, Post, Thread, Channel),
            Channel.visibility == Visibility.public, Channel.is_anonymous.is_(False))


def public_channel(session: Session, slug: str) -> Channel | None:
    channel = session.execute(select(Channel).where(Channel.slug == slug)).scalar_one_or_none()
    readable = (channel is not None and channel.visibility == Visibility.public and not channel.is_anonymous
                and visibility.can_read_channel(visibility.VISITOR, channel))
    return channel if readable else None


def _base():
    return (select(Post.public_id, Post.number, Post.body_html, Post.created_at, Post.edited_at,
                   Thread.public_id.label("thread_public_id"), Thread.slug, Thread.title,
                   Thread.last_activity_at, Member.display_name)
            .join(Thread, Thread.id == Post.thread_id).join(Channel, Channel.id == Thread.channel_id)
            .outerjoin(Member, Member.id == Post.author_id).where(*_readable()))


def channel_items(session: Session, channel: Channel) -> list[Item]:
    """The channel's threads by latest activity, each with its opening post."""
    query = (_base().where(Thread.channel_id == channel.id, Post.number == 1)
             .order_by(Thread.last_activity_at.desc(), Thread.id.desc()).limit(LIMIT))
    return [Item(public_id=row.thread_public_id, title=row.title, path=f"/t/{row.thread_public_id}-{row.slug}",
                 body_html=row.body_html, author=row.display_name, published=row.created_at,
                 updated=row.last_activity_at)
            for row in session.execute(query)]


def public_thread(session: Session, public_id: str):
    """(thread, channel) if a visitor may read the thread in a public channel, else None."""
    row = session.execute(select(Thread, Channel).join(Channel, Channel.id == Thread.channel_id)
                          .join(Post, (Post.thread_id == Thread.id) & (Post.number == 1))
                          .where(Thread.public_id == public_id, *_readable())).first()
    return (row[0], row[1]) if row else None


def thread_items(session: Session, thread: Thread) -> list[Item]:
    """The thread's newest posts, newest first."""
    query = _base().where(Post.thread_id == thread.id).order_by(Post.number.desc()).limit(LIMIT)
    return [Item(public_id=row.public_id, title=f"#{row.number} {row.title}", path=f"/p/{row.public_id}",
                 body_html=row.body_html, author=row.display_name, published=row.created_at,
                 updated=row.edited_at or row.created_at)
            for row in session.execute(query)]
