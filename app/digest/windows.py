"""Digest periods: fixed calendar days and Monday-to-Sunday weeks in the site's time zone
(Europe/London), named by keys such as 2026-12-01 and 2026-W48 (ISO weeks)."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.core.timeutil import SITE_TZ, to_site_time
from app.digest.models import Frequency

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_WEEK = re.compile(r"(\d{4})-W(\d{2})")


@dataclass(frozen=True)
class Period:
    frequency: str
    key: str
    first_day: date
    days: int

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time(), tzinfo=SITE_TZ)

    @property
    def end(self) -> datetime:
        """The start of the next period (a DST change makes a day 23 or 25 hours: that is right)."""
        return datetime.combine(self.first_day + timedelta(days=self.days), time(), tzinfo=SITE_TZ)


def day(of: date) -> Period:
    return Period(Frequency.daily, of.isoformat(), of, 1)


def week(of: date) -> Period:
    monday = of - timedelta(days=of.weekday())
    year, number, _ = monday.isocalendar()
    return Period(Frequency.weekly, f"{year}-W{number:02d}", monday, 7)


def parse(key: str) -> Period:
    """The period a key names; ValueError for anything else."""
    if _DAY.fullmatch(key):
        return day(date.fromisoformat(key))
    if found := _WEEK.fullmatch(key):
        return week(date.fromisocalendar(int(found.group(1)), int(found.group(2)), 1))
    raise ValueError(f"not a period: {key!r} (use 2026-12-01 or 2026-W48)")


def due(frequency: str, now: datetime, weekday: int = 0) -> Period:
    """The latest period a subscription may have now: yesterday; or, for a weekly digest that comes on
    ``weekday``, the Monday-to-Sunday week before the last such day."""
    today = to_site_time(now).date()
    if frequency == Frequency.daily:
        return day(today - timedelta(days=1))
    this_week = week(today).first_day
    comes = this_week + timedelta(days=weekday)
    return week(this_week - timedelta(days=7 if today >= comes else 14))
