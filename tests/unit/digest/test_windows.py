"""Digest periods are the site's calendar days and Monday-to-Sunday weeks."""

from datetime import UTC, datetime

import pytest

from app.digest import windows


def test_keys_name_days_and_iso_weeks_in_uk_time():
    week = windows.parse("2026-W48")
    assert week.first_day.isoformat() == "2026-11-23" and week.days == 7
    assert week.start.isoformat() == "2026-11-23T00:00:00+00:00"
    summer = windows.parse("2026-07-01")
    assert summer.start.utcoffset().total_seconds() == 3600  # BST: the day starts at 23:00 UTC the day before
    assert windows.week(datetime(2026, 12, 31).date()).key == "2026-W53"
    with pytest.raises(ValueError):
        windows.parse("last week")


def test_what_is_due_now():
    friday = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    assert windows.due("daily", friday).key == "2026-12-03"
    assert windows.due("weekly", friday, weekday=0).key == "2026-W48"  # Monday's came: last week's
    assert windows.due("weekly", friday, weekday=4).key == "2026-W48"  # Friday's: today
    assert windows.due("weekly", friday, weekday=5).key == "2026-W47"  # Saturday's: still the week before
    just_after_midnight = datetime(2026, 7, 2, 23, 30, tzinfo=UTC)  # 00:30 on 3 July in London
    assert windows.due("daily", just_after_midnight).key == "2026-07-02"
