"""Editing, deleting and reacting to posts; only authors may change their posts."""

from sqlalchemy import select

from app.forum.models import PostRevision, Reaction
from tests.factories import first_post, make_member, make_reply, make_thread


def test_edit_own_post_without_js_keeps_a_revision(client_as, session):
    author = make_member(session)
    thread = make_thread(session, author=author, body="First draft")
    post = first_post(session, thread)
    browser = client_as(author)
    form = browser.get(f"/p/{post.public_id}/edit")
    assert form.status_code == 200 and "First draft" in form.text and 'name="title"' in form.text
    response = browser.form(f"/p/{post.public_id}/edit", {"body": "Second draft", "title": "Better title"})
    assert response.status_code == 303
    session.refresh(post)
    session.refresh(thread)
    assert post.body_md == "Second draft" and post.edited_at is not None
    assert thread.title == "Better title" and thread.slug == "better-title"
    revisions = session.execute(select(PostRevision).where(PostRevision.post_id == post.id)).scalars().all()
    assert [r.body_md for r in revisions] == ["First draft"]
    page = browser.get(f"/t/{thread.public_id}-{thread.slug}")
    assert f'<a href="/p/{post.public_id}/revisions">edited</a>' in page.text
    history = browser.get(f"/p/{post.public_id}/revisions")
    assert "First draft" in history.text and "Second draft" in history.text


def test_edit_with_htmx_returns_the_updated_post(client_as, session):
    author = make_member(session)
    thread = make_thread(session, author=author)
    reply = make_reply(session, thread, author=author, body="Typo hree")
    browser = client_as(author)
    form = browser.get(f"/p/{reply.public_id}/edit", headers={"HX-Request": "true"})
    assert "<html" not in form.text and f'id="edit-post-{reply.public_id}"' in form.text
    assert 'name="title"' not in form.text
    response = browser.form(f"/p/{reply.public_id}/edit", {"body": "Typo here"}, htmx=True)
    assert response.status_code == 200 and "<html" not in response.text
    assert "Typo here" in response.text and f'id="post-{reply.public_id}"' in response.text
    assert 'class="reply-slot"' not in response.text  # the slot stays where it was
    invalid = browser.form(f"/p/{reply.public_id}/edit", {"body": ""}, htmx=True)
    assert invalid.status_code == 422 and "Write something before posting." in invalid.text


def test_others_cannot_edit_or_delete(client_as, session):
    thread = make_thread(session)
    post = first_post(session, thread)
    stranger = client_as(make_member(session))
    assert stranger.get(f"/p/{post.public_id}/edit").status_code == 404
    assert stranger.form(f"/p/{post.public_id}/edit", {"body": "Hijacked"}).status_code == 404
    assert stranger.get(f"/p/{post.public_id}/delete").status_code == 404
    assert stranger.form(f"/p/{post.public_id}/delete").status_code == 404
    session.refresh(post)
    assert post.body_md == "We tried **three** things." and post.status == "published"
    page = stranger.get(f"/t/{thread.public_id}-{thread.slug}")
    assert f"/p/{post.public_id}/edit" not in page.text and f"/p/{post.public_id}/delete" not in page.text


def test_delete_own_post_leaves_a_tombstone(client_as, session):
    author = make_member(session)
    thread = make_thread(session, author=author)
    reply = make_reply(session, thread, author=author, body="Regrettable words")
    make_reply(session, thread, parent=reply, body="An answer to it")
    browser = client_as(author)
    confirm = browser.get(f"/p/{reply.public_id}/delete")
    assert confirm.status_code == 200 and "Delete post 2?" in confirm.text
    assert browser.form(f"/p/{reply.public_id}/delete").status_code == 303
    assert browser.form(f"/p/{reply.public_id}/delete").status_code == 303  # a double submit is a quiet success
    page = browser.get(f"/t/{thread.public_id}-{thread.slug}").text
    assert "Regrettable words" not in page and "This post was deleted by its author." in page
    assert "An answer to it" in page
    session.refresh(reply)
    session.refresh(thread)
    assert reply.body_md == "" and reply.status == "deleted" and thread.reply_count == 1


def test_delete_with_htmx(client_as, session):
    author = make_member(session)
    thread = make_thread(session, author=author)
    reply = make_reply(session, thread, author=author)
    response = client_as(author).form(f"/p/{reply.public_id}/delete", htmx=True)
    assert response.status_code == 200 and "This post was deleted" in response.text and "<html" not in response.text


