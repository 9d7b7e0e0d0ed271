"""Channels, threads and replies over HTTP, as a plain browser and as htmx."""

from sqlalchemy import select

from app.forum.models import Post, Thread, Visibility
from tests.factories import first_post, make_channel, make_member, make_reply, make_thread


def test_home_signed_out_says_what_the_forum_is(client, session):
    make_channel(session, name="Good jobs and future skills", kind="theme")
    page = client.get("/")
    assert page.status_code == 200
    assert "Share what works, what failed and what you learned" in page.text
    assert "Good jobs and future skills" in page.text
    assert "Content-Security-Policy" in page.headers or "content-security-policy" in page.headers


def test_home_hides_members_only_channels_from_visitors(client, client_as, session):
    make_channel(session, name="Leadership circle", visibility=Visibility.members)
    assert "Leadership circle" not in client.get("/").text
    assert "Leadership circle" in client_as(make_member(session)).get("/").text


def test_members_only_channel_and_thread_are_404_for_visitors(client, session):
    channel = make_channel(session, visibility=Visibility.members)
    thread = make_thread(session, channel=channel)
    assert client.get(f"/c/{channel.slug}").status_code == 404
    assert client.get(f"/t/{thread.public_id}-{thread.slug}").status_code == 404
    assert client.get(f"/p/{first_post(session, thread).public_id}").status_code == 404


def test_channel_lists_pinned_first_then_by_activity(client, session):
    channel = make_channel(session)
    old = make_thread(session, channel=channel, title="Older thread")
    pinned = make_thread(session, channel=channel, title="Pinned thread")
    newer = make_thread(session, channel=channel, title="Newer thread")
    pinned.is_pinned = True
    make_reply(session, newer)
    session.add(pinned)
    session.flush()
    text = client.get(f"/c/{channel.slug}").text
    assert text.index("Pinned thread") < text.index("Newer thread") < text.index("Older thread")
    assert old.title in text


