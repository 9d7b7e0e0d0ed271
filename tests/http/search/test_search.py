"""Search through real HTTP on both engines: what it finds, what it never shows, and bad input.

Each test searches for made-up words of its own, so posts of other tests could never match.
"""

import re

import pytest
from sqlalchemy import select, text

from app.forum import lifecycle, posting
from app.forum.models import Channel, ChannelKind, Post, Visibility
from app.moderation import service as moderation
from app.search import engines
from app.search import service as search
from tests.factories import first_post, make_channel, make_member, make_reply, make_thread


def _titles(response) -> list[str]:
    """The result headings as text, marks removed."""
    return [re.sub(r"<[^>]+>", "", title) for title in re.findall(r'<h3 class="result-title"><a [^>]*>(.*?)</a>',
                                                                       response.text)]


def _excerpts(response) -> list[str]:
    return re.findall(r'<p class="excerpt">(.*?)</p>', response.text, re.S)


def test_finds_titles_and_posts_and_marks_the_words(client, session):
    thread = make_thread(session, title="Zephyrwort allotments on council land",
                         body="The first season went badly.")
    make_reply(session, thread, body="We grew zephyrwort too, in **raised** beds.")
    make_thread(session, title="Something else", body="Nothing about it.")
    response = client.get("/search", params={"q": "zephyrwort"})
    assert response.status_code == 200
    assert sorted(_titles(response)) == ["Zephyrwort allotments on council land"] * 2
    assert "<mark>Zephyrwort</mark> allotments" in response.text  # the title of the opening post
    assert any("We grew <mark>zephyrwort</mark> too, in raised beds." in e for e in _excerpts(response))
    reply_link = re.search(r'<h3 class="result-title"><a href="(/p/[a-z2-7]+)"', response.text).group(1)
    assert client.get(reply_link).status_code in (302, 303, 307)  # the permalink leads into the thread


def test_query_language_stems_phrases_excludes_alternatives_and_prefixes(client, session):
    make_thread(session, title="Quinceberry one", body="We funded the quinceberry orchards.")
    make_thread(session, title="Quinceberry two", body="Quinceberry funding ran out; no orchards.")
    make_thread(session, title="Quinceberry three", body="A grant for quinceberry jam.")
    make_thread(session, title="Marrowflax four", body="Nothing in common with the others.")

    def found(q: str) -> list[str]:
        response = client.get("/search", params={"q": q})
        assert response.status_code == 200, q
        return sorted(_titles(response))

    assert found("quinceberry fund") == ["Quinceberry one", "Quinceberry two"]  # stems: funded, funding
    assert found('"quinceberry orchards"') == ["Quinceberry one"]
    assert found("quinceberry -orchards") == ["Quinceberry three"]
    assert found("jam or marrowflax") == ["Marrowflax four", "Quinceberry three"]
    assert found("marrowfl") == ["Marrowflax four"]  # the word being typed
    assert found("marrowfl ") == []  # a finished word matches whole words only


def test_visitors_find_only_public_channels_and_members_find_the_rest(client, client_as, session):
    public = make_channel(session)
    members_only = make_channel(session, visibility=Visibility.members)
    safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True)
    for channel in (public, members_only, safe):
        make_thread(session, channel=channel, title=f"Bramblecot in {channel.name}", body="Bramblecot notes.")
    visitor = sorted(_titles(client.get("/search", params={"q": "bramblecot"})))
    member = sorted(_titles(client_as(make_member(session)).get("/search", params={"q": "bramblecot"})))
    assert visitor == [f"Bramblecot in {public.name}"]
    assert member == sorted(f"Bramblecot in {c.name}" for c in (public, members_only, safe))


def test_hidden_pending_and_deleted_posts_are_never_found_and_edits_are(client, client_as, session):
    moderator = make_member(session, role="moderator")
    author = make_member(session)
    thread = make_thread(session, author=author, title="Thornapple review", body="Thornapple opening words.")
    hidden = make_reply(session, thread, body="Thornapple hidden reply.")
    deleted = make_reply(session, thread, author=author, body="Thornapple deleted reply.")
    edited = make_reply(session, thread, author=author, body="Thornapple draft wording.")
    moderation.hide_post(session, post=hidden, thread=thread, channel=session.get(Channel, thread.channel_id),
                         moderator=moderator, reason="Off topic")
    lifecycle.delete_post(session, post=deleted, thread=thread)
    channel = session.get(Channel, thread.channel_id)
    posting.edit_post(session, post=edited, thread=thread, channel=channel, editor=author,
                      body="Thornapple final wording.")
    opening = first_post(session, thread)
    posting.edit_post(session, post=opening, thread=thread, channel=channel, editor=author,
                      body=opening.body_md, title="Thornapple review, renamed")
    premoderated = make_channel(session, is_premoderated=True)
    make_thread(session, channel=premoderated, title="Thornapple waiting", body="Pending.")
    for browser in (client, client_as(moderator)):
        response = browser.get("/search", params={"q": "thornapple"})
        excerpts = " ".join(_excerpts(response))
        assert "opening words" in excerpts and "final wording" in excerpts
        for gone in ("hidden reply", "deleted reply", "draft wording", "Pending"):
            assert gone not in excerpts
        assert "Thornapple waiting" not in _titles(response)
        assert "Thornapple</mark> review, renamed" in response.text


