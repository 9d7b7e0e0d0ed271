"""Admins' channels: create, edit (never a channel's anonymity), reorder and archive; an archived
channel leaves the home page and refuses new threads, and reads as before."""

from sqlalchemy import select

from app.forum.models import Channel, ChannelKind, Visibility
from tests.factories import make_channel, make_member, make_thread


def _channel_form(**overrides) -> dict:
    return {"slug": "data-sharing", "name": "Sharing data", "description": "Across partners.", "kind": "theme",
            "visibility": "public"} | overrides


def _by_slug(session, slug: str) -> Channel | None:
    session.expire_all()
    return session.execute(select(Channel).where(Channel.slug == slug)).scalar_one_or_none()


def test_creating_a_channel_without_js_puts_it_last_and_on_the_home_page(client, client_as, session):
    make_channel(session, position=4)
    admin = client_as(make_member(session, role="admin"))
    assert "Create the channel" in admin.get("/admin/channels/new").text
    response = admin.form("/admin/channels/new", _channel_form(premoderated="yes"))
    assert response.status_code == 303 and response.headers["location"] == "/admin/channels"
    assert "The channel Sharing data is created" in admin.get("/admin/channels").text
    channel = _by_slug(session, "data-sharing")
    assert (channel.name, channel.kind, channel.visibility, channel.is_premoderated, channel.is_anonymous,
            channel.position) == ("Sharing data", "theme", "public", True, False, 5)
    assert "Sharing data" in client.get("/").text


def test_creating_a_safe_space_with_htmx_makes_it_anonymous_and_members_only(client, client_as, session):
    admin = client_as(make_member(session, role="admin"))
    form = _channel_form(slug="second-safe-space", name="Second safe space", kind="safe_space", visibility="members")
    htmx = admin.form("/admin/channels/new", form, htmx=True)
    assert htmx.status_code == 200 and htmx.headers["hx-location"] == "/admin/channels"
    channel = _by_slug(session, "second-safe-space")
    assert channel.is_anonymous and channel.visibility == "members"
    assert "Second safe space" not in client.get("/").text  # visitors do not see it


def test_channel_validation_gives_422_with_the_text_kept(client_as, session):
    make_channel(session, slug="taken")
    admin = client_as(make_member(session, role="admin"))
    for form, message in ((_channel_form(slug="Not OK!"), "Use 1 to 60 lower-case letters"),
                          (_channel_form(slug="taken"), "Another channel has this address"),
                          (_channel_form(slug=""), "Use 1 to 60 lower-case letters"),
                          (_channel_form(name=" "), "Give the channel a name."),
                          (_channel_form(name="n" * 101), "at most 100 characters"),
                          (_channel_form(description="d" * 501), "at most 500 characters"),
                          (_channel_form(kind="secret"), "Choose the kind of channel."),
                          (_channel_form(visibility="friends"), "Choose who can read the channel."),
                          (_channel_form(kind="safe_space", visibility="public"), "always for members only")):
        kept = len(form["description"]) < 500
        typed = {"description": "Across partners. <kept>"} if kept else {}
        response = admin.form("/admin/channels/new", form | typed)
        assert response.status_code == 422 and message in response.text, form
        assert 'class="error-summary"' in response.text
        assert not kept or "Across partners. &lt;kept&gt;" in response.text
    htmx = admin.form("/admin/channels/new", _channel_form(slug="BAD"), htmx=True)
    assert htmx.status_code == 422 and "<html" not in htmx.text and 'value="BAD"' in htmx.text
    assert _by_slug(session, "data-sharing") is None and _by_slug(session, "BAD") is None


def test_editing_a_channel_without_js_and_with_htmx(client, client_as, session):
    channel = make_channel(session, slug="old-address", name="Old name")
    admin = client_as(make_member(session, role="admin"))
    assert 'value="Old name"' in admin.get("/admin/channels/old-address/edit").text
    response = admin.form("/admin/channels/old-address/edit",
                          _channel_form(slug="new-address", name="New name", visibility="members", premoderated="yes"))
    assert response.status_code == 303 and response.headers["location"] == "/admin/channels"
    session.refresh(channel)
    assert (channel.slug, channel.name, channel.visibility, channel.is_premoderated) == (
        "new-address", "New name", "members", True)
    assert client.get("/c/new-address").status_code == 404  # members only now
    assert client_as(make_member(session)).get("/c/new-address").status_code == 200
    htmx = admin.form("/admin/channels/new-address/edit", _channel_form(slug="new-address", name="Newer name"),
                      htmx=True)
    assert htmx.status_code == 200 and htmx.headers["hx-location"] == "/admin/channels"
    session.refresh(channel)
    assert channel.name == "Newer name" and not channel.is_premoderated
    assert admin.get("/admin/channels/no-such-channel/edit").status_code == 404
    assert admin.form("/admin/channels/no-such-channel/edit", _channel_form()).status_code == 404


def test_a_channels_anonymity_never_changes(client_as, session):
    safe = make_channel(session, slug="safe-space", name="Safe space", kind=ChannelKind.safe_space,
                        visibility=Visibility.members, is_anonymous=True)
    named = make_channel(session, slug="named", name="Named")
    admin = client_as(make_member(session, role="admin"))
    out = admin.form("/admin/channels/safe-space/edit", _channel_form(slug="safe-space", name="Now named",
                                                                     kind="theme", visibility="members"))
    assert out.status_code == 422 and "This channel is anonymous and stays a safe space" in out.text
    assert 'value="Now named"' in out.text
    into = admin.form("/admin/channels/named/edit", _channel_form(slug="named", name="Named", kind="safe_space",
                                                                 visibility="members"))
    assert into.status_code == 422 and "A named channel cannot become a safe space" in into.text
    public = admin.form("/admin/channels/safe-space/edit", _channel_form(slug="safe-space", name="Safe space",
                                                                        kind="safe_space", visibility="public"))
    assert public.status_code == 422 and "always for members only" in public.text
    renamed = admin.form("/admin/channels/safe-space/edit", _channel_form(slug="safe-space", name="Safe harbour",
                                                                         kind="safe_space", visibility="members"))
    assert renamed.status_code == 303
    session.expire_all()
    assert safe.is_anonymous and safe.name == "Safe harbour" and safe.visibility == "members"
    assert not named.is_anonymous and named.kind == "theme"


