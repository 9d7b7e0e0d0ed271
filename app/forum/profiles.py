"""A member's profile page: what they wrote where the viewer can read it, and, for themselves, what
still waits (held, or for the safe space's next release)."""

from sqlalchemy import bindparam, select
from sqlmodel import Session

from app.accounts.models import Member, Viewer
from app.forum import policies, visibility
from app.forum.models import Channel, Post, PostStatus, Thread
from app.safespace import service as safespace


def member_activity(session: Session, member: Member, viewer: Viewer | None, limit: int = 20) -> list:
    """The member's latest published posts in channels the viewer can read; never anonymous ones."""
    query = (
        select(Post.public_id, Post.number, Post.created_at, Thread.title, Thread.slug,
               Channel.name.label("channel_name"), Channel.slug.label("channel_slug"))
        .join(Thread, Thread.id == Post.thread_id)
        .join(Channel, Channel.id == Thread.channel_id)
        .where(Post.author_id == member.id, Channel.is_anonymous.is_(False), Channel.archived_at.is_(None),
               visibility.published_filter(policies.audience(viewer), Post, Thread, Channel))
        .order_by(Post.created_at.desc(), Post.id.desc())
        .limit(limit)
    )
    return session.execute(query).all()


_WAITING_POSTS = (
    select(Post.public_id, Post.number, Post.status, Post.release_at, Thread.title,
           Channel.name.label("channel_name"))
    .join(Thread, Thread.id == Post.thread_id)
    .join(Channel, Channel.id == Thread.channel_id)
    .where(Post.waiting_mark == bindparam("mark"), Post.status.in_((PostStatus.pending, PostStatus.queued)))
    .order_by(Post.public_id)
    .limit(200)
)


def waiting_posts(session: Session, viewer: Viewer) -> list:
    """The viewer's own posts that others cannot see yet (held, or waiting for the next release), for
    their own profile: found by their waiting mark."""
    return session.connection().execute(_WAITING_POSTS, {"mark": safespace.waiting_mark(viewer.id)}).all()
