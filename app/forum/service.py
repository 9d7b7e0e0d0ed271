"""The forum's logic: channels, threads, posts, edits, deletions and reactions."""

import re
import unicodedata
from collections import namedtuple
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import String, and_, bindparam, case, func, literal_column, or_, select, type_coerce
from sqlmodel import Session

from app.accounts import service as accounts_service
from app.accounts.models import Member, Organisation, Viewer
from app.core.config import get_settings
from app.core.hooks import Hook
from app.forum import policies, reading, visibility
from app.forum.models import (
    Channel,
    ChannelKind,
    Post,
    PostRevision,
    Reaction,
    Tag,
    Thread,
    ThreadRead,
    ThreadRedirect,
    ThreadTag,
)
from app.safespace import service as safespace

MAX_TAGS = 5
# What other domains show at the top of a thread's first page: receivers take (session, *, thread,
# channel, viewer) and return (template, its context) or None (the learning library's key learnings).
thread_notes = Hook("a thread's notes")  # receivers return (template, context) or None
channel_notes = Hook("a channel's notes")  # the same, at the top of a channel's first page
KIND_ORDER = (ChannelKind.pilot, ChannelKind.theme, ChannelKind.safe_space, ChannelKind.general)


@dataclass(frozen=True)
class Page:
    number: int
    count: int
    total: int = 0  # items on every page

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.count


