"""The anonymity promise, tested the way an attacker would look: every page, fragment and message
that another member, a moderator or an admin can reach must be free of the author's identifiers.

Routes are enumerated from the app, so a new page is covered as soon as it exists; a route with a
path parameter this test does not know how to fill fails the test until it is taught.
"""

import re

import pytest
from sqlalchemy import select

from app.accounts.models import Member, Organisation
from app.core.config import get_settings
from app.forum import lifecycle
from app.forum.models import ChannelKind, Post, Thread, Visibility
from app.learning.models import KeyLearning
from tests.factories import first_post, make_channel, make_member, make_reply, make_thread
from tests.routes import all_routes

AUTHOR_ID = 7_654_321
IDENTIFIERS = ("perpetua.quibbleworth@leak-test.example", "pquibbleworth", "Perpetua", "Quibbleworth",
               "Quibbleworth Holdings", str(AUTHOR_ID))


@pytest.fixture
def world(session, client_as, monkeypatch):
    """A safe space where the author started one thread and replied in another, with activity around it;
    and posts of the author's in every state: held for a moderator, released, waiting for a release."""
    safe = make_channel(session, slug="safe-space", name="Safe space", kind=ChannelKind.safe_space,
                        visibility=Visibility.members, is_anonymous=True)
    public = make_channel(session, slug="good-jobs", name="Good jobs")
    organisation = Organisation(name="Quibbleworth Holdings", kind="business")
    session.add(organisation)
    session.flush()
    author = make_member(session, id=AUTHOR_ID, email=IDENTIFIERS[0], handle="pquibbleworth",
                         display_name="Perpetua Quibbleworth", organisation_id=organisation.id)
    observer = make_member(session, handle="observer", display_name="Olwen Observer")
    moderator = make_member(session, handle="modmo", display_name="Morgan Moderator", role="moderator")
    admin = make_member(session, handle="adminah", display_name="Ada Admin", role="admin")
    own = make_thread(session, channel=safe, author=author, title="Our procurement reform flopped",
                      body="What we tried: a **social value** weighting. cc @observer", tags="procurement")
    own_reply = make_reply(session, own, author=author, body="Follow-up from the starter")
    make_reply(session, own, author=observer, body="Same here", parent=own_reply)
    theirs = make_thread(session, channel=safe, author=observer, title="Partners fell out over data")
    answer = make_reply(session, theirs, author=author, body="We had the same row about data sharing")
    make_reply(session, theirs, author=moderator, body="Thanks both", parent=answer)
    make_thread(session, channel=public, author=observer, title="A public thread", replies=1)
    author_browser = client_as(author)
    author_browser.form(f"/p/{answer.public_id}/edit", {"body": "We had the same row about data, edited"})
    moderator_browser = client_as(moderator)
    moderator_browser.form(f"/mod/posts/{own_reply.public_id}/hide", {"reason": "Too identifying"})
    moderator_browser.form(f"/mod/posts/{answer.public_id}/sanction", {"kind": "warning", "reason": "Careful"})
    client_as(observer).form(f"/p/{first_post(session, own).public_id}/react", {"kind": "helpful", "on": "1"})
    # Reports, curation and the logs' pages have the author's posts to show.
    client_as(observer).form(f"/report/{answer.public_id}", {"reason": "personal_information", "note": "Names"})
    moderator_browser.form(f"/mod/threads/{own.public_id}/lock", {"reason": "Resolved"})
    moderator_browser.form(f"/mod/threads/{own.public_id}/pin")
    make_channel(session, slug="skills", name="Skills", kind=ChannelKind.theme)
    moderator_browser.form(f"/mod/learning/threads/{own.public_id}", {
        "summary": "Weighting social value needs suppliers on board first", "concerns": "skills", "confirm": "yes"})
    moderator_browser.form(f"/mod/learning/posts/{answer.public_id}", {
        "summary": "Rows about data are common", "concerns": "skills"})
    settings = get_settings()
    monkeypatch.setattr(settings, "safe_space_new_member_days", 365)  # the author's posts are held, for now
    make_reply(session, theirs, author=author, body="Held words, waiting for a moderator")
    make_thread(session, channel=safe, author=author, title="A held thread of the author's")
    monkeypatch.setattr(settings, "safe_space_new_member_days", 7)
    monkeypatch.setattr(settings, "safe_space_release_minutes", 60)
    released = make_reply(session, theirs, author=author, body="Released at the hour")
    lifecycle.release_due(session, released.release_at)
    make_reply(session, own, author=author, body="Queued for the next release")
    moderator_browser.form(f"/mod/posts/{answer.public_id}/sanction", {"kind": "suspension", "days": "",
                                                                        "reason": "Cooling off"})
    session.expire_all()  # the requests above changed posts through sessions of their own
    safe_threads = select(Thread.id).where(Thread.channel_id == safe.id)
    anonymous_posts = session.execute(select(Post).where(Post.thread_id.in_(safe_threads))).scalars().all()
    assert {p.status for p in anonymous_posts} >= {"pending", "queued", "published", "hidden"}
    learnings = list(session.execute(select(KeyLearning)).scalars())
    assert len(learnings) == 2
    return {
        "author": author, "observer": observer, "moderator": moderator, "admin": admin, "learnings": learnings,
        "threads": list(session.execute(select(Thread).where(Thread.channel_id == safe.id)).scalars()),
        "channels": [safe, public], "posts": anonymous_posts,
        "markers": ["Our procurement reform flopped", "Partners fell out over data", "social value",
                    "same row about data", "Cooling off", "Weighting social value",
                    *[p.public_id for p in anonymous_posts]],
    }


