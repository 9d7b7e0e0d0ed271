"""The safe space over HTTP: anonymous posting, ownership, pre-moderation, sanctions, notifications."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.core.timeutil import utcnow
from app.forum.models import Channel, ChannelKind, Post, Thread, Visibility
from app.moderation.models import ModerationAction, Sanction
from app.notifications.models import Notification, SealedNotification
from tests.factories import first_post, make_channel, make_member, make_reply, make_thread


@pytest.fixture
def safe_space(session):
    return make_channel(session, slug="safe-space", name="Safe space", kind=ChannelKind.safe_space,
                        visibility=Visibility.members, is_anonymous=True)


def _start(browser, channel, title="Our data deal fell apart", body="We trusted the wrong process.", **extra):
    return browser.form(f"/c/{channel.slug}/new", {"title": title, "body": body, **extra})


def test_visitors_cannot_see_the_safe_space(client, safe_space, session):
    thread = make_thread(session, channel=safe_space)
    assert client.get("/c/safe-space").status_code == 404
    assert client.get(f"/t/{thread.public_id}-{thread.slug}").status_code == 404
    assert "Safe space" not in client.get("/").text


def test_channel_page_states_the_promise_and_its_limit(client_as, safe_space, session):
    page = client_as(make_member(session)).get("/c/safe-space").text
    assert "cannot learn who wrote a post" in page
    assert "hold the database and the secret keys" in page
    assert 'id="guidelines"' in page


def test_first_post_needs_the_guidelines_then_is_anonymous(client_as, safe_space, session):
    author = make_member(session, display_name="Orla Kavanagh", handle="orla_k")
    browser = client_as(author)
    form = browser.get("/c/safe-space/new")
    assert 'name="guidelines"' in form.text and "## What we tried" in form.text  # lesson template suggested
    refused = _start(browser, safe_space)
    assert refused.status_code == 422 and "Confirm that you have read the safe space guidelines" in refused.text
    assert "We trusted the wrong process." in refused.text
    response = _start(browser, safe_space, guidelines="yes")
    assert response.status_code == 303
    page = browser.get(response.headers["location"]).text
    assert "Participant A" in page and "started the thread" in page and ">you<" in page
    main = page.split("<main", 1)[1].split("</main>")[0]
    assert "Orla" not in main and "orla_k" not in main
    assert 'name="guidelines"' not in browser.get("/c/safe-space/new").text  # asked once


def test_others_see_a_pseudonym_day_only_and_private_caching(client_as, safe_space, session):
    author = make_member(session, display_name="Orla Kavanagh", handle="orla_k")
    thread = make_thread(session, channel=safe_space, author=author, title="Lessons from a failed pilot")
    make_reply(session, thread, author=make_member(session))
    response = client_as(make_member(session)).get(f"/t/{thread.public_id}-{thread.slug}")
    page = response.text
    assert "Participant A" in page and "Participant B" in page
    assert "Orla" not in page and "orla_k" not in page and ">you<" not in page
    assert not re.search(r"\d\d:\d\d", page.split("<main", 1)[1])  # no clock times in the safe space
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\d">', page)
    assert response.headers["cache-control"] == "private, no-store"


def test_only_the_author_can_edit_or_delete(client_as, safe_space, session):
    author = make_member(session)
    thread = make_thread(session, channel=safe_space, author=author)
    post = first_post(session, thread)
    other, moderator = client_as(make_member(session)), client_as(make_member(session, role="moderator"))
    for browser in (other, moderator):
        assert browser.get(f"/p/{post.public_id}/edit").status_code == 404
        assert browser.form(f"/p/{post.public_id}/edit", {"body": "Hijacked"}).status_code == 404
        assert browser.form(f"/p/{post.public_id}/delete").status_code == 404
    mine = client_as(author)
    assert mine.form(f"/p/{post.public_id}/edit", {"body": "Clarified"}).status_code == 303
    session.refresh(post)
    assert post.body_md == "Clarified" and post.edited_at.hour == 12  # day granularity, even for edits
    assert mine.form(f"/p/{post.public_id}/delete").status_code == 303
    session.refresh(post)
    assert post.status == "deleted"


def test_storage_holds_no_author_id_or_anything_derived_without_keys(session, safe_space, connection):
    author = make_member(session, email="unique-author@example.org", handle="uniqueauthor",
                         display_name="Unique Author")
    thread = make_thread(session, channel=safe_space, author=author)
    make_reply(session, thread, author=author, body="My own follow-up")
    import hashlib

    plain_forms = {str(author.id), author.email, author.handle, author.display_name,
                   hashlib.sha256(str(author.id).encode()).hexdigest(),
                   hashlib.md5(str(author.id).encode()).hexdigest()}
    rows = connection.execute(text("SELECT * FROM post WHERE thread_id = :t"), {"t": thread.id}).mappings().all()
    thread_row = connection.execute(text("SELECT * FROM thread WHERE id = :t"), {"t": thread.id}).mappings().one()
    assert thread_row["author_id"] is None
    assert len(rows) == 2
    for row in rows:
        assert row["author_id"] is None and row["seal"] and row["sealed_author"]
        for column, value in row.items():
            if column in ("id", "thread_id", "number", "depth", "parent_id"):
                continue
            assert str(value) not in plain_forms, column
            for form in plain_forms - {str(author.id)}:
                assert form not in str(value), column
        assert row["created_at"] is not None
        created = row["created_at"]
        assert (created.hour, created.minute) == (12, 0) if hasattr(created, "hour") else "12:00:00" in created
    assert rows[0]["sealed_author"] != rows[1]["sealed_author"]  # random nonce per post


def test_new_accounts_wait_for_approval_in_the_safe_space(client_as, safe_space, session):
    newcomer = make_member(session, created_at=utcnow() - timedelta(days=1))
    browser = client_as(newcomer)
    response = _start(browser, safe_space, title="A worry", guidelines="yes")
    assert response.status_code == 303
    thread = session.execute(select(Thread).where(Thread.title == "A worry")).scalar_one()
    assert thread.is_pending
    assert "waiting for a moderator" in browser.get(response.headers["location"]).text
    other = client_as(make_member(session))
    assert other.get(f"/t/{thread.public_id}-{thread.slug}").status_code == 404
    assert "A worry" not in other.get("/c/safe-space").text
    moderator = client_as(make_member(session, role="moderator"))
    queue = moderator.get("/mod/queue").text
    assert "A worry" in queue and newcomer.display_name not in queue
    post = first_post(session, thread)
    assert moderator.form(f"/mod/posts/{post.public_id}/approve").status_code == 303
    assert "A worry" in other.get("/c/safe-space").text
    assert other.get(f"/t/{thread.public_id}-{thread.slug}").status_code == 200


def test_premoderated_channel_holds_replies(client_as, session):
    channel = make_channel(session, is_premoderated=True)
    thread = make_thread(session, channel=channel, author=make_member(session, role="moderator"))
    browser = client_as(make_member(session))
    browser.form(f"/t/{thread.public_id}/reply", {"body": "Held for review"})
    held = (Post.thread_id == thread.id, Post.body_md == "Held for review")
    reply = session.execute(select(Post).where(*held)).scalar_one()
    assert reply.status == "pending" and reply.number is None  # numbered when published
    assert "Held for review" in browser.get(f"/t/{thread.public_id}-{thread.slug}").text
    assert "Held for review" not in client_as(make_member(session)).get(f"/t/{thread.public_id}-{thread.slug}").text


def test_suspending_the_author_of_a_post_without_knowing_who(client_as, safe_space, session):
    author = make_member(session, display_name="Orla Kavanagh")
    thread = make_thread(session, channel=safe_space, author=author)
    post = first_post(session, thread)
    moderator = client_as(make_member(session, role="moderator"))
    form = moderator.get(f"/mod/posts/{post.public_id}/sanction")
    assert form.status_code == 200 and "Orla" not in form.text
    invalid = moderator.form(f"/mod/posts/{post.public_id}/sanction", {"kind": "suspension", "days": "x",
                                                                      "reason": "Named a council"})
    assert invalid.status_code == 422 and "Named a council" in invalid.text
    assert moderator.form(f"/mod/posts/{post.public_id}/sanction", {"kind": "suspension", "days": "7",
                                                                    "scope": "safe_space",
                                                                    "reason": "Named a council"}).status_code == 303
    refused = client_as(author).form(f"/t/{thread.public_id}/reply", {"body": "Let me explain"})
    assert refused.status_code == 422 and "suspended you from posting here" in refused.text
    assert "Named a council" in refused.text and "Let me explain" in refused.text
    elsewhere = make_thread(session)
    assert client_as(author).form(f"/t/{elsewhere.public_id}/reply", {"body": "Fine here"}).status_code == 303
    other = client_as(make_member(session))
    assert other.form(f"/t/{thread.public_id}/reply", {"body": "Others fine", "guidelines": "yes"}).status_code == 303
    log = moderator.get("/mod/log").text
    assert "Suspended the author of" in log and "Orla" not in log
    sanction = session.execute(select(Sanction)).scalar_one()
    from app.safespace import service as safespace

    assert safespace.unseal_author(sanction.sealed_member) == author.id  # with the key, and only with it
    assert safespace.unseal_author(sanction.sealed_member, safespace.derive_keys("some other key " * 3)) is None
    action = session.execute(select(ModerationAction)).scalar_one()
    assert action.post_id == post.id


def test_warning_and_replies_reach_the_anonymous_author_privately(client_as, safe_space, session):
    author = make_member(session)
    thread = make_thread(session, channel=safe_space, author=author, title="Sealed notices")
    post = first_post(session, thread)
    reply = {"body": "Thank you for this", "guidelines": "yes", "parent_id": post.public_id}
    client_as(make_member(session)).form(f"/t/{thread.public_id}/reply", reply)
    moderator = client_as(make_member(session, role="moderator"))
    moderator.form(f"/mod/posts/{post.public_id}/sanction", {"kind": "warning", "reason": "Too much detail"})
    assert session.execute(select(Notification)).first() is None  # nothing in clear
    assert len(session.execute(select(SealedNotification)).all()) == 2
    mine = client_as(author)
    page = mine.get("/notifications").text
    assert "Participant B replied to you" in page and "Too much detail" in page and "Sealed notices" in page
    make_reply(session, make_thread(session, author=author), body="And one in the open")  # a plain one too
    assert "3<span class=\"vh\"> unread" in mine.get(f"/t/{thread.public_id}-{thread.slug}").text
    assert "Too much detail" not in client_as(make_member(session)).get("/notifications").text
    one = re.search(r'action="/notifications/(s[0-9a-f]+)/read"', page).group(1)
    assert mine.form(f"/notifications/{one}/read").headers["location"] == "/notifications"
    assert "The notification is read and deleted." in mine.get("/notifications").text
    assert len(session.execute(select(SealedNotification)).all()) == 1
    assert mine.form("/notifications/read").status_code == 303
    assert session.execute(select(SealedNotification)).first() is None  # gone once read


def test_hide_and_restore_need_a_reason_and_are_logged(client_as, session):
    thread = make_thread(session)
    reply = make_reply(session, thread, body="Something unkind")
    moderator = client_as(make_member(session, role="moderator"))
    assert moderator.form(f"/mod/posts/{reply.public_id}/hide", {"reason": ""}).status_code == 422
    assert moderator.form(f"/mod/posts/{reply.public_id}/hide", {"reason": "Unkind"}).status_code == 303
    reader = client_as(make_member(session))
    page = reader.get(f"/t/{thread.public_id}-{thread.slug}").text
    assert "Something unkind" not in page and "hidden by a moderator" in page
    assert "Something unkind" in moderator.get(f"/t/{thread.public_id}-{thread.slug}").text
    assert moderator.form(f"/mod/posts/{reply.public_id}/restore", {"reason": "Apologised"}).status_code == 303
    assert "Something unkind" in reader.get(f"/t/{thread.public_id}-{thread.slug}").text
    assert reader.get("/mod/log").status_code == 404 and reader.get("/mod/queue").status_code == 404


def test_reply_notifications_in_public_channels(client_as, session):
    author = make_member(session)
    make_member(session, handle="mentioned_one")
    thread = make_thread(session, author=author)
    client_as(make_member(session, display_name="Replying Person")).form(
        f"/t/{thread.public_id}/reply", {"body": "Over to @mentioned_one"})
    page = client_as(author).get("/notifications").text
    assert "Replying Person replied to you" in page
    assert "1<span class=\"vh\"> unread" in page


def test_pending_safe_space_reply_leaves_no_placeholder_for_others(client_as, safe_space, session):
    thread = make_thread(session, channel=safe_space, author=make_member(session))
    newcomer = make_member(session, created_at=utcnow() - timedelta(days=1))
    client_as(newcomer).form(f"/t/{thread.public_id}/reply", {"body": "It was us.", "guidelines": "yes"})
    page = client_as(make_member(session)).get(f"/t/{thread.public_id}-{thread.slug}").text
    assert "waiting for a moderator" not in page and "Participant B" not in page
    own = client_as(newcomer).get(f"/t/{thread.public_id}-{thread.slug}").text
    assert "It was us." in own and "Participant B" not in own and ">you<" in own  # a letter when published
    assert "It was us." in client_as(make_member(session, role="moderator")).get(
        f"/t/{thread.public_id}-{thread.slug}").text


def test_encrypted_fields_carry_no_time(client_as, safe_space, session):
    import base64
    import struct

    author = make_member(session)
    client_as(author).form("/c/safe-space/new", {"title": "T", "body": "B", "guidelines": "yes"})
    post = session.execute(select(Post).where(Post.seal.is_not(None))).scalars().first()
    client_as(make_member(session)).form(f"/t/{thread_of(session, post)}/reply",
                                         {"body": "An answer", "guidelines": "yes"})
    tokens = [post.sealed_author] + [row.sealed for row in session.execute(select(SealedNotification)).scalars()]
    assert len(tokens) == 2
    for token in tokens:
        assert struct.unpack(">Q", base64.urlsafe_b64decode(token)[1:9])[0] == 0


def thread_of(session, post) -> str:
    return session.get(Thread, post.thread_id).public_id


def test_sanctions_cannot_be_linked_to_each_other_or_to_public_posts(client_as, safe_space, session):
    author = make_member(session)
    public, safe = make_thread(session, author=author), make_thread(session, channel=safe_space, author=author)
    moderator = client_as(make_member(session, role="moderator"))
    for thread, scope in ((public, "site"), (safe, "safe_space")):
        moderator.form(f"/mod/posts/{first_post(session, thread).public_id}/sanction",
                       {"kind": "warning", "scope": scope, "reason": "Careful"})
    sealed = session.execute(select(Sanction.sealed_member)).scalars().all()
    assert len(sealed) == 2 and sealed[0] != sealed[1]


def test_edits_follow_suspensions_and_never_unpublish(client_as, session):
    channel = make_channel(session, is_premoderated=True)
    author = make_member(session)
    moderator_member = make_member(session, role="moderator")
    thread = make_thread(session, channel=channel, author=moderator_member)
    from app.moderation import service as moderation

    reply = make_reply(session, thread, author=moderator_member, body="Approved text")
    own_thread = make_thread(session, author=author)
    mine = make_reply(session, own_thread, author=author, body="My words")
    browser = client_as(author)
    moderation.sanction_author(session, post=mine, channel=session.get(Channel, own_thread.channel_id),
                               moderator=moderator_member, kind="suspension", scope="site", days="3", reason="Spam")
    refused = browser.form(f"/p/{mine.public_id}/edit", {"body": "Spam spam"})
    assert refused.status_code == 422 and "suspended you" in refused.text
    assert reply.status == "published"
    newcomer = make_member(session)
    own_reply = make_reply(session, thread, author=newcomer, body="Waiting")
    moderation.approve_post(session, post=own_reply, thread=thread, channel=channel, moderator=moderator_member)
    assert client_as(newcomer).form(f"/p/{own_reply.public_id}/edit", {"body": "Now spam"}).status_code == 303
    session.refresh(own_reply)
    assert own_reply.status == "published"  # approved once is published for good: edits never unpublish


def test_hide_then_restore_keeps_deleted_and_pending_posts_as_they_were(client_as, session):
    author = make_member(session)
    thread = make_thread(session, author=author)
    reply = make_reply(session, thread, author=author, body="x")
    client_as(author).form(f"/p/{reply.public_id}/delete")
    moderator = client_as(make_member(session, role="moderator"))
    moderator.form(f"/mod/posts/{reply.public_id}/hide", {"reason": "r"})
    moderator.form(f"/mod/posts/{reply.public_id}/restore", {"reason": "r"})
    session.refresh(reply)
    session.refresh(thread)
    assert reply.status == "deleted" and thread.reply_count == 0
