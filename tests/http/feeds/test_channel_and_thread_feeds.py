"""Feeds of a public channel and of a thread: valid Atom with stable ids, public caching, and only what
a visitor may read; members-only and safe-space channels have none."""

from xml.etree import ElementTree

from app.forum import lifecycle
from app.forum.models import ChannelKind, Visibility
from tests.atom_checks import A, required
from tests.factories import first_post, make_channel, make_member, make_reply, make_thread


def _feed(client, url: str) -> ElementTree.Element:
    response = client.get(url)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/atom+xml")
    assert response.headers["cache-control"] == "public, max-age=60"
    root = ElementTree.fromstring(response.content)
    required(root)
    return root


def test_a_public_channel_feed_lists_its_readable_threads(client, session):
    channel = make_channel(session, slug="harbour", name="Harbour")
    author = make_member(session, display_name="Hana Harbour")
    kept = make_thread(session, channel=channel, author=author, title="Pier <events> & more",
                       body="We ran **three** open days.")
    hidden = make_thread(session, channel=channel, title="Soon hidden")
    lifecycle.hide(session, post=first_post(session, hidden), thread=hidden)
    root = _feed(client, "/feeds/c/harbour.atom")
    titles = [entry.find(A + "title").text for entry in root.findall(A + "entry")]
    assert titles == ["Pier <events> & more"]
    entry = root.find(A + "entry")
    assert entry.find(A + "id").text.endswith(f":thread/{kept.public_id}")
    assert entry.find(f"{A}author/{A}name").text == "Hana Harbour"
    assert "<strong>three</strong>" in entry.find(A + "content").text
    again = _feed(client, "/feeds/c/harbour.atom")
    assert again.find(A + "id").text == root.find(A + "id").text  # stable ids
    page = client.get("/c/harbour").text
    assert '<link rel="alternate" type="application/atom+xml"' in page and 'href="/feeds/c/harbour.atom"' in page


def test_a_thread_feed_has_its_published_posts_and_nothing_hidden(client, session):
    thread = make_thread(session, channel=make_channel(session), title="Shared minibus")
    make_reply(session, thread, body="A shared rota works.")
    gone = make_reply(session, thread, body="Something unkind.")
    lifecycle.hide(session, post=gone, thread=thread)
    root = _feed(client, f"/feeds/t/{thread.public_id}.atom")
    bodies = " ".join(entry.find(A + "content").text for entry in root.findall(A + "entry"))
    assert "A shared rota works." in bodies and "Something unkind." not in bodies
    assert len(root.findall(A + "entry")) == 2
    assert 'href="/feeds/t/' in client.get(f"/t/{thread.public_id}-{thread.slug}").text


def test_members_only_and_safe_space_channels_have_no_feeds(client_as, client, session):
    leaders = make_channel(session, visibility=Visibility.members, slug="leaders")
    safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True,
                        slug="safe")
    private = make_thread(session, channel=leaders)
    secret = make_thread(session, channel=safe)
    member = client_as(make_member(session))
    for browser in (client, member):  # a feed is a visitor's, whoever asks
        for url in ("/feeds/c/leaders.atom", "/feeds/c/safe.atom", "/feeds/c/nowhere.atom",
                    f"/feeds/t/{private.public_id}.atom", f"/feeds/t/{secret.public_id}.atom", "/feeds/t/nothing.atom"):
            assert browser.get(url).status_code == 404, url
    assert "application/atom+xml" not in member.get(f"/t/{secret.public_id}-{secret.slug}").text
    assert "application/atom+xml" not in member.get("/c/leaders").text
