"""The library's Atom feed: valid Atom, stable ids, what a visitor may read (whoever asks), per filter."""

from xml.etree import ElementTree

from app.forum import lifecycle
from app.forum.models import ChannelKind, Visibility
from tests.atom_checks import A, required
from tests.factories import first_post, make_channel, make_member, make_thread


def _feed(browser, query: str = "") -> ElementTree.Element:
    response = browser.get("/feeds/learning.atom" + query)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/atom+xml")
    return ElementTree.fromstring(response.content)


def test_the_feed_is_atom_with_stable_ids_and_only_what_visitors_read(client_as, session, client):
    theme = make_channel(session, kind=ChannelKind.theme, slug="growth", name="Growth")
    make_channel(session, kind=ChannelKind.pilot, slug="harbour", name="Harbour")
    leaders = make_channel(session, kind=ChannelKind.theme, visibility=Visibility.members, slug="leaders")
    safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True)
    public = make_thread(session, channel=theme, title="Fair <on> the pier & more")
    hidden = make_thread(session, channel=theme, title="Soon hidden")
    private = make_thread(session, channel=leaders, title="Board matters")
    sealed = make_thread(session, channel=safe, title="We failed")
    moderator = client_as(make_member(session, role="moderator"))
    for thread, summary, concerns in ((public, "Piers <draw> & crowds", ["growth", "harbour"]),
                                      (hidden, "Gone soon", ["growth"]), (private, "Rotate chairs", ["growth"]),
                                      (sealed, "Name risks early", ["growth"])):
        assert moderator.form(f"/mod/learning/threads/{thread.public_id}",
                              {"summary": summary, "concerns": concerns, "confirm": "yes"}).status_code == 303
    lifecycle.hide(session, post=first_post(session, hidden), thread=hidden)
    session.commit()
    member = client_as(make_member(session))
    for browser in (client, member):  # a member's feed is a visitor's
        root = _feed(browser)
        required(root)
        entries = root.findall(A + "entry")
        assert [e.find(A + "summary").text for e in entries] == ["Piers <draw> & crowds"]
        assert entries[0].find(A + "title").text == "Fair <on> the pier & more"
        assert {c.get("term") for c in entries[0].findall(A + "category")} == {"growth", "harbour"}
        assert b"Rotate" not in browser.get("/feeds/learning.atom").content
        assert b"Name risks" not in browser.get("/feeds/learning.atom").content
    first_id = _feed(client).find(f"{A}entry/{A}id").text
    assert first_id.startswith("tag:") and first_id == _feed(member).find(f"{A}entry/{A}id").text
    moderator.form(f"/mod/learning/threads/{public.public_id}", {"summary": "Piers draw families",
                                                                "concerns": "growth"})
    changed = _feed(client).find(A + "entry")
    assert changed.find(A + "id").text == first_id and changed.find(A + "summary").text == "Piers draw families"
    filtered = _feed(client, "?pilot=harbour")
    assert filtered.find(A + "id").text != _feed(client).find(A + "id").text and not filtered.findall(A + "entry")
    assert filtered.find(f"{A}link[@rel='alternate']").get("href").endswith("/learning?pilot=harbour")
    assert client.get("/feeds/learning.atom?theme=nope").status_code == 422
    assert 'href="/feeds/learning.atom?theme=growth"' in client.get("/learning?theme=growth").text


def test_the_feed_survives_characters_xml_cannot_hold_and_answers_conditional_requests(client_as, session, client):
    theme = make_channel(session, kind=ChannelKind.theme, slug="odd", name="Odd")
    thread = make_thread(session, channel=theme, title="Normal looking \uffff title")
    client_as(make_member(session, role="moderator")).form(
        f"/mod/learning/threads/{thread.public_id}", {"summary": "Odd \ufffe summary", "concerns": "odd"})
    root = _feed(client)
    required(root)
    first = client.get("/feeds/learning.atom")
    assert first.headers["cache-control"].startswith("public") and first.headers["etag"]
    again = client.get("/feeds/learning.atom", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and not again.content
    assert client.head("/feeds/learning.atom").status_code == 200
    filtered = _feed(client, "?theme=odd")
    assert filtered.find(A + "title").text.endswith("(Theme: Odd)")
