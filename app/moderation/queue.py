"""The review queue: held posts and reported posts in one list, oldest first, for the channels a
moderator moderates.

A held post in the safe space reaches the queue only at a release (visibility.IN_QUEUE), and its time
there is the day it was written (lifecycle.submit keeps no more): within a day such posts come in the
order of their random public ids, so the queue does not tell which was written first.
"""

from dataclasses import dataclass

from sqlalchemy import func, literal, literal_column, select, union_all
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app.accounts import service as accounts_service
from app.accounts.models import Member, Viewer
from app.forum import policies, visibility
from app.forum.models import Channel, Post, PostStatus, Thread
from app.forum.service import Page, page_of
from app.moderation.models import Report

PER_PAGE = 20
KINDS = ("held", "report")


@dataclass(frozen=True)
class QueueFilters:
    channel: str = ""  # a channel slug
    kind: str = ""  # "held", "report", or both
    page: int = 1


def _held(channel_ids: list[int] | None):
    query = (select(Post.id.label("post_id"), literal("held").label("kind"), Post.created_at.label("since"),
                    Thread.channel_id.label("channel_id"))
             .join(Thread, Thread.id == Post.thread_id)
             # The status written into the SQL: SQLite uses the partial index ix_post_held only then.
             .where(Post.status == literal_column(f"'{PostStatus.pending.value}'"),
                    visibility.IN_QUEUE.sql({"post": Post})))
    return query if channel_ids is None else query.where(Thread.channel_id.in_(channel_ids))


def _reported(channel_ids: list[int] | None):
    query = (select(Report.post_id, literal("report").label("kind"), func.min(Report.created_at).label("since"),
                    Thread.channel_id.label("channel_id"))
             .join(Post, Post.id == Report.post_id)
             .join(Thread, Thread.id == Post.thread_id)
             .where(Report.resolved_at.is_(None))
             .group_by(Report.post_id, Thread.channel_id))
    return query if channel_ids is None else query.where(Thread.channel_id.in_(channel_ids))


def _scope(viewer: Viewer) -> list[int] | None:
    """The channels whose items the viewer sees: None for all of them."""
    return None if policies.can_moderate(viewer) else sorted(viewer.moderates)


def _items(viewer: Viewer, filters: QueueFilters, channel_id: int | None):
    scope = _scope(viewer)
    if channel_id is not None:
        scope = [channel_id] if scope is None or channel_id in scope else []
    parts = [part(scope) for kind, part in (("held", _held), ("report", _reported))
             if filters.kind in ("", kind)]
    return union_all(*parts).subquery("item") if len(parts) > 1 else parts[0].subquery("item")


def waiting_count(session: Session, viewer: Viewer) -> int:
    """How many items wait for this moderator, for the header."""
    return session.execute(select(func.count()).select_from(_items(viewer, QueueFilters(), None))).scalar_one()


@accounts_service.review_counts.connect
def count_for_header(session: Session, viewer: Viewer) -> int:
    return waiting_count(session, viewer)


def queue_page(session: Session, viewer: Viewer, filters: QueueFilters, channel_id: int | None) -> tuple[list, Page]:
    """One page of the queue, each item with its post, thread, channel and the post it answers, and
    the open reports of reported posts. A constant number of queries, however long the queue."""
    items = _items(viewer, filters, channel_id)
    total = session.execute(select(func.count()).select_from(items)).scalar_one()
    page = page_of(filters.page, total, PER_PAGE)
    parent = aliased(Post)
    query = (
        select(items.c.kind, items.c.since, Post.id, Post.public_id, Post.number, Post.status, Post.body_html,
               Post.seal, Post.author_id, Post.thread_id, Post.pseudonym, Post.release_at,
               Thread.public_id.label("thread_public_id"), Thread.slug.label("thread_slug"), Thread.title,
               Thread.is_locked, Channel.name.label("channel_name"), Channel.slug.label("channel_slug"),
               Channel.is_anonymous, Member.display_name.label("author_name"), Member.handle.label("author_handle"),
               parent.public_id.label("parent_public_id"), parent.number.label("parent_number"),
               parent.body_html.label("parent_body_html"), parent.status.label("parent_status"))
        .join(Post, Post.id == items.c.post_id)
        .join(Thread, Thread.id == Post.thread_id)
        .join(Channel, Channel.id == Thread.channel_id)
        .outerjoin(Member, Member.id == Post.author_id)
        .outerjoin(parent, parent.id == Post.parent_id)
        .order_by(items.c.since, Post.public_id, items.c.kind)
        .limit(PER_PAGE).offset((page.number - 1) * PER_PAGE)
    )
    rows = session.execute(query).all()
    reported = [row.id for row in rows if row.kind == "report"]
    reports: dict[int, list] = {}
    if reported:
        reporter = aliased(Member)
        for report in session.execute(
            select(Report.post_id, Report.reason, Report.note, Report.created_at,
                   reporter.display_name.label("reporter_name"), reporter.handle.label("reporter_handle"))
            .join(reporter, reporter.id == Report.reporter_id)
            .where(Report.post_id.in_(reported), Report.resolved_at.is_(None))
            .order_by(Report.created_at, Report.id)
        ):
            reports.setdefault(report.post_id, []).append(report)
    return [(row, reports.get(row.id, [])) for row in rows], page


def moderated_channels(session: Session, viewer: Viewer) -> list:
    """The channels whose queue the viewer sees, for the filter."""
    query = select(Channel.id, Channel.slug, Channel.name).order_by(Channel.position, Channel.name)
    scope = _scope(viewer)
    if scope is not None:
        query = query.where(Channel.id.in_(scope))
    return session.execute(query).all()
