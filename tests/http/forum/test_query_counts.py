"""Pages run a fixed number of queries, however many posts, threads or members there are."""

from app.forum.models import Visibility
from tests.factories import first_post, make_channel, make_member, make_reply, make_thread


def _queries_for(client, url: str, statements: list[str]) -> int:
    statements.clear()
    response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


def _busy_thread(session, posts: int, members: list):
    thread = make_thread(session, author=members[0])
    parent = first_post(session, thread)
    for i in range(posts - 1):
        reply = make_reply(session, thread, author=members[i % len(members)], body=f"Post {i} **bold**",
                           parent=parent if i % 3 == 0 else None)
        if i % 5 == 0:
            parent = reply
    return thread


def test_thread_page_queries_do_not_grow_with_posts(client_as, session, count_queries, monkeypatch):
    from app.core.config import get_settings
    from app.forum import posting
    from app.forum.models import Post

    monkeypatch.setattr(get_settings(), "posts_per_page", 400)
    members = [make_member(session) for _ in range(7)]
    small = _busy_thread(session, 10, members[:2])
    large = _busy_thread(session, 300, members)
    viewer = make_member(session)
    for post_id in (first_post(session, large).id, first_post(session, small).id):
        for member in members[:3]:
            posting.set_reaction(session, post=session.get(Post, post_id), member=member,
                                 kind="helpful", on=True)
    browser = client_as(viewer)
    small_url, large_url = f"/t/{small.public_id}-{small.slug}", f"/t/{large.public_id}-{large.slug}"
    # A first view also writes, after the page, how far they have read the thread (only when it has
    # posts they have not seen).
    assert _queries_for(browser, small_url, count_queries) == 7
    assert _queries_for(browser, large_url, count_queries) == 7
    small_count = _queries_for(browser, small_url, count_queries)
    large_count = _queries_for(browser, large_url, count_queries)
    assert small_count == large_count
    # the member with their unread plain notifications, their sealed ones, the thread with its channel
    # and tags, the posts with their authors and reactions, the thread's key learnings, and whether the
    # member watches or muted the thread
    assert large_count == 6, large_count


def test_home_and_channel_queries_do_not_grow(client, session, count_queries):
    channel = make_channel(session)
    make_thread(session, channel=channel)
    home_before = _queries_for(client, "/", count_queries)
    channel_before = _queries_for(client, f"/c/{channel.slug}", count_queries)
    for i in range(30):
        make_thread(session, channel=channel if i % 2 else make_channel(session, visibility=Visibility.public),
                    author=make_member(session), replies=1)
    assert _queries_for(client, "/", count_queries) == home_before
    assert _queries_for(client, f"/c/{channel.slug}", count_queries) == channel_before


def test_search_queries_do_not_grow_with_results(client_as, session, count_queries):
    channel = make_channel(session)
    author = make_member(session, handle="cloudberry")
    make_thread(session, channel=channel, author=author, title="Cloudberry plans", body="Cloudberry one.")
    browser = client_as(make_member(session))
    url = f"/search?q=cloudberry&channel={channel.slug}&by=cloudberry"
    few = _queries_for(browser, url, count_queries)
    for i in range(30):
        make_thread(session, channel=channel, author=author, title=f"Cloudberry {i}", body="More cloudberry.",
                    replies=1)
    assert _queries_for(browser, url, count_queries) == few
    # the member with their unread plain and sealed notifications, the channel, the author, the
    # results, and the channels for the filter; on PostgreSQL, the planner settings set and reset
    # around the results (search.engines.PostgresEngine)
    assert few == (8 if session.get_bind().dialect.name == "postgresql" else 6), few


def test_latest_queries_do_not_grow(client_as, session, count_queries):
    channel = make_channel(session)
    make_thread(session, channel=channel, tags="events")
    browser = client_as(make_member(session))
    before = [_queries_for(browser, url, count_queries) for url in ("/latest", "/latest?tag=events")]
    for i in range(30):
        make_thread(session, channel=channel if i % 2 else make_channel(session, visibility=Visibility.members),
                    author=make_member(session), replies=1, tags="events")
    # the member, their sealed notifications, the count, the page, and how far they have read its threads
    assert [_queries_for(browser, url, count_queries) for url in ("/latest", "/latest?tag=events")] == before
    assert before[0] == 5, before
