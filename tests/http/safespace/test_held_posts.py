"""Held posts and moderation give nothing away, tried as an attacker would: another member, a
moderator or an admin, with only the site. Each test is one way the author of a held safe-space post
(a new account) could be told apart, and shows it is closed."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.core.timeutil import utcnow
from app.forum.models import ChannelKind, Post, Thread, Visibility
from app.moderation.models import ModerationAction, Sanction
from tests.factories import first_post, make_channel, make_member, make_reply, make_thread


@pytest.fixture
def safe_space(session):
    return make_channel(session, slug="safe-space", name="Safe space", kind=ChannelKind.safe_space,
                        visibility=Visibility.members, is_anonymous=True)


def _newcomer(session, **fields):
    return make_member(session, created_at=utcnow() - timedelta(days=1), **fields)


def _page(browser, thread) -> str:
    response = browser.get(f"/t/{thread.public_id}-{thread.slug}")
    assert response.status_code == 200
    return response.text.split("<main", 1)[1].split("</main>", 1)[0]


def _reply(browser, thread, body: str, **extra):
    return browser.form(f"/t/{thread.public_id}/reply", {"body": body, "guidelines": "yes", **extra})


def test_numbers_and_letters_stay_contiguous_while_a_post_is_held(client_as, safe_space, session):
    thread = make_thread(session, channel=safe_space, author=make_member(session))
    make_reply(session, thread, author=make_member(session), body="Second voice")
    newcomer = _newcomer(session)
    _reply(client_as(newcomer), thread, "Held words from a new account")
    make_reply(session, thread, author=make_member(session), body="Third voice")
    observer = client_as(make_member(session))
    page = _page(observer, thread)
    assert re.findall(r">#(\d+)</a>", page) == ["1", "2", "3"]
    assert re.findall(r"Participant ([A-Z])", page) == ["A", "B", "C"]
    assert "Held words" not in page
    held = session.execute(select(Post).where(Post.body_md == "Held words from a new account")).scalar_one()
    assert held.number is None and held.pseudonym is None
    client_as(make_member(session, role="moderator")).form(f"/mod/posts/{held.public_id}/approve")
    page = _page(observer, thread)
    assert re.findall(r">#(\d+)</a>", page) == ["1", "2", "3", "4"]
    assert "Participant D" in page and "Held words" in page


def test_an_edit_by_a_new_account_leaves_the_post_and_the_counts_as_they_were(client_as, safe_space, session):
    newcomer = _newcomer(session)
    mine = client_as(newcomer)
    mine.form("/c/safe-space/new", {"title": "A newcomer's thread", "body": "First words", "guidelines": "yes"})
    thread = session.execute(select(Thread).where(Thread.title == "A newcomer's thread")).scalar_one()
    moderator = client_as(make_member(session, role="moderator"))
    moderator.form(f"/mod/posts/{first_post(session, thread).public_id}/approve")
    _reply(mine, thread, "A held reply")
    reply = session.execute(select(Post).where(Post.body_md == "A held reply")).scalar_one()
    moderator.form(f"/mod/posts/{reply.public_id}/approve")
    observer = client_as(make_member(session))
    before = (observer.get("/").text, observer.get("/c/safe-space").text)
    edited = mine.form(f"/p/{reply.public_id}/edit", {"body": "A reply, edited"}, follow_redirects=True)
    assert "Your post has been updated." in edited.text and "waiting" not in edited.text
    opening = mine.form(f"/p/{first_post(session, thread).public_id}/edit",
                        {"body": "First words, edited", "title": "A newcomer's thread"})
    assert opening.status_code == 303
    session.refresh(thread)
    session.refresh(reply)
    assert (thread.is_pending, thread.reply_count) == (False, 1)
    assert first_post(session, thread).status == reply.status == "published"
    page = _page(observer, thread)
    assert "A reply, edited" in page and "First words, edited" in page
    after = (observer.get("/").text, observer.get("/c/safe-space").text)
    assert after == before


def _same_as_nothing(browser, held_id: str, method: str = "get", path: str = "/p/{}", data: dict | None = None):
    """The responses for the held post's id and for an id that never existed, with the id written out
    of each: nothing may differ (status, body, headers)."""
    missing_id = "zzzzzzzz"
    answers = []
    for post_id in (held_id, missing_id):
        url = path.format(post_id)
        fields = {k: v.format(post_id) for k, v in (data or {}).items()}
        response = browser.form(url, fields) if method == "post" else browser.get(url)
        headers = {k: v.replace(post_id, "ID") for k, v in response.headers.items() if k != "content-length"}
        answers.append((response.status_code, response.text.replace(post_id, "ID"), headers))
    assert answers[0] == answers[1], path
    return answers[0]


def test_a_held_post_is_exactly_like_one_that_does_not_exist(client_as, client, session):
    safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True)
    public = make_channel(session, is_premoderated=True)
    for channel, browser in ((safe, client_as(make_member(session))), (public, client)):
        thread = make_thread(session, channel=channel, author=make_member(session, role="moderator"))
        held = make_reply(session, thread, author=_newcomer(session), body="Waiting for a moderator")
        assert held.status == "pending"
        for path in ("/p/{}", "/p/{}/reply", "/p/{}/reply?quote=1", "/p/{}/edit", "/p/{}/revisions",
                     "/p/{}/delete", "/mod/posts/{}/hide", "/mod/posts/{}/approve"):
            status, _, _ = _same_as_nothing(browser, held.public_id, path=path)
            assert status in (404, 303)
        if browser is not client:
            for path in ("/p/{}/react", "/p/{}/delete", "/p/{}/edit"):
                _same_as_nothing(browser, held.public_id, "post", path, {"kind": "helpful", "body": "x"})
            # The reply form's error page, plain and with htmx.
            status, text, _ = _same_as_nothing(browser, held.public_id, "post", f"/t/{thread.public_id}/reply",
                                               {"body": "My answer", "parent_id": "{}", "guidelines": "yes"})
            assert status == 422 and "Waiting for a moderator" not in text and "My answer" in text


def test_no_moderation_page_tells_a_held_then_approved_post_from_one_never_held(client_as, safe_space, session):
    thread = make_thread(session, channel=safe_space, author=make_member(session), title="Two replies")
    never_held = make_reply(session, thread, author=make_member(session), body="Reply one")
    held = make_reply(session, thread, author=_newcomer(session), body="Reply two")
    moderator_member = make_member(session, role="moderator")
    moderator = client_as(moderator_member)
    assert "Reply two" in moderator.get("/mod/queue").text
    moderator.form(f"/mod/posts/{held.public_id}/approve")
    for member in (moderator_member, make_member(session, role="moderator"), make_member(session, role="admin")):
        browser = client_as(member)
        page = _page(browser, thread)
        articles = {m.group(1): m.group(0) for m in re.finditer(r'<article id="post-(\w+)".*?</article>', page, re.S)}

        def normalised(post, articles=articles):
            session.refresh(post)
            text = articles[post.public_id].replace(post.public_id, "ID").replace(post.body_md, "BODY")
            return re.sub(r"#\d+|post \d+|Participant [A-Z]", "N", text)

        assert normalised(held) == normalised(never_held)
        log = browser.get("/mod/log").text
        assert held.public_id not in log and "Two replies" not in log
        assert "Approved a post in Safe space" in log
        assert not re.search(r'<time datetime="[^"]*T', log.split("<tbody>")[1])  # the day only
        assert "Reply two" not in browser.get("/mod/queue").text
    action = session.execute(select(ModerationAction)).scalar_one()
    assert (action.post_id, action.thread_id, action.created_at.hour) == (None, None, 12)


def test_a_sanction_through_an_anonymous_post_cannot_reach_beyond_the_safe_space(client_as, safe_space, session):
    post = first_post(session, make_thread(session, channel=safe_space, author=make_member(session)))
    moderator = client_as(make_member(session, role="admin"))
    form = moderator.get(f"/mod/posts/{post.public_id}/sanction").text
    assert "Every channel" not in form
    refused = moderator.form(f"/mod/posts/{post.public_id}/sanction",
                             {"kind": "suspension", "scope": "site", "days": "7", "reason": "Watch them go quiet"})
    assert refused.status_code == 422 and "safe space only" in refused.text and "Watch them go quiet" in refused.text
    assert session.execute(select(func.count()).select_from(Sanction)).scalar_one() == 0


def test_pre_moderation_and_locks_bind_moderators_in_the_safe_space(client_as, session):
    make_channel(session, slug="held-space", kind=ChannelKind.safe_space, visibility=Visibility.members,
                        is_anonymous=True, is_premoderated=True)
    moderator_member = make_member(session, role="moderator")
    moderator = client_as(moderator_member)
    response = moderator.form("/c/held-space/new", {"title": "From a moderator", "body": "Words", "guidelines": "yes"})
    assert response.status_code == 303
    thread = session.execute(select(Thread).where(Thread.title == "From a moderator")).scalar_one()
    assert thread.is_pending  # held like anyone's: a post published without approval would be a moderator's
    opening = first_post(session, thread)
    refused = moderator.form(f"/mod/posts/{opening.public_id}/approve", follow_redirects=True)
    assert "cannot approve your own post" in refused.text
    session.refresh(opening)
    assert opening.status == "pending"  # another moderator approves it
    named = make_channel(session, is_premoderated=True)
    named_thread = make_thread(session, channel=named, author=moderator_member)
    assert not named_thread.is_pending  # in a named channel moderators' posts need no approval
    open_safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True)
    locked = make_thread(session, channel=open_safe, author=make_member(session))
    locked.is_locked = True
    session.add(locked)
    session.flush()
    assert 'name="body"' not in _page(moderator, locked)
    refused = _reply(moderator, locked, "Only a moderator could write this")
    assert refused.status_code == 422 and "locked" in refused.text
    named_locked = make_thread(session, author=make_member(session))
    named_locked.is_locked = True
    session.add(named_locked)
    session.flush()
    assert _reply(moderator, named_locked, "Moderators may still answer here").status_code == 303


def test_a_permalink_moves_for_nobody_when_a_post_is_held_before_it(client_as, safe_space, session, monkeypatch):
    """A permalink names the page its post is on: counting others' waiting posts would move it."""
    from app.core.config import get_settings

    monkeypatch.setattr(get_settings(), "posts_per_page", 3)
    thread = make_thread(session, channel=safe_space, author=make_member(session))
    opening = first_post(session, thread)
    last = [make_reply(session, thread, author=make_member(session), body=f"Reply {n}") for n in range(2)][-1]
    observers = [client_as(make_member(session)), client_as(make_member(session, role="moderator"))]
    before = [browser.get(f"/p/{last.public_id}").headers["location"] for browser in observers]
    assert "page=" not in before[0]
    monkeypatch.setattr(get_settings(), "safe_space_release_minutes", 60)  # moderators too, until the release
    _reply(client_as(_newcomer(session)), thread, "Held, answering the first post", parent_id=opening.public_id)
    _reply(client_as(make_member(session)), thread, "Queued, answering the first post", parent_id=opening.public_id)
    assert [browser.get(f"/p/{last.public_id}").headers["location"] for browser in observers] == before


