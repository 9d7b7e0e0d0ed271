"""Who is told of a new post: the author it answers, the members it mentions and the thread's or
channel's watchers; never the writer (but a safe-space watcher: see below), never someone who muted it, never
twice; sealed in the safe space."""

from datetime import timedelta

from sqlalchemy import func, select

from app.core.timeutil import utcnow
from app.forum import lifecycle
from app.forum.models import ChannelKind, Visibility
from app.notifications import service, watching
from app.notifications.models import Notification, SealedNotification, Watch, WatchLevel
from tests.factories import make_channel, make_member, make_reply, make_thread


def _told(session, member) -> list[tuple[str, str]]:
    return list(session.execute(select(Notification.kind, Notification.event)
                                .where(Notification.member_id == member.id).order_by(Notification.id)).all())


def test_posting_watches_the_thread_and_watchers_hear_of_every_post(session):
    starter, replier, third = make_member(session), make_member(session), make_member(session)
    thread = make_thread(session, author=starter)
    make_reply(session, thread, author=replier)
    assert _told(session, starter) == [("reply", "reply")]
    make_reply(session, thread, author=third, body="A third voice.")
    # the starter is answered (post 1 is what a reply without a parent answers); the replier watches
    assert _told(session, starter)[-1] == ("reply", "reply")
    assert _told(session, replier) == [("watching", "watched_reply")]
    assert _told(session, third) == []  # never told of their own post


def test_a_muted_thread_is_quiet_even_for_replies_and_mentions(session):
    starter, replier = make_member(session), make_member(session, handle="quietone")
    thread = make_thread(session, author=starter)
    watching.choose(session, member_id=starter.id, thread_id=thread.id, level=WatchLevel.muted)
    watching.choose(session, member_id=replier.id, thread_id=thread.id, level=WatchLevel.muted)
    make_reply(session, thread, author=make_member(session), body="Over to @quietone.")
    assert _told(session, starter) == [] and _told(session, replier) == []


def test_a_thread_choice_wins_over_its_channel_choice(session):
    channel = make_channel(session)
    fan, picky = make_member(session), make_member(session)
    watching.choose(session, member_id=fan.id, channel_id=channel.id, level=WatchLevel.watching)
    watching.choose(session, member_id=picky.id, channel_id=channel.id, level=WatchLevel.muted)
    quiet = make_thread(session, channel=channel, title="A quiet one")
    loud = make_thread(session, channel=channel, title="A loud one")
    watching.choose(session, member_id=fan.id, thread_id=quiet.id, level=WatchLevel.normal)
    watching.choose(session, member_id=picky.id, thread_id=loud.id, level=WatchLevel.watching)
    assert _told(session, fan) == [("watching", "watched_thread"), ("watching", "watched_thread")]
    make_reply(session, quiet)
    make_reply(session, loud)
    # "normal" for the quiet thread overrides the channel's watching; the loud one follows the channel
    assert _told(session, fan)[2:] == [("watching", "watched_reply")]
    assert _told(session, picky) == [("watching", "watched_reply")]  # only the thread watched in a muted channel
    assert watching.level_of(session, member_id=fan.id, thread_id=loud.id, channel_id=channel.id) == (
        WatchLevel.watching, "channel", WatchLevel.watching)
    assert watching.level_of(session, member_id=fan.id, thread_id=quiet.id, channel_id=channel.id) == (
        WatchLevel.normal, "thread", WatchLevel.watching)


def test_choosing_normal_for_a_channel_forgets_the_choice_and_nonsense_is_refused(session):
    channel, member = make_channel(session), make_member(session)
    assert watching.choose(session, member_id=member.id, channel_id=channel.id, level=WatchLevel.watching)
    assert watching.choose(session, member_id=member.id, channel_id=channel.id, level=WatchLevel.normal)
    assert session.execute(select(func.count()).select_from(Watch).where(Watch.member_id == member.id)).scalar() == 0
    assert not watching.choose(session, member_id=member.id, channel_id=channel.id, level="loud")
    assert not watching.choose(session, member_id=member.id, level=WatchLevel.muted)  # neither thread nor channel


def test_in_the_safe_space_nothing_plain_is_stored_and_posting_watches_nothing(session):
    safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True)
    starter, replier, watcher = make_member(session), make_member(session), make_member(session)
    watching.choose(session, member_id=watcher.id, channel_id=safe.id, level=WatchLevel.watching)
    thread = make_thread(session, channel=safe, author=starter, title="It went wrong")
    make_reply(session, thread, author=replier, body="Same here.")
    lifecycle.release_due(session, utcnow() + timedelta(hours=1))
    watches = session.execute(select(Watch.member_id).where(Watch.thread_id == thread.id)).scalars().all()
    assert watches == []  # a watch stored because someone posted would say who wrote there
    plain = session.execute(select(func.count()).select_from(Notification)
                            .where(Notification.member_id.in_([starter.id, replier.id, watcher.id]))).scalar()
    assert plain == 0
    assert session.execute(select(func.count()).select_from(SealedNotification)).scalar() >= 3
    starter_items = service.for_member(session, starter.id)
    assert [(item.event, item.is_sealed) for item in starter_items] == [("reply", True)]
    assert starter_items[0].text == "Participant B replied to you"
    # addressed by a hash of the ciphertext: row ids would count the members told between two readers
    sealed_ids = {str(row_id) for row_id in session.execute(select(SealedNotification.id)).scalars()}
    assert starter_items[0].key[1:] not in sealed_ids and len(starter_items[0].key) == 25
    assert service.mark_read(session, starter.id, starter_items[0].key).is_sealed
    assert service.for_member(session, starter.id) == []
    watcher_events = sorted(item.event for item in service.for_member(session, watcher.id))
    assert watcher_events == ["watched_reply", "watched_thread"]


def test_opening_a_notification_reads_it_and_another_members_cannot(session):
    starter = make_member(session)
    thread = make_thread(session, author=starter)
    make_reply(session, thread)
    (item,) = service.for_member(session, starter.id)
    assert not item.is_read and service.unread_count(session, starter.id) == 1
    assert service.mark_read(session, make_member(session).id, item.key) is None
    assert service.mark_read(session, starter.id, item.key).post_public_id == item.post_public_id
    assert service.unread_count(session, starter.id) == 0 and service.for_member(session, starter.id)[0].is_read
    for nonsense in ("n", "nx", "s", "n99999999999999999999", "zzz", ""):
        assert service.mark_read(session, starter.id, nonsense) is None


def test_in_the_safe_space_a_watcher_hears_of_their_own_posts_too(session):
    safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True)
    thread = make_thread(session, channel=safe)
    writer, other = make_member(session), make_member(session)
    for member in (writer, other):
        watching.choose(session, member_id=member.id, thread_id=thread.id, level=WatchLevel.watching)
    make_reply(session, thread, author=writer, body="What we tried did not last.")
    make_reply(session, thread, author=other, body="Ours neither.")
    # Both hear of both posts: a watcher one short would say, to whoever reads their emails, which was theirs.
    for member in (writer, other):
        events = sorted(item.event for item in service.for_member(session, member.id) if item.is_sealed)
        assert events == ["watched_reply", "watched_reply"], member.handle
