"""Moderators curate threads: pin, lock, move, merge, split, edit title and tags; each action is one
line in the log, and works with and without JavaScript."""

import re

from sqlalchemy import func, select

from app.forum.models import ChannelKind, Post, Thread, ThreadRedirect, Visibility
from app.moderation.models import ModerationAction
from tests.factories import first_post, make_channel, make_member, make_reply, make_thread


def _moderator(session, client_as):
    return client_as(make_member(session, role="moderator"))


def _lines(session, action: str) -> int:
    return session.execute(select(func.count()).where(ModerationAction.action == action)).scalar_one()


def _url(thread) -> str:
    return f"/t/{thread.public_id}-{thread.slug}"


def _numbers(session, thread) -> list[tuple[int, str]]:
    rows = session.execute(select(Post.number, Post.body_md).where(Post.thread_id == thread.id)
                           .order_by(Post.number)).all()
    return [(number, body) for number, body in rows]


def test_a_pinned_thread_comes_first_in_its_channel(client_as, session):
    channel = make_channel(session)
    older = make_thread(session, channel=channel, title="Older thread")
    make_thread(session, channel=channel, title="Newer thread")
    moderator = _moderator(session, client_as)
    assert moderator.form(f"/mod/threads/{older.public_id}/pin").status_code == 303
    page = moderator.get(f"/c/{channel.slug}").text
    assert page.index("Older thread") < page.index("Newer thread") and "Pinned" in page
    fragment = moderator.form(f"/mod/threads/{older.public_id}/pin", htmx=True)
    assert fragment.status_code == 200 and fragment.text.startswith('<div id="thread-head">')
    assert "<html" not in fragment.text and "Unpin" in fragment.text
    assert _lines(session, "pin_thread") == 1  # pinning again changes nothing
    moderator.form(f"/mod/threads/{older.public_id}/unpin")
    page = moderator.get(f"/c/{channel.slug}").text
    assert page.index("Newer thread") < page.index("Older thread")


def test_a_locked_thread_refuses_replies_and_offers_no_reply_form(client_as, session):
    thread = make_thread(session)
    moderator = _moderator(session, client_as)
    moderator.form(f"/mod/threads/{thread.public_id}/lock", {"reason": "Settled"})
    member = client_as(make_member(session))
    page = member.get(_url(thread)).text
    assert "This thread is locked: no new replies." in page and 'id="reply-form"' not in page
    refused = member.form(f"/t/{thread.public_id}/reply", {"body": "One more thing"})
    assert refused.status_code == 422 and "This thread is locked: no new replies." in refused.text
    session.expire_all()
    assert len(_numbers(session, thread)) == 1
    moderator.form(f"/mod/threads/{thread.public_id}/unlock")
    assert member.form(f"/t/{thread.public_id}/reply", {"body": "One more thing"}).status_code == 303
    assert _lines(session, "lock_thread") == _lines(session, "unlock_thread") == 1


def test_moving_a_thread_keeps_search_right_and_logs_where_from(client_as, session):
    source, target = make_channel(session, name="From here"), make_channel(session, name="To there")
    thread = make_thread(session, channel=source, title="Moving kaleidoscope plans")
    moderator = _moderator(session, client_as)
    form = moderator.get(f"/mod/threads/{thread.public_id}/move")
    assert form.status_code == 200 and "To there" in form.text
    assert moderator.form(f"/mod/threads/{thread.public_id}/move", {"channel": target.slug}).status_code == 303
    session.refresh(thread)
    assert thread.channel_id == target.id
    found = moderator.get("/search", params={"q": "kaleidoscope", "channel": target.slug}).text
    gone = moderator.get("/search", params={"q": "kaleidoscope", "channel": source.slug}).text
    assert "Moving <mark>kaleidoscope</mark> plans" in found and "No posts match" in gone
    detail = session.execute(select(ModerationAction.detail).where(ModerationAction.action == "move_thread")).scalar()
    assert detail == "from From here to To there"


def test_a_thread_cannot_move_into_or_out_of_the_safe_space(client_as, session):
    safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True)
    named = make_channel(session)
    into = make_thread(session, channel=named)
    out = make_thread(session, channel=safe)
    moderator = _moderator(session, client_as)
    for thread, destination in ((into, safe), (out, named)):
        response = moderator.form(f"/mod/threads/{thread.public_id}/move", {"channel": destination.slug})
        assert response.status_code == 422 and "cannot move into or out of the safe space" in response.text
    session.expire_all()
    assert session.get(Thread, into.id).channel_id == named.id and session.get(Thread, out.id).channel_id == safe.id
    assert _lines(session, "move_thread") == 0