def test_what_moderators_did_before_a_post_came_out_never_reaches_the_transparency_log(client_as, safe_space, session):
    client_as(_newcomer(session)).form("/c/safe-space/new", {"title": "A newcomer's thread", "body": "First words",
                                                             "guidelines": "yes"})
    thread = session.execute(select(Thread).where(Thread.title == "A newcomer's thread")).scalar_one()
    opening = first_post(session, thread)
    moderator = client_as(make_member(session, role="moderator"))
    assert moderator.form(f"/mod/threads/{thread.public_id}/edit",
                          {"title": "A newcomer's question", "tags": "", "reason": "Clearer title"}).status_code == 303
    assert moderator.form(f"/mod/threads/{thread.public_id}/pin", {"reason": "Pinned while held"}).status_code == 303
    assert moderator.form(f"/mod/posts/{opening.public_id}/approve").status_code == 303
    client_as(_newcomer(session)).form("/c/safe-space/new", {"title": "Another thread", "body": "Spam",
                                                             "guidelines": "yes"})
    spam = first_post(session, session.execute(select(Thread).where(Thread.title == "Another thread")).scalar_one())
    assert moderator.form(f"/mod/posts/{spam.public_id}/hide", {"reason": "Hid a held opening"}).status_code == 303
    open_thread = make_thread(session, channel=safe_space, author=make_member(session))
    _reply(client_as(_newcomer(session)), open_thread, "A held reply")
    held = session.execute(select(Post).where(Post.body_md == "A held reply")).scalar_one()
    assert moderator.form(f"/mod/posts/{held.public_id}/hide", {"reason": "Spam while held"}).status_code == 303
    seen = make_reply(session, open_thread, author=make_member(session))
    assert moderator.form(f"/mod/posts/{seen.public_id}/hide", {"reason": "Hid what all had read"}).status_code == 303
    session.expire_all()
    assert not session.get(Thread, thread.id).is_pending  # released now: a read-time check would show its lines
    log = client_as(make_member(session)).get("/moderation").text.split("<table", 1)[-1]
    assert "Hid what all had read" in log
    for kept in ("Clearer title", "Pinned while held", "Hid a held opening", "Spam while held", "Approved",
                 "A newcomer", "Another thread"):
        assert kept not in log
    staff_log = moderator.get("/mod/log").text
    assert "Spam while held" in staff_log  # the moderators' own log has every line, but not which post it was:
    assert held.public_id not in staff_log and opening.public_id not in staff_log  # once out, none says it was held
    assert f'href="/p/{seen.public_id}"' in staff_log