def test_best_match_ranks_the_newest_named_matches_and_every_sealed_one(client, client_as, session, monkeypatch):
    """The cut of named matches (engines.CANDIDATES) counts only named posts the viewer may read, so
    whether a safe-space post is ranked never depends on how old it is next to named posts."""
    monkeypatch.setattr(engines, "CANDIDATES", 2)
    moderator = make_member(session, role="moderator")
    safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True)
    make_thread(session, channel=safe, title="Oldest sealed marshwort", body="Marshwort, written first.")
    channel = make_channel(session)
    for n in range(1, 5):
        make_thread(session, channel=channel, title=f"Named marshwort {n}", body="Marshwort notes.")
    newest = make_thread(session, channel=channel, title="Hidden marshwort", body="Marshwort, hidden.")
    moderation.hide_post(session, post=first_post(session, newest), thread=newest, channel=channel, moderator=moderator,
                         reason="Duplicate")
    make_thread(session, channel=safe, title="Newest sealed marshwort", body="Marshwort, written last.")
    member = client_as(make_member(session))
    assert sorted(_titles(member.get("/search", params={"q": "marshwort"}))) == [
        "Named marshwort 3", "Named marshwort 4", "Newest sealed marshwort", "Oldest sealed marshwort"]
    assert sorted(_titles(client.get("/search", params={"q": "marshwort"}))) == [
        "Named marshwort 3", "Named marshwort 4"]
    in_safe_space = member.get("/search", params={"q": "marshwort", "channel": safe.slug})
    assert sorted(_titles(in_safe_space)) == ["Newest sealed marshwort", "Oldest sealed marshwort"]


def test_edits_and_deletions_in_the_safe_space_reach_the_index(client_as, session):
    safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True)
    author = make_member(session)
    thread = make_thread(session, channel=safe, author=author, title="Sealed knotgrass", body="Knotgrass first.")
    edited = make_reply(session, thread, author=author, body="Knotgrass draft wording.")
    deleted = make_reply(session, thread, author=author, body="Knotgrass to be deleted.")
    posting.edit_post(session, post=edited, thread=thread, channel=safe, editor=author,
                      body="Knotgrass final wording.")
    lifecycle.delete_post(session, post=deleted, thread=thread)
    excerpts = " ".join(_excerpts(client_as(make_member(session)).get("/search", params={"q": "knotgrass"})))
    assert "first" in excerpts and "final wording" in excerpts
    assert "draft wording" not in excerpts and "to be deleted" not in excerpts


