"""A member's visits, for "new since your last visit": the hour they were last seen, and the end of
the visit before this one. A visit ends after a clear hour without a request; hours are whole
(Member.visited_at says why), so a request writes at most once an hour."""

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session

from app.accounts.models import Member, Viewer
from app.core.timeutil import as_utc

# Seen in hour H, then next in hour H+2 or later: at least an hour went by without a request.
NEW_VISIT_AFTER = timedelta(hours=2)


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def is_due(viewer: Viewer, now: datetime) -> bool:
    """Whether this request is the member's first in the present hour (and so writes the visit)."""
    return viewer.visited_at is None or as_utc(viewer.visited_at) < hour_of(now)


def previous_visit(viewer: Viewer, now: datetime) -> datetime | None:
    """The hour the member's previous visit ended, as of a request at ``now``; None before any."""
    seen = as_utc(viewer.visited_at) if viewer.visited_at else None
    if seen is not None and hour_of(now) - seen >= NEW_VISIT_AFTER:
        return seen  # this request begins a new visit: the one before ended when they were last seen
    return as_utc(viewer.previous_visit_at) if viewer.previous_visit_at else None


def record(session: Session, viewer: Viewer, now: datetime) -> None:
    """Write this hour as seen (and, when a new visit begins, where the last one ended); a request of
    the same hour that got here first has already done it."""
    hour = hour_of(now)
    session.execute(
        update(Member)
        .where(Member.id == viewer.id, (Member.visited_at.is_(None)) | (Member.visited_at < hour))
        .values(visited_at=hour, previous_visit_at=previous_visit(viewer, now))
    )
