"""Only admins reach /admin: a member, a site moderator and a channel moderator get 404 from every
admin route and nothing changes; a signed-out visitor is sent to sign in; CSRF holds."""

from sqlalchemy import func, select

from app.accounts.invitations import create_invitation
from app.accounts.models import ChannelModerator, Invitation, Member
from app.core import site_settings
from app.forum.models import Channel
from app.moderation.models import Sanction
from tests.factories import make_channel, make_channel_moderator, make_member
from tests.routes import all_routes


def _admin_routes(app) -> list[tuple[str, str]]:
    found = [(method, path) for path, route in all_routes(app.routes)
             if path == "/admin" or path.startswith("/admin/") for method in route.methods]
    assert len(found) > 15
    return found


def _world(session) -> dict:
    channel = make_channel(session, name="Admin world")
    member = make_member(session, status="pending")
    invitation_token = create_invitation(session, email="invited@example.org")
    invitation = session.execute(select(Invitation)).scalars().all()[-1]
    return {"channel": channel, "member": member, "invitation": invitation, "token": invitation_token}


def _fill(path: str, world: dict) -> str:
    return (path.replace("{handle}", world["member"].handle).replace("{slug}", world["channel"].slug)
            .replace("{invitation_id}", str(world["invitation"].id)).replace("{sanction_id}", "1"))


def _state(session, world) -> tuple:
    session.expire_all()
    member = session.get(Member, world["member"].id)
    channel = session.get(Channel, world["channel"].id)
    counts = tuple(session.execute(select(func.count()).select_from(model)).scalar_one()
                   for model in (Member, Channel, Invitation, ChannelModerator, Sanction, site_settings.SiteSetting))
    return (member.role, member.status, channel.name, channel.position, channel.archived_at,
            session.get(Invitation, world["invitation"].id).expires_at, counts)


FORM = {"role": "admin", "channel_ids": "1", "reason": "x", "days": "3", "email": "new@example.org",
        "slug": "taken-over", "name": "Taken over", "kind": "theme", "visibility": "public", "direction": "up",
        "registration_mode": "invitation", "safe_space_release_minutes": "5"}


def test_members_and_moderators_get_404_from_every_admin_route_and_nothing_changes(app, client_as, session):
    world = _world(session)
    browsers = [client_as(who) for who in (make_member(session), make_member(session, role="moderator"),
                                           make_channel_moderator(session, world["channel"]))]
    before = _state(session, world)
    for browser in browsers:
        for method, path in _admin_routes(app):
            url = _fill(path, world)
            response = browser.get(url) if method == "GET" else browser.form(url, FORM)
            assert response.status_code == 404, (method, url, response.status_code)
            htmx = browser.form(url, FORM, htmx=True) if method == "POST" else None
            assert htmx is None or htmx.status_code == 404, (method, url)
    assert _state(session, world) == before
    assert site_settings.effective("registration_mode") == "open"


def test_signed_out_visitors_are_sent_to_sign_in(app, client, session):
    world = _world(session)
    for method, path in _admin_routes(app):
        url = _fill(path, world)
        response = client.get(url) if method == "GET" else client.form(url, FORM)
        assert response.status_code == 303 and response.headers["location"].startswith("/signin"), (method, url)


def test_admin_posts_without_the_csrf_token_are_refused(client_as, session):
    channel = make_channel(session)
    admin = client_as(make_member(session, role="admin"))
    response = admin.post(f"/admin/channels/{channel.slug}/archive", data={})
    assert response.status_code == 403
    session.refresh(channel)
    assert channel.archived_at is None


def test_admins_find_the_admin_pages_from_the_header_and_the_admin_nav(client_as, session):
    admin = client_as(make_member(session, role="admin"))
    assert admin.get("/admin").headers["location"] == "/admin/members"
    page = admin.get("/admin/members").text
    assert '<a href="/admin/members" aria-current="page">Members</a>' in page
    for url in ("/admin/invitations", "/admin/channels", "/admin/settings"):
        assert f'<a href="{url}">' in page
    assert 'href="/admin/members">Admin<' in page
    assert "/admin/members" not in client_as(make_member(session)).get("/").text
