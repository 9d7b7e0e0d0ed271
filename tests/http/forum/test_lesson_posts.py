"""The lesson template is added to what a member has written, in the new-thread, reply and edit forms,
with and without JavaScript; parts left empty are not published."""

import html
import re

from sqlalchemy import select

from app.forum.models import Post, Thread
from app.learning.models import Lesson
from tests.factories import first_post, make_channel, make_member, make_thread

HEADINGS = ("## What we tried", "## What happened", "## What we learned", "## What we would do differently")


def _textarea(page: str, field_id: str = "field-body") -> str:
    found = re.search(rf'<textarea[^>]* id="{field_id}"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, f"no #{field_id} in the page"
    return html.unescape(found.group(1))


def test_adding_the_template_to_a_new_thread_keeps_the_title_and_text_without_js(client_as, session):
    channel = make_channel(session)
    browser = client_as(make_member(session))
    page = browser.form(f"/c/{channel.slug}/new", {"title": "Pop-up careers fair", "body": "We hired a marquee.",
                                                   "tags": "careers", "template": "lesson"})
    assert page.status_code == 200 and 'value="Pop-up careers fair"' in page.text and 'value="careers"' in page.text
    body = _textarea(page.text)
    assert body.startswith("We hired a marquee.\n\n") and all(heading in body for heading in HEADINGS)
    assert re.search(r'<textarea[^>]* id="field-body"[^>]* autofocus', page.text)
    assert session.execute(select(Thread).where(Thread.channel_id == channel.id)).first() is None  # nothing posted


def test_with_htmx_the_answer_carries_the_textarea_the_button_swaps_in(client_as, session):
    channel = make_channel(session)
    browser = client_as(make_member(session))
    form = browser.get(f"/c/{channel.slug}/new").text
    assert 'name="template" value="lesson"' in form and 'hx-select="#field-body"' in form
    answer = browser.form(f"/c/{channel.slug}/new", {"title": "T", "body": "Typed first", "template": "lesson"},
                          htmx=True)
    assert answer.status_code == 200 and _textarea(answer.text).startswith("Typed first\n\n## What we tried")


def test_empty_parts_are_not_published_and_the_parts_are_stored(client_as, session):
    channel = make_channel(session)
    browser = client_as(make_member(session))
    body = "\n\n".join(HEADINGS).replace("## What happened", "## What happened\n\nThree hundred came.")
    started = browser.form(f"/c/{channel.slug}/new", {"title": "Fair", "body": body})
    assert started.status_code == 303
    post = session.execute(select(Post).join(Thread).where(Thread.channel_id == channel.id)).scalar_one()
    assert post.body_md == "## What happened\n\nThree hundred came.\n"
    assert "What we tried" not in post.body_html
    lesson = session.get(Lesson, post.id)
    assert lesson.happened == "Three hundred came." and lesson.tried == ""
    empty = browser.form(f"/c/{channel.slug}/new", {"title": "Nothing", "body": "\n\n".join(HEADINGS)})
    assert empty.status_code == 422 and "Write something before posting" in empty.text
    assert _textarea(empty.text).startswith("## What we tried")  # what was sent is kept


def test_the_template_in_a_reply_and_in_an_edit(client_as, session):
    thread = make_thread(session)
    author = make_member(session)
    browser = client_as(author)
    reply = browser.form(f"/t/{thread.public_id}/reply", {"body": "Our take:", "template": "lesson"})
    assert reply.status_code == 200 and _textarea(reply.text).startswith("Our take:\n\n## What we tried")
    inline = browser.form(f"/t/{thread.public_id}/reply", {"body": "Inline", "template": "lesson",
                                                           "parent_id": first_post(session, thread).public_id},
                          htmx=True)
    prefix = f"reply-{first_post(session, thread).public_id}-"
    assert inline.status_code == 200 and _textarea(inline.text, prefix + "field-body").startswith("Inline\n\n")
    own = make_thread(session, author=author, body="Before")
    opening = first_post(session, own)
    edit = browser.form(f"/p/{opening.public_id}/edit", {"body": "Before, more", "title": "Kept title",
                                                        "template": "lesson"})
    assert edit.status_code == 200 and 'value="Kept title"' in edit.text
    assert _textarea(edit.text, f"edit-{opening.public_id}-field-body").startswith("Before, more\n\n## What we tried")
    session.refresh(opening)
    assert opening.body_md == "Before"  # nothing saved yet
