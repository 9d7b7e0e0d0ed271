"""The review queue: held and reported posts in one list, oldest first, paged and filtered, acted on in
one click with or without JavaScript, and never handled twice."""

import re
import threading
from datetime import timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from app.core.timeutil import utcnow
from app.forum.models import Post
from app.moderation import queue, service
from app.moderation.models import ModerationAction, Report
from tests.factories import first_post, make_channel, make_member, make_reply, make_thread


def _held_thread(session, channel, title: str):
    thread = make_thread(session, channel=channel, author=make_member(session), title=title)
    return thread, first_post(session, thread)


def _items(page: str) -> list[str]:
    return re.findall(r'<li class="queue-item" id="item-(\w+)-(held|report)"', page)


def test_held_and_reported_posts_wait_in_one_list_oldest_first(client_as, session):
    premoderated = make_channel(session, is_premoderated=True)
    _, held = _held_thread(session, premoderated, "A held thread")
    held.created_at = utcnow() - timedelta(hours=2)
    reported = make_reply(session, make_thread(session), body="Reported words")
    session.add(Report(post_id=reported.id, reporter_id=make_member(session).id, reason="spam",
                       created_at=utcnow() - timedelta(hours=3)))
    session.flush()
    page = client_as(make_member(session, role="moderator")).get("/mod/queue").text
    assert _items(page) == [(reported.public_id, "report"), (held.public_id, "held")]
    assert "2 items waiting" in page


def test_the_queue_filters_by_kind_and_channel_and_pages(client_as, session, monkeypatch):
    monkeypatch.setattr(queue, "PER_PAGE", 2)
    first, second = make_channel(session, is_premoderated=True), make_channel(session, is_premoderated=True)
    held = [_held_thread(session, first, f"First {n}")[1] for n in range(3)]
    _held_thread(session, second, "Second")
    moderator = client_as(make_member(session, role="moderator"))
    assert len(_items(moderator.get(f"/mod/queue?channel={first.slug}").text)) == 2
    last = moderator.get(f"/mod/queue?channel={first.slug}&page=2").text
    assert len(_items(last)) == 1 and "Page 2 of 2" in last
    assert moderator.get("/mod/queue?kind=report").text.count('class="queue-item"') == 0
    everything = {public_id for n in (1, 2) for public_id, _ in _items(moderator.get(f"/mod/queue?page={n}").text)}
    assert {post.public_id for post in held} < everything and len(everything) == 4
    assert moderator.get("/mod/queue?channel=nonsense&kind=bogus&page=x").status_code == 200


def test_approving_from_the_queue_without_js(client_as, session):
    thread, held = _held_thread(session, make_channel(session, is_premoderated=True), "Waiting")
    moderator = client_as(make_member(session, role="moderator"))
    response = moderator.form(f"/mod/posts/{held.public_id}/approve", {"next": "/mod/queue?kind=held"})
    assert response.status_code == 303 and response.headers["location"] == "/mod/queue?kind=held"
    session.refresh(held)
    assert held.status == "published"
    assert "The post is approved and published." in moderator.get("/mod/queue?kind=held").text


def test_hiding_from_the_queue_with_htmx_replaces_the_item(client_as, session):
    _, held = _held_thread(session, make_channel(session, is_premoderated=True), "Waiting")
    moderator = client_as(make_member(session, role="moderator"))
    response = moderator.form(f"/mod/posts/{held.public_id}/hide", {"reason": "Spam", "next": "/mod/queue"},
                              htmx=True)
    assert response.status_code == 200 and "<html" not in response.text
    assert response.text.startswith('<li class="queue-item queue-done">') and "The post is hidden" in response.text
    assert '<a href="/mod/queue" id="review-link" hx-swap-oob="true">Review</a>' in response.text  # none left
    assert '<h2 id="queue-count" hx-swap-oob="true">0 items waiting</h2>' in response.text
    missing = moderator.form(f"/mod/posts/{held.public_id}/hide", {"reason": "", "next": "/mod/queue"})
    assert missing.status_code == 422 and "Give a reason" in missing.text


def test_bad_input_from_a_queue_item_with_htmx_turns_the_item_into_the_form_with_the_text_kept(client_as, session):
    _, held = _held_thread(session, make_channel(session, is_premoderated=True), "Waiting")
    moderator = client_as(make_member(session, role="moderator"))
    long_reason = "Too long " * 60
    response = moderator.form(f"/mod/posts/{held.public_id}/hide", {"reason": long_reason, "next": "/mod/queue"},
                              htmx=True)
    assert response.status_code == 422 and "<html" not in response.text
    assert response.text.startswith('<li class="queue-item">') and "error-summary" in response.text
    assert long_reason.strip() in response.text and 'hx-target="closest li"' in response.text
    session.refresh(held)
    assert held.status == "pending"


