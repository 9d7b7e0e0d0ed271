"""What a digest holds for its reader, read at send time through the visibility rule: new key
learnings, new threads and the busiest threads with new replies in the period, by channel.

A visitor (an email-only subscriber) is the visitor audience: public channels only. Nothing shows a
time: a day is the period's, and the safe space's posts carry their pseudonym alone.
"""

from dataclasses import dataclass, field

from sqlalchemy import and_, func, or_, select, true
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app.accounts.models import Member, MemberStatus
from app.core.i18n import _
from app.digest.windows import Period
from app.forum import visibility
from app.forum.markdown import plain_excerpt
from app.forum.models import Channel, Post, Thread
from app.learning import library

MAX_NEW_THREADS = 30
MAX_BUSY = 5


@dataclass(frozen=True)
class Item:
    title: str
    path: str
    excerpt: str
    author: str  # a name, a pseudonym in the safe space, or "" (busy threads)
    replies: int = 0  # new replies in the period (busy threads)


@dataclass
class Section:
    channel_name: str
    channel_slug: str
    position: tuple = ()  # the channels' order on the home page
    new_threads: list[Item] = field(default_factory=list)
    busy: list[Item] = field(default_factory=list)


@dataclass
class Digest:
    period: Period
    key_learnings: list = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.key_learnings and not any(s.new_threads or s.busy for s in self.sections)


def audience(member: Member | None) -> visibility.Audience:
    """A member reads as a member while their account is active; anyone else as a visitor."""
    if member is not None and member.status == MemberStatus.active:
        return visibility.Audience(member_id=member.id)
    return visibility.VISITOR


def build(session: Session, *, reader: visibility.Audience, channel_ids: set[int] | None, period: Period) -> Digest:
    """The digest of ``period`` for this reader, in these channels (None: every one they may read)."""
    digest = Digest(period=period, key_learnings=library.marked_between(session, reader, period.start, period.end,
                                                                        channel_ids))
    sections: dict[int, Section] = {}

    def section(channel) -> Section:
        return sections.setdefault(channel.id, Section(channel.name, channel.slug, (channel.position, channel.name)))

    readable = visibility.published_filter(reader, Post, Thread, Channel)
    in_channels = Thread.channel_id.in_(channel_ids) if channel_ids is not None else true()
    new = session.execute(
        select(Thread.public_id, Thread.slug, Thread.title, Channel.id, Channel.name, Channel.slug, Channel.position,
               Channel.is_anonymous, Post.body_html, Post.pseudonym, Member.display_name)
        .join(Post, and_(Post.thread_id == Thread.id, Post.number == 1)).join(Channel, Channel.id == Thread.channel_id)
        .outerjoin(Member, and_(Member.id == Post.author_id, ~Channel.is_anonymous))
        .where(readable, in_channels, Thread.created_at >= period.start, Thread.created_at < period.end)
        .order_by(Channel.position, Thread.created_at, Thread.public_id).limit(MAX_NEW_THREADS)).all()
    fresh = set()
    for row in new:
        fresh.add(row.public_id)
        author = (_("Participant %(letter)s", letter=row.pseudonym) if row.pseudonym else "") if row.is_anonymous \
            else (row.display_name or "")
        section(_Channel(row[3], row[4], row[5], row[6])).new_threads.append(
            Item(row.title, f"/t/{row.public_id}-{row.slug}", plain_excerpt(row.body_html, 200), author))

    reply = aliased(Post)
    # The latest reply by its number, not its id: ids follow the writing, which the safe space's
    # releases keep to themselves.
    busy = session.execute(
        select(Thread.id.label("thread_id"), Thread.public_id, Thread.slug, Thread.title, Channel.id, Channel.name,
               Channel.slug, Channel.position, func.count().label("replies"), func.max(reply.number).label("latest"))
        .select_from(reply).join(Thread, Thread.id == reply.thread_id).join(Channel, Channel.id == Thread.channel_id)
        .where(visibility.published_filter(reader, reply, Thread, Channel), in_channels, reply.number > 1,
               reply.created_at >= period.start, reply.created_at < period.end, Thread.public_id.not_in(fresh)
               if fresh else true())
        .group_by(Thread.id, Thread.public_id, Thread.slug, Thread.title, Channel.id, Channel.name, Channel.slug,
                  Channel.position)
        .order_by(func.count().desc(), Thread.public_id).limit(MAX_BUSY)).all()
    latest = {(thread_id, number): body for thread_id, number, body in session.execute(
        select(Post.thread_id, Post.number, Post.body_html).where(
            or_(*(and_(Post.thread_id == row.thread_id, Post.number == row.latest) for row in busy))))} if busy else {}
    for row in busy:
        section(_Channel(row[4], row[5], row[6], row[7])).busy.append(
            Item(row.title, f"/t/{row.public_id}-{row.slug}",
                 plain_excerpt(latest.get((row.thread_id, row.latest), ""), 200), "", replies=row.replies))
    digest.sections = sorted(sections.values(), key=lambda found: found.position)
    return digest


@dataclass(frozen=True)
class _Channel:
    id: int
    name: str
    slug: str
    position: int