def test_search_leaves_the_connection_as_it_found_it(session):
    """PostgreSQL's planner settings are set for a search alone (search.engines.PostgresEngine)."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("planner settings are PostgreSQL's")
    make_thread(session, title="Pipewort plans", body="Pipewort.")
    results = search.search(session, None, search.SearchForm(q="pipewort"))
    assert [hit.thread_title for hit in results.hits] == ["Pipewort plans"]
    assert session.execute(text("SHOW enable_seqscan")).scalar() == "on"


def test_text_from_posts_is_escaped_around_the_marks(client, session):
    make_thread(session, title="Escaping <b>quillwort</b>",
                body="Type `<script>alert('quillwort')</script>` & see & quillwort.")
    response = client.get("/search", params={"q": "quillwort"})
    assert "&lt;script&gt;alert(&#39;<mark>quillwort</mark>&#39;)&lt;/script&gt;" in response.text
    assert "Escaping &lt;b&gt;<mark>quillwort</mark>&lt;/b&gt;" in response.text
    assert "<script>alert" not in response.text


def test_author_filter_never_matches_a_safe_space_post(client_as, session):
    safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True)
    author = make_member(session, handle="wintercress", display_name="Winifred Cress")
    make_thread(session, author=author, title="Named sorrelbank thread", body="Sorrelbank, with my name.")
    make_thread(session, channel=safe, author=author, title="Anonymous sorrelbank thread",
                body="Sorrelbank, without my name.")
    browser = client_as(make_member(session))
    everyone = browser.get("/search", params={"q": "sorrelbank"})
    assert sorted(_titles(everyone)) == ["Anonymous sorrelbank thread", "Named sorrelbank thread"]
    anonymous_result = re.search(r'<li class="result">(?:(?!</li>).)*Anonymous(?:(?!</li>).)*</li>', everyone.text,
                                 re.S).group(0)
    assert "Participant A" in anonymous_result
    assert "Winifred" not in anonymous_result and "wintercress" not in anonymous_result
    by_author = browser.get("/search", params={"q": "sorrelbank", "by": "@WinterCress"})
    assert _titles(by_author) == ["Named sorrelbank thread"]


def test_channel_filter_newest_first_and_pages(client, session):
    channel = make_channel(session)
    thread = make_thread(session, channel=channel, title="Gorseling page one", body="Gorseling first.")
    for n in range(search.PER_PAGE + 3):
        make_reply(session, thread, body=f"Gorseling reply {n}.")
    make_thread(session, title="Gorseling elsewhere", body="Gorseling in another channel.")
    newest = client.get("/search", params={"q": "gorseling", "channel": channel.slug, "sort": "newest"})
    excerpts = _excerpts(newest)
    assert len(excerpts) == search.PER_PAGE
    assert "reply 22" in excerpts[0] and "reply 21" in excerpts[1]
    assert "Gorseling elsewhere" not in _titles(newest)
    assert "Results 1 to 20" in newest.text
    next_link = re.search(r'<a href="([^"]+)"[^>]*rel="next"', newest.text).group(1).replace("&amp;", "&")
    second = client.get(next_link)
    assert "Results 21 to 24" in second.text and 'rel="prev"' in second.text and 'rel="next"' not in second.text
    assert "<mark>Gorseling</mark> first." in _excerpts(second)


def test_bad_input_gets_a_clear_error_and_keeps_the_text(client, session):
    long_query = "lichenfield " * 20
    response = client.get("/search", params={"q": long_query})
    assert response.status_code == 422
    assert 'class="error-summary"' in response.text and "at most 200 characters" in response.text
    assert f'value="{long_query}"' in response.text
    unknown = client.get("/search", params={"q": "lichenfield", "by": "nobody-here", "channel": "no-such"})
    assert unknown.status_code == 422
    assert "No member has the handle nobody-here." in unknown.text and "Choose a channel" in unknown.text
    only_minus = client.get("/search", params={"q": "-lichenfield"})
    assert only_minus.status_code == 200 and "Add a word to look for" in only_minus.text
    for odd in ({"q": "\"unclosed", "page": "-3"}, {"q": "lichenfield", "page": "0"},
                {"q": "'); DROP TABLE post; --"}, {"q": "NOT AND OR ( ) * :"},
                {"q": "x", "sort": "sideways", "page": "99999999999"}, {"q": "ǅemal Ünïcode café"}):
        assert client.get("/search", params=odd).status_code == 200, odd
    members_only = make_channel(session, visibility=Visibility.members)
    hidden_channel = client.get("/search", params={"q": "lichenfield", "channel": members_only.slug})
    assert hidden_channel.status_code == 422  # a visitor cannot tell it from a channel that does not exist


def test_control_characters_never_become_marks(client, session):
    make_thread(session, title="Odd \x02title\x03 of pennywort", body="Pennywort \x02body\x03 text.")
    response = client.get("/search", params={"q": "pennywort"})
    assert response.text.count("<mark>") == response.text.count("</mark>") == 2
    assert "\x02" not in response.text and "\x03" not in response.text


def test_a_pending_account_is_nobody_to_the_author_filter(client, session):
    make_member(session, handle="awaitingapproval", status="pending")
    response = client.get("/search", params={"q": "anything", "by": "awaitingapproval"})
    assert response.status_code == 422 and "No member has the handle awaitingapproval." in response.text


def test_htmx_gets_the_results_alone_with_an_announcement(client, session):
    make_thread(session, title="Hawkbitten", body="Hawkbitten words.")
    response = client.get("/search", params={"q": "hawkbitten"}, headers={"HX-Request": "true"})
    assert response.text.lstrip().startswith('<section id="results"')
    assert "<h1>" not in response.text
    assert 'hx-swap-oob="innerHTML:#live-region">Results 1 to 1</div>' in response.text
    assert "HX-Request" in response.headers["vary"]


def test_reindex_rebuilds_the_index_from_the_posts(client, session):
    make_thread(session, title="Rebuilt knapweed", body="Knapweed body.")
    count = search.reindex(session)
    assert count == len(session.execute(select(Post.id).where(Post.status != "deleted")).all())
    assert _titles(client.get("/search", params={"q": "knapweed"})) == ["Rebuilt knapweed"]


def test_a_channel_page_offers_a_search_of_that_channel(client, session):
    channel = make_channel(session)
    page = client.get(f"/c/{channel.slug}").text
    link = re.search(r'<a href="(/search\?channel=[^"]+)">Search this channel</a>', page).group(1)
    search_page = client.get(link).text
    assert f'<option value="{channel.slug}" selected>{channel.name}</option>' in search_page
