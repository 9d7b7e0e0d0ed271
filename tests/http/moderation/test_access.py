"""Who may moderate: every moderation route refuses a member (404) and a channel moderator outside
their channels (404 for what they may not see, 403 for what they may see but not do), and nothing
changes; CSRF holds."""

from sqlalchemy import func, select

from app.forum.models import Post, Thread
from app.moderation.models import ModerationAction, Sanction
from tests.factories import first_post, make_channel, make_channel_moderator, make_member, make_reply, make_thread
from tests.routes import all_routes


def _moderation_routes(app) -> list[tuple[str, str]]:
    found = [(method, path) for path, route in all_routes(app.routes) if path.startswith("/mod/")
             for method in route.methods]
    assert len(found) > 15
    return found


def _fill(path: str, post, thread) -> str:
    return (path.replace("{post_id}", post.public_id).replace("{thread_id}", thread.public_id)
            .replace("{action}", "hide").replace("{switch}", "pin").replace("{entry_id}", "1")
            .replace("{sanction_id}", "1"))


def _log_lines(session) -> int:
    return session.execute(select(func.count()).select_from(ModerationAction)).scalar_one()


def test_a_member_gets_404_from_every_moderation_route_and_nothing_changes(app, client_as, session):
    thread = make_thread(session, replies=1)
    post = make_reply(session, thread, body="A reply to act on")
    member = client_as(make_member(session))
    before = _log_lines(session)
    for method, path in _moderation_routes(app):
        url = _fill(path, post, thread)
        response = member.get(url) if method == "GET" else member.form(url, {"reason": "x", "channel": "x"})
        assert response.status_code == 404, (method, url, response.status_code)
    session.expire_all()
    assert _log_lines(session) == before
    assert session.get(Post, post.id).status == "published" and not session.get(Thread, thread.id).is_pinned


def test_a_channel_moderator_acts_in_their_channel(client_as, session):
    theirs = make_channel(session)
    thread = make_thread(session, channel=theirs, replies=1)
    moderator = client_as(make_channel_moderator(session, theirs))
    assert moderator.form(f"/mod/threads/{thread.public_id}/pin").status_code == 303
    session.refresh(thread)
    assert thread.is_pinned


def test_a_channel_moderator_is_refused_with_403_where_they_can_read_but_not_moderate(client_as, session):
    theirs, other = make_channel(session), make_channel(session, name="Other channel")
    thread = make_thread(session, channel=other, replies=1)
    reply = make_reply(session, thread, body="Not theirs to hide")
    moderator = client_as(make_channel_moderator(session, theirs))
    before = _log_lines(session)
    pin = moderator.form(f"/mod/threads/{thread.public_id}/pin")
    hide = moderator.form(f"/mod/posts/{reply.public_id}/hide", {"reason": "No"})
    form = moderator.get(f"/mod/posts/{reply.public_id}/hide")
    assert pin.status_code == hide.status_code == form.status_code == 403
    assert "You moderate other channels, not Other channel." in hide.text
    session.expire_all()
    assert not session.get(Thread, thread.id).is_pinned and session.get(Post, reply.id).status == "published"
    assert _log_lines(session) == before


def test_a_channel_moderator_cannot_move_a_thread_into_a_channel_they_do_not_moderate(client_as, session):
    theirs, other = make_channel(session), make_channel(session, name="Elsewhere")
    thread = make_thread(session, channel=theirs)
    moderator = client_as(make_channel_moderator(session, theirs))
    response = moderator.form(f"/mod/threads/{thread.public_id}/move", {"channel": other.slug})
    assert response.status_code == 422 and "You do not moderate Elsewhere." in response.text
    session.refresh(thread)
    assert thread.channel_id == theirs.id


def test_a_channel_moderator_does_not_see_posts_held_elsewhere(client_as, session):
    theirs = make_channel(session)
    held_in = make_channel(session, is_premoderated=True)
    thread = make_thread(session, channel=held_in, author=make_member(session), title="Held elsewhere")
    held = first_post(session, thread)
    assert held.status == "pending"
    moderator = client_as(make_channel_moderator(session, theirs))
    assert moderator.get(f"/p/{held.public_id}").status_code == 404
    assert moderator.form(f"/mod/posts/{held.public_id}/approve").status_code == 404
    assert "Held elsewhere" not in moderator.get("/mod/queue").text
    site_moderator = client_as(make_member(session, role="moderator"))
    assert "Held elsewhere" in site_moderator.get("/mod/queue").text


def test_moderation_posts_without_the_csrf_token_are_refused(client_as, session):
    thread = make_thread(session)
    moderator = client_as(make_member(session, role="moderator"))
    response = moderator.post(f"/mod/threads/{thread.public_id}/pin", data={})
    assert response.status_code == 403
    session.refresh(thread)
    assert not thread.is_pinned


def test_the_header_counts_what_waits_in_the_moderators_own_channels(client_as, session):
    theirs, other = make_channel(session, is_premoderated=True), make_channel(session, is_premoderated=True)
    make_thread(session, channel=theirs, author=make_member(session))
    make_thread(session, channel=other, author=make_member(session))
    channel_moderator = client_as(make_channel_moderator(session, theirs))
    site_moderator = client_as(make_member(session, role="moderator"))
    assert 'Review <span class="count-badge">1<' in channel_moderator.get("/").text
    assert 'Review <span class="count-badge">2<' in site_moderator.get("/").text
    assert "/mod/queue" not in client_as(make_member(session)).get("/").text


def test_a_channel_moderator_cannot_count_other_channels_sanctions_by_lifting_them(client_as, session):
    theirs, other = make_channel(session), make_channel(session, name="Other channel")
    post = make_reply(session, make_thread(session, channel=other), body="Sanctioned elsewhere")
    site = client_as(make_member(session, role="moderator"))
    assert site.form(f"/mod/posts/{post.public_id}/sanction",
                     {"kind": "warning", "reason": "Mind the tone"}).status_code == 303
    sanction = session.execute(select(Sanction)).scalar_one()
    moderator = client_as(make_channel_moderator(session, theirs))
    theirs_missing = moderator.form("/mod/sanctions/nosuchid/lift")
    refused = moderator.form(f"/mod/sanctions/{sanction.public_id}/lift")
    assert refused.status_code == theirs_missing.status_code == 404
    assert len(refused.text) == len(theirs_missing.text)  # the same as none
    session.refresh(sanction)
    assert sanction.revoked_at is None