WARNING = {"kind": "warning", "scope": "safe_space", "reason": "Careful"}


def _warned_while_held(client_as, safe_space, session):
    """A new account's reply, warned while held, then approved: (the post, the moderator's browser)."""
    thread = make_thread(session, channel=safe_space, author=make_member(session))
    _reply(client_as(_newcomer(session)), thread, "Held and warned")
    held = session.execute(select(Post).where(Post.body_md == "Held and warned")).scalar_one()
    moderator = client_as(make_member(session, role="moderator"))
    assert moderator.form(f"/mod/posts/{held.public_id}/sanction", WARNING).status_code == 303
    assert moderator.form(f"/mod/posts/{held.public_id}/approve").status_code == 303
    return held, moderator


def test_a_sanction_through_a_held_post_does_not_point_moderators_to_it_once_published(client_as, safe_space,
                                                                                       session):
    held, moderator = _warned_while_held(client_as, safe_space, session)
    sanctions = moderator.get("/mod/sanctions").text
    assert "Careful" in sanctions and held.public_id not in sanctions
    assert "through a post not yet published then" in sanctions
    assert not re.search(r"/mod/(sanctions|log)/\d+/", sanctions + moderator.get("/mod/log").text)  # no sequences


def test_a_sanction_given_before_release_is_not_told_to_a_moderator_sanctioning_again(client_as, safe_space,
                                                                                      session):
    held, moderator = _warned_while_held(client_as, safe_space, session)
    again = moderator.form(f"/mod/posts/{held.public_id}/sanction", WARNING | {"reason": "Careful, again"})
    assert again.status_code == 303  # as for any published post never warned: no "already warned"
