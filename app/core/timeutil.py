"""Time helpers: aware UTC for storage, the site's own time zone for display."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SITE_TZ = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    """Now, as an aware UTC datetime (SQLModel stores datetimes as UTC)."""
    return datetime.now(UTC)


def to_site_time(moment: datetime) -> datetime:
    """A stored time in the site's time zone (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SITE_TZ)
