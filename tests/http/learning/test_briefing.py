"""Briefings: a filter's key learnings or hand-picked ones, as a printable page and as Markdown, with
only what the reader may read."""

import re

from sqlalchemy import select

from app.forum.models import ChannelKind, Visibility
from app.learning.models import KeyLearning
from tests.factories import make_channel, make_member, make_thread


def _world(session, client_as):
    theme = make_channel(session, kind=ChannelKind.theme, slug="skills", name="Skills")
    other = make_channel(session, kind=ChannelKind.theme, slug="data", name="Data")
    safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True)
    lesson = make_thread(session, channel=theme, title="Bootcamp lessons",
                         body="## What we tried\n\nA *bootcamp*.\n\n## What we learned\n\nNamed managers matter.\n")
    plain = make_thread(session, channel=other, title="Open data sets")
    sealed = make_thread(session, channel=safe, title="Our evaluation was too rosy")
    moderator = client_as(make_member(session, role="moderator"))
    for thread, summary, concern in ((lesson, "Commitment is time given", "skills"),
                                     (plain, "Start with the census", "data"),
                                     (sealed, "Report the low completion", "skills")):
        moderator.form(f"/mod/learning/threads/{thread.public_id}", {"summary": summary, "concerns": concern})
    return {row.summary: row.public_id for row in session.execute(select(KeyLearning)).scalars()}


def test_a_filters_briefing_prints_what_the_reader_may_read(client_as, session, client):
    _world(session, client_as)
    page = client.get("/learning/briefing?theme=skills")
    assert page.status_code == 200 and "Commitment is time given" in page.text
    assert "Report the low completion" not in page.text and "Start with the census" not in page.text
    assert "<h3>What we tried</h3>" in page.text and "<em>bootcamp</em>" in page.text
    assert 'href="http://' in page.text  # links written out in full, for paper
    member = client_as(make_member(session)).get("/learning/briefing?theme=skills")
    assert "Report the low completion" in member.text and "Participant A" in member.text
    assert 'href="/learning/briefing.md?theme=skills"' in page.text


def test_hand_picked_key_learnings_in_markdown(client_as, session, client):
    ids = _world(session, client_as)
    picked = [ids["Start with the census"], ids["Commitment is time given"], ids["Report the low completion"],
              "nosuchid"]
    download = client.get("/learning/briefing.md", params={"pick": picked})
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/markdown")
    assert download.headers["content-disposition"].startswith('attachment; filename="key-learnings-')
    text = download.text
    assert text.startswith("# Key learnings from Common Ground\n\nKey learnings chosen by hand.")
    assert "**Commitment is time given**" in text and "**Start with the census**" in text
    assert "Report the low completion" not in text  # a visitor's briefing: the safe space's is not theirs
    assert "### What we learned\n\n> Named managers matter." in text
    page = client.get("/learning/briefing", params={"pick": picked[:1]})
    assert "Start with the census" in page.text and "Commitment is time given" not in page.text
    assert client.get("/learning/briefing?pilot=nowhere").status_code == 422
    assert client.get("/learning/briefing.md?pilot=nowhere").status_code == 422


def test_members_only_key_learnings_are_labelled_and_the_public_version_leaves_them_out(client_as, session):
    _world(session, client_as)
    member = client_as(make_member(session))
    page = member.get("/learning/briefing?theme=skills")
    assert "1 of these key learnings is for members only, 1 from the safe space." in page.text
    assert "Members only: not for sharing outside the network" in page.text
    public = member.get("/learning/briefing?theme=skills&public=1")
    assert "Report the low completion" not in public.text and "Commitment is time given" in public.text
    assert "The public version" in public.text
    text = member.get("/learning/briefing.md?theme=skills").text
    assert "> 1 of these key learnings is for members only" in text and "*Members only" in text
    nothing = member.get("/learning/briefing?chosen=1")
    assert nothing.status_code == 422 and "Tick at least one key learning" in nothing.text


def test_the_markdown_download_carries_no_markup_of_its_authors(client_as, session, client):
    theme = make_channel(session, kind=ChannelKind.theme, slug="tricks", name="Tricks")
    body = ("## What we tried\n\n![pixel](https://tracker.example/p.png) <img src=https://tracker.example/i>\n\n"
            "# What we learned\n\n## Fake entry\n\n[click](javascript:alert(1)) and a [real link](https://example.org)\n")
    thread = make_thread(session, channel=theme, title="Tricks \uffff in a title", body=body)
    client_as(make_member(session, role="moderator")).form(
        f"/mod/learning/threads/{thread.public_id}", {"summary": "See https://evil.example now", "concerns": "tricks"})
    text = client.get("/learning/briefing.md?theme=tricks").text
    assert "![" not in text and not re.search(r"(?<!\\)<img", text)  # shown as text, never fetched
    assert not re.search(r"(?<!\\)\]\(javascript:", text)  # the words, escaped: no link
    assert "\n## Fake entry" not in text and "> ## Fake entry" in text  # quoted, not a heading of the briefing
    assert "[real link](https://example.org)" in text and "https://evil.example" not in text
    assert "\uffff" not in text
    crafted = client.get("/learning/briefing.md", params={"q": "x\n\nLog in at https://evil.example/login"})
    assert "\n\nLog in" not in crafted.text and "https://evil" not in crafted.text
