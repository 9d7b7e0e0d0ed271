"""Moderators mark, change and unmark key learnings through plain forms; the log records each change;
the library lists them for those who may read them."""

from sqlalchemy import func, select

from app.forum.models import ChannelKind, Visibility
from app.learning.models import KeyLearning
from app.moderation.models import ModerationAction
from tests.factories import first_post, make_channel, make_channel_moderator, make_member, make_reply, make_thread


def _lines(session, action: str) -> int:
    return session.execute(select(func.count()).where(ModerationAction.action == action)).scalar_one()


def _url(thread) -> str:
    return f"/t/{thread.public_id}-{thread.slug}"


def test_a_moderator_marks_changes_and_unmarks_a_thread_and_the_log_records_each(client_as, session, client):
    pilot = make_channel(session, kind=ChannelKind.pilot, slug="harbour", name="Harbour Partnership")
    make_channel(session, kind=ChannelKind.theme, slug="skills", name="Skills")
    thread = make_thread(session, channel=pilot, title="Careers fair on the pier")
    moderator = client_as(make_member(session, role="moderator"))
    form = moderator.get(f"/mod/learning/threads/{thread.public_id}")
    assert form.status_code == 200 and 'value="harbour" checked' in form.text  # its own pilot, to start with
    saved = moderator.form(f"/mod/learning/threads/{thread.public_id}",
                           {"summary": "Piers draw families", "concerns": ["harbour", "skills"],
                            "others_could_try": "Hold it in the school holidays"})
    assert saved.status_code == 303 and saved.headers["location"] == _url(thread)
    page = moderator.get(_url(thread)).text
    assert "Marked as a key learning" in page and "Piers draw families" in page and "Hold it in the school" in page
    assert client.get("/learning?theme=skills").text.count("Piers draw families") == 1
    moderator.form(f"/mod/learning/threads/{thread.public_id}", {"summary": "Piers draw whole families",
                                                                "concerns": "skills"})
    key_learning = session.execute(select(KeyLearning)).scalar_one()
    assert key_learning.summary == "Piers draw whole families"
    assert "Piers draw whole families" not in client.get("/learning?pilot=harbour").text
    confirm = moderator.get(f"/mod/learning/{key_learning.public_id}/unmark")
    assert confirm.status_code == 200 and "leaves the learning library" in confirm.text
    gone = moderator.form(f"/mod/learning/{key_learning.public_id}/unmark", {"reason": "Too thin"})
    assert gone.status_code == 303
    assert "Piers draw" not in client.get("/learning").text
    assert [_lines(session, kind) for kind in ("mark_key_learning", "edit_key_learning", "unmark_key_learning")] == [
        1, 1, 1]
    transparency = client.get("/moderation").text
    assert "Marked a key learning" in transparency and "Unmarked a key learning" in transparency


def test_a_reply_is_marked_on_its_own_and_the_opening_posts_form_is_the_threads(client_as, session):
    theme = make_channel(session, kind=ChannelKind.theme)
    thread = make_thread(session, channel=theme)
    reply = make_reply(session, thread, body="Employers paid for the early bus")
    moderator = client_as(make_member(session, role="moderator"))
    opening = moderator.get(f"/mod/learning/posts/{first_post(session, thread).public_id}")
    assert opening.status_code == 303 and opening.headers["location"] == f"/mod/learning/threads/{thread.public_id}"
    saved = moderator.form(f"/mod/learning/posts/{reply.public_id}", {"summary": "Employers fund transport",
                                                                     "concerns": theme.slug})
    assert saved.status_code == 303 and saved.headers["location"] == f"/p/{reply.public_id}"
    entry = moderator.get("/learning").text
    assert f'href="/p/{reply.public_id}"' in entry and "post 2" in entry
    line = session.execute(select(ModerationAction)).scalar_one()
    assert line.post_id == reply.id and line.thread_id == thread.id