def test_channel_pagination_with_and_without_htmx(client, session, monkeypatch):
    from app.core.config import get_settings

    monkeypatch.setattr(get_settings(), "threads_per_page", 2)
    channel = make_channel(session)
    for i in range(5):
        make_thread(session, channel=channel, title=f"Thread number {i}")
    page3 = client.get(f"/c/{channel.slug}?page=3")
    assert "Page 3 of 3" in page3.text and "Thread number 0" in page3.text
    fragment = client.get(f"/c/{channel.slug}?page=2", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'id="thread-list"' in fragment.text
    assert client.get(f"/c/{channel.slug}?page=zzz").status_code == 200
    assert client.get(f"/c/{channel.slug}?page=999999999999").status_code == 200


def test_start_thread_without_js(client_as, session):
    channel = make_channel(session)
    member = make_member(session)
    browser = client_as(member)
    form = browser.get(f"/c/{channel.slug}/new")
    assert form.status_code == 200 and 'name="csrf_token"' in form.text
    response = browser.form(f"/c/{channel.slug}/new", {"title": "Procurement that favours local firms",
                                                        "body": "We changed our **scoring**.",
                                                        "tags": "procurement, Local Wealth"})
    assert response.status_code == 303
    thread = session.execute(select(Thread).where(Thread.channel_id == channel.id)).scalar_one()
    assert response.headers["location"] == f"/t/{thread.public_id}-{thread.slug}"
    page = browser.get(response.headers["location"])
    assert "<strong>scoring</strong>" in page.text
    assert ('<a class="tag" href="/latest?tag=local-wealth">local-wealth</a>'
            '<a class="tag" href="/latest?tag=procurement">procurement</a>') in page.text
    assert "Your thread has been started." in page.text
    listing = browser.get(f"/c/{channel.slug}").text
    assert ('<a class="tag" href="/latest?tag=local-wealth">local-wealth</a>'
            '<a class="tag" href="/latest?tag=procurement">procurement</a>') in listing


def test_start_thread_with_htmx_moves_on_with_hx_location(client_as, session):
    channel = make_channel(session)
    browser = client_as(make_member(session))
    response = browser.form(f"/c/{channel.slug}/new", {"title": "A title", "body": "A body"}, htmx=True)
    assert response.status_code == 200 and response.headers["HX-Location"].startswith("/t/")


def test_start_thread_invalid_keeps_text_and_explains(client_as, session):
    channel = make_channel(session)
    browser = client_as(make_member(session))
    body = "Keep this <text> please " * 3
    response = browser.form(f"/c/{channel.slug}/new", {"title": "x" * 151, "body": body})
    assert response.status_code == 422
    assert "There is a problem" in response.text and 'role="alert"' in response.text
    assert "Titles can be at most 150 characters" in response.text
    assert "Keep this &lt;text&gt; please" in response.text
    assert 'value="' + "x" * 151 + '"' in response.text
    empty = browser.form(f"/c/{channel.slug}/new", {"title": "Fine", "body": "   "})
    assert empty.status_code == 422 and "Write something before posting." in empty.text
    huge = browser.form(f"/c/{channel.slug}/new", {"title": "Fine", "body": "a" * 20_001})
    assert huge.status_code == 422 and "at most 20,000 characters" in huge.text
    assert session.execute(select(Thread).where(Thread.channel_id == channel.id)).first() is None


def test_lesson_template_is_offered(client_as, session):
    channel = make_channel(session)
    page = client_as(make_member(session)).get(f"/c/{channel.slug}/new?template=lesson")
    for heading in ("What we tried", "What happened", "What we learned", "What we would do differently"):
        assert f"## {heading}" in page.text


def test_signed_out_new_thread_redirects_to_sign_in(client, session):
    channel = make_channel(session)
    response = client.get(f"/c/{channel.slug}/new")
    assert response.status_code == 303 and response.headers["location"] == f"/signin?next=/c/{channel.slug}/new"
    assert client.form(f"/c/{channel.slug}/new", {"title": "t", "body": "b"}).status_code == 303


def test_thread_page_shows_posts_nested_and_canonical_url(client, session):
    thread = make_thread(session, replies=1)
    opening = first_post(session, thread)
    child = make_reply(session, thread, parent=opening, body="Answering post one")
    grandchild = make_reply(session, thread, parent=child, body="Deeper")
    great = make_reply(session, thread, parent=grandchild, body="Deeper still")
    deepest = make_reply(session, thread, parent=great, body="Deepest of all")
    assert client.get(f"/t/{thread.public_id}").headers["location"] == f"/t/{thread.public_id}-{thread.slug}"
    assert client.get(f"/t/{thread.public_id}-wrong-slug").status_code == 301
    page = client.get(f"/t/{thread.public_id}-{thread.slug}")
    assert page.status_code == 200
    text = page.text
    assert text.index("Answering post one") < text.index("Deeper") < text.index("Reply number 1")
    assert f'id="post-{deepest.public_id}" class="post depth-3"' in text
    assert f'<a href="/p/{great.public_id}">#{great.number}</a>' in text  # deeper replies say what they answer


def test_reply_without_js_redirects_to_permalink(client_as, session):
    thread = make_thread(session)
    browser = client_as(make_member(session))
    response = browser.form(f"/t/{thread.public_id}/reply", {"body": "Plain reply from a plain browser"})
    assert response.status_code == 303
    post = session.execute(select(Post).where(Post.thread_id == thread.id, Post.number == 2)).scalar_one()
    assert response.headers["location"] == f"/p/{post.public_id}"
    landing = browser.get(response.headers["location"])
    assert landing.status_code == 303 and landing.headers["location"].endswith(f"#post-{post.public_id}")
    assert "Plain reply from a plain browser" in browser.get(landing.headers["location"]).text
    session.refresh(thread)
    assert thread.reply_count == 1


def test_reply_with_htmx_returns_the_post_and_a_fresh_form(client_as, session):
    thread = make_thread(session)
    browser = client_as(make_member(session))
    response = browser.form(f"/t/{thread.public_id}/reply", {"body": "Inline reply"}, htmx=True)
    assert response.status_code == 200 and "<html" not in response.text
    assert "Inline reply" in response.text and "data-focus-after-swap" in response.text
    assert 'id="reply-form"' in response.text and 'hx-swap-oob="true"' in response.text
    assert "Your reply has been posted." in response.text


def test_reply_to_a_post_inline_and_plain(client_as, session):
    thread = make_thread(session)
    opening = first_post(session, thread)
    browser = client_as(make_member(session))
    form = browser.get(f"/p/{opening.public_id}/reply", headers={"HX-Request": "true"})
    assert "<html" not in form.text and f'name="parent_id" value="{opening.public_id}"' in form.text
    assert 'class="reply-slot"' in form.text and ' hx-post="/t/' in form.text
    assert 'hx-target="closest .reply-slot"' in form.text
    page = browser.get(f"/p/{opening.public_id}/reply")
    assert "<html" in page.text and "We tried" in page.text
    assert "hx-post" not in page.text.split('id="reply-form-')[1]  # on a page of its own the form posts plainly
    response = browser.form(f"/t/{thread.public_id}/reply", {"body": "To post one", "parent_id": opening.public_id})
    reply = session.execute(select(Post).where(Post.thread_id == thread.id, Post.number == 2)).scalar_one()
    assert response.status_code == 303 and reply.parent_id == opening.id and reply.depth == 1


def test_reply_with_bad_parent_or_empty_body_keeps_text(client_as, session):
    thread = make_thread(session)
    other = make_thread(session)
    browser = client_as(make_member(session))
    foreign_parent = first_post(session, other).public_id
    response = browser.form(f"/t/{thread.public_id}/reply", {"body": "my words", "parent_id": foreign_parent})
    assert response.status_code == 422 and "my words" in response.text
    empty = browser.form(f"/t/{thread.public_id}/reply", {"body": ""}, htmx=True)
    assert empty.status_code == 422 and empty.headers["HX-Retarget"] == "#reply-form"
    assert "Write something before posting." in empty.text and "<html" not in empty.text
    assert browser.form(f"/t/{thread.public_id}/reply", {"body": "x", "parent_id": "abc"}).status_code == 422


def test_quote_reply_prefills_the_quote(client_as, session):
    author = make_member(session, display_name="Morag Quinn")
    thread = make_thread(session, author=author, body="Line one\n\nLine two")
    browser = client_as(make_member(session))
    page = browser.get(f"/p/{first_post(session, thread).public_id}/reply?quote=1")
    assert "&gt; Morag Quinn wrote:" in page.text and "&gt; Line two" in page.text


def test_locked_thread_refuses_replies(client_as, session):
    thread = make_thread(session)
    thread.is_locked = True
    session.add(thread)
    session.flush()
    browser = client_as(make_member(session))
    response = browser.form(f"/t/{thread.public_id}/reply", {"body": "Let me in"})
    assert response.status_code == 422 and "This thread is locked" in response.text
    assert "Let me in" in response.text


def test_thread_pagination_load_more(client, session, monkeypatch):
    from app.core.config import get_settings

    monkeypatch.setattr(get_settings(), "posts_per_page", 5)
    thread = make_thread(session, replies=11)
    url = f"/t/{thread.public_id}-{thread.slug}"
    first = client.get(url)
    assert "Show more posts" in first.text and "Reply number 4 " in first.text and "Reply number 5 " not in first.text
    more = client.get(url + "?page=2", headers={"HX-Request": "true"})
    assert "<html" not in more.text and "Reply number 5 " in more.text and 'id="load-more"' in more.text
    last = client.get(url + "?page=3")
    assert "Reply number 11" in last.text and "Earlier posts" in last.text
    post = session.execute(select(Post).where(Post.thread_id == thread.id, Post.number == 12)).scalar_one()
    assert client.get(f"/p/{post.public_id}").headers["location"] == f"{url}?page=3#post-{post.public_id}"


def test_unknown_things_are_404_pages(client):
    for url in ("/c/nope", "/t/999999-x", "/p/999999", "/u/nobody", "/no/such/page", "/p/abc"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Page not found" in response.text
