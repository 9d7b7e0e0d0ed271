"""The notifications page, watching and muting from a thread or channel page, and the settings and
one-click unsubscribe of notification emails."""

import re

from sqlalchemy import select

from app.notifications import emails
from app.notifications.models import Notification, NotificationSetting, Watch
from tests.factories import make_channel, make_member, make_reply, make_thread


def test_opening_a_notification_reads_it_and_leads_to_the_post(client_as, session):
    author = make_member(session)
    thread = make_thread(session, author=author, title="Bridging grants")
    reply = make_reply(session, thread, author=make_member(session, display_name="Rhian Replier"))
    browser = client_as(author)
    page = browser.get("/notifications").text
    assert "Rhian Replier replied to you" in page and "New" in page and "Mark all as read" in page
    assert f'<h2 id="group-1"><a href="/t/{thread.public_id}-{thread.slug}">Bridging grants</a></h2>' in page
    assert "(Rhian Replier replied to you, in Bridging grants)" in page  # what "Mark as read" marks
    key = f"n{session.execute(select(Notification.id).where(Notification.member_id == author.id)).scalar_one()}"
    assert client_as(make_member(session)).get(f"/notifications/{key}").status_code == 404  # not theirs
    opened = browser.get(f"/notifications/{key}")
    assert opened.status_code == 303 and opened.headers["location"] == f"/p/{reply.public_id}"
    assert session.execute(select(Notification.read_at).where(Notification.member_id == author.id)).scalar_one()
    after = browser.get("/notifications").text
    assert 'action="/notifications/' not in after and "Mark all as read" not in after  # nothing left unread


def test_one_notification_can_be_marked_read_and_the_rest_stay_new(client_as, session):
    author = make_member(session)
    thread = make_thread(session, author=author)
    make_reply(session, thread)
    make_reply(session, thread)
    first, second = session.execute(select(Notification.id).where(Notification.member_id == author.id)
                                    .order_by(Notification.id)).scalars()
    browser = client_as(author)
    assert browser.form(f"/notifications/n{first}/read").status_code == 303
    read = dict(session.execute(select(Notification.id, Notification.read_at)
                                .where(Notification.member_id == author.id)).all())
    assert read[first] is not None and read[second] is None
    assert browser.form("/notifications/nonsense/read").status_code == 404
    assert browser.form("/notifications/read").status_code == 303
    assert "All your notifications are marked read." in browser.get("/notifications").text


def test_notifications_are_grouped_by_their_thread(client_as, session):
    author = make_member(session)
    grants, buses = make_thread(session, author=author, title="Grants"), make_thread(session, author=author,
                                                                                       title="Buses")
    make_reply(session, grants)
    make_reply(session, buses)
    make_reply(session, grants)
    page = client_as(author).get("/notifications").text
    headings = re.findall(r'<h2 id="group-\d+"><a href="[^"]+">([^<]+)</a></h2>', page)
    assert headings == ["Grants", "Buses"]  # by their newest notification, each thread once
    assert page.split("<h2")[1].count('class="notification unread"') == 2


def test_a_member_watches_then_mutes_a_thread_from_its_page(client_as, session):
    member = make_member(session)
    thread = make_thread(session, title="Watch me")
    browser = client_as(member)
    url = f"/t/{thread.public_id}-{thread.slug}"
    assert "You are told of replies to you and mentions." in browser.get(url).text
    assert browser.form(f"/t/{thread.public_id}/watch", {"level": "watching"}).headers["location"] == url
    page = browser.get(url).text
    assert "You are watching this thread." in page and 'value="muted"' in page
    browser.form(f"/t/{thread.public_id}/watch", {"level": "muted"})
    assert "This thread is muted." in browser.get(url).text
    browser.form(f"/t/{thread.public_id}/watch", {"level": "very loud"})
    assert session.execute(select(Watch.level).where(Watch.member_id == member.id)).scalar_one() == "muted"
    # A thread's own choice can be given back, when the channel's differs
    assert "Use your setting for the channel (replies to you and mentions)" in browser.get(url).text
    browser.form(f"/t/{thread.public_id}/watch", {"level": "channel"})
    assert session.execute(select(Watch.level).where(Watch.member_id == member.id)).first() is None
    page = browser.get(url).text
    assert "You are told of replies to you and mentions." in page and 'value="channel"' not in page
    assert "This thread now follows your setting for its channel." in page
    assert browser.form(f"/c/{thread.public_id}/watch", {"level": "channel"}).status_code == 404
    assert browser.form("/t/nosuchthread/watch", {"level": "watching"}).status_code == 404


def test_a_channel_can_be_watched_and_its_threads_say_so(client_as, session):
    member, channel = make_member(session), make_channel(session)
    thread = make_thread(session, channel=channel)
    browser = client_as(member)
    browser.form(f"/c/{channel.slug}/watch", {"level": "watching"})
    assert "You are watching this channel." in browser.get(f"/c/{channel.slug}").text
    page = browser.get(f"/t/{thread.public_id}-{thread.slug}").text
    assert "You are watching this thread. (As chosen for its channel.)" in page


def test_visitors_see_no_watch_controls_and_cannot_watch(client, session):
    thread = make_thread(session)
    assert 'class="watch-form"' not in client.get(f"/t/{thread.public_id}-{thread.slug}").text
    response = client.post(f"/t/{thread.public_id}/watch", data={"level": "watching"})
    watchers = session.execute(select(Watch.member_id)).scalars().all()
    assert response.status_code == 403 and len(watchers) == 1  # its author's, from posting


def test_email_settings_are_saved_and_a_one_click_post_stops_every_email(client, client_as, session):
    member = make_member(session)
    browser = client_as(member)
    page = browser.get("/settings/notifications").text
    assert page.count('type="checkbox"') == 4 and page.count(" checked") == 4  # all on until chosen
    browser.form("/settings/notifications", {"email": ["reply", "mention"]})
    setting = session.get(NotificationSetting, member.id)
    session.refresh(setting)
    assert (setting.email_reply, setting.email_mention, setting.email_moderation, setting.email_watching) == (
        True, True, False, False)
    url = f"/notifications/unsubscribe/{emails.unsubscribe_token(member.id)}"
    client.cookies.clear()
    asked = client.get(url)
    assert asked.status_code == 200 and f'action="{url}"' in asked.text
    session.refresh(setting)
    assert setting.email_reply  # a GET (a mail scanner's) changes nothing
    done = client.post(url, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200 and "no more notification emails" in done.text
    session.refresh(setting)
    assert not (setting.email_reply or setting.email_mention)
    assert client.get(url[:-3] + "xyz").status_code == 404 and client.post(url[:-3] + "xyz").status_code == 404