def test_bad_input_keeps_what_was_typed_and_says_what_is_wrong(client_as, session):
    thread = make_thread(session, channel=make_channel(session, kind=ChannelKind.general))
    moderator = client_as(make_member(session, role="moderator"))
    refused = moderator.form(f"/mod/learning/threads/{thread.public_id}",
                             {"summary": "", "others_could_try": "Keep these words " + "x" * 700})
    assert refused.status_code == 422
    assert 'class="error-summary"' in refused.text and "Keep these words" in refused.text
    assert "Write a short summary" in refused.text and "at least one" in refused.text
    assert "600 characters" in refused.text
    long = moderator.form(f"/mod/learning/threads/{thread.public_id}", {"summary": "w" * 401, "concerns": "nope"})
    assert long.status_code == 422 and "400 characters" in long.text and "w" * 401 in long.text
    assert session.execute(select(func.count()).select_from(KeyLearning)).scalar_one() == 0


def test_only_a_moderator_of_the_channel_marks_in_it(client_as, session):
    channel = make_channel(session)
    other = make_channel(session)
    thread = make_thread(session, channel=channel)
    data = {"summary": "Sneaky", "concerns": channel.slug}
    assert client_as(make_member(session)).form(f"/mod/learning/threads/{thread.public_id}", data).status_code in (
        403, 404)
    elsewhere = client_as(make_channel_moderator(session, other))
    assert elsewhere.form(f"/mod/learning/threads/{thread.public_id}", data).status_code == 403
    assert elsewhere.get(f"/mod/learning/threads/{thread.public_id}").status_code == 403
    assert client_as(make_channel_moderator(session, channel)).form(
        f"/mod/learning/threads/{thread.public_id}", data).status_code == 303
    key_learning = session.execute(select(KeyLearning)).scalar_one()
    assert elsewhere.form(f"/mod/learning/{key_learning.public_id}/unmark").status_code == 403
    assert client_as(make_member(session)).get("/mod/learning/nosuchid/unmark").status_code in (403, 404)


def test_a_safe_space_summary_that_could_identify_its_author_needs_a_second_look(client_as, session):
    safe = make_channel(session, kind=ChannelKind.safe_space, visibility=Visibility.members, is_anonymous=True)
    make_channel(session, kind=ChannelKind.pilot, slug="lough", name="Lough Ardan Partnership")
    make_member(session, display_name="Niamh Carragher")
    thread = make_thread(session, channel=safe, title="Our board froze")
    moderator = client_as(make_member(session, role="moderator"))
    data = {"summary": "Niamh Carragher's board froze; email niamh@example.org", "concerns": ["lough"]}
    warned = moderator.form(f"/mod/learning/threads/{thread.public_id}", data)
    assert warned.status_code == 422
    for detail in ("Niamh Carragher", "niamh@example.org", "Lough Ardan Partnership", "tick the box"):
        assert detail in warned.text
    assert 'name="confirm"' in warned.text
    saved = moderator.form(f"/mod/learning/threads/{thread.public_id}", data | {"confirm": "yes"})
    assert saved.status_code == 303
    quiet = make_thread(session, channel=safe, title="Another")
    theme = make_channel(session, kind=ChannelKind.theme, slug="data")
    plain = moderator.form(f"/mod/learning/threads/{quiet.public_id}", {"summary": "Name the risk early",
                                                                       "concerns": theme.slug})
    assert plain.status_code == 303  # nothing to warn about: saved at once


def test_the_library_shows_members_what_visitors_cannot_read(client_as, session, client):
    theme = make_channel(session, kind=ChannelKind.theme, slug="growth", name="Growth")
    leaders = make_channel(session, kind=ChannelKind.theme, visibility=Visibility.members, name="Leaders")
    public = make_thread(session, channel=theme)
    private = make_thread(session, channel=leaders)
    moderator = client_as(make_member(session, role="moderator"))
    for thread, summary in ((public, "Open to all"), (private, "For members")):
        moderator.form(f"/mod/learning/threads/{thread.public_id}", {"summary": summary, "concerns": "growth"})
    visitor = client.get("/learning")
    assert "Open to all" in visitor.text and "For members" not in visitor.text and "1 key learning" in visitor.text
    member = client_as(make_member(session)).get("/learning")
    assert "Open to all" in member.text and "For members" in member.text and "2 key learnings" in member.text
    fragment = client.get("/learning?q=open", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and "<mark>Open</mark>" in fragment.text
    assert client.get("/learning?theme=no-such-theme").status_code == 422
    assert client.get("/learning?q=" + "a" * 201).status_code == 422
