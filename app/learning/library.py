"""The learning library as a reader sees it: key learnings newest first, filtered by pilot, theme,
channel, kind and words, a page at a time; and the pilot × theme matrix of how many each pair holds.

Every query starts from ``_readable``: the key learnings whose post is published in a listed thread
of a channel the reader may read (app.forum.visibility's published rule), so the list, its count,
the matrix, the feed and the briefing cannot disagree about what a reader may see.
"""

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from markupsafe import Markup
from sqlalchemy import Integer, and_, bindparam, column, exists, func, select, text
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app.accounts.models import Member, Viewer
from app.core.i18n import _
from app.core.problems import Problems
from app.core.timeutil import as_utc
from app.forum import policies, visibility
from app.forum import service as forum_service
from app.forum.models import Channel, ChannelKind, Post, Thread
from app.forum.service import Page, page_of
from app.learning.models import KeyLearning, KeyLearningChannel, Lesson
from app.learning.service import concern_channels
from app.search import service as search

PER_PAGE = 20


@dataclass(frozen=True)
class Filters:
    pilot: str = ""  # a pilot channel's slug
    theme: str = ""  # a theme channel's slug
    channel: str = ""  # the slug of the channel it came from
    q: str = ""  # words, in search's language
    lessons: bool = False  # only key learnings from lesson posts
    page: int = 1

    def query(self, **changes) -> dict:
        """These filters (with ``changes``) as URL parameters, the empty ones left out."""
        values = {"pilot": self.pilot, "theme": self.theme, "channel": self.channel, "q": self.q,
                  "lessons": "1" if self.lessons else "", "page": self.page if self.page > 1 else ""} | changes
        return {key: value for key, value in values.items() if value}


def query_string(filters: Filters, **changes) -> str:
    """The filters as a URL's query (empty ones left out, in a fixed order: a feed's id is built from it)."""
    return urlencode(filters.query(**changes))


def filtered_url(path: str, filters: Filters, **changes) -> str:
    """``path`` with the filters (and ``changes``) as its query, if any."""
    query = query_string(filters, **changes)
    return f"{path}?{query}" if query else path


@dataclass(frozen=True)
class Entry:
    public_id: str
    summary: Markup | str  # marked where it matches the words searched for
    excerpt: Markup | None  # when searching: the words around the match in what it came from
    others_could_try: str
    marked_at: datetime
    updated_at: datetime
    post_public_id: str
    post_number: int
    thread_public_id: str
    thread_slug: str
    thread_title: str
    channel_slug: str
    channel_name: str
    is_anonymous: bool
    is_public: bool  # its channel is public: a visitor may read it
    pseudonym: str | None  # in the safe space: the post's, and nothing else of its author
    author_handle: str | None
    author_name: str | None
    concerns: list = field(default_factory=list)  # (slug, name, kind) of its pilots and themes
    lesson: Lesson | None = None

    @property
    def covers_thread(self) -> bool:
        """Held by its thread's opening post: about the thread as a whole."""
        return self.post_number == 1

    @property
    def path(self) -> str:
        """Where it came from: its thread, or the post it is about."""
        return f"/t/{self.thread_public_id}-{self.thread_slug}" if self.covers_thread else f"/p/{self.post_public_id}"


@dataclass
class Shelf:
    """One page of the library, with what its filters need."""

    entries: list[Entry] = field(default_factory=list)
    page: Page = field(default_factory=lambda: page_of(1, 0, PER_PAGE))
    problems: Problems = field(default_factory=Problems)
    hint: str = ""
    searched: bool = False


def audience(viewer: Viewer | None) -> visibility.Audience:
    """Readers of the library: a visitor or a member (moderating gives no more: only published posts are in it)."""
    return visibility.Audience(member_id=viewer.id) if viewer is not None else visibility.VISITOR


def _readable(reader: visibility.Audience):
    """Key learnings joined to their post, thread and channel, those the reader may read."""
    return (select(KeyLearning.id).join(Post, Post.id == KeyLearning.post_id)
            .join(Thread, Thread.id == Post.thread_id).join(Channel, Channel.id == Thread.channel_id)
            .where(visibility.published_filter(reader, Post, Thread, Channel)))


def _concerning(channel_id: int):
    return exists().where(KeyLearningChannel.key_learning_id == KeyLearning.id,
                          KeyLearningChannel.channel_id == channel_id)