def test_moving_to_a_channel_with_fewer_readers_must_be_confirmed(client_as, session):
    public, members = make_channel(session), make_channel(session, visibility=Visibility.members, name="Members")
    thread = make_thread(session, channel=public)
    moderator = _moderator(session, client_as)
    unconfirmed = moderator.form(f"/mod/threads/{thread.public_id}/move", {"channel": members.slug, "reason": "Why"})
    assert unconfirmed.status_code == 422 and "visitors who can read this thread now" in unconfirmed.text
    assert ">Why</textarea>" in unconfirmed.text
    session.refresh(thread)
    assert thread.channel_id == public.id
    confirmed = moderator.form(f"/mod/threads/{thread.public_id}/move", {"channel": members.slug, "confirm": "yes"})
    assert confirmed.status_code == 303


def test_merging_keeps_time_order_and_every_link_leads_to_the_merged_thread(client_as, session, client):
    channel = make_channel(session)
    target = make_thread(session, channel=channel, title="Funding the first year", body="Target opening")
    source = make_thread(session, channel=channel, title="First year money", body="Source opening")
    source_reply = make_reply(session, source, body="Source reply")
    target_reply = make_reply(session, target, body="Target reply, written last")
    old_url, old_id = _url(source), source.public_id
    moderator = _moderator(session, client_as)
    response = moderator.form(f"/mod/threads/{source.public_id}/merge", {"target": f"http://testserver{_url(target)}"})
    assert response.status_code == 303 and response.headers["location"] == _url(target)
    session.expire_all()
    assert _numbers(session, target) == [(1, "Target opening"), (2, "Source opening"), (3, "Source reply"),
                                         (4, "Target reply, written last")]
    assert session.get(Thread, target.id).reply_count == 3 and session.get(Thread, target.id).post_count == 4
    redirected = client.get(old_url)
    assert redirected.status_code == 301 and redirected.headers["location"] == _url(target)
    permalink = client.get(f"/p/{source_reply.public_id}")
    assert permalink.headers["location"].startswith(_url(target)) and permalink.headers["location"].endswith(
        f"#post-{source_reply.public_id}")
    assert session.get(ThreadRedirect, old_id).thread_id == target.id
    page = client.get(_url(target)).text
    assert page.index("Source opening") < page.index("Source reply") < page.index(target_reply.body_md)
    assert "First year money" not in client.get("/search", params={"q": "money"}).text  # the title went with it
    assert _lines(session, "merge_thread") == 1


def test_merge_refuses_itself_an_unknown_thread_and_the_safe_space(client_as, session):
    thread = make_thread(session)
    safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True)
    first, second = make_thread(session, channel=safe), make_thread(session, channel=safe)
    moderator = _moderator(session, client_as)
    itself = moderator.form(f"/mod/threads/{thread.public_id}/merge", {"target": thread.public_id})
    unknown = moderator.form(f"/mod/threads/{thread.public_id}/merge", {"target": "nosuchthread"})
    anonymous = moderator.form(f"/mod/threads/{first.public_id}/merge", {"target": second.public_id})
    assert (itself.status_code, unknown.status_code, anonymous.status_code) == (422, 422, 422)
    assert "cannot be merged into itself" in itself.text and "No thread has that address" in unknown.text
    assert "Threads of the safe space cannot be merged" in anonymous.text
    assert _lines(session, "merge_thread") == 0


def test_splitting_takes_the_chosen_replies_with_their_replies(client_as, session, client):
    thread = make_thread(session, title="Data sharing agreements", body="Opening")
    keep = make_reply(session, thread, body="Stays behind")
    chosen = make_reply(session, thread, body="A new topic starts")
    below = make_reply(session, thread, body="An answer to it", parent=chosen)
    make_reply(session, thread, body="Also stays")
    moderator = _moderator(session, client_as)
    assert moderator.form(f"/mod/posts/{below.public_id}/sanction",
                          {"kind": "warning", "reason": "Warned before the split"}).status_code == 303
    form = moderator.get(f"/mod/threads/{thread.public_id}/split").text
    assert f'value="{chosen.public_id}"' in form and f'value="{keep.public_id}"' in form
    response = moderator.form(f"/mod/threads/{thread.public_id}/split",
                              {"posts": [chosen.public_id], "title": "Procurement questions"})
    assert response.status_code == 303
    session.expire_all()
    new = session.execute(select(Thread).where(Thread.title == "Procurement questions")).scalar_one()
    assert _numbers(session, new) == [(1, "A new topic starts"), (2, "An answer to it")]
    assert _numbers(session, thread) == [(1, "Opening"), (2, "Stays behind"), (3, "Also stays")]
    assert session.get(Post, below.id).parent_id == chosen.id and session.get(Post, chosen.id).parent_id is None
    assert client.get(f"/p/{below.public_id}").headers["location"].startswith(_url(new))
    assert new.reply_count == 1 and session.get(Thread, thread.id).reply_count == 2
    assert _lines(session, "split_thread") == 1
    warned = session.execute(select(ModerationAction).where(ModerationAction.action == "warn_author")).scalar_one()
    assert warned.thread_id == new.id  # the log's line went with its post