def test_a_second_moderator_is_told_and_nothing_happens_twice(client_as, session):
    _, held = _held_thread(session, make_channel(session, is_premoderated=True), "Waiting")
    first = client_as(make_member(session, role="moderator"))
    second = client_as(make_member(session, role="moderator"))
    assert first.form(f"/mod/posts/{held.public_id}/hide", {"reason": "Spam", "next": "/mod/queue"}).status_code == 303
    late = second.form(f"/mod/posts/{held.public_id}/hide", {"reason": "Also spam", "next": "/mod/queue"}, htmx=True)
    assert "Another moderator has dealt with this already" in late.text
    approve = second.form(f"/mod/posts/{held.public_id}/approve", {"next": "/mod/queue"})
    assert approve.status_code == 303
    assert "Another moderator has dealt with this already" in second.get("/mod/queue").text
    lines = session.execute(select(func.count()).where(ModerationAction.post_id == held.id)).scalar_one()
    assert lines == 1


def test_queue_pages_take_the_same_queries_however_many_wait(client_as, session, count_queries):
    channel = make_channel(session, is_premoderated=True)
    reporter = make_member(session)
    moderator = client_as(make_member(session, role="moderator"))

    def queries_for_page() -> int:
        count_queries.clear()
        assert moderator.get("/mod/queue").status_code == 200
        return len(count_queries)

    def add(n: int) -> None:
        for i in range(n):
            _held_thread(session, channel, f"Held {i}")
            reported = make_reply(session, make_thread(session), body=f"Reported {i}")
            session.add(Report(post_id=reported.id, reporter_id=reporter.id, reason="spam"))
        session.flush()

    add(2)
    few = queries_for_page()
    add(12)
    assert queries_for_page() == few


def test_two_moderators_approving_at_once_publish_and_log_once(database):
    """Two sessions of their own, committed, as two requests on two workers would be."""
    with Session(database.writer) as setup:
        channel = make_channel(setup, is_premoderated=True)
        author = make_member(setup)
        thread = make_thread(setup, channel=channel, author=author, title="Raced")
        held = first_post(setup, thread)
        moderators = [make_member(setup, role="moderator") for _ in range(2)]
        setup.commit()
        ids = {"post": held.id, "thread": thread.id, "channel": channel.id,
               "members": [author.id, *(m.id for m in moderators)]}
    results, barrier = [], threading.Barrier(2)

    def approve(moderator_id: int) -> None:
        from app.accounts.models import Member, Viewer
        from app.forum.models import Channel, Thread

        with Session(database.writer) as session:
            barrier.wait()
            problems = service.approve_post(session, post=session.get(Post, ids["post"]),
                                            thread=session.get(Thread, ids["thread"]),
                                            channel=session.get(Channel, ids["channel"]),
                                            moderator=Viewer.of(session.get(Member, moderator_id)))
            session.commit()
            results.append(bool(problems))

    workers = [threading.Thread(target=approve, args=(moderator_id,)) for moderator_id in ids["members"][1:]]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    try:
        assert sorted(results) == [False, True]
        with Session(database.writer) as check:
            lines = check.execute(select(func.count()).where(ModerationAction.channel_id == ids["channel"]))
            assert lines.scalar_one() == 1
            assert check.get(Post, ids["post"]).status == "published"
    finally:
        _forget(database, ids)


def _forget(database, ids: dict) -> None:
    """Take the committed rows away again, so that later tests find the database as it was."""
    from app.accounts.models import Member
    from app.forum import lifecycle
    from app.forum.models import Channel, Thread

    with Session(database.writer) as cleanup:
        cleanup.execute(ModerationAction.__table__.delete().where(ModerationAction.channel_id == ids["channel"]))
        lifecycle._erase(cleanup, cleanup.get(Post, ids["post"]), cleanup.get(Thread, ids["thread"]))
        for member_id in ids["members"]:
            cleanup.delete(cleanup.get(Member, member_id))
        cleanup.delete(cleanup.get(Channel, ids["channel"]))
        cleanup.commit()


def test_odd_ids_and_foreign_next_addresses_are_answered_calmly(client_as, session):
    _, held = _held_thread(session, make_channel(session, is_premoderated=True), "Waiting")
    moderator = client_as(make_member(session, role="moderator"))
    assert moderator.form("/mod/sanctions/\u00b2/lift").status_code == 404
    assert moderator.form("/mod/log/\u00b2/staff-only").status_code == 404
    again = moderator.form(f"/mod/posts/{held.public_id}/hide", {"reason": "", "next": "https://evil.example/"})
    assert again.status_code == 422 and "evil.example" not in again.text