def _concern(concerns: list[Channel], slug: str, kind: str, problems: Problems) -> Channel | None:
    found = next((row for row in concerns if row.slug == slug and row.kind == kind), None)
    if found is None:
        problems.add(kind, _("Choose a pilot from the list.") if kind == ChannelKind.pilot
                     else _("Choose a theme from the list."))
    return found


def shelf(session: Session, viewer: Viewer | None, filters: Filters, *, per_page: int = PER_PAGE,
          picks: tuple[str, ...] = (), marked: bool = True) -> Shelf:
    """The page of the library these filters ask for, among what the viewer may read; ``picks``: only
    these key learnings (public ids; any the viewer may not read are as if they did not exist);
    ``marked``: the words searched for marked in the summaries, with excerpts."""
    result, reader = Shelf(), audience(viewer)
    query = _readable(reader)
    if picks:
        query = query.where(KeyLearning.public_id.in_(picks))
    concerns = concern_channels(session, reader) if filters.pilot or filters.theme else []
    for slug, kind in ((filters.pilot, ChannelKind.pilot), (filters.theme, ChannelKind.theme)):
        if slug and (concern := _concern(concerns, slug, kind, result.problems)):
            query = query.where(_concerning(concern.id))
    if filters.channel:
        source = forum_service.channel_by_slug(session, filters.channel, viewer)
        if source is None:
            result.problems.add("channel", _("Choose a channel from the list."))
        else:
            query = query.where(Thread.channel_id == source.id)
    if filters.lessons:
        query = query.where(exists().where(Lesson.post_id == KeyLearning.post_id))
    words, result.hint = search.learning_query(session, filters.q, result.problems)
    if result.problems:
        return result
    order = [KeyLearning.marked_at.desc(), KeyLearning.public_id]
    if words is not None:
        found = (text(words.matches).bindparams(match=words.match)
                 .columns(column("key_learning_id", Integer)).subquery("found"))
        query = query.join(found, found.c.key_learning_id == KeyLearning.id)
        result.searched = True
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    result.page = page_of(filters.page, total, per_page)
    ids = list(session.execute(query.order_by(*order).limit(per_page)
                               .offset((result.page.number - 1) * per_page)).scalars())
    marks = search.learning_marks(session, words, ids) if words is not None and marked else {}
    result.entries = entries(session, reader, ids, marks)
    return result


def marked_between(session: Session, reader: visibility.Audience, start, end,
                   channel_ids: set[int] | None = None) -> list[Entry]:
    """The key learnings marked in [start, end) that the reader may read, oldest first (digests)."""
    query = _readable(reader).where(KeyLearning.marked_at >= start, KeyLearning.marked_at < end)
    if channel_ids is not None:
        query = query.where(Thread.channel_id.in_(channel_ids))
    ids = list(session.execute(query.order_by(KeyLearning.marked_at, KeyLearning.public_id)).scalars())
    return entries(session, reader, ids)


def entries(session: Session, reader: visibility.Audience, ids: list[int], marks: dict | None = None) -> list[Entry]:
    """The key learnings with these ids, in this order, with their pilots and themes (those the reader
    may read) and lesson parts: three reads."""
    if not ids:
        return []
    marks = marks or {}
    rows = session.execute(
        select(KeyLearning.id, KeyLearning.public_id, KeyLearning.summary, KeyLearning.others_could_try,
               KeyLearning.marked_at, KeyLearning.updated_at, KeyLearning.post_id,
               Post.public_id.label("post_public_id"), Post.number, Post.pseudonym,
               Thread.public_id.label("thread_public_id"), Thread.slug, Thread.title,
               Channel.slug.label("channel_slug"), Channel.name.label("channel_name"), Channel.is_anonymous,
               Channel.visibility, Member.handle, Member.display_name)
        .join(Post, Post.id == KeyLearning.post_id).join(Thread, Thread.id == Post.thread_id)
        .join(Channel, Channel.id == Thread.channel_id)
        .outerjoin(Member, and_(Member.id == Post.author_id, ~Channel.is_anonymous))
        .where(KeyLearning.id.in_(ids))).all()
    concerns: dict[int, list] = {}
    for key, slug, name, kind in session.execute(
            select(KeyLearningChannel.key_learning_id, Channel.slug, Channel.name, Channel.kind)
            .join(Channel, Channel.id == KeyLearningChannel.channel_id)
            .where(KeyLearningChannel.key_learning_id.in_(ids), visibility.channel_filter(reader, Channel))
            .order_by(Channel.kind, Channel.position)):
        concerns.setdefault(key, []).append((slug, name, kind))
    lessons = {lesson.post_id: lesson for lesson in session.execute(
        select(Lesson).where(Lesson.post_id.in_([row.post_id for row in rows]))).scalars()}
    by_id = {row.id: row for row in rows}
    return [_entry(by_id[key], marks.get(key), concerns.get(key, []), lessons.get(by_id[key].post_id))
            for key in ids if key in by_id]