def test_split_refuses_the_opening_post_and_keeps_the_choice(client_as, session):
    thread = make_thread(session, replies=1)
    moderator = _moderator(session, client_as)
    opening = first_post(session, thread)
    refused = moderator.form(f"/mod/threads/{thread.public_id}/split", {"posts": [opening.public_id], "title": "T"})
    assert refused.status_code == 422 and "The opening post stays" in refused.text
    nothing = moderator.form(f"/mod/threads/{thread.public_id}/split", {"title": "T"})
    assert nothing.status_code == 422 and "Choose the replies to move" in nothing.text


def test_splitting_in_the_safe_space_keeps_letters_and_ownership(client_as, session):
    safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True)
    starter, second, third = make_member(session), make_member(session), make_member(session)
    thread = make_thread(session, channel=safe, author=starter)
    make_reply(session, thread, author=second, body="B speaks")
    moved = make_reply(session, thread, author=third, body="C starts something")
    answer = make_reply(session, thread, author=second, body="B answers C", parent=moved)
    moderator = _moderator(session, client_as)
    assert moderator.form(f"/mod/threads/{thread.public_id}/split",
                          {"posts": [moved.public_id], "title": "Something else"}).status_code == 303
    session.expire_all()
    moved, answer = session.get(Post, moved.id), session.get(Post, answer.id)
    assert (moved.pseudonym, answer.pseudonym) == ("A", "B")
    # The authors still own their posts in the new thread: they can edit them.
    edit = client_as(third).form(f"/p/{moved.public_id}/edit", {"body": "C, edited"})
    assert edit.status_code == 303
    assert client_as(second).get(f"/p/{answer.public_id}/edit").status_code == 200
    assert client_as(third).get(f"/p/{answer.public_id}/edit").status_code == 404


def test_editing_title_and_tags_updates_search(client_as, session, client):
    thread = make_thread(session, title="Old wording here")
    moderator = _moderator(session, client_as)
    response = moderator.form(f"/mod/threads/{thread.public_id}/edit",
                              {"title": "Zanzibar corridor", "tags": "Data, housing"})
    assert response.status_code == 303
    session.refresh(thread)
    assert thread.title == "Zanzibar corridor"
    assert "<mark>Zanzibar</mark> corridor" in client.get("/search", params={"q": "zanzibar"}).text
    assert "No posts match" in client.get("/search", params={"q": "wording"}).text
    page = client.get(_url(thread)).text
    assert re.search(r'<a class="tag" href="/latest\?tag=data">data</a>.*'
                     r'<a class="tag" href="/latest\?tag=housing">housing</a>', page, re.S)
    bad = moderator.form(f"/mod/threads/{thread.public_id}/edit", {"title": " ", "tags": "kept, words"})
    assert bad.status_code == 422 and 'value="kept, words"' in bad.text
    assert _lines(session, "edit_thread") == 1


def test_too_many_or_too_long_tags_are_refused_not_cut(client_as, session):
    thread = make_thread(session, title="Tagged thread")
    moderator = _moderator(session, client_as)
    for tags, message in (("a, b, c, d, e, f, g", "Use at most 5 tags; these are 7."),
                          ("t" * 31, "Keep each tag to 30 characters at most."), ("!!!", "Use letters or digits")):
        refused = moderator.form(f"/mod/threads/{thread.public_id}/edit", {"title": "Tagged thread", "tags": tags})
        assert refused.status_code == 422 and message in refused.text and 'class="error-summary"' in refused.text
    assert _lines(session, "edit_thread") == 0


def test_a_locked_threads_reply_page_says_it_is_locked(client_as, session):
    thread = make_thread(session, replies=1)
    assert _moderator(session, client_as).form(f"/mod/threads/{thread.public_id}/lock").status_code == 303
    member = client_as(make_member(session))
    page = member.get(f"/t/{thread.public_id}/reply")
    assert page.status_code == 303
    assert "This thread is locked: no new replies." in member.get(page.headers["location"]).text


def test_a_channel_moderator_with_nowhere_to_move_a_thread_is_told_so(client_as, session):
    from tests.factories import make_channel_moderator

    channel = make_channel(session, name="Only mine")
    thread = make_thread(session, channel=channel)
    page = client_as(make_channel_moderator(session, channel)).get(f"/mod/threads/{thread.public_id}/move").text
    assert "You moderate no other channel it could move to" in page and 'name="channel"' not in page
