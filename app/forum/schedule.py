"""When the safe space's releases fall: every SAFE_SPACE_RELEASE_MINUTES on the clock (0: none,
posts are published at once). app/forum/lifecycle.py runs them."""

from datetime import UTC, datetime, timedelta

from app.core import site_settings


def release_minutes() -> int:
    """A site setting: an admin may change it at run time."""
    return site_settings.effective("safe_space_release_minutes")


def on_schedule(channel) -> bool:
    """Whether new posts in this channel wait for a release (the safe space, unless releases are off)."""
    return bool(channel.is_anonymous) and release_minutes() > 0


def last_release(now: datetime) -> datetime:
    """The latest release at or before ``now``: releases fall every SAFE_SPACE_RELEASE_MINUTES on the clock."""
    period = release_minutes() * 60
    return datetime.fromtimestamp(now.timestamp() // period * period, UTC)


def next_release(now: datetime) -> datetime:
    return last_release(now) + timedelta(minutes=release_minutes())
