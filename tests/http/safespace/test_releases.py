"""The safe space's releases: what other readers see changes only at a release, on the clock, in an
order that does not follow when posts were written; the author sees their own post at once."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.core.config import get_settings
from app.core.timeutil import utcnow
from app.forum import lifecycle, schedule
from app.forum.models import ChannelKind, Post, Thread, Visibility
from tests.factories import make_channel, make_member, make_reply, make_thread


@pytest.fixture
def safe_space(session):
    return make_channel(session, slug="safe-space", name="Safe space", kind=ChannelKind.safe_space,
                        visibility=Visibility.members, is_anonymous=True)


@pytest.fixture
def hourly(monkeypatch):
    """Releases every 60 minutes, as `make run` has them."""
    monkeypatch.setattr(get_settings(), "safe_space_release_minutes", 60)


def _seen(browser, thread) -> tuple:
    """What a reader sees of the safe space: the home page, the channel page and the thread page."""
    def main(url):
        response = browser.get(url)
        return response.status_code, response.text.split("<main", 1)[1].split("</main>", 1)[0]

    return main("/"), main("/c/safe-space"), main(f"/t/{thread.public_id}-{thread.slug}")


def test_nothing_readers_see_changes_between_releases(client_as, safe_space, session, hourly):
    author = make_member(session)
    thread = make_thread(session, channel=safe_space, author=make_member(session), title="Released earlier")
    lifecycle.release_due(session, utcnow() + timedelta(hours=1))
    observer = client_as(make_member(session))
    before = _seen(observer, thread)
    mine = client_as(author)
    posted = mine.form(f"/t/{thread.public_id}/reply", {"body": "Written between releases", "guidelines": "yes"},
                       follow_redirects=True)
    assert "Others will see it from" in posted.text and "Written between releases" in posted.text
    mine.form("/c/safe-space/new", {"title": "A new thread, unreleased", "body": "Body", "guidelines": "yes"})
    assert "A new thread, unreleased" in mine.get("/c/safe-space").text  # the author finds it
    assert "A new thread, unreleased" in mine.get(f"/u/{author.handle}").text
    reply = session.execute(select(Post).where(Post.body_md == "Written between releases")).scalar_one()
    assert reply.status == "queued" and reply.number is None
    assert reply.release_at.minute == 0 and reply.release_at.second == 0  # on the clock
    assert _seen(observer, thread) == before
    lifecycle.release_due(session, reply.release_at - timedelta(seconds=1))
    assert _seen(observer, thread) == before
    lifecycle.release_due(session, reply.release_at)
    home, channel, page = _seen(observer, thread)
    assert "Written between releases" in page[1] and "A new thread, unreleased" in channel[1]
    assert re.findall(r">#(\d+)</a>", page[1]) == ["1", "2"]
    assert home != before[0]


def test_a_release_publishes_in_an_order_that_is_not_the_order_of_writing(client_as, safe_space, session,
                                                                          hourly, monkeypatch):
    thread = make_thread(session, channel=safe_space, author=make_member(session))
    lifecycle.release_due(session, utcnow() + timedelta(hours=1))
    written = [make_reply(session, thread, author=make_member(session), body=f"Reply {n}") for n in range(5)]
    # The release's order comes from its shuffle alone: make the shuffle reverse, and the numbers follow.
    monkeypatch.setattr(lifecycle._random, "shuffle", lambda items: items.reverse())
    assert lifecycle.release_due(session, written[0].release_at) == 5
    for post in written:
        session.refresh(post)
    assert [post.number for post in written] == [6, 5, 4, 3, 2]
    assert [post.pseudonym for post in written] == ["F", "E", "D", "C", "B"]
    assert len({post.created_at for post in written}) == 1  # the release's day, for all of them


def test_threads_order_by_release_and_show_the_release_day(client_as, safe_space, session, hourly):
    old = make_thread(session, channel=safe_space, author=make_member(session), title="Older thread")
    lifecycle.release_due(session, utcnow() + timedelta(hours=1))
    newcomer = make_member(session, created_at=utcnow() - timedelta(days=1))
    late = make_thread(session, channel=safe_space, author=newcomer, title="Held, approved a day later")
    moderator = client_as(make_member(session, role="moderator"))
    opening = session.execute(select(Post).where(Post.thread_id == late.id)).scalar_one()
    assert opening.status == "pending" and opening.release_at is not None
    assert "Held, approved" not in moderator.get("/mod/queue").text  # moderators too: only from the release on
    lifecycle.release_due(session, opening.release_at)
    assert "Held, approved" in moderator.get("/mod/queue").text
    moderator.form(f"/mod/posts/{opening.public_id}/approve")
    session.refresh(opening)
    assert opening.status == "queued"
    next_day = opening.release_at + timedelta(days=1)
    lifecycle.release_due(session, next_day)
    session.refresh(late)
    session.refresh(old)
    assert late.last_activity_at > old.last_activity_at
    titles = re.findall(r'thread-title"><a [^>]*>([^<]+)<', client_as(make_member(session)).get("/c/safe-space").text)
    assert titles == ["Held, approved a day later", "Older thread"]
    session.refresh(opening)
    assert opening.created_at.date() == schedule.last_release(next_day).date()


def test_releases_off_publish_at_once_and_the_page_says_so(client_as, safe_space, session):
    thread = make_thread(session, channel=safe_space, author=make_member(session))
    reply = make_reply(session, thread, author=make_member(session))
    assert reply.status == "published" and reply.number == 2
    page = client_as(make_member(session)).get("/c/safe-space").text
    assert "as soon as they are written" in page


def test_a_release_run_twice_publishes_nothing_twice(session, safe_space, hourly):
    thread = make_thread(session, channel=safe_space, author=make_member(session))
    at = session.execute(select(Post.release_at).where(Post.thread_id == thread.id)).scalar_one()
    assert lifecycle.release_due(session, at) == 1
    assert lifecycle.release_due(session, at) == 0
    session.refresh(thread)
    assert (thread.is_pending, thread.post_count, thread.reply_count) == (False, 1, 0)
    assert session.get(Thread, thread.id).is_pending is False


def test_posts_still_queued_when_releases_are_turned_off_go_out(session, safe_space, monkeypatch):
    monkeypatch.setattr(get_settings(), "safe_space_release_minutes", 60)
    thread = make_thread(session, channel=safe_space, author=make_member(session))
    assert thread.is_pending
    monkeypatch.setattr(get_settings(), "safe_space_release_minutes", 0)
    assert lifecycle.release_due(session) == 1
    session.refresh(thread)
    assert not thread.is_pending


def test_an_edit_reaches_others_at_the_next_release_and_its_author_at_once(client_as, safe_space, session, hourly):
    author = make_member(session)
    thread = make_thread(session, channel=safe_space, author=author, title="Before the edit", body="Old words")
    lifecycle.release_due(session, utcnow() + timedelta(hours=1))
    opening = session.execute(select(Post).where(Post.thread_id == thread.id)).scalar_one()
    observer = client_as(make_member(session))
    before = _seen(observer, thread)
    mine = client_as(author)
    saved = mine.form(f"/p/{opening.public_id}/edit", {"body": "New words", "title": "After the edit"},
                      follow_redirects=True)
    assert "Others will see them from" in saved.text and "New words" in saved.text
    assert "New words" in mine.get(f"/p/{opening.public_id}/edit").text  # the form shows what is waiting
    assert _seen(observer, thread) == before  # no new words, no "edited", no new title
    session.refresh(opening)
    lifecycle.release_due(session, opening.edit_due_at)
    session.refresh(thread)
    page = _seen(observer, thread)[2][1]
    assert "New words" in page and "Old words" not in page and ">edited<" in page
    assert thread.title == "After the edit"
    assert client_as(make_member(session)).get("/search", params={"q": "new words"}).text.count("After the edit") >= 1


def test_a_held_posts_edit_reaches_the_moderators_at_the_next_release_not_when_written(client_as, safe_space,
                                                                                       session, hourly):
    thread = make_thread(session, channel=safe_space, author=make_member(session))
    lifecycle.release_due(session, utcnow() + timedelta(hours=1))
    newcomer = make_member(session, created_at=utcnow() - timedelta(days=1))
    held = make_reply(session, thread, author=newcomer, body="First held words")
    lifecycle.release_due(session, held.release_at)  # now in the moderators' queue
    session.refresh(held)
    assert held.status == "pending" and held.release_at is None
    moderator = client_as(make_member(session, role="moderator"))
    queue_before = moderator.get("/mod/queue").text
    assert "First held words" in queue_before
    author = client_as(newcomer)
    saved = author.form(f"/p/{held.public_id}/edit", {"body": "Second held words"}, follow_redirects=True)
    assert "Others will see them from" in saved.text
    assert "Second held words" in author.get(f"/t/{thread.public_id}-{thread.slug}").text  # its author at once
    queue = moderator.get("/mod/queue").text
    assert "First held words" in queue and "Second held words" not in queue  # the queue did not move
    session.refresh(held)
    assert held.status == "pending" and held.release_at is None  # still in the queue, still held
    assert moderator.form(f"/mod/posts/{held.public_id}/approve").status_code == 303  # the words they read
    lifecycle.release_due(session, held.edit_due_at)
    session.refresh(held)
    assert (held.status, held.body_md, held.edit_due_at) == ("published", "Second held words", None)


def test_switching_the_release_interval_sends_all_that_waits_out_together(client_as, safe_space, session, hourly):
    thread = make_thread(session, channel=safe_space, author=make_member(session))
    lifecycle.release_due(session, utcnow() + timedelta(hours=1))
    admin = client_as(make_member(session, role="admin"))
    settings = {"registration_mode": "", "transparency_names_moderators": ""}
    admin.form("/admin/settings", settings | {"safe_space_release_minutes": "15"})
    first = make_reply(session, thread, author=make_member(session), body="Written under 15")
    admin.form("/admin/settings", settings | {"safe_space_release_minutes": ""})  # back to 60
    second = make_reply(session, thread, author=make_member(session), body="Written under 60")
    session.refresh(first)
    assert first.release_at == second.release_at  # the switch cannot tell which was written when
    admin.form("/admin/settings", settings | {"safe_space_release_minutes": "15"})
    session.refresh(first)
    session.refresh(second)
    assert first.release_at == second.release_at and first.release_at.minute % 15 == 0


def test_a_held_post_edited_then_approved_comes_out_unmarked(client_as, safe_space, session, hourly):
    thread = make_thread(session, channel=safe_space, author=make_member(session))
    lifecycle.release_due(session, utcnow() + timedelta(hours=1))
    newcomer = make_member(session, created_at=utcnow() - timedelta(days=1))
    held = make_reply(session, thread, author=newcomer, body="Before")
    lifecycle.release_due(session, held.release_at)
    client_as(newcomer).form(f"/p/{held.public_id}/edit", {"body": "After"})
    moderator = client_as(make_member(session, role="moderator"))
    assert moderator.form(f"/mod/posts/{held.public_id}/approve").status_code == 303
    session.refresh(held)
    lifecycle.release_due(session, held.release_at)
    session.refresh(held)
    assert (held.status, held.body_md, held.edited_at) == ("published", "After", None)
    page = _seen(client_as(make_member(session)), thread)[2][1]
    assert "After" in page and ">edited<" not in page