def test_reactions_toggle_idempotently_without_js(client_as, session):
    thread = make_thread(session)
    post = first_post(session, thread)
    browser = client_as(make_member(session))
    for _ in range(2):  # a double submit adds one reaction, not two
        assert browser.form(f"/p/{post.public_id}/react", {"kind": "helpful", "on": "1"}).status_code == 303
    count = session.execute(select(Reaction).where(Reaction.post_id == post.id)).all()
    assert len(count) == 1
    page = browser.get(f"/t/{thread.public_id}-{thread.slug}").text
    assert 'aria-pressed="true">Helpful <b>1</b>' in page
    browser.form(f"/p/{post.public_id}/react", {"kind": "helpful", "on": "0"})
    assert session.execute(select(Reaction).where(Reaction.post_id == post.id)).first() is None
    assert browser.form(f"/p/{post.public_id}/react", {"kind": "love", "on": "1"}).status_code == 303
    assert session.execute(select(Reaction).where(Reaction.post_id == post.id)).first() is None


def test_reactions_with_htmx_return_the_counts(client_as, session):
    thread = make_thread(session)
    post = first_post(session, thread)
    client_as(make_member(session)).form(f"/p/{post.public_id}/react", {"kind": "same_here", "on": "1"})
    response = client_as(make_member(session)).form(f"/p/{post.public_id}/react", {"kind": "same_here", "on": "1"},
                                                    htmx=True)
    assert response.status_code == 200 and "<html" not in response.text
    assert f'<article id="post-{post.public_id}"' in response.text and 'Same here <b>2</b>' in response.text
    assert 'class="reply-slot"' not in response.text
    assert response.headers["HX-Retarget"] == f"#post-{post.public_id}" and response.headers["HX-Reswap"] == "outerHTML"


def test_the_pages_one_reactions_form(client_as, session):
    thread = make_thread(session)
    post = first_post(session, thread)
    browser = client_as(make_member(session))
    page = browser.get(f"/t/{thread.public_id}-{thread.slug}").text
    assert page.count('<form id="react" method="post" action="/react"') == 1
    button = f'<button form="react" name="set" value="{post.public_id}:helpful:1" aria-pressed="false">'
    assert button in page and page.count('name="csrf_token"') == 4  # sign-out, watching, reactions, reply
    assert browser.form("/react", {"set": f"{post.public_id}:helpful:1"}).status_code == 303
    response = browser.form("/react", {"set": f"{post.public_id}:helpful:0"}, htmx=True)
    assert 'aria-pressed="false">Helpful <b>0</b>' in response.text
    assert response.headers["HX-Retarget"] == f"#post-{post.public_id}"
    assert browser.form("/react", {"set": f"{post.public_id}:helpful:1"}).status_code == 303
    reply_page = browser.get(f"/p/{post.public_id}/reply").text
    assert 'aria-pressed="true">Helpful <b>1</b>' in reply_page and 'id="react"' in reply_page
    assert browser.form("/react", {"set": "nosuchpost:helpful:1"}).status_code == 404


def test_a_page_served_before_the_one_reactions_form_still_reacts(client_as, session):
    thread = make_thread(session)
    post = first_post(session, thread)
    browser = client_as(make_member(session))
    assert browser.form(f"/p/{post.public_id}/react", {"set": "helpful:1"}).status_code == 303
    assert 'aria-pressed="true">Helpful <b>1</b>' in browser.get(f"/t/{thread.public_id}-{thread.slug}").text


def test_visitors_see_counts_but_no_buttons(client, client_as, session):
    thread = make_thread(session)
    post = first_post(session, thread)
    client_as(make_member(session)).form(f"/p/{post.public_id}/react", {"kind": "helpful", "on": "1"})
    page = client.get(f"/t/{thread.public_id}-{thread.slug}").text
    assert 'Helpful <b>1</b>' in page and 'form="react"' not in page and 'id="react"' not in page
    assert client.form(f"/p/{post.public_id}/react", {"kind": "helpful"}).status_code == 303  # to sign in


def test_mentions_are_linked(client_as, session):
    make_member(session, handle="morag")
    thread = make_thread(session)
    browser = client_as(make_member(session))
    browser.form(f"/t/{thread.public_id}/reply", {"body": "Thanks @Morag, see <script>alert(1)</script>"})
    page = browser.get(f"/t/{thread.public_id}-{thread.slug}").text
    assert '<a href="/u/morag" class="mention"' in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