def page_of(number: int, total: int, per_page: int) -> Page:
    """Clamp a requested page number into range."""
    count = max(1, -(-total // per_page))
    return Page(number=min(max(1, number), count), count=count, total=total)


def slugify(text: str, fallback: str = "thread") -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60].rstrip("-")
    return slug or fallback


def parse_tags(text: str) -> list[str]:
    """Comma-separated tags, normalised to slugs, at most MAX_TAGS."""
    tags = [slugify(part, "")[:30].rstrip("-") for part in text.split(",")]
    return list(dict.fromkeys(tag for tag in tags if tag))[:MAX_TAGS]


# Reading ---------------------------------------------------------------------------------------

def readable_channels_query(audience: visibility.Audience, *, archived: bool = False):
    """Channels the audience may read; archived ones only with ``archived``."""
    query = select(Channel).where(visibility.channel_filter(audience, Channel))
    return query if archived else query.where(Channel.archived_at.is_(None))


def readable_channels(session: Session, viewer: Viewer | None) -> list:
    """Slug and name of each channel the viewer may read, archived ones too, in the home page's order."""
    channels = readable_channels_query(policies.audience(viewer), archived=True).subquery()
    query = select(channels.c.slug, channels.c.name).order_by(channels.c.position, channels.c.name)
    return session.execute(query).all()


_CHANNEL_BY_SLUG = select(Channel).where(Channel.slug == bindparam("slug"))


def channel_by_slug(session: Session, slug: str, viewer: Viewer | None) -> Channel | None:
    """The channel if the viewer may read it (archived channels stay readable)."""
    channel = session.execute(_CHANNEL_BY_SLUG, {"slug": slug}).scalar_one_or_none()
    return channel if channel and policies.can_read_channel(viewer, channel) else None


@accounts_service.pilot_sources.connect
def pilot_channels(session: Session) -> list[Channel]:
    """Pilot partnerships, for affiliation choices."""
    query = select(Channel).where(Channel.kind == ChannelKind.pilot, Channel.archived_at.is_(None))
    return list(session.execute(query.order_by(Channel.position, Channel.name)).scalars())


def channels_by_ids(session: Session, channel_ids: list[int]) -> list[Channel]:
    if not channel_ids:
        return []
    query = select(Channel).where(Channel.id.in_(channel_ids)).order_by(Channel.position)
    return list(session.execute(query).scalars())


@lru_cache(maxsize=2)
def _overview_statement(for_members: bool):
    """Built once per kind of audience: constructing this select cost more than running it."""
    audience = visibility.Audience(member_id=0) if for_members else visibility.VISITOR
    stats = (
        select(Thread.channel_id, func.count().label("thread_count"),
               func.max(Thread.last_activity_at).label("last_activity_at"))
        .where(visibility.thread_filter(audience, Thread))
        .group_by(Thread.channel_id)
        .subquery()
    )
    channels = readable_channels_query(audience).subquery()
    return (
        select(channels, func.coalesce(stats.c.thread_count, 0).label("thread_count"),
               stats.c.last_activity_at)
        .outerjoin(stats, stats.c.channel_id == channels.c.id)
        .order_by(channels.c.position, channels.c.name)
    )


def channel_overview(session: Session, viewer: Viewer | None) -> list[tuple[str, list]]:
    """Readable channels grouped by kind, each with its thread count and last activity."""
    rows = session.execute(_overview_statement(viewer is not None)).all()
    return [(kind, [row for row in rows if row.kind == kind]) for kind in KIND_ORDER
            if any(row.kind == kind for row in rows)]


# The separator of group_concat / string_agg written into the SQL: given as a Python string,
# SQLAlchemy sends it as a "literal execute" parameter, which it splices into the SQL text with a
# regular expression on every execution.
COMMA = literal_column("','")
# A thread's tags as one comma-separated column (slugs hold no commas): see tag_list.
TAG_LIST = (select(func.aggregate_strings(Tag.slug, COMMA)).join(ThreadTag, ThreadTag.tag_id == Tag.id)
             .where(ThreadTag.thread_id == Thread.id).scalar_subquery().label("tags"))


def thread_tags(session: Session, thread) -> list[str]:
    query = select(Tag.slug).join(ThreadTag, ThreadTag.tag_id == Tag.id).where(ThreadTag.thread_id == thread.id)
    return sorted(session.execute(query).scalars())


def tag_list(tags: str | None) -> list[str]:
    """The tags of a TAG_LIST column, in order."""
    return sorted(tags.split(",")) if tags else []


def _channel_statements():
    """The count and page selects for a channel's listed threads (the same for every audience)."""
    listed = and_(Thread.channel_id == bindparam("channel_id"), visibility.thread_filter(visibility.VISITOR, Thread))
    count = select(func.count()).select_from(Thread).where(listed)
    page = (
        select(Thread.id, Thread.public_id, Thread.title, Thread.slug, Thread.is_pinned, Thread.is_locked,
               Thread.is_pending, Thread.reply_count, Thread.created_at, Thread.last_activity_at,
               Member.handle.label("author_handle"), Member.display_name.label("author_name"), TAG_LIST)
        .outerjoin(Member, Member.id == Thread.author_id)
        .where(listed)
        .order_by(Thread.is_pinned.desc(), Thread.last_activity_at.desc(), Thread.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return count, page


_CHANNEL_COUNT, _CHANNEL_PAGE = _channel_statements()
# A channel page's thread rows as plain named tuples (see PostRow), whatever the audience.
ThreadListRow = namedtuple("ThreadListRow", _CHANNEL_PAGE.selected_columns.keys())


def channel_threads(session: Session, channel: "Channel | ChannelRow", page_number: int,
                    viewer: Viewer | None) -> tuple[list, Page]:
    """One page of a channel's listed threads: pinned first, then by last activity, each with its tags
    (``tag_list(row.tags)``). Unlisted ones are waiting_threads'."""
    per_page = get_settings().threads_per_page
    connection = session.connection()  # Core selects: the ORM session's execution path adds nothing
    total = connection.execute(_CHANNEL_COUNT, {"channel_id": channel.id}).scalar_one()
    page = page_of(page_number, total, per_page)
    params = {"channel_id": channel.id, "limit": per_page, "offset": (page.number - 1) * per_page}
    return list(map(ThreadListRow._make, connection.execute(_CHANNEL_PAGE, params))), page


# Unlisted threads with their opening posts (held, or waiting for the next release). A member's own
# are found from their waiting mark, so the work does not grow with what others have waiting (its
# time would tell when they wrote); a moderator's also read the channel's unlisted threads (a
# partial index) for those in their queue.
_opening = Post.__table__.alias("opening")
_OWN_OPENING = _opening.c.waiting_mark == bindparam("mark")


@lru_cache(maxsize=2)
def _waiting_threads(moderator: bool):
    audience = visibility.Audience(member_id=0, is_moderator=moderator)
    query = (
        select(Thread.public_id, Thread.title, Thread.slug, _opening.c.status)
        .join(_opening, and_(_opening.c.thread_id == Thread.id, _opening.c.number == 1))
        .where(Thread.channel_id == bindparam("channel_id"), Thread.is_pending,
               visibility.thread_filter(audience, Thread, _opening, _OWN_OPENING))
        .order_by(Thread.public_id)
        .limit(200)
    )
    return query if moderator else query.where(_OWN_OPENING)


def waiting_threads(session: Session, channel, viewer: Viewer | None) -> list:
    """The channel's unlisted threads this viewer may see: their own, and for moderators those in
    their queue."""
    if viewer is None:
        return []
    params = {"channel_id": channel.id, "mark": safespace.waiting_mark(viewer.id)}
    return session.connection().execute(_waiting_threads(policies.can_moderate(viewer, channel)), params).all()


_THREAD_WITH_CHANNEL = (select(Thread, Channel).join(Channel, Channel.id == Thread.channel_id)
                        .where(Thread.public_id == bindparam("public_id")))
# The thread page's: plain rows (named tuples of every column) and the tags, in one Core select.
ThreadRow = namedtuple("ThreadRow", Thread.__table__.c.keys())
ChannelRow = namedtuple("ChannelRow", Channel.__table__.c.keys())
# With how far the viewer has read it (forum.reading): none for a visitor, whose key matches nothing.
_THREAD_PAGE_HEAD = (select(*Thread.__table__.c, *Channel.__table__.c, TAG_LIST, ThreadRead.number.label("read"))
                     .join(Channel, Channel.id == Thread.channel_id)
                     .outerjoin(ThreadRead, ThreadRead.key == bindparam("read_key"))
                     .where(Thread.public_id == bindparam("public_id")))


_CHANNEL_ROW_BY_SLUG = select(*Channel.__table__.c).where(Channel.__table__.c.slug == bindparam("slug"))


def channel_for_page(session: Session, slug: str, viewer: Viewer | None) -> ChannelRow | None:
    """The channel as a plain row, for a page that only reads it, if the viewer may (see channel_by_slug)."""
    row = session.connection().execute(_CHANNEL_ROW_BY_SLUG, {"slug": slug}).first()
    channel = ChannelRow._make(row) if row else None
    return channel if channel and policies.can_read_channel(viewer, channel) else None


def thread_with_channel(session: Session, public_id: str, viewer: Viewer | None) -> tuple[Thread, Channel] | None:
    """The thread and its channel as ORM objects, for actions that change them, if the viewer may read them."""
    row = session.execute(_THREAD_WITH_CHANNEL, {"public_id": public_id}).first()
    if row is None or not _readable(session, row.Thread, row.Channel, viewer):
        return None
    return row.Thread, row.Channel


class ThreadPage(NamedTuple):
    thread: ThreadRow
    channel: ChannelRow
    tags: list[str]
    read: int  # the highest post number the viewer had seen when they last opened it (0: never)


def thread_for_page(session: Session, public_id: str, viewer: Viewer | None) -> ThreadPage | None:
    """The thread, its channel, its tags and how far the viewer has read it, for a page that only
    reads them, if the viewer may.

    Plain rows from one Core select: about half the time of loading the two ORM objects."""
    params = {"public_id": public_id, "read_key": reading.read_key(viewer.id, public_id) if viewer else ""}
    row = session.connection().execute(_THREAD_PAGE_HEAD, params).first()
    if row is None:
        return None
    split = len(ThreadRow._fields)
    thread, channel = ThreadRow._make(row[:split]), ChannelRow._make(row[split:split + len(ChannelRow._fields)])
    found = ThreadPage(thread, channel, tag_list(row.tags), row.read or 0)
    return found if _readable(session, thread, channel, viewer) else None


def _readable(session: Session, thread, channel, viewer: Viewer | None) -> bool:
    if not policies.can_read_channel(viewer, channel):
        return False
    if not thread.is_pending:
        return True
    opening = opening_post(session, thread)
    return visibility.can_see_thread(policies.audience(viewer, channel), thread, opening,
                                     own_opening=policies.is_own_post(viewer, opening))


def merged_into(session: Session, public_id: str, viewer: Viewer | None) -> Thread | None:
    """The thread that a merged thread's address now leads to, if the viewer may read it."""
    query = (select(Thread.public_id).join(ThreadRedirect, ThreadRedirect.thread_id == Thread.id)
             .where(ThreadRedirect.public_id == public_id))
    target = session.execute(query).scalar_one_or_none()
    found = thread_with_channel(session, target, viewer) if target else None
    return found[0] if found else None


def opening_post(session: Session, thread) -> Post:
    return session.execute(select(Post).where(Post.thread_id == thread.id, Post.number == 1)).scalar_one()


def post_with_context(session: Session, public_id: str, viewer: Viewer | None) -> tuple[Post, Thread, Channel] | None:
    """The post, its thread and channel, if the viewer may see the post: anything else (a held post
    included) is None, exactly as for an id that does not exist."""
    row = session.execute(
        select(Post, Thread, Channel)
        .join(Thread, Thread.id == Post.thread_id)
        .join(Channel, Channel.id == Thread.channel_id)
        .where(Post.public_id == public_id)
    ).first()
    if row is None or not _readable(session, row.Thread, row.Channel, viewer):
        return None
    if not policies.can_see_post(viewer, row.Post, channel=row.Channel):
        return None
    return row.Post, row.Thread, row.Channel


def _post_rows_statement():
    """Post rows with their authors and reactions, as a Core select of only the columns pages use.

    The reactions come as one correlated subquery on the reaction key (``reactions``): the kinds of
    the post's reactions joined by commas, "*" marking the viewer's own (``viewer_id``; -1 for
    nobody), or NULL. It costs one index range per post where a count and an EXISTS per kind cost
    four probes. Presenters read it
    (reaction_summary) only for a post not rendered before. The timestamps come as the driver
    returns them, untyped, for the same reason (timeutil.as_utc). Built once.
    """
    post, member, organisation, reaction = Post.__table__, Member.__table__, Organisation.__table__, Reaction.__table__
    parent = post.alias("parent")
    own_mark = case((reaction.c.member_id == bindparam("viewer_id"), "*"), else_="")
    reactions = (select(func.aggregate_strings(reaction.c.kind + own_mark, COMMA))
                 .where(reaction.c.post_id == post.c.id).scalar_subquery().label("reactions"))
    return (
        select(post.c.id, post.c.public_id, post.c.thread_id, post.c.number, post.c.depth, post.c.author_id,
               post.c.seal, post.c.pseudonym, post.c.body_html, post.c.pending_body_html, post.c.status,
               post.c.hidden_reason,
               type_coerce(post.c.release_at, String).label("release_at"),
               type_coerce(post.c.edit_due_at, String).label("edit_due_at"),
               type_coerce(post.c.created_at, String).label("created_at"),
               type_coerce(post.c.edited_at, String).label("edited_at"),
               parent.c.number.label("parent_number"), parent.c.public_id.label("parent_public_id"),
               member.c.handle.label("author_handle"),
               member.c.display_name.label("author_name"), organisation.c.name.label("organisation_name"),
               reactions)
        .select_from(post.outerjoin(parent, parent.c.id == post.c.parent_id)
                     .outerjoin(member, member.c.id == post.c.author_id)
                     .outerjoin(organisation, organisation.c.id == member.c.organisation_id))
        .order_by(post.c.path)
    )


_POST_ROWS = _post_rows_statement()
# Post rows as plain named tuples: reading a field of one is far cheaper than a SQLAlchemy Row's
# attribute, and the policies read several fields of every post on every page.
PostRow = namedtuple("PostRow", _POST_ROWS.selected_columns.keys())
_post = Post.__table__
_POSTS_BY_ID = _POST_ROWS.where(Post.__table__.c.id.in_(bindparam("ids", expanding=True)))
# A post of this thread is the viewer's by author id, or by the seal of this viewer and thread.
_OWN = or_(_post.c.author_id == bindparam("viewer_id"), _post.c.seal == bindparam("viewer_seal"))


@lru_cache(maxsize=4)
def _thread_page(signed_in: bool, moderator: bool):
    """A page of a thread's posts that have a place for this kind of audience, built once per kind."""
    audience = visibility.Audience(member_id=0 if signed_in else None, is_moderator=moderator)
    return (_POST_ROWS.where(_post.c.thread_id == bindparam("thread_id"),
                             visibility.place_filter(audience, _post, _OWN if signed_in else None))
            .limit(bindparam("limit")).offset(bindparam("offset")))


def thread_posts(session: Session, thread: Thread, page_number: int, viewer: Viewer | None) -> tuple[list, Page]:
    """One page of the thread's posts in reply-tree order, with their authors and reactions, as the
    viewer may see them."""
    per_page = get_settings().posts_per_page
    page = page_of(page_number, thread.post_count, per_page)
    params = {"thread_id": thread.id, "limit": per_page, "offset": (page.number - 1) * per_page,
              "viewer_id": viewer.id if viewer else -1}
    if viewer is not None:
        params["viewer_seal"] = safespace.seal(viewer.id, thread.id)
    statement = _thread_page(viewer is not None, policies.can_moderate_in(viewer, thread.channel_id))
    return _post_rows(session, statement, params), page


def post_rows(session: Session, post_ids: list[int], viewer: Viewer | None) -> list:
    """These posts as thread_posts gives them. Read on the connection, past the session's autoflush:
    a caller that has just changed a post flushes first (the posting functions do)."""
    return _post_rows(session, _POSTS_BY_ID, {"ids": post_ids, "viewer_id": viewer.id if viewer else -1})


def _post_rows(session: Session, statement, params: dict) -> list:
    # Core statements go to the connection: the ORM session's execution path adds nothing for them.
    return list(map(PostRow._make, session.connection().execute(statement, params).all()))


def reaction_summary(reactions: str | None) -> tuple[dict[str, int], set[str]]:
    """A post row's ``reactions`` column as (count per kind, the viewer's own kinds)."""
    counts: dict[str, int] = {}
    mine = set()
    for mark in reactions.split(",") if reactions else ():
        kind = mark.removesuffix("*")
        counts[kind] = counts.get(kind, 0) + 1
        if mark != kind:
            mine.add(kind)
    return counts, mine


@lru_cache(maxsize=4)
def _posts_before(signed_in: bool, moderator: bool):
    """How many posts come before one in its thread, among those this kind of audience sees there."""
    audience = visibility.Audience(member_id=0 if signed_in else None, is_moderator=moderator)
    return select(func.count()).select_from(_post).where(
        _post.c.thread_id == bindparam("thread_id"), _post.c.path < bindparam("path"),
        visibility.place_filter(audience, _post, _OWN if signed_in else None))


def page_of_post(session: Session, post: Post, channel, viewer: Viewer | None) -> int:
    """The thread page on which this post appears for the viewer: counting only the posts they see
    (counting others' waiting posts would tell that they exist)."""
    params = {"thread_id": post.thread_id, "path": post.path, "viewer_id": viewer.id if viewer else -1,
              "viewer_seal": safespace.seal(viewer.id, post.thread_id) if viewer else ""}
    statement = _posts_before(viewer is not None, policies.can_moderate(viewer, channel))
    before = session.execute(statement, params).scalar_one()
    return before // get_settings().posts_per_page + 1


def revisions_of(session: Session, post: Post) -> list:
    """Earlier versions, newest first, each with the moderator who replaced it (if one did)."""
    query = (select(PostRevision.body_md, PostRevision.created_at, PostRevision.moderator_id,
                    Member.display_name.label("moderator_name"))
             .outerjoin(Member, Member.id == PostRevision.moderator_id)
             .where(PostRevision.post_id == post.id).order_by(PostRevision.id.desc()))
    return session.execute(query).all()
