"""The Latest page: listed threads of every channel the reader may read, newest activity first, or
those with one tag; for a member, with what is unread and what came since their last visit."""

from collections import namedtuple
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import and_, bindparam, func, select
from sqlmodel import Session

from app.accounts import visits
from app.accounts.models import Member, Viewer
from app.core.config import get_settings
from app.core.timeutil import as_utc, utcnow
from app.forum import reading, visibility
from app.forum.models import Channel, Tag, Thread, ThreadTag
from app.forum.service import TAG_LIST, Page, page_of, tag_list

# A thread never opened is news for this long after it began (or since the member joined, if later).
NEW_FOR = timedelta(days=14)


@lru_cache(maxsize=4)
def _statements(for_members: bool, tagged: bool):
    """The count and page selects, built once per kind of audience and filter."""
    audience = visibility.Audience(member_id=0) if for_members else visibility.VISITOR
    listed = and_(visibility.channel_filter(audience, Channel), visibility.thread_filter(visibility.VISITOR, Thread))
    if tagged:
        listed = and_(listed, Thread.id.in_(select(ThreadTag.thread_id).join(Tag, Tag.id == ThreadTag.tag_id)
                                            .where(Tag.slug == bindparam("tag"))))
    count = select(func.count()).select_from(Thread).join(Channel, Channel.id == Thread.channel_id).where(listed)
    page = (
        select(Thread.id, Thread.public_id, Thread.title, Thread.slug, Thread.is_pinned, Thread.is_locked,
               Thread.reply_count, Thread.post_count, Thread.created_at, Thread.last_activity_at,
               Member.handle.label("author_handle"), Member.display_name.label("author_name"), TAG_LIST,
               Channel.slug.label("channel_slug"), Channel.name.label("channel_name"), Channel.is_anonymous)
        .join(Channel, Channel.id == Thread.channel_id)
        .outerjoin(Member, Member.id == Thread.author_id)
        .where(listed)
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    return count, page


LatestRow = namedtuple("LatestRow", _statements(False, False)[1].selected_columns.keys())


@dataclass(frozen=True)
class Entry:
    thread: LatestRow
    unread: str = ""  # "new" (never opened), "replies" (new posts since opened) or ""
    since_last_visit: bool = False

    @property
    def tags(self) -> list[str]:
        return tag_list(self.thread.tags)


def latest(session: Session, viewer: Viewer | None, page_number: int, tag: str = "") -> tuple[list[Entry], Page]:
    """One page of the Latest list: for a member, each thread with its unread marker and whether its
    activity came after their previous visit (see accounts.visits)."""
    count, statement = _statements(viewer is not None, bool(tag))
    connection = session.connection()
    params = {"tag": tag} if tag else {}
    page = page_of(page_number, connection.execute(count, params).scalar_one(), get_settings().threads_per_page)
    params.update(limit=get_settings().threads_per_page, offset=(page.number - 1) * get_settings().threads_per_page)
    rows = list(map(LatestRow._make, connection.execute(statement, params)))
    if viewer is None:
        return [Entry(row) for row in rows], page
    read = reading.read_numbers(session, viewer.id, [row.public_id for row in rows])
    now = utcnow()
    previous = visits.previous_visit(viewer, now)
    fresh_from = max(as_utc(viewer.created_at), now - NEW_FOR)
    return [Entry(row, unread_marker(row, read.get(row.public_id), fresh_from=fresh_from),
                  since_last_visit=previous is not None and as_utc(row.last_activity_at) > previous)
            for row in rows], page


def unread_marker(row, read: int | None, *, fresh_from: datetime) -> str:
    """"new" for a recent thread never opened (begun after ``fresh_from``: older ones are the archive,
    not news), "replies" for one with posts since they last opened it."""
    if read is None:
        return "new" if as_utc(row.created_at) > fresh_from else ""
    return "replies" if row.post_count > read else ""
