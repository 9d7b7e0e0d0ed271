"""The network pulse: is the community of practice growing, and where? Counts for members, each
read through app.forum.visibility's published rule: posts per pilot and theme by week, new key
learnings by month, threads answered and not, and the share of threads that led to a key learning.

The safe space appears as channel totals by month only (its posts, its threads): nothing finer, and
nowhere else on the page, so the pulse cannot help to date or place a safe-space post.

Weeks (Monday to Sunday) and months are the site's calendar (Europe/London); each count is bucketed
in SQL by comparing with the periods' boundaries, the same way on SQLite and PostgreSQL.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, select
from sqlmodel import Session

from app.core.timeutil import SITE_TZ, to_site_time, utcnow
from app.forum import visibility
from app.forum.models import Channel, ChannelKind, Post, Thread
from app.learning.models import KeyLearning
from app.learning.service import CONCERN_KINDS

WEEKS = 12
MONTHS = 12
_MEMBER = visibility.Audience(member_id=0)  # the pulse is for members: what any member may read


@dataclass(frozen=True)
class Row:
    """One channel's numbers, one per period (or per measure)."""

    name: str
    slug: str
    values: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.values)


@dataclass(frozen=True)
class Pulse:
    weeks: list[datetime]  # when the weeks start (Mondays, site time), oldest first
    months: list[datetime]  # when the months start, oldest first
    pilots: list[Row]  # posts per week
    themes: list[Row]
    learnings: tuple[int, ...]  # new key learnings per month, outside the safe space
    answered: list[Row]  # per pilot and theme: (answered, unanswered) threads
    led: list[Row]  # per pilot and theme: (threads, threads with a key learning)
    safe_posts: list[Row]  # per anonymous channel: posts per month
    safe_threads: list[Row]  # per anonymous channel: threads started per month


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=SITE_TZ)


def periods(today: date) -> tuple[list[date], list[date]]:
    """The last WEEKS weeks and MONTHS months up to today's, oldest first."""
    monday = today - timedelta(days=today.weekday())
    weeks = [monday - timedelta(weeks=n) for n in range(WEEKS - 1, -1, -1)]
    months, first = [], today.replace(day=1)
    for _ in range(MONTHS):
        months.insert(0, first)
        first = (first - timedelta(days=1)).replace(day=1)
    return weeks, months


def _bucket(column, starts: list[date], end: date):
    """The index of the period ``column`` falls in (periods starting at ``starts``, the last ending at
    ``end``), or null outside them."""
    bounds = [_start_of(day) for day in [*starts[1:], end]]
    return case(*((column < bound, index) for index, bound in enumerate(bounds)), else_=None)


def _published(query):
    return query.where(visibility.published_filter(_MEMBER, Post, Thread, Channel))


def _posts_by_period(session: Session, starts: list[date], end: date, *where) -> dict[tuple[int, int], int]:
    """(channel id, period) -> published posts, in the channels ``where`` says."""
    period = _bucket(Post.created_at, starts, end)
    return _counts(session, _published(
        select(Thread.channel_id, period, func.count()).select_from(Post).join(Thread, Thread.id == Post.thread_id)
        .join(Channel, Channel.id == Thread.channel_id)
        .where(Post.created_at >= _start_of(starts[0]), Post.created_at < _start_of(end), *where)
        .group_by(Thread.channel_id, period)))


def _learnings_by_month(session: Session, months: list[date], end: date) -> tuple[int, ...]:
    """New key learnings a member may read, per month, outside the safe space."""
    month = _bucket(KeyLearning.marked_at, months, end)
    found = dict(session.execute(_published(
        select(month, func.count()).select_from(KeyLearning).join(Post, Post.id == KeyLearning.post_id)
        .join(Thread, Thread.id == Post.thread_id).join(Channel, Channel.id == Thread.channel_id)
        .where(KeyLearning.marked_at >= _start_of(months[0]), ~Channel.is_anonymous).group_by(month))).all())
    return tuple(found.get(index, 0) for index in range(len(months)))


def _threads_by_channel(session: Session) -> dict[int, tuple[int, int, int]]:
    """Channel id -> (listed threads, those answered, those a published key learning came from)."""
    marked = select(Post.thread_id).join(KeyLearning, KeyLearning.post_id == Post.id).where(
        visibility.where(visibility.BODY[:1], visibility.VISITOR, {"post": Post}))
    rows = session.execute(
        select(Thread.channel_id, func.count(), func.sum(case((Thread.reply_count > 0, 1), else_=0)),
               func.sum(case((Thread.id.in_(marked), 1), else_=0)))
        .where(visibility.thread_filter(_MEMBER, Thread)).group_by(Thread.channel_id)).all()
    return {channel_id: (count, answered or 0, led or 0) for channel_id, count, answered, led in rows}


def _sealed_threads_by_month(session: Session, months: list[date], end: date) -> dict[tuple[int, int], int]:
    opened = _bucket(Thread.created_at, months, end)
    return _counts(session, select(Thread.channel_id, opened, func.count())
                   .join(Channel, and_(Channel.id == Thread.channel_id, Channel.is_anonymous))
                   .where(visibility.thread_filter(_MEMBER, Thread), Thread.created_at >= _start_of(months[0]),
                          Thread.created_at < _start_of(end))
                   .group_by(Thread.channel_id, opened))


def pulse(session: Session, now: datetime | None = None) -> Pulse:
    """The pulse as of ``now`` (six reads, whatever the size of the forum)."""
    weeks, months = periods(to_site_time(now or utcnow()).date())
    next_week, next_month = weeks[-1] + timedelta(weeks=1), (months[-1] + timedelta(days=32)).replace(day=1)
    channels = session.execute(select(Channel).order_by(Channel.position, Channel.name)).scalars().all()
    named = [c for c in channels if c.kind in CONCERN_KINDS and not c.is_anonymous]
    sealed = [c for c in channels if c.is_anonymous]
    by_week = _posts_by_period(session, weeks, next_week, Channel.kind.in_(CONCERN_KINDS), ~Channel.is_anonymous)
    threads = _threads_by_channel(session)
    safe_posts = _posts_by_period(session, months, next_month, Channel.is_anonymous)
    safe_threads = _sealed_threads_by_month(session, months, next_month)

    def row(channel, counts, n):
        return Row(channel.name, channel.slug, tuple(counts.get((channel.id, index), 0) for index in range(n)))

    def totals(channel):
        return threads.get(channel.id, (0, 0, 0))

    return Pulse(
        weeks=[_start_of(day) for day in weeks], months=[_start_of(day) for day in months],
        pilots=[row(c, by_week, WEEKS) for c in named if c.kind == ChannelKind.pilot],
        themes=[row(c, by_week, WEEKS) for c in named if c.kind == ChannelKind.theme],
        learnings=_learnings_by_month(session, months, next_month),
        answered=[Row(c.name, c.slug, (totals(c)[1], totals(c)[0] - totals(c)[1])) for c in named],
        led=[Row(c.name, c.slug, (totals(c)[0], totals(c)[2])) for c in named],
        safe_posts=[row(c, safe_posts, MONTHS) for c in sealed],
        safe_threads=[row(c, safe_threads, MONTHS) for c in sealed],
    )


def _counts(session: Session, query) -> dict[tuple[int, int], int]:
    """(channel id, period) -> count, from rows of (channel id, period index, count)."""
    return {(channel_id, index): count for channel_id, index, count in session.execute(query).all()
            if index is not None}