def _order(session) -> list[str]:
    session.expire_all()
    return list(session.execute(select(Channel.slug).order_by(Channel.position, Channel.name, Channel.id)).scalars())


def test_moving_channels_up_and_down_without_js_and_with_htmx(client, client_as, session):
    for slug in ("first", "second", "third"):
        make_channel(session, slug=slug, name=slug.title(), kind=ChannelKind.general, position=0)
    start = _order(session)
    admin = client_as(make_member(session, role="admin"))
    response = admin.form("/admin/channels/third/move", {"direction": "up"})
    assert response.status_code == 303 and response.headers["location"] == "/admin/channels"
    order = _order(session)
    assert order.index("third") == start.index("third") - 1
    htmx = admin.form("/admin/channels/third/move", {"direction": "down"}, htmx=True)
    assert htmx.status_code == 200 and htmx.headers["hx-location"] == "/admin/channels"
    assert _order(session) == start
    top = admin.form(f"/admin/channels/{start[0]}/move", {"direction": "up"})
    assert top.status_code == 303 and "is already first" in admin.get("/admin/channels").text
    assert admin.form("/admin/channels/first/move", {"direction": "sideways"}).status_code == 303
    assert "Move a channel up or down." in admin.get("/admin/channels").text
    assert _order(session) == start
    home = client.get("/").text
    assert home.index(">First<") < home.index(">Second<") < home.index(">Third<")
    admin.form("/admin/channels/first/move", {"direction": "down"})
    home = client.get("/").text
    assert home.index(">Second<") < home.index(">First<")


def test_an_archived_channel_leaves_the_home_page_refuses_new_threads_and_stays_readable(client, client_as, session):
    channel = make_channel(session, name="Winding down")
    make_thread(session, channel=channel, title="What we did")
    member = client_as(make_member(session))
    admin = client_as(make_member(session, role="admin"))
    response = admin.form(f"/admin/channels/{channel.slug}/archive")
    assert response.status_code == 303
    assert "Winding down is archived" in admin.get("/admin/channels").text
    session.refresh(channel)
    assert channel.archived_at is not None
    assert "Winding down" not in client.get("/").text
    assert member.get(f"/c/{channel.slug}/new").status_code == 303  # to the channel, which says it is archived
    refused = member.form(f"/c/{channel.slug}/new", {"title": "A new one", "body": "Hello"})
    assert refused.status_code == 422 and "This channel is archived" in refused.text
    assert "What we did" in client.get(f"/c/{channel.slug}").text
    htmx = admin.form(f"/admin/channels/{channel.slug}/unarchive", htmx=True)
    assert htmx.status_code == 200 and htmx.headers["hx-location"] == "/admin/channels"
    session.refresh(channel)
    assert channel.archived_at is None
    assert "Winding down" in client.get("/").text
    assert member.form(f"/c/{channel.slug}/new", {"title": "A new one", "body": "Hello"}).status_code == 303
    assert admin.form("/admin/channels/no-such/archive").status_code == 404


def test_an_archived_channel_says_so_where_members_would_write(client_as, session):
    channel = make_channel(session, slug="old-news", name="Old news")
    thread = make_thread(session, channel=channel, replies=1)
    admin = client_as(make_member(session, role="admin"))
    assert admin.form("/admin/channels/old-news/archive").status_code == 303
    member = client_as(make_member(session))
    archived = "This channel is archived: it is kept to read, and takes no new threads or replies."
    assert archived in member.get("/c/old-news").text
    new = member.get("/c/old-news/new")
    assert new.status_code == 303 and archived in member.get(new.headers["location"]).text
    thread_page = member.get(f"/t/{thread.public_id}-{thread.slug}").text
    assert archived in thread_page and 'name="body"' not in thread_page
    reply = member.get(f"/t/{thread.public_id}/reply")
    assert reply.status_code == 303 and archived in member.get(reply.headers["location"]).text
    refused = member.form(f"/t/{thread.public_id}/reply", {"body": "Still here?"})
    assert refused.status_code == 422 and archived in refused.text and "Still here?" in refused.text


def test_a_channel_moves_among_channels_of_its_own_kind_as_the_home_page_groups_them(client, client_as, session):
    make_channel(session, slug="pilot-a", name="Pilot A", kind=ChannelKind.pilot, position=0)
    make_channel(session, slug="pilot-b", name="Pilot B", kind=ChannelKind.pilot, position=1)
    make_channel(session, slug="theme-a", name="Theme A", kind=ChannelKind.theme, position=2)
    make_channel(session, slug="theme-b", name="Theme B", kind=ChannelKind.theme, position=3)
    admin = client_as(make_member(session, role="admin"))
    admin.form("/admin/channels/pilot-b/move", {"direction": "down"})
    assert "Pilot B is already last of its kind." in admin.get("/admin/channels").text
    admin.form("/admin/channels/theme-b/move", {"direction": "up"})
    home = client.get("/").text
    assert home.index(">Theme B<") < home.index(">Theme A<") and home.index(">Pilot A<") < home.index(">Pilot B<")
