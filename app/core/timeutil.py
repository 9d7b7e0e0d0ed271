"""Time helpers: aware UTC for storage, the site's own time zone for display."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SITE_TZ = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    """Now, as an aware UTC datetime (SQLModel stores datetimes as UTC)."""
    return datetime.now(UTC)


def as_utc(stored: datetime | str) -> datetime:
    """A timestamp as the driver returned it, untyped (PostgreSQL: a datetime; SQLite: ISO text), as aware UTC."""
    moment = datetime.fromisoformat(stored) if isinstance(stored, str) else stored
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def to_site_time(moment: datetime) -> datetime:
    """A stored time in the site's time zone (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SITE_TZ)