# Pages whose content comes from the query string, with queries that find the safe-space posts.
QUERIES = {
    "/mod/queue": ["kind=report", "kind=held", "channel=safe-space"],
    "/mod/log": ["channel=safe-space", "action=suspend_author", "moderator=modmo"],
    "/moderation": ["channel=safe-space", "action=hide_post"],
    "/latest": ["tag=procurement", "page=2"],
    "/learning": ["q=procurement", "q=data", "channel=safe-space", "theme=skills", "lessons=1"],
    "/search": ["q=procurement", "q=data&sort=newest", "q=%22social+value%22", "q=data&by=pquibbleworth",
                "q=flopped&channel=safe-space", "q=row+or+follow&by=observer", "q=pquibbleworth", "q=Perpetua"],
}


def _values(name: str, world: dict) -> list[str]:
    threads, posts = world["threads"], world["posts"]
    values = {
        "slug": [c.slug for c in world["channels"]],
        "ref": [f"{t.public_id}-{t.slug}" for t in threads] + [t.public_id for t in threads],
        "thread_id": [t.public_id for t in threads],
        "post_id": [p.public_id for p in posts],
        "handle": ["observer", "modmo", "adminah", "pquibbleworth"],
        "token": ["not-a-real-token"],
        "action": ["hide", "restore", "approve", "sanction", "dismiss", "edit", "move", "merge", "split"],
        "entry_id": ["1"], "sanction_id": ["1"], "switch": ["pin"], "key": ["n1", "s1"],
        "public_id": [key_learning.public_id for key_learning in world["learnings"]],
    }
    if name not in values:
        pytest.fail(f"the leak test does not know how to fill path parameter {name!r}: teach _values()")
    return values[name]


def _get_routes(routes):
    """Every GET route."""
    for path, route in all_routes(routes):
        if "GET" in route.methods:
            yield path, route.param_convertors


def _urls(app, world) -> list[str]:
    urls = []
    for path, params in _get_routes(app.routes):
        candidates = [path]
        for name in params:
            candidates = [c.replace("{" + name + "}", v) for c in candidates for v in _values(name, world)]
        urls.extend(candidates)
        urls.extend(f"{path}?{query}" for query in QUERIES.get(path, []))
    assert len(urls) > 40
    return urls


# Where a page repeats what the viewer typed (a search for the author's handle): not a leak.
_ECHOES = re.compile(r'value="[^"]*"|<title>[^<]*</title>|(?:href|hx-get)="/search\?[^"]*"'
                     r'|<a href="/learning\?q=[^"]*">[^<]*</a>')


def _check(response, world, url: str, who: str) -> None:
    text = _ECHOES.sub("", response.text) if url.split("?")[0] in QUERIES else response.text
    body = text + " ".join(f"{k}: {v}" for k, v in response.headers.items())
    if url.startswith(("/u/pquibbleworth", "/admin")):
        # The author's own profile and the admin pages (lists of members) may name them, and must say
        # nothing of the safe space (the suspension through their anonymous post included).
        for marker in world["markers"]:
            assert marker not in body, f"{who} sees safe-space marker {marker!r} on {url}"
        return
    for identifier in IDENTIFIERS:
        assert identifier not in body, f"{who} sees {identifier!r} on {url} (status {response.status_code})"


@pytest.mark.parametrize("who", ["observer", "moderator", "admin"])
def test_no_page_or_fragment_ties_a_safe_space_post_to_its_author(app, world, client_as, who):
    browser = client_as(world[who])
    browser.follow_redirects = True
    checked = 0
    for url in _urls(app, world):
        for headers in ({}, {"HX-Request": "true"}):
            response = browser.get(url, headers=headers)
            assert response.status_code < 500, url
            _check(response, world, url, who)
            checked += 1
    assert checked > 80


