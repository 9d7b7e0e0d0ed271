"""The Latest page: every channel the reader may read, newest activity first; tags lead to their
threads; a member sees what is unread and what came since their last visit."""

import re
from datetime import timedelta

from app.accounts import visits
from app.accounts.models import Member, Viewer
from app.core.timeutil import utcnow
from app.forum.models import ChannelKind, Thread, Visibility
from tests.factories import make_channel, make_member, make_reply, make_thread

NEW = '<span class="badge unread"><span class="vh">(</span>New<span class="vh">)</span></span>'


def _titles(page: str) -> list[str]:
    return re.findall(r'class="thread-title"><a href="/t/[^"]+">([^<]+)</a>', page)


def _active(session, thread: Thread, ago: timedelta) -> None:
    thread.last_activity_at = utcnow() - ago
    session.add(thread)
    session.flush()


def _row(page: str, title: str) -> str:
    return re.search(r'<li class="thread-row">(?:(?!</li>).)*' + re.escape(title) + r'.*?</li>', page, re.S).group(0)


def test_a_visitor_sees_public_threads_of_every_channel_newest_activity_first(client, session):
    harbour, skills = make_channel(session, name="Harbour"), make_channel(session, name="Skills")
    members = make_channel(session, name="Members room", visibility=Visibility.members)
    older = make_thread(session, channel=harbour, title="Ferry timetable", tags="transport, events")
    newer = make_thread(session, channel=skills, title="Apprentice wages", tags="transport")
    make_thread(session, channel=members, title="Members only plans")
    make_thread(session, channel=make_channel(session, is_premoderated=True), title="Held for approval")
    _active(session, older, timedelta(hours=2))
    _active(session, newer, timedelta(hours=1))
    page = client.get("/latest").text
    assert _titles(page)[:2] == ["Apprentice wages", "Ferry timetable"]
    assert "Members only plans" not in page and "Held for approval" not in page
    assert 'in <a href="/c/' + harbour.slug + '">Harbour</a>' in _row(page, "Ferry timetable")
    assert '<a class="tag" href="/latest?tag=transport">transport</a>' in page
    tagged = client.get("/latest?tag=events").text
    assert _titles(tagged) == ["Ferry timetable"] and "Threads tagged events" in tagged
    assert "No thread has this tag." in client.get("/latest?tag=" + "x" * 300).text
    assert 'href="/latest"' in client.get("/").text  # in every page's header


def test_a_member_sees_members_only_and_safe_space_threads_without_authors(client_as, session):
    safe = make_channel(session, slug="safe-space", kind=ChannelKind.safe_space, visibility=Visibility.members,
                        is_anonymous=True)
    author = make_member(session, display_name="Perpetua Quibbleworth")
    make_thread(session, channel=safe, author=author, title="Our bid flopped")
    make_thread(session, channel=make_channel(session, visibility=Visibility.members), title="Members only plans")
    page = client_as(make_member(session)).get("/latest").text
    assert {"Our bid flopped", "Members only plans"} <= set(_titles(page))
    assert "Perpetua" not in page and "/u/" + author.handle not in page