def _entry(row, marked, concerns, lesson) -> Entry:
    return Entry(
        public_id=row.public_id, summary=marked[0] if marked else row.summary, excerpt=marked[1] if marked else None,
        others_could_try=row.others_could_try, marked_at=as_utc(row.marked_at),
        updated_at=as_utc(row.updated_at),
        post_public_id=row.post_public_id, post_number=row.number, thread_public_id=row.thread_public_id,
        thread_slug=row.slug, thread_title=row.title, channel_slug=row.channel_slug,
        channel_name=row.channel_name, is_anonymous=row.is_anonymous,
        is_public=visibility.can_read_channel(visibility.VISITOR, row),
        pseudonym=row.pseudonym if row.is_anonymous else None,
        author_handle=None if row.is_anonymous else row.handle,
        author_name=None if row.is_anonymous else row.display_name, concerns=concerns, lesson=lesson)


@dataclass(frozen=True)
class Matrix:
    pilots: list[Channel]
    themes: list[Channel]
    cells: dict  # (pilot id, theme id) -> how many key learnings concern both
    totals: dict  # pilot or theme id -> how many concern it
    total: int  # how many the reader may read in all


def matrix(session: Session, viewer: Viewer | None) -> Matrix:
    """How many key learnings the viewer may read concern each pilot and theme (those they may read), and each pair."""
    reader = audience(viewer)
    readable = _readable(reader).subquery("readable")
    pilot, theme = aliased(KeyLearningChannel), aliased(KeyLearningChannel)
    pilot_channel, theme_channel = aliased(Channel), aliased(Channel)
    pairs = session.execute(
        select(pilot.channel_id, theme.channel_id, func.count())
        .select_from(readable)
        .join(pilot, pilot.key_learning_id == readable.c.id)
        .join(pilot_channel, and_(pilot_channel.id == pilot.channel_id, pilot_channel.kind == ChannelKind.pilot))
        .join(theme, theme.key_learning_id == readable.c.id)
        .join(theme_channel, and_(theme_channel.id == theme.channel_id, theme_channel.kind == ChannelKind.theme))
        .group_by(pilot.channel_id, theme.channel_id)).all()
    totals = dict(session.execute(
        select(KeyLearningChannel.channel_id, func.count()).select_from(readable)
        .join(KeyLearningChannel, KeyLearningChannel.key_learning_id == readable.c.id)
        .group_by(KeyLearningChannel.channel_id)).all())
    total = session.execute(select(func.count()).select_from(readable)).scalar_one()
    channels = concern_channels(session, reader)
    return Matrix(pilots=[row for row in channels if row.kind == ChannelKind.pilot],
                  themes=[row for row in channels if row.kind == ChannelKind.theme],
                  cells={(p, t): n for p, t, n in pairs}, totals=totals, total=total)


# Built once, run on the tables themselves: every thread page asks, and the ORM's way cost four times
# the read (README, "Benchmarks").
_KEY_LEARNING, _POST = KeyLearning.__table__, Post.__table__
_THREAD_LEARNINGS = (
    select(_KEY_LEARNING.c.public_id, _KEY_LEARNING.c.summary, _KEY_LEARNING.c.others_could_try,
           _POST.c.public_id.label("post_public_id"), _POST.c.number)
    .join(_POST, _POST.c.id == _KEY_LEARNING.c.post_id)
    .where(_POST.c.thread_id == bindparam("thread_id"),
           visibility.where(visibility.BODY[:1], visibility.VISITOR, {"post": _POST}))
    .order_by(_POST.c.path))


@forum_service.thread_notes.connect
def thread_learnings(session: Session, *, thread: Thread, channel: Channel, viewer: Viewer | None):
    """The key learnings of a thread, shown at its top (with a moderator's links to change them)."""
    rows = session.connection().execute(_THREAD_LEARNINGS, {"thread_id": thread.id}).all()
    if not rows:
        return None
    return "learning/_thread_learnings.html", {"learnings": rows, "can_mark": policies.can_moderate(viewer, channel)}