def test_actions_on_anonymous_posts_answer_without_identifiers(world, client_as):
    observer = client_as(world["observer"])
    target = next(p for p in world["posts"] if p.number == 1)
    thread = world["threads"][0]
    responses = [
        observer.form(f"/p/{target.public_id}/react", {"kind": "same_here", "on": "1"}, htmx=True),
        observer.form(f"/t/{thread.public_id}/reply", {"body": "htmx reply", "parent_id": target.public_id,
                                                       "guidelines": "yes"}, htmx=True),
        observer.form(f"/t/{thread.public_id}/reply", {"body": "", "parent_id": target.public_id}, htmx=True),
        observer.form(f"/t/{thread.public_id}/reply", {"body": "plain reply", "guidelines": "yes"},
                      follow_redirects=True),
    ]
    moderator = client_as(world["moderator"])
    responses.append(moderator.form(f"/mod/posts/{target.public_id}/hide", {"reason": "Checking"},
                                    follow_redirects=True))
    responses.append(moderator.form(f"/mod/posts/{target.public_id}/sanction", {"kind": "bogus"}))
    for response in responses:
        assert response.status_code < 500
        _check(response, world, str(response.url), "actor")


def test_author_profile_and_counts_reveal_no_safe_space_activity(client_as, world):
    page = client_as(world["observer"]).get("/u/pquibbleworth").text
    assert "No public posts yet." in page
    for marker in world["markers"]:
        assert marker not in page


def test_search_finds_safe_space_posts_but_never_by_their_author(client_as, world):
    observer = client_as(world["observer"])
    found = observer.get("/search", params={"q": "procurement"}).text
    assert "reform flopped" in found and "Participant A" in found
    by_author = observer.get("/search", params={"q": "data procurement or row", "by": "pquibbleworth"}).text
    assert "No posts match" in by_author
    for marker in world["markers"]:
        assert marker not in by_author


def test_author_id_is_not_stored_with_the_posts(session, world):
    for post in world["posts"]:
        assert post.author_id in (None,) and post.seal and post.sealed_author
    members = session.execute(select(Member.id)).scalars().all()
    assert AUTHOR_ID in members


@pytest.mark.parametrize("who", ["observer", "moderator", "admin", "author"])
def test_a_digest_names_no_safe_space_author(session, world, who):
    """Every reader's digest of this week, the author's own included, as the email that would be sent."""
    from app.core.timeutil import to_site_time, utcnow
    from app.digest import content, messages, windows
    from app.digest.models import Subscription

    period = windows.week(to_site_time(utcnow()).date())
    member = world[who]
    digest = content.build(session, reader=content.audience(member), channel_ids=None, period=period)
    assert any(section.channel_slug == "safe-space" for section in digest.sections)  # there is something to leak
    subscription = Subscription(member_id=member.id, confirmed_at=utcnow())
    session.add(subscription)
    session.flush()
    message = messages.digest_message(digest, subscription, to="reader@example.org", delivery_id=1)
    text = message.get_body(("plain",)).get_content() + message.get_body(("html",)).get_content()
    for identifier in IDENTIFIERS:  # the author wrote only in the safe space: no name anywhere
        assert identifier not in text, (who, identifier)
    safe = next(section for section in digest.sections if section.channel_slug == "safe-space")
    for item in safe.new_threads + safe.busy:
        assert item.author in ("", "Participant A", "Participant B", "Participant C")


def test_notification_emails_name_no_safe_space_author_and_quote_nothing_from_it(session, world):
    """Every email the notifications of this world would make, the author's own included: safe-space
    news comes as a bare count, and nothing in any email ties the author to a post."""
    from app.accounts.models import Member
    from app.core.timeutil import utcnow
    from app.notifications import emails

    groups: dict[tuple[int, int], list] = {}
    for item in emails.pending(session, utcnow()):
        groups.setdefault((item.member_id, emails.SEALED if item.in_safe_space else item.thread_id), []).append(item)
    assert any(thread_id == emails.SEALED for _, thread_id in groups)  # there is something to leak
    for (member_id, thread_id), items in groups.items():
        member = session.get(Member, member_id)
        message = emails.message_for(session, member, thread_id, items)
        text = " ".join([message["Subject"], message.get_body(("plain",)).get_content(),
                         message.get_body(("html",)).get_content(),
                         *(value for name, value in message.items() if name != "To")])
        for identifier in IDENTIFIERS:
            assert identifier not in text, (member.handle, identifier)
        for marker in world["markers"]:
            assert marker not in text, (member.handle, marker)