def test_unread_markers_follow_what_the_member_opened(client_as, session):
    channel = make_channel(session)
    reader = make_member(session)
    fresh = make_thread(session, channel=channel, title="Fresh news")
    old = make_thread(session, channel=channel, title="From before they joined")
    old.created_at = reader.created_at - timedelta(days=1)
    session.add(old)
    browser = client_as(reader)
    page = browser.get("/latest").text
    assert NEW in _row(page, "Fresh news")
    assert "unread" not in _row(page, "From before they joined")
    assert browser.get(f"/t/{fresh.public_id}-{fresh.slug}").status_code == 200
    assert "unread" not in _row(browser.get("/latest").text, "Fresh news")
    answer = make_reply(session, fresh, body="A new answer")
    make_reply(session, fresh, body="And another")
    row = _row(browser.get("/latest").text, "Fresh news")
    assert f'<a class="badge unread" href="/t/{fresh.public_id}/unread">New replies' in row
    first_new = browser.get(f"/t/{fresh.public_id}/unread")  # where their news begins
    assert first_new.status_code == 303 and first_new.headers["location"] == f"/p/{answer.public_id}"
    # Replying before reading what came before leaves that news; replying after reading it is no news.
    browser.form(f"/t/{fresh.public_id}/reply", {"body": "Thanks, that helps."})
    assert "New replies" in _row(browser.get("/latest").text, "Fresh news")
    browser.get(f"/t/{fresh.public_id}-{fresh.slug}")
    browser.form(f"/t/{fresh.public_id}/reply", {"body": "And thanks again."})
    session.expire_all()  # the replies went through the app
    assert "unread" not in _row(browser.get("/latest").text, "Fresh news")
    make_reply(session, fresh, body="Another one")
    browser.get(f"/t/{fresh.public_id}-{fresh.slug}?page=1")
    assert "unread" not in _row(browser.get("/latest").text, "Fresh news")


def test_own_threads_and_old_ones_are_no_news(client_as, client, session):
    safe = make_channel(session, slug="safe-space", kind=ChannelKind.safe_space, visibility=Visibility.members,
                        is_anonymous=True)
    reader = make_member(session, created_at=utcnow() - timedelta(days=400))
    own = make_thread(session, author=reader, title="My own thread")
    own_anonymous = make_thread(session, channel=safe, author=reader, title="My safe-space thread")
    stale = make_thread(session, title="Began three weeks ago")
    stale.created_at = utcnow() - timedelta(weeks=3)
    session.add(stale)
    page = client_as(reader).get("/latest").text
    for title in ("My own thread", "My safe-space thread", "Began three weeks ago"):
        assert "unread" not in _row(page, title), title
    assert client.get(f"/t/{own.public_id}/unread").status_code == 303  # to sign in
    assert client_as(reader).get(f"/t/{own_anonymous.public_id}/unread").headers["location"] == (
        f"/t/{own_anonymous.public_id}-{own_anonymous.slug}")  # nothing after what they have seen


def test_new_since_the_last_visit_comes_first_and_a_new_visit_moves_the_line(client_as, session):
    channel = make_channel(session)
    now = utcnow()
    reader = make_member(session, visited_at=visits.hour_of(now) - timedelta(hours=5))
    before, after = (make_thread(session, channel=channel, title=title) for title in ("Before", "After"))
    _active(session, before, timedelta(hours=7))
    _active(session, after, timedelta(hours=1))
    browser = client_as(reader)
    page = browser.get("/latest").text
    since, earlier = page.split('id="earlier-title"')
    assert "New since your last visit" in since and _titles(since) == ["After"] and _titles(earlier) == ["Before"]
    session.refresh(reader)
    assert reader.visited_at == visits.hour_of(now)
    assert reader.previous_visit_at == visits.hour_of(now) - timedelta(hours=5)
    # Later in the same visit the line stays where it was.
    assert _titles(browser.get("/latest").text.split('id="earlier-title"')[0]) == ["After"]


def test_a_visit_begins_after_a_clear_hour_without_requests():
    now = utcnow()
    hour = visits.hour_of(now)
    seen_last_hour = Member(id=1, visited_at=hour - timedelta(hours=1), previous_visit_at=hour - timedelta(days=1))

    def viewer(member):
        return Viewer(id=1, handle="a", display_name="A", role="member", status="active", created_at=now,
                      visited_at=member.visited_at, previous_visit_at=member.previous_visit_at)

    assert visits.previous_visit(viewer(seen_last_hour), now) == hour - timedelta(days=1)  # the same visit
    away = Member(id=1, visited_at=hour - timedelta(hours=2), previous_visit_at=hour - timedelta(days=1))
    assert visits.previous_visit(viewer(away), now) == hour - timedelta(hours=2)  # a new one
    assert visits.previous_visit(viewer(Member(id=1)), now) is None and visits.is_due(viewer(Member(id=1)), now)
    assert not visits.is_due(viewer(Member(id=1, visited_at=hour)), now)
