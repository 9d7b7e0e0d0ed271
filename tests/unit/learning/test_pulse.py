"""The network pulse counts what members may read, in the site's weeks and months; the safe space
appears as monthly totals only."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from app.core.timeutil import SITE_TZ
from app.forum import lifecycle
from app.forum.models import ChannelKind, Visibility
from app.learning import pulse
from app.learning import service as learning
from app.learning.models import KeyLearning
from tests.factories import first_post, make_channel, make_reply, make_thread

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)  # a Friday; this week began on Monday 30 November


def _at(session, post, moment):
    post.created_at = moment
    session.add(post)
    session.flush()


def test_posts_are_counted_in_the_sites_weeks_and_only_when_members_may_read_them(session):
    pilot = make_channel(session, kind=ChannelKind.pilot, name="Harbour")
    thread = make_thread(session, channel=pilot)
    _at(session, first_post(session, thread), datetime(2026, 11, 30, 0, 30, tzinfo=SITE_TZ))  # this week, just
    late_sunday = make_reply(session, thread)
    _at(session, late_sunday, datetime(2026, 11, 29, 23, 59, tzinfo=SITE_TZ))  # the week before
    hidden = make_reply(session, thread)
    _at(session, hidden, datetime(2026, 12, 1, 9, 0, tzinfo=SITE_TZ))
    lifecycle.hide(session, post=hidden, thread=thread)
    old = make_reply(session, thread)
    _at(session, old, NOW - timedelta(weeks=13))  # before the twelve weeks
    found = pulse.pulse(session, NOW)
    assert found.weeks[-1].date().isoformat() == "2026-11-30" and len(found.weeks) == 12
    row = next(row for row in found.pilots if row.name == "Harbour")
    assert row.values[-1] == 1 and row.values[-2] == 1 and row.total == 2


def test_threads_answered_and_led_to_a_key_learning(session):
    theme = make_channel(session, kind=ChannelKind.theme, name="Skills")
    answered = make_thread(session, channel=theme, replies=1)
    make_thread(session, channel=theme)
    marked = make_thread(session, channel=theme)
    learning.save(session, post=first_post(session, marked), thread=marked, channel=theme,
                  marking=learning.Marking(summary="Learned", concerns=(theme.slug,)))
    session.execute(update(KeyLearning).values(marked_at=NOW - timedelta(days=40)))  # 25 October
    found = pulse.pulse(session, NOW)
    assert next(r for r in found.answered if r.name == "Skills").values == (1, 2)
    assert next(r for r in found.led if r.name == "Skills").values == (3, 1)
    assert found.learnings[-3] == 1 and sum(found.learnings) == 1  # October, of December's twelve months
    assert answered.reply_count == 1


def test_the_safe_space_is_counted_by_month_and_nowhere_else(session):
    safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True,
                        name="Safe space")
    theme = make_channel(session, kind=ChannelKind.theme, name="Skills")
    sealed = make_thread(session, channel=safe, replies=2)
    learning.save(session, post=first_post(session, sealed), thread=sealed, channel=safe,
                  marking=learning.Marking(summary="Quiet", concerns=(theme.slug,), confirmed=True))
    found = pulse.pulse(session)
    assert [row.name for row in found.safe_posts] == ["Safe space"] and found.safe_posts[0].values[-1] == 3
    assert found.safe_threads[0].values[-1] == 1
    assert "Safe space" not in [row.name for row in found.pilots + found.themes + found.answered + found.led]
    assert sum(found.learnings) == 0  # its key learnings are not counted by month either
