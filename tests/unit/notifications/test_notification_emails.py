"""Notification emails through a real SMTP server (aiosmtpd): one email per member and thread a
quarter hour, only what is unread and still visible, the kinds the member chose, sent once; news
from the safe space as a bare count."""

from datetime import UTC, datetime, time, timedelta

import pytest
from alembic import command
from sqlalchemy import select

from app.accounts.models import Member, Viewer
from app.cli import alembic_config
from app.core import email as transport_module
from app.core.config import get_settings
from app.core.db import Database
from app.core.timeutil import utcnow
from app.forum import lifecycle, posting
from app.forum.models import Channel, ChannelKind, Post, Thread, Visibility
from app.notifications import emails, service
from app.notifications.models import Notification
from tests.factories import make_member
from tests.smtp_server import Collector, free_port, running


@pytest.fixture
def smtp():
    handler = Collector()
    with running(handler) as url:
        yield handler, url


@pytest.fixture
def db(scratch_database_url):
    command.upgrade(alembic_config(scratch_database_url), "head")
    database = Database(scratch_database_url)
    yield database
    database.dispose()


def _world(db, *, anonymous: bool = False) -> dict:
    with db.session() as session:
        channel = Channel(slug="place", name="Place", kind=ChannelKind.safe_space if anonymous else ChannelKind.theme,
                          visibility=Visibility.members, is_anonymous=anonymous)
        session.add(channel)
        session.flush()
        starter = make_member(session, email="starter@example.org", display_name="Sam Starter", handle="samstarter")
        replier = make_member(session, email="replier@example.org", display_name="Rhian Replier",
                              handle="rhianreplier")
        thread, problems = posting.start_thread(session, channel=channel, author=Viewer.of(starter),
                                                title="Funding the first year", body="How did you do it?",
                                                confirmed_guidelines=True)
        assert thread is not None, problems.fields
        session.commit()
        return {"channel": channel.id, "thread": thread.id, "starter": starter.id, "replier": replier.id}


def _reply(db, world, body: str, *, release: bool = False) -> str:
    with db.session() as session:
        thread, channel = session.get(Thread, world["thread"]), session.get(Channel, world["channel"])
        post, problems = posting.reply_to_thread(session, thread=thread, channel=channel,
                                                 author=Viewer.of(session.get(Member, world["replier"])), body=body,
                                                 confirmed_guidelines=True)
        assert post is not None, problems.fields
        if release:
            lifecycle.release_due(session, utcnow() + timedelta(hours=1))
        session.commit()
        return post.public_id


def _run(db, url, now=None):
    return emails.run(now=now or utcnow(), database=db, transport=lambda message: transport_module.send(message, url))


def test_a_reply_is_emailed_once_with_list_headers_and_both_parts(db, smtp):
    handler, url = smtp
    world = _world(db)
    post_id = _reply(db, world, "We used a **bridging** grant.")
    summary = _run(db, url)
    assert summary.sent == 1
    (message,) = handler.to("starter@example.org")
    base = get_settings().base_url.rstrip("/")
    assert "Rhian Replier replied to you" in message["Subject"] and "Funding the first year" in message["Subject"]
    assert message["List-Unsubscribe"].startswith(f"<{base}/notifications/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" and message["List-Id"]
    assert message["References"].startswith("<thread-") and message["Message-ID"] and message["Date"]
    text, html = message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()
    assert "We used a bridging grant." in text and f"{base}/p/{post_id}" in text
    assert f'href="{base}/p/{post_id}"' in html and 'style="' in html and "<style" not in html
    assert _run(db, url).sent == 0 and len(handler.messages) == 1  # never twice


def test_more_within_a_quarter_hour_waits_and_then_comes_in_one_email(db, smtp):
    handler, url = smtp
    world = _world(db)
    _reply(db, world, "First thought.")
    now = utcnow()
    assert _run(db, url, now).sent == 1
    _reply(db, world, "Second thought.")
    _reply(db, world, "Third thought.")
    assert _run(db, url, now + timedelta(minutes=5)).waiting == 1
    later = _run(db, url, now + timedelta(minutes=16))
    assert later.sent == 1
    second = handler.to("starter@example.org")[1]
    text = second.get_body(("plain",)).get_content()
    assert "2 notifications" in second["Subject"] and "Second thought." in text and "Third thought." in text


def test_read_hidden_and_unwanted_notifications_are_not_emailed(db, smtp):
    handler, url = smtp
    world = _world(db)
    _reply(db, world, "Read already.")
    with db.session() as session:
        service.mark_all_read(session, world["starter"])
        session.commit()
    hidden_id = _reply(db, world, "Hidden before the run.")
    with db.session() as session:
        post = session.execute(select(Post).where(Post.public_id == hidden_id)).scalar_one()
        lifecycle.hide(session, post=post, thread=session.get(Thread, world["thread"]))
        session.commit()
    assert _run(db, url).sent == 0 and handler.messages == []
    with db.session() as session:
        emails.choose(session, world["starter"], set())  # every kind off
        session.commit()
    _reply(db, world, "Turned off.")
    assert _run(db, url, utcnow() + timedelta(minutes=30)).sent == 0 and handler.messages == []


def test_a_title_with_a_line_separator_still_makes_one_subject_line(db, smtp):
    handler, url = smtp
    world = _world(db)
    with db.session() as session:
        session.get(Thread, world["thread"]).title = "Split\u2028off\x85here"  # as a split could once store
        session.commit()
    _reply(db, world, "Still told.")
    assert _run(db, url).sent == 1
    assert handler.to("starter@example.org")[0]["Subject"].endswith("“Split off here”")


def test_when_the_server_is_down_nothing_is_lost(db, smtp):
    handler, url = smtp
    world = _world(db)
    _reply(db, world, "Sent later.")
    now = utcnow()
    down = _run(db, f"smtp://127.0.0.1:{free_port()}", now)
    assert (down.sent, down.failed) == (0, 1)
    with db.session() as session:
        assert session.execute(select(Notification.emailed_at).where(
            Notification.member_id == world["starter"])).scalar_one() is None
    assert _run(db, url, now + timedelta(minutes=16)).sent == 1 and len(handler.messages) == 1


def test_safe_space_news_comes_after_the_release_and_says_nothing_of_the_post(db, smtp, monkeypatch):
    monkeypatch.setattr(get_settings(), "safe_space_release_minutes", 60)
    handler, url = smtp
    world = _world(db, anonymous=True)
    with db.session() as session:
        lifecycle.release_due(session, utcnow() + timedelta(hours=1))  # the opening post
        session.commit()
    _reply(db, world, "It stalled for us too.")
    assert _run(db, url).sent == 0  # not released yet: nobody is told
    with db.session() as session:
        lifecycle.release_due(session, utcnow() + timedelta(hours=3))
        session.commit()
    # Released, but emailed only the next day, in the first run from seven (UTC), whenever it happened.
    tomorrow = datetime.combine(utcnow().date() + timedelta(days=1), time(6, 59), tzinfo=UTC)
    assert _run(db, url).sent == 0 and _run(db, url, now=tomorrow).sent == 0
    assert _run(db, url, now=tomorrow + timedelta(minutes=1)).sent == 1
    assert _run(db, url, now=tomorrow + timedelta(hours=5)).sent == 0  # once
    (message,) = handler.to("starter@example.org")
    whole = message.as_string()
    # A mailbox's reader (its provider too) must not learn what its owner wrote, nor how much news
    # there is (a count could be set by whoever makes the news): a word and a link only.
    assert message["Subject"] == "Common Ground: you have new notifications" and "/notifications" in whole
    for told in ("Funding the first year", "It stalled", "Participant", "Rhian", "Replier", "rhianreplier", "Sam",
                 "/p/", "/t/", "References"):
        assert told not in whole, told
